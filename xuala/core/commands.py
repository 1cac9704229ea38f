"""The one shape of a `xuala` command made of subcommands (`xuala mail pipe`, `xuala sentry
check URL`): the subparsers are set up here, and each subcommand runs the method of its name."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class ActionsCommand(BaseCommand):
    """``add_actions`` declares the subcommands; ``xuala NAME ACTION`` calls ``self._ACTION``
    with the parsed options as keywords."""

    # These commands are started by MTAs, cron and the supervisor, often once per job: they
    # skip the system checks to start quickly.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        self.add_actions(parser.add_subparsers(dest="action", required=True))

    def add_actions(self, actions) -> None:
        """Add one parser per subcommand: ``actions.add_parser(NAME, help=…)``."""
        raise NotImplementedError

    def handle(self, *args, action: str, **options):
        return getattr(self, f"_{action}")(**options)
