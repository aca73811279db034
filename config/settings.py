"""Paperboy settings: one module, every knob read from the environment.

Local defaults are safe and need no services (SQLite under var/, tasks run
in-process, mail written to var/outbox/). Production sets the variables listed
in .env.example; a bad value stops start-up with a one-line error.
"""

import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_prefixed,
    env_str,
    env_timezone,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PAPERBOY_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false")
    SECRET_KEY = "django-insecure-local-development-only-not-for-production-use-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

# Absolute base for links in mail and List-Unsubscribe headers.
SITE_URL = env_url("SITE_URL", "http://localhost:8000", schemes=("http", "https"))
if not DEBUG and not SITE_URL.startswith("https://"):
    raise ImproperlyConfigured(f"SITE_URL must be https when DEBUG is false, got {SITE_URL!r}")
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "anymail",
    "django_ratelimit",
    "axes",
    "csp",
    "subscriptions",
    "digest",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.RejectNulInAdminMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: locks out repeated failed admin logins.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five wrong passwords for one username from one address lock that pair out for an hour;
# the address is the visitor's as the rate limits see it (TRUSTED_PROXY_COUNT below).
AXES_FAILURE_LIMIT = env_int("ADMIN_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "subscriptions.visitors.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'paperboy.sqlite3'}")
try:
    _database = dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
except Exception as error:  # dj-database-url raises several types for a bad URL
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {error}") from None
if not _database.get("ENGINE"):
    raise ImproperlyConfigured(f"DATABASE_URL has an unknown scheme: {DATABASE_URL!r}")
if _database["ENGINE"] == "django.db.backends.sqlite3":
    _database["OPTIONS"] = {"timeout": 20}
    _database["CONN_MAX_AGE"] = 0
if _database["ENGINE"] == "django.db.backends.postgresql":
    # Short indexed queries only: PostgreSQL's JIT costs more than it saves here (tens of
    # milliseconds a query while a fast-growing table's statistics lag behind).
    _database.setdefault("OPTIONS", {})["options"] = "-c jit=off"
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and shared cache ---------------------------------

REDIS_URL = env_url("REDIS_URL", None, schemes=("redis", "rediss", "unix"))

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}
else:
    # A table in the database (created by migrate), so the rate limits are shared by every
    # process that serves the site, as they are in Redis; room for many visitors' counters.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                          "LOCATION": "paperboy_cache", "OPTIONS": {"MAX_ENTRIES": 100_000}}}

# Celery reads every CELERY_* name below (config/celery.py, namespace "CELERY").
# Without REDIS_URL tasks run in-process, so the embedded default needs no services.
# "localhost" named, or kombu warns "No hostname was supplied" on every in-process task.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# Every task is written to be safe to run twice (claim, then act), so a task is
# acknowledged only once done and redelivered if its worker dies mid-way.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task taken by a worker that died unannounced goes back to the queue after this long.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1)}
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "paperboy")
# Workers log through LOGGING below (its format), at the level of their --loglevel.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Building an edition -----------------------------------------------------
# Readers a build task matches and writes (one id range of a zone's due readers): the unit
# of work spread over the workers. 10,000 take a few seconds on one core.
BUILD_SHARD_READERS = env_int("BUILD_SHARD_READERS", 10_000, minimum=1)

# --- Delivery recovery (read by the dispatch tick) ---------------------------
# A row claimed this long ago and never finished had its worker die: it is sent again.
# Must be far longer than a send batch takes (100 digests, each within the ESP timeout).
DELIVERY_STUCK_AFTER_SECONDS = env_int("DELIVERY_STUCK_AFTER_SECONDS", 900, minimum=1)
# A pending row no worker has taken this long after it was written, while the send queue
# is empty, lost its queued task (a broker restart): it is queued again.
DELIVERY_WAITING_AFTER_SECONDS = env_int("DELIVERY_WAITING_AFTER_SECONDS", 600, minimum=1)
# --- Retries, side by side -----------------------------------------------------
# Both back off exponentially with jitter (digest/backoff.py), never sooner than the other
# side asks (Retry-After, RateLimit).
# A listing source that fails (5xx, 429, network): tried INGEST_RETRY_ATTEMPTS times in all,
# waits doubling from INGEST_RETRY_BACKOFF_SECONDS; a source asking for a longer wait than
# INGEST_RETRY_BACKOFF_MAX_SECONDS fails the run at once (the daily task tries every failed
# run again 15 minutes later; run_daily, which someone waits for, says so and exits).
INGEST_RETRY_ATTEMPTS = env_int("INGEST_RETRY_ATTEMPTS", 4, minimum=1)
INGEST_RETRY_BACKOFF_SECONDS = env_int("INGEST_RETRY_BACKOFF_SECONDS", 2, minimum=1)
INGEST_RETRY_BACKOFF_MAX_SECONDS = env_int("INGEST_RETRY_BACKOFF_MAX_SECONDS", 20, minimum=1)
# A digest the ESP failed transiently (429, 5xx, network): SEND_RETRY_ATTEMPTS retries after
# the first try, waits doubling from SEND_RETRY_BACKOFF_SECONDS up to the longest. Keep the
# longest well under CELERY_VISIBILITY_TIMEOUT: Redis hands a task waiting longer than that
# to a second worker. With the defaults: 1.75 to 3.5 hours of ESP trouble, after which a
# digest has lost its day anyway.
SEND_RETRY_ATTEMPTS = env_int("SEND_RETRY_ATTEMPTS", 12, minimum=1)
SEND_RETRY_BACKOFF_SECONDS = env_int("SEND_RETRY_BACKOFF_SECONDS", 30, minimum=1)
SEND_RETRY_BACKOFF_MAX_SECONDS = env_int("SEND_RETRY_BACKOFF_MAX_SECONDS", 1800, minimum=1)

# --- Mail -----------------------------------------------------------------

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "digest.deliver.outbox.OutboxEmailBackend")
OUTBOX_DIR = Path(env_str("OUTBOX_DIR", str(VAR_DIR / "outbox")))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Paperboy <paperboy@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Every ANYMAIL_X variable becomes ANYMAIL["X"]: ANYMAIL_POSTMARK_SERVER_TOKEN,
# ANYMAIL_MAILGUN_API_KEY, ANYMAIL_WEBHOOK_SECRET ("user:password"), ...
ANYMAIL = env_prefixed("ANYMAIL_")
# Without a secret Anymail would accept anyone's webhook; a random one refuses them all.
ANYMAIL.setdefault("WEBHOOK_SECRET", f"unset:{secrets.token_urlsafe(32)}")
try:  # seconds Anymail waits for the ESP; a slow ESP is a transient failure, retried
    ANYMAIL["REQUESTS_TIMEOUT"] = float(ANYMAIL.get("REQUESTS_TIMEOUT", 10))
except ValueError:
    raise ImproperlyConfigured(
        f"ANYMAIL_REQUESTS_TIMEOUT must be a number of seconds, got "
        f"{ANYMAIL['REQUESTS_TIMEOUT']!r}") from None

# A soft bounce (mailbox full, server down) suppresses a reader only once their mail
# soft-bounced on this many distinct days within the window, with no delivery since; hard
# bounces and complaints suppress at once.
SOFT_BOUNCE_LIMIT = env_int("SOFT_BOUNCE_LIMIT", 3, minimum=1)
SOFT_BOUNCE_WINDOW_DAYS = env_int("SOFT_BOUNCE_WINDOW_DAYS", 30, minimum=1)

# --- Security -------------------------------------------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool(
    "BEHIND_HTTPS_PROXY", False) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # signed-link pages: strict-origin (private_pages.py)
X_FRAME_OPTIONS = "DENY"
# django-csp: only this site's scripts, styles and requests; the inline <script> and <style>
# of the templates carry the request's nonce ({{ request.csp_nonce }}). The digest's browser
# view widens style-src for its mail-style inline CSS (digest/views.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
    },
}
# HSTS subdomains and preload are choices for the site's owner, not this project.
# django-ratelimit names django-redis as supported; Django's own RedisCache increments
# atomically too.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021", "django_ratelimit.W001"]
if not REDIS_URL:
    # The database cache is shared by every process, but its increments are not atomic: a
    # burst of simultaneous requests may pass a few over a limit. Redis counts exactly.
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003"]

# --- Everything else --------------------------------------------------------

LANGUAGE_CODE = "en-us"
# The operators' time zone: the admin's dates and the dashboard's days are in it. Readers'
# editions follow each reader's own zone, whatever this is.
TIME_ZONE = env_timezone("TIME_ZONE", "UTC")
# Dates in the admin as operators read them in a table: 2 Dec 2026 05:25 (config/formats).
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
USE_TZ = True

FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6's default, adopted now

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Logging ------------------------------------------------------------------
# One handler and one formatter for everything (Django's and Celery's records included):
# text lines to read, or with LOG_FORMAT=json one JSON object per line for a log collector.
# Commands show warnings only, unless run with -v 2 (config/commands.py).
LOG_FORMAT = env_choice("LOG_FORMAT", "text", choices=("text", "json"))
LOG_FORMATTERS = {
    "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    "json": {"()": "pythonjsonlogger.json.JsonFormatter", "timestamp": "time",
             "fmt": "%(levelname)s %(name)s %(message)s",
             "rename_fields": {"levelname": "level", "name": "logger"}},
}
# Tokens of signed links are redacted from every line (config/log_redaction.py), the
# development server's request lines included; gunicorn's access log: config/gunicorn.conf.py.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"default": LOG_FORMATTERS[LOG_FORMAT]},
    "filters": {"redact_tokens": {"()": "config.log_redaction.RedactTokens"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "default",
                             "filters": ["redact_tokens"]}},
    "root": {"handlers": ["console"], "level": env_choice(
        "LOG_LEVEL", "INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))},
    # Django's loggers print through the one handler above, not handlers of their own.
    "loggers": {name: {"handlers": [], "propagate": True}
                for name in ("django", "django.server")},
}

VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- Sources ----------------------------------------------------------------

# arXiv announcement feeds to ingest daily, and which announcement types become papers.
ARXIV_CATEGORIES = env_list("ARXIV_CATEGORIES", ["cs.LG", "cs.CL", "cs.CV", "cs.AI"])
ARXIV_ANNOUNCE_TYPES = env_list("ARXIV_ANNOUNCE_TYPES", ["new", "cross"])

# --- Subscriber links and abuse limits ------------------------------------------

CONFIRM_LINK_MAX_AGE_DAYS = env_int("CONFIRM_LINK_MAX_AGE_DAYS", 7, minimum=1)
MANAGE_LINK_MAX_AGE_DAYS = env_int("MANAGE_LINK_MAX_AGE_DAYS", 30, minimum=1)
# The visitor's address (rate limits, the consent record, the admin lockout): with 0, the
# connection's; behind N proxies that each append to X-Forwarded-For, the N-th entry from
# the right, the one the outermost proxy wrote (subscriptions/visitors.py).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=10)
if env_str("CLIENT_IP_META_KEY"):  # it trusted the client-written first entry
    raise ImproperlyConfigured(
        "CLIENT_IP_META_KEY is no longer read: set TRUSTED_PROXY_COUNT to the number of proxies "
        "in front of the site (1 for one TLS proxy) and remove CLIENT_IP_META_KEY")
