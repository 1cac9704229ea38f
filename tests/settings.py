"""Test settings: a throw-away data dir and a non-UTC process zone so zone mistakes fail."""

import os
import tempfile
import time

os.environ["TZ"] = "Asia/Tokyo"
time.tzset()
os.environ.setdefault("XUALA_DATA_DIR", tempfile.mkdtemp(prefix="xuala-test-"))
# The display zone differs from the policy's (Europe/Madrid): code that mixes them up fails.
os.environ.setdefault("XUALA_TIME_ZONE", "Asia/Tokyo")

from xuala.settings import *  # noqa: E402, F403

# Argon2 is the production hasher (tests/accounts checks it); tests hash with MD5 for speed.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The one-shot check of reported emergencies probes real sites: off unless a test turns it on.
XUALA_EMERGENCY_CHECK = "off"

# A file, not shared memory, for SQLite: tests that race two threads need real locking.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405
