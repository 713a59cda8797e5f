"""Peyvand settings, read from the environment (see .env.example for every variable)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(os.environ.get("PEYVAND_DATA_DIR", "./var")).resolve()
DEBUG = env_bool("PEYVAND_DEBUG")
# Under pytest the suite runs with finder-served static files and tasks run in-process.
TESTING = env_bool("PEYVAND_TESTING") or "pytest" in sys.modules


def _secret_key() -> str:
    """An explicit key wins; otherwise one is generated once and kept in the data dir,
    so the embedded mode needs no configuration and sessions survive restarts."""
    key = os.environ.get("PEYVAND_SECRET_KEY")
    if key:
        return key
    from django.core.management.utils import get_random_secret_key

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("PEYVAND_ALLOWED_HOSTS", "*").split(",") if h]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("PEYVAND_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "djmoney",
    "django_tasks",
    "django_tasks_db",
    "peyvand.core",
    "peyvand.access",
    "peyvand.audit",
    "peyvand.customers",
    "peyvand.catalog",
    "peyvand.sales",
    "peyvand.channels",
    "peyvand.desk",
    "peyvand.imports",
    "peyvand.analytics",
    "peyvand.tracking",
    "peyvand.personalization",
    "peyvand.marketing",
    "peyvand.service",
    "peyvand.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "peyvand.audit.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "peyvand.access.middleware.OTPRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "peyvand.access.middleware.UserLanguageMiddleware",
    # Inside the language middlewares, so its message is in the caller's language.
    "peyvand.core.api.middleware.ApiMethodNotAllowedMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "peyvand.config.urls"
ASGI_APPLICATION = "peyvand.config.asgi.application"
WSGI_APPLICATION = None

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
                "peyvand.core.context_processors.ui",
            ],
            "builtins": ["peyvand.core.templatetags.peyvand"],
        },
    }
]

# --- database -------------------------------------------------------------
DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'peyvand.sqlite3'}"
# Persistent connections are per thread, and daphne runs each sync request in a thread of
# its own: under concurrent load they pile up past PostgreSQL's max_connections. Off by
# default; set it when serving from a fixed thread pool.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=int(os.environ.get("PEYVAND_DB_CONN_MAX_AGE", "0"))
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A web server and a worker write at once: WAL, a busy timeout and IMMEDIATE
    # transactions keep SQLite from answering "database is locked" under load.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
        ),
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL and TESTING and os.environ.get("PYTEST_XDIST_WORKER"):
    # Each parallel test worker gets a Redis database of its own: cache.clear() flushes a
    # whole database (another worker's presence and report-cache keys with it), and
    # channel-layer groups named after user ids would reach the other worker's sockets.
    _worker = int(os.environ["PYTEST_XDIST_WORKER"].removeprefix("gw") or 0)
    _parts = urlsplit(REDIS_URL)
    _base = int(_parts.path.strip("/") or 0)
    REDIS_URL = urlunsplit(_parts._replace(path=f"/{(_base + 1 + _worker) % 16}"))
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # channels-redis waits on each socket's queue with a 5 s blocking pop, and
            # redis-py 8 gives up reading after 5 s by default: any delay then killed the
            # consumer (WebSocket closed with 1011). Reads may take the pop's 5 s and more.
            # Each group_send holds a pooled connection, and redis-py refuses one past its
            # default 100 per process instead of waiting: 100 chat visitors' lines announced
            # at once on a slow moment did that (1011 again). Redis takes 10,000 clients.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30, "max_connections": 1000}]
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # The suite's parallel workers share one Redis: a prefix each keeps one worker's
            # cache changes (a token invalidation) out of another worker's tests.
            "KEY_PREFIX": os.environ.get("PYTEST_XDIST_WORKER", "") if TESTING else "",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "PEYVAND_TASK_BACKEND",
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend",
        ),
        "QUEUES": ["default", "imports", "analytics"],
    }
}

# --- auth & security ------------------------------------------------------
AUTH_USER_MODEL = "access.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "access:login"
LOGIN_REDIRECT_URL = "desk:my_desk"
LOGOUT_REDIRECT_URL = "access:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AXES_FAILURE_LIMIT = int(os.environ.get("PEYVAND_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("PEYVAND_LOGIN_COOLOFF_MINUTES", "15")) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "access/locked_out.html"
AXES_ENABLED = env_bool("PEYVAND_AXES_ENABLED", True)
OTP_TOTP_ISSUER = "Peyvand"

SECURE = env_bool("PEYVAND_SECURE", not DEBUG and bool(os.environ.get("PEYVAND_SECRET_KEY")))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE and env_bool("PEYVAND_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("PEYVAND_LANGUAGE", "en")
LANGUAGES = [("en", _("English")), ("fa", _("Persian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("PEYVAND_TIME_ZONE", "Asia/Tehran")
USE_TZ = True

# --- outbound requests ----------------------------------------------------
# Networks that user-given URLs (webhooks) may reach although they are not public, for a
# closed installation or a test suite: comma-separated CIDRs. Empty: public addresses only.
PEYVAND_ALLOWED_PRIVATE_NETWORKS = [
    net.strip()
    for net in os.environ.get("PEYVAND_ALLOWED_PRIVATE_NETWORKS", "").split(",")
    if net.strip()
]

# --- money ----------------------------------------------------------------
REPORTING_CURRENCY = os.environ.get("PEYVAND_REPORTING_CURRENCY", "IRR")
CURRENCIES = ("IRR", "USD", "EUR", "AED", "GBP", "TRY")
DEFAULT_CURRENCY = REPORTING_CURRENCY
PHONE_DEFAULT_REGION = os.environ.get("PEYVAND_PHONE_REGION", "IR")
# A customer with no order for this many days counts as churned (the churn model's label).
CHURN_HORIZON_DAYS = int(os.environ.get("PEYVAND_CHURN_DAYS", "90"))

# --- files ----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
PEYVAND_MAX_IMPORT_BYTES = int(os.environ.get("PEYVAND_MAX_IMPORT_BYTES", str(512 * 1024 * 1024)))
PEYVAND_MAX_ATTACHMENT_BYTES = int(
    os.environ.get("PEYVAND_MAX_ATTACHMENT_BYTES", str(25 * 1024 * 1024))
)
# Leads: first-response deadline when the lead's source sets none; public web-form limits.
# Inbound email: IMAP network timeout (s), bytes fetched per IMAP batch, largest message a
# provider may post to the inbound webhook, how old a webhook signature may be (s), and the
# least time between two auto-replies to one sender (hours).
PEYVAND_IMAP_TIMEOUT = int(os.environ.get("PEYVAND_IMAP_TIMEOUT", "60"))
PEYVAND_IMAP_FETCH_BYTES = int(os.environ.get("PEYVAND_IMAP_FETCH_BYTES", str(32 * 1024 * 1024)))
PEYVAND_INBOUND_EMAIL_MAX_BYTES = int(
    os.environ.get("PEYVAND_INBOUND_EMAIL_MAX_BYTES", str(40 * 1024 * 1024))
)
PEYVAND_INBOUND_WEBHOOK_RATE = os.environ.get("PEYVAND_INBOUND_WEBHOOK_RATE", "600/60")
PEYVAND_INBOUND_WEBHOOK_TOLERANCE = int(os.environ.get("PEYVAND_INBOUND_WEBHOOK_TOLERANCE", "300"))
PEYVAND_EMAIL_AUTOREPLY_INTERVAL_HOURS = int(
    os.environ.get("PEYVAND_EMAIL_AUTOREPLY_INTERVAL_HOURS", "24")
)
PEYVAND_LEAD_RESPONSE_HOURS = int(os.environ.get("PEYVAND_LEAD_RESPONSE_HOURS", "24"))
PEYVAND_WEBFORM_MAX_BYTES = int(os.environ.get("PEYVAND_WEBFORM_MAX_BYTES", str(64 * 1024)))
PEYVAND_WEBFORM_RATE = os.environ.get("PEYVAND_WEBFORM_RATE", "10/60")
# Click-stream collect endpoint: body limit, batches per site key and client address, and
# how long an identify token stays valid (seconds).
PEYVAND_TRACKING_MAX_BYTES = int(os.environ.get("PEYVAND_TRACKING_MAX_BYTES", str(256 * 1024)))
PEYVAND_TRACKING_RATE = os.environ.get("PEYVAND_TRACKING_RATE", "120/60")
PEYVAND_TRACKING_TOKEN_AGE = int(os.environ.get("PEYVAND_TRACKING_TOKEN_AGE", str(24 * 3600)))
# Outbound email and SMS get tracked links (and email an open pixel); an order a customer
# places within this many days of clicking a message's link is that message's conversion.
PEYVAND_TRACK_MESSAGES = os.environ.get("PEYVAND_TRACK_MESSAGES", "1") == "1"
PEYVAND_ATTRIBUTION_WINDOW_DAYS = int(os.environ.get("PEYVAND_ATTRIBUTION_WINDOW_DAYS", "7"))

# SMS: the settings-level default gateway (used when no gateway is stored on the managers'
# screen), caps against SMS pumping, the longest message, opt-out keywords.
PEYVAND_SMS_GATEWAY = {
    "url": os.environ.get("PEYVAND_SMS_URL", ""),
    "method": os.environ.get("PEYVAND_SMS_METHOD", "POST"),
    "body_format": os.environ.get("PEYVAND_SMS_FORMAT", "form"),
    "auth_header": os.environ.get("PEYVAND_SMS_AUTH_HEADER", ""),
    "auth_value": os.environ.get("PEYVAND_SMS_AUTH_VALUE", ""),
    "sender_id": os.environ.get("PEYVAND_SMS_SENDER", ""),
    "to_param": os.environ.get("PEYVAND_SMS_TO_PARAM", "to"),
    "text_param": os.environ.get("PEYVAND_SMS_TEXT_PARAM", "text"),
    "from_param": os.environ.get("PEYVAND_SMS_FROM_PARAM", "from"),
    "json_template": os.environ.get("PEYVAND_SMS_JSON_TEMPLATE", ""),
    "response_id_path": os.environ.get("PEYVAND_SMS_RESPONSE_ID_PATH", ""),
    "webhook_secret": os.environ.get("PEYVAND_SMS_WEBHOOK_SECRET", ""),
}
PEYVAND_SMS_MAX_PER_NUMBER_PER_HOUR = int(
    os.environ.get("PEYVAND_SMS_MAX_PER_NUMBER_PER_HOUR", "5")
)
PEYVAND_SMS_MAX_PER_HOUR = int(os.environ.get("PEYVAND_SMS_MAX_PER_HOUR", "500"))
PEYVAND_SMS_MAX_SEGMENTS = int(os.environ.get("PEYVAND_SMS_MAX_SEGMENTS", "10"))
PEYVAND_SMS_OPT_OUT_KEYWORDS = [
    word.strip()
    for word in os.environ.get(
        "PEYVAND_SMS_OPT_OUT_KEYWORDS", "STOP,UNSUBSCRIBE,لغو,توقف,انصراف"
    ).split(",")
    if word.strip()
]
# Signed inbound webhooks (SMS gateways, the PBX): how far a timestamp may be from our clock.
PEYVAND_WEBHOOK_TOLERANCE_SECONDS = int(os.environ.get("PEYVAND_WEBHOOK_TOLERANCE_SECONDS", "300"))
# Telephony: the secret the PBX signs its call events with, and its click-to-call URL.
PEYVAND_VOICE_WEBHOOK_SECRET = os.environ.get("PEYVAND_VOICE_WEBHOOK_SECRET", "")
PEYVAND_VOICE_CLICK_TO_CALL_URL = os.environ.get("PEYVAND_VOICE_CLICK_TO_CALL_URL", "")
# Where customers reach this installation: links in emails sent without a request (the
# satisfaction survey after a ticket is solved) start with it.
PEYVAND_PUBLIC_URL = os.environ.get("PEYVAND_PUBLIC_URL", "http://localhost:8000").rstrip("/")
# How long a satisfaction survey link can be answered.
PEYVAND_CSAT_MAX_AGE_DAYS = int(os.environ.get("PEYVAND_CSAT_MAX_AGE_DAYS", "30"))
# Double opt-in: how long the confirmation link works; the preference centre link in
# marketing emails; soft bounces in a row after which an address is suppressed.
PEYVAND_OPT_IN_LINK_HOURS = int(os.environ.get("PEYVAND_OPT_IN_LINK_HOURS", "48"))
PEYVAND_PREFERENCE_LINK_DAYS = int(os.environ.get("PEYVAND_PREFERENCE_LINK_DAYS", "90"))
PEYVAND_SOFT_BOUNCE_LIMIT = int(os.environ.get("PEYVAND_SOFT_BOUNCE_LIMIT", "3"))

EMAIL_BACKEND = os.environ.get(
    "PEYVAND_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("PEYVAND_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("PEYVAND_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("PEYVAND_DEFAULT_FROM_EMAIL", "crm@peyvand.local")
EMAIL_HOST_USER = os.environ.get("PEYVAND_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("PEYVAND_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("PEYVAND_EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("PEYVAND_EMAIL_USE_SSL")
EMAIL_TIMEOUT = int(os.environ.get("PEYVAND_EMAIL_TIMEOUT", "30"))
# django-anymail: PEYVAND_EMAIL_BACKEND=anymail.backends.<provider>.EmailBackend and the
# provider's settings as a JSON object in PEYVAND_ANYMAIL (see .env.example).
ANYMAIL = json.loads(os.environ.get("PEYVAND_ANYMAIL", "{}") or "{}")
# Outbound email attachments, all files of one message together.
PEYVAND_EMAIL_MAX_ATTACHMENTS_BYTES = int(
    os.environ.get("PEYVAND_EMAIL_MAX_ATTACHMENTS_BYTES", str(25 * 1024 * 1024))
)
# How long a worker holds a message it claimed before another may send it (seconds).
PEYVAND_MESSAGE_LEASE_SECONDS = int(os.environ.get("PEYVAND_MESSAGE_LEASE_SECONDS", "300"))
# SMTP connections each worker keeps open: a group of this many emails is handed over with
# one commit (providers commonly allow 10-20 connections per client).
PEYVAND_SMTP_CONNECTIONS = int(os.environ.get("PEYVAND_SMTP_CONNECTIONS", "8"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PEYVAND_LOG_LEVEL", "WARNING")},
}

FORMAT_MODULE_PATH = ["peyvand.formats"]
