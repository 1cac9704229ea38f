"""Settings for `xuala sentry engine` subprocesses started by the tests: the test settings, the
test database the test runs on (XUALA_TEST_DB_NAME: a SQLite file or a PostgreSQL database
name), and a short claim so that a killed engine's claims expire within the test."""

import os

from tests.settings import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ["XUALA_TEST_DB_NAME"]  # noqa: F405
# Production holds a claim for 120 s; the tests compress a minute into a few seconds.
XUALA_SENTRY_CLAIM_SECONDS = int(os.environ.get("XUALA_SENTRY_CLAIM_SECONDS", "6"))
