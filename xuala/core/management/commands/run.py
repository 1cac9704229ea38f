"""`xuala run [--bind HOST:PORT]`: the whole desk in one command."""

from __future__ import annotations

import logging

from django.core.management.base import BaseCommand, CommandError

from xuala.core.processes import default_web_workers, desk_processes
from xuala.core.runlock import AlreadyRunning, RunLock
from xuala.core.supervisor import Supervisor
from xuala.env import ConfigError, parse_hostport, port_taken


class Command(BaseCommand):
    help = "Start the web server, the task worker and the engines; Ctrl-C stops them all."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000", help="host:port of the web server")
        parser.add_argument("--web-workers", type=int, default=default_web_workers())

    def handle(self, *args, bind: str, web_workers: int, **options):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        from django.conf import settings

        try:
            host, port = parse_hostport(bind, name="--bind")
            smtp = parse_hostport(settings.XUALA_SMTP_LISTEN, name="XUALA_SMTP_LISTEN")
        except ConfigError as exc:
            raise CommandError(str(exc), returncode=2) from None
        try:
            lock = RunLock().acquire()
        except AlreadyRunning as exc:
            raise CommandError(str(exc)) from None
        taken = [f"{what} {h}:{p} (set {how})" for what, (h, p), how in (
            ("the web port", (host, port), "--bind, or BIND= with make run"),
            ("the mail port", smtp, "XUALA_SMTP_LISTEN, or SMTP= with make run"),
        ) if port_taken(h, p)]
        if taken:
            lock.release()
            raise CommandError("already in use: " + "; ".join(taken))
        missing = _unapplied_migrations()
        if missing:
            lock.release()
            raise CommandError(f"the database lacks {missing} migrations: run `xuala migrate` "
                               "first (`make run` does it)")
        from xuala.core.demo import demo_monitors_point, demo_present
        from xuala.policy.services import policy_version_record

        if demo_present():  # its monitors check pages this desk serves: at this address
            local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
            demo_monitors_point(origin=f"http://{f'[{local}]' if ':' in local else local}:{port}")

        version = policy_version_record()
        self.stdout.write(f"Xuala Desk on http://{bind}/ (policy version {version.pk}, "
                          f"{version.sha256[:12]}); Ctrl-C stops it.")
        self.stdout.flush()
        specs = desk_processes(host=host, port=port, web_workers=web_workers)
        try:
            Supervisor(specs).run()
        finally:
            lock.release()


def _unapplied_migrations() -> int:
    """How many migrations the database still lacks (a new data directory lacks them all)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
