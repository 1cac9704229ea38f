"""Settings for running `xuala sentry` in a subprocess from the tests: the test settings plus the
Sentry app, whether or not the project's settings list it yet."""

from tests.settings import *  # noqa: F403

if "xuala.sentry" not in INSTALLED_APPS:  # noqa: F405
    INSTALLED_APPS = [*INSTALLED_APPS, "xuala.sentry"]  # noqa: F405
