"""Tuesday updates (§6.3.5): the desk's schedules, runs and reports; the node runs them."""

from django.apps import AppConfig


class UpdatesConfig(AppConfig):
    name = "xuala.updates"
    label = "updates"
    verbose_name = "Weekly updates"

    def ready(self) -> None:
        from xuala.updates import results  # noqa: F401  (registers the run's result handler)
        from xuala.updates.services import cure_vulnerabilities
        from xuala.wsa.services import VULNERABILITY_CURES

        if cure_vulnerabilities not in VULNERABILITY_CURES:
            VULNERABILITY_CURES.append(cure_vulnerabilities)
