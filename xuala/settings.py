"""Django settings for Xuala Desk, read from XUALA_* environment variables."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url

from xuala.env import (
    ConfigError,
    env_bool,
    env_header,
    env_hostport,
    env_int,
    env_list,
    env_path,
    env_str,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = env_path("XUALA_DATA_DIR", "./var")
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = secret_key(DATA_DIR)
DEBUG = env_bool("XUALA_DEBUG", False)
ALLOWED_HOSTS = env_list("XUALA_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("XUALA_CSRF_TRUSTED_ORIGINS", [])

# The policy file that sets hours, targets, channels and scope; None means the shipped seed.
XUALA_POLICY = env_str("XUALA_POLICY", "") or None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "xuala.accounts",
    "xuala.policy",
    "xuala.core",
    "xuala.kb",
    "xuala.customers",
    "xuala.desk",
    "xuala.notify",
    "xuala.intake",
    "xuala.sentry",
    "xuala.quotes",
    "xuala.meetings",
    "xuala.antispam",
    "xuala.portal",
    "xuala.console",
    "xuala.api",
    "xuala.wsa",
    "xuala.updates",
    "xuala.nodes",
    "xuala.triage",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_htmx",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "xuala.core.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into the 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "xuala.urls"
WSGI_APPLICATION = "xuala.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "xuala.policy.context_processors.company",
            ],
        },
    },
]


def _database() -> dict:
    url = env_str("XUALA_DATABASE_URL", "")
    if url:
        try:
            config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        except Exception as exc:
            raise ConfigError(f"XUALA_DATABASE_URL is not a usable database URL: {exc}") from exc
        if config["ENGINE"] == "django.db.backends.postgresql":
            options = config.setdefault("OPTIONS", {})
            options.setdefault("connect_timeout", 5)
            # Server-side parameters, and a statement run five times on a connection is
            # prepared: PostgreSQL then stops planning it again. Planning was most of the
            # server's work on a page (the console's ticket page: 5.7 ms of PostgreSQL CPU
            # per view before, 2.0 ms after). Behind a transaction-mode pooler (PgBouncer
            # before 1.21) set XUALA_DB_PREPARE=0.
            prepare = env_int("XUALA_DB_PREPARE", 5, minimum=0)
            if prepare:
                options.setdefault("server_side_binding", True)
                options.setdefault("prepare_threshold", prepare)
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "xuala.sqlite3",
        "OPTIONS": {
            # WAL lets the web server, the task worker and the engines read while one writes.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Python threads per web worker process (`xuala run`); more only for slow blocking I/O.
XUALA_WEB_THREADS = env_int("XUALA_WEB_THREADS", 1, minimum=1)
# Sign-in rate limit: 5 failures per address and account lock that pair for 15 minutes.
AXES_FAILURE_LIMIT = env_int("XUALA_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("XUALA_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
# Every spelling of an address (case, surrounding spaces) counts against one account.
AXES_USERNAME_CALLABLE = "xuala.accounts.signin.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
LOGIN_URL = "portal:login"
# Where Django's own sign-in (the admin's) lands when its `next` is refused: the admin index,
# not the unrouted /accounts/profile/.
LOGIN_REDIRECT_URL = "admin:index"
OTP_TOTP_ISSUER = "Xuala Desk"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "es"
LANGUAGES = [("es", "Español"), ("en", "English")]
# Dates in one form per language (xuala/formats/<lang>/formats.py); templates name them.
FORMAT_MODULE_PATH = ["xuala.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# Display zone; calendar arithmetic always uses the policy's own zone.
TIME_ZONE = env_str("XUALA_TIME_ZONE", "Europe/Madrid")

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SECURE_COOKIES = env_bool("XUALA_SECURE_COOKIES", True)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# HSTS on answers served over TLS (Django sends it only on secure requests) while the cookies
# are secure; behind a TLS-terminating proxy, name the header it sets ("X-Forwarded-Proto:
# https") so Django knows the request was secure.
SECURE_HSTS_SECONDS = env_int("XUALA_HSTS_SECONDS", 31_536_000 if SECURE_COOKIES else 0,
                              minimum=0)
SECURE_PROXY_SSL_HEADER = env_header("XUALA_PROXY_SSL_HEADER")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("XUALA_LOG_LEVEL", "INFO")},
    # fontTools narrates every font subset at INFO each time a quote's PDF is made.
    "loggers": {"fontTools": {"level": "WARNING"}},
}

# Mail. Without a relay the embedded default writes outgoing mail to files in the data dir.
# A bare address is sent named after the policy's company (xuala.notify.services.sender).
DEFAULT_FROM_EMAIL = env_str("XUALA_MAIL_FROM", "asistencia@modo3.net")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
XUALA_MAIL_DOMAIN = env_str("XUALA_MAIL_DOMAIN", "modo3.net")
# Meetings (§4): the video-call room ({token} becomes a random room name), the reminder's lead,
# how many times a day are offered (0: the earliest ones, back to back).
XUALA_MEETING_ROOM_URL = env_str("XUALA_MEETING_ROOM_URL", "https://meet.jit.si/xuala-{token}")
if "{token}" not in XUALA_MEETING_ROOM_URL:
    raise ConfigError("XUALA_MEETING_ROOM_URL must contain {token}")
XUALA_MEETING_REMINDER_MINUTES = env_int("XUALA_MEETING_REMINDER_MINUTES", 60, minimum=0)
XUALA_MEETING_SLOTS_PER_DAY = env_int("XUALA_MEETING_SLOTS_PER_DAY", 2, minimum=0)

# The company's details on quotes (its name is the policy file's `company`, shown everywhere).
XUALA_COMPANY_TAX_ID = env_str("XUALA_COMPANY_TAX_ID", "")
XUALA_COMPANY_ADDRESS = env_str("XUALA_COMPANY_ADDRESS", "")  # lines separated by "\n"
XUALA_COMPANY_EMAIL = env_str("XUALA_COMPANY_EMAIL", "")  # empty: the policy's support address
# The knowledge base: how many votes one network address may cast in an hour.
XUALA_KB_VOTES_PER_HOUR = env_int("XUALA_KB_VOTES_PER_HOUR", 20, minimum=1)
# The address clients reach the desk at, for absolute links in mail.
XUALA_PUBLIC_URL = env_str("XUALA_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
XUALA_ONCALL_EMAIL = env_str("XUALA_ONCALL_EMAIL", "guardia@modo3.net")
XUALA_AGENTS_EMAIL = env_str("XUALA_AGENTS_EMAIL", "equipo@modo3.net")
if env_str("XUALA_SMTP_RELAY", ""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST, EMAIL_PORT = env_hostport("XUALA_SMTP_RELAY", "127.0.0.1:25")
    EMAIL_HOST_USER = env_str("XUALA_SMTP_USER", "")
    EMAIL_HOST_PASSWORD = env_str("XUALA_SMTP_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("XUALA_SMTP_STARTTLS", False)
    EMAIL_TIMEOUT = 30
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "sent-mail"

# Mail intake (issue 4): the listener, threading, loops and sender authentication.
XUALA_SMTP_LISTEN = env_str("XUALA_SMTP_LISTEN", "127.0.0.1:2525")
XUALA_SMTP_MAX_BYTES = env_int("XUALA_SMTP_MAX_MB", 25, minimum=1) * 1024 * 1024
# Listener processes sharing the SMTP port (SO_REUSEPORT): one Python process uses one core.
XUALA_SMTP_PROCESSES = env_int("XUALA_SMTP_PROCESSES", 1, minimum=1)
XUALA_REOPEN_DAYS = env_int("XUALA_REOPEN_DAYS", 14, minimum=0)
XUALA_AUTOREPLY_PERIOD_MINUTES = env_int("XUALA_AUTOREPLY_PERIOD_MINUTES", 60, minimum=1)
XUALA_MAIL_AUTH = env_str("XUALA_MAIL_AUTH", "enforce")
if XUALA_MAIL_AUTH not in ("enforce", "off"):
    raise ConfigError("XUALA_MAIL_AUTH must be 'enforce' or 'off'")
XUALA_TRUSTED_AUTHSERV_IDS = env_list("XUALA_TRUSTED_AUTHSERV_IDS", [])
XUALA_DNS_SERVERS = env_list("XUALA_DNS_SERVERS", [])
XUALA_IMAP_URL = env_str("XUALA_IMAP_URL", "")
XUALA_IMAP_POLL_SECONDS = env_int("XUALA_IMAP_POLL_SECONDS", 60, minimum=1)
XUALA_IMAP_PROCESSED_FOLDER = env_str("XUALA_IMAP_PROCESSED_FOLDER", "")

# Online Sentry (issue 5).
XUALA_SENTRY_WEBHOOK_URL = env_str("XUALA_SENTRY_WEBHOOK_URL", "")
XUALA_SENTRY_WEBHOOK_SECRET = env_str("XUALA_SENTRY_WEBHOOK_SECRET", "")
XUALA_SENTRY_HOUR_DAYS = env_int("XUALA_SENTRY_HOUR_DAYS", 30, minimum=1)
XUALA_SENTRY_RAW_DAYS = env_int("XUALA_SENTRY_RAW_DAYS", 30, minimum=1)
# How old the stored last good check may grow before a good check replaces it.
XUALA_SENTRY_LAST_GOOD_SECONDS = env_int("XUALA_SENTRY_LAST_GOOD_SECONDS", 300, minimum=0)
# §1: a reported site-down request is checked at once by Online Sentry (xuala/sentry/oneshot.py):
# "thread" (after commit, in a thread of its own), "inline" (in the committing thread) or "off".
XUALA_EMERGENCY_CHECK = env_str("XUALA_EMERGENCY_CHECK", "thread")
# How long an engine's claim on a monitor lasts: a killed engine's monitors are taken over after it.
XUALA_SENTRY_CLAIM_SECONDS = env_int("XUALA_SENTRY_CLAIM_SECONDS", 120, minimum=1)

# Anti-spam (issue 15).
XUALA_ANTISPAM_MAX_BODY_BYTES = env_int("XUALA_ANTISPAM_MAX_BODY_KB", 256, minimum=1) * 1024
# Calls a key may make per minute, counted across the web processes (Redis, or the database).
XUALA_ANTISPAM_RATE_PER_MINUTE = env_int("XUALA_ANTISPAM_RATE_PER_MINUTE", 6000, minimum=1)
XUALA_ANTISPAM_BLOCK_DAYS = env_int("XUALA_ANTISPAM_BLOCK_DAYS", 30, minimum=1)
XUALA_ANTISPAM_DNSBL_ZONES = env_list("XUALA_ANTISPAM_DNSBL_ZONES", [])
# host:port of the resolver the block lists are asked through; empty: the system's.
XUALA_ANTISPAM_DNS_SERVER = env_str("XUALA_ANTISPAM_DNS_SERVER", "")
# Submissions per minute from one address, and from one /24 (IPv4) or /64 (IPv6), before
# the verdict counts it as a flood (xuala/antispam/limits.py).
XUALA_ANTISPAM_IP_PER_MINUTE = env_int("XUALA_ANTISPAM_IP_PER_MINUTE", 20, minimum=1)
XUALA_ANTISPAM_NET_PER_MINUTE = env_int("XUALA_ANTISPAM_NET_PER_MINUTE", 120, minimum=1)
# How often a web process writes its journalled verdict rows to the database (live.py).
XUALA_ANTISPAM_FLUSH_MS = env_int("XUALA_ANTISPAM_FLUSH_MS", 500, minimum=10)
# redis://host:port/db for shared counters (rate limits); empty: the database keeps them.
XUALA_REDIS_URL = env_str("XUALA_REDIS_URL", "")

# Tuesday updates (issue 16, docs/updates.md).
# The update source sent with every run unless the site's settings name one: a directory or
# an http(s) mirror laid out plugins/<slug>/<version>.zip, themes/<slug>/<version>.zip,
# core/<version>.zip. Empty: each node uses its own XUALA_UPDATE_SOURCE, else the official
# WordPress update service.
XUALA_UPDATE_SOURCE = env_str("XUALA_UPDATE_SOURCE", "")
# Where the runs' screenshots and diff images are kept (files, never in the database).
XUALA_UPDATE_IMAGES_DIR = env_path("XUALA_UPDATE_IMAGES_DIR", str(DATA_DIR / "update-images"))
# Runs one hosting server's node may have going at once; the schedule waits for a free place.
XUALA_UPDATES_PER_NODE = env_int("XUALA_UPDATES_PER_NODE", 2, minimum=1)
# How long the Sentry maintenance window of a run lasts at most (closed when the run ends).
XUALA_UPDATES_MAX_MINUTES = env_int("XUALA_UPDATES_MAX_MINUTES", 120, minimum=5)
# How many runs' snapshots each node keeps per site (the way back of the latest runs).
XUALA_UPDATES_KEEP_SNAPSHOTS = env_int("XUALA_UPDATES_KEEP_SNAPSHOTS", 2, minimum=1)
# How long `xuala updates run` waits for the node before it gives up waiting.
XUALA_UPDATES_WAIT_SECONDS = env_int("XUALA_UPDATES_WAIT_SECONDS", 1800, minimum=1)

# Node agents (docs/wsa.md): how long a claim or a heartbeat holds a job (seconds) before
# another node may take it.
XUALA_NODE_LEASE_SECONDS = env_int("XUALA_NODE_LEASE_SECONDS", 60, minimum=1)

# Uploads.
XUALA_MAX_ATTACHMENT_BYTES = env_int("XUALA_MAX_ATTACHMENT_MB", 10, minimum=1) * 1024 * 1024
XUALA_MAX_ATTACHMENTS = env_int("XUALA_MAX_ATTACHMENTS", 10, minimum=1)
# What one customer's attachments may take in storage altogether (0: no quota).
XUALA_ATTACHMENT_QUOTA_BYTES = env_int("XUALA_ATTACHMENT_QUOTA_MB", 1024, minimum=0) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
