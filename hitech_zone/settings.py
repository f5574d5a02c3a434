"""The one settings module. Every value that differs between machines comes from an
environment variable; the README lists them all."""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# ---------------------------------------------------------------- core
DEBUG = env_bool("DEBUG", False)
DEVELOPMENT_SECRET_KEY = "django-insecure-hitech-zone-development-key-do-not-deploy"
SECRET_KEY = os.environ.get("SECRET_KEY") or DEVELOPMENT_SECRET_KEY
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is the development default while DEBUG is off. "
        "Set SECRET_KEY to a long random value, or DEBUG=1 on a development machine."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if not DEBUG else "*")

# Runtime state of the embedded defaults (SQLite file, file broker, beat schedule).
VAR_DIR = Path(os.environ.get("VAR_DIR") or BASE_DIR / "var")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "simple_history",
    # Content-Security-Policy with per-request nonces, and sign-in lockout (see "security").
    "csp",
    "axes",
    # django-ninja, for the JSON API (hitech_zone/api.py); listed so the docs page serves
    # its Swagger UI files from here, not from a CDN.
    "ninja",
    "hitech_zone",
    "projects",
    "inspections",
    "reports",
]

MIDDLEWARE = [
    # First: every response, refusals included, gets a request id and an access-log line.
    "hitech_zone.middleware.RequestIdMiddleware",
    # A view that loses the database answers 503 with Retry-After, not 500 (and the 500
    # handler, hitech_zone.views.server_error, does the same for faults outside views).
    "hitech_zone.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so static files (an SVG opened on its own) carry the policy too.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "hitech_zone.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every view needs a login unless it opts out with @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Refusals (403, and the permission layer's 404 for rows out of reach) go to the audit log.
    "hitech_zone.middleware.AccessDeniedAuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hitech_zone.urls"
WSGI_APPLICATION = "hitech_zone.wsgi.application"
ASGI_APPLICATION = "hitech_zone.asgi.application"

# Django's widget templates, with the plain <input> drawn in Python (many per project page).
FORM_RENDERER = "hitech_zone.form_renderer.FormRenderer"
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
                # {{ CSP_NONCE }}: the nonce our few inline elements carry.
                "csp.context_processors.nonce",
                "hitech_zone.permissions.role_context",
                "inspections.context_processors.notifications",
            ],
        },
    }
]

# ---------------------------------------------------------------- database
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
# Health checks: a kept connection that a database restart broke is replaced at its next
# use, so the first request after an outage already succeeds (no web or worker restart).
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The lights' queries look costly to the planner, which then JIT-compiles them: ~450 ms
    # spent compiling a 90 ms query at city scale (make bench). Short queries gain nothing.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # A database host that does not answer fails a request (503) and a health check
    # within seconds, instead of libpq's unbounded wait. 2 is libpq's minimum.
    DATABASES["default"]["OPTIONS"].setdefault(
        "connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "2"))
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL and immediate transactions let the web server and the worker share the file.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory, so a worker process started by a test sees the test database.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("TEST_SQLITE_PATH") or str(VAR_DIR / "test-db.sqlite3")
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "hitech_zone.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out user or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# ---------------------------------------------------------------- page fragment cache
# The costly part of the dashboard, register, issue list and project page is cached per
# user, language and day under the data version (hitech_zone.fragments): any committed
# write retires it. Memory of each process; 0 seconds turns the cache off.
FRAGMENT_CACHE_SECONDS = int(os.environ.get("FRAGMENT_CACHE_SECONDS", "600"))
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fragments",
        "TIMEOUT": FRAGMENT_CACHE_SECONDS,
        "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("FRAGMENT_CACHE_ENTRIES", "200"))},
    },
}

# ---------------------------------------------------------------- language and time
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------- files
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# collectstatic (DEBUG off) keeps and compresses only the hashed copies, the ones pages link
# to and WhiteNoise caches for ever, and leaves source maps uncompressed: Brotli over the
# CJK font and the API docs' bundles twice took a minute and a half at every start.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
# The PDF font ships with the code, so briefings look the same on every machine.
PDF_FONT_PATH = BASE_DIR / "static" / "fonts" / "wqy-microhei.ttf"
PDF_FONT_FAMILY = "WenQuanYi Micro Hei"

# ---------------------------------------------------------------- email
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
elif DEBUG:
    # Development: notifications are printed by the process that sends them (the worker).
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    # No mail server configured: messages are written as files, so nothing is lost.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "hitech-zone@localhost")
# Seconds a mail server may take to answer before a send fails (and its job retries),
# so a hung server never holds a worker for ever.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))

# ---------------------------------------------------------------- Celery
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_DEFAULT_QUEUE", "default")
# Briefing renders (seconds of WeasyPrint each) have a queue and workers of their own, so
# a slow PDF never holds up notifications and the nightly jobs on the default queue.
CELERY_PDF_QUEUE = os.environ.get("CELERY_PDF_QUEUE", "pdf")
CELERY_TASK_ROUTES = {"reports.tasks.briefing_generate": {"queue": CELERY_PDF_QUEUE}}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # An unacknowledged job goes back to the queue after this many seconds: far longer than
    # the longest briefing render, so a slow job is never run twice while it still runs.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
    }
else:
    # Embedded default: a broker made of files, so a real worker and beat run without Redis.
    CELERY_BROKER_DIR = Path(os.environ.get("CELERY_BROKER_DIR") or VAR_DIR / "celery")
    for _folder in ("queue", "processed", "results", "control"):
        (CELERY_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{CELERY_BROKER_DIR / 'results'}"
    # The file transport has no broadcast channel for remote control.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A job is acknowledged only once done, so a killed worker's job is delivered again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers and beat keep trying to reach a broker that is down for as long as it takes
# (Celery's default gives up after 100 tries and the process exits): None is "for ever".
# kombu waits 2 s, then 2 s more each try, at most 30 s between tries (hitech_zone.celery
# logs the policy when a worker or beat starts).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Beat takes a lock when it starts (Redis SET NX with an expiry it renews, or a file lock
# under VAR_DIR with the embedded broker); a second beat finds it held and exits non-zero.
BEAT_LOCK_SECONDS = int(os.environ.get("BEAT_LOCK_SECONDS", "60"))
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Seconds between beat heartbeats; tests shorten it to watch beat fire.
BEAT_HEARTBEAT_SECONDS = float(os.environ.get("BEAT_HEARTBEAT_SECONDS", "60"))
# Days a finished task run (hitech_zone.TaskRun, the metrics page) is kept.
TASK_RUN_KEEP_DAYS = int(os.environ.get("TASK_RUN_KEEP_DAYS", "30"))
# Seconds between beat's sweeps of the outbox (tasks asked for while the broker was down),
# and days a sent outbox message is kept.
OUTBOX_FLUSH_SECONDS = float(os.environ.get("OUTBOX_FLUSH_SECONDS", "60"))
OUTBOX_KEEP_DAYS = int(os.environ.get("OUTBOX_KEEP_DAYS", "7"))

# ---------------------------------------------------------------- logging
# "json": one JSON object per line (time, level, logger, message, request_id, extra
# fields) for a log collector; "plain": lines for people. Web and Celery processes alike.
LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("plain" if DEBUG else "json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured("LOG_FORMAT must be json or plain.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "hitech_zone.logging.RequestIdFilter"},
        "database_outage": {"()": "hitech_zone.logging.DatabaseOutageFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "hitech_zone.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # The PDF engine and its font subsetter narrate every page at INFO.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # django-axes announces itself at INFO in every process; lockouts are WARNING.
        "axes.apps": {"level": "WARNING"},
        # A request failing because the database is down: one line, not a traceback each.
        "django.request": {"filters": ["database_outage"]},
    },
}

# ---------------------------------------------------------------- security behind a proxy
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    LANGUAGE_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    # Plain HTTP is sent on to HTTPS, except the health checks: a load balancer may probe
    # them over plain HTTP from inside. SECURE_COOKIES=0 (plain HTTP on loopback) turns
    # the redirect off too, unless SECURE_SSL_REDIRECT says otherwise.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", env_bool("SECURE_COOKIES", True))
    SECURE_REDIRECT_EXEMPT = [r"^healthz/"]
    # HSTS: browsers keep to HTTPS for this long (a year); sent on HTTPS responses only.
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# A form refused by the CSRF check gets the app's 403 page, saying to reload it.
CSRF_FAILURE_VIEW = "hitech_zone.views.csrf_failure"
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# ---------------------------------------------------------------- sessions
# An inactivity timeout: every request saves the session, so the age runs from the last
# request, not from sign-in.
SESSION_ENGINE = "hitech_zone.sessions"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", False)

# ---------------------------------------------------------------- Content-Security-Policy
# Scripts and styles from our own origin, plus inline elements carrying the request's
# nonce ({{ CSP_NONCE }}); no inline event handlers, no eval, no plugins, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        # The nonce is for the briefing preview's <style>, which the PDF shares.
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# ---------------------------------------------------------------- sign-in lockout
# django-axes counts failed sign-ins per user name together with the client address, and
# per user name from any address: reaching LOGIN_FAILURE_LIMIT locks that user until the
# cool-off has passed. The address alone, for every user name, locks only at the much
# higher LOGIN_ADDRESS_FAILURE_LIMIT (hitech_zone.logins.LoginAttemptHandler), so behind an
# office NAT one person's typos do not lock out the office. A successful sign-in clears
# the count.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", "50"))
AXES_RESET_ON_SUCCESS = True
# ... only that user's failures, not the address's (see the handler).
AXES_HANDLER = "hitech_zone.logins.LoginAttemptHandler"
# Tries while locked out do not push the end of the lock back, so the page can say when.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "hitech_zone.logins.lockout_response"
AXES_CLIENT_IP_CALLABLE = "hitech_zone.logins.client_ip_address"
# Proxies in front of the app that append to X-Forwarded-For. 0: the client address is
# the connection's own (REMOTE_ADDR) and X-Forwarded-For, which anyone can send, is ignored.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# ---------------------------------------------------------------- reporting period
# A month's figures are due on this day of the following month; the figures on show run
# through the latest month whose deadline has passed (projects.progress).
REPORTING_DEADLINE_DAY = int(os.environ.get("REPORTING_DEADLINE_DAY", "5"))
if not 1 <= REPORTING_DEADLINE_DAY <= 28:
    raise ImproperlyConfigured("REPORTING_DEADLINE_DAY must be a day from 1 to 28.")
# January is reported with February (1–2月), as the statistics bureau publishes it.
REPORTING_JANUARY_WITH_FEBRUARY = env_bool("REPORTING_JANUARY_WITH_FEBRUARY", True)

# The monthly round (月报, inspections.rounds): a month's figure more than this many times
# its monthly plan is flagged to the checking official; reminders go this many working
# days before the deadline, and to the leader in charge this many after the day it fell late.
REPORT_JUMP_FACTOR = int(os.environ.get("REPORT_JUMP_FACTOR", "3"))
REPORT_REMIND_BEFORE_WORKDAYS = int(os.environ.get("REPORT_REMIND_BEFORE_WORKDAYS", "2"))
REPORT_ESCALATE_AFTER_WORKDAYS = int(os.environ.get("REPORT_ESCALATE_AFTER_WORKDAYS", "3"))

# ---------------------------------------------------------------- warning lights
# 入库: a started project not yet in the statistics turns yellow this many months after
# its 开工 date, red after the second.
LIGHT_STATISTICS_YELLOW_MONTHS = int(os.environ.get("LIGHT_STATISTICS_YELLOW_MONTHS", "1"))
LIGHT_STATISTICS_RED_MONTHS = int(os.environ.get("LIGHT_STATISTICS_RED_MONTHS", "2"))
# Investment: yellow this many percentage points behind 序时进度, red beyond the second.
LIGHT_INVESTMENT_YELLOW_POINTS = int(os.environ.get("LIGHT_INVESTMENT_YELLOW_POINTS", "10"))
LIGHT_INVESTMENT_RED_POINTS = int(os.environ.get("LIGHT_INVESTMENT_RED_POINTS", "30"))
# Schedule: red when a forecast is more than this many days past its baseline.
LIGHT_SCHEDULE_RED_DAYS = int(os.environ.get("LIGHT_SCHEDULE_RED_DAYS", "30"))
# The language switch is remembered for a year, not just the browser session.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# Django sets it without flags; no script reads it (the passive scan found it bare).
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# ---------------------------------------------------------------- issues
# Working days before a deadline when an issue shows as due soon (blue) and is notified;
# working days past it when an overdue issue turns red.
ISSUE_DUE_SOON_WORKDAYS = int(os.environ.get("ISSUE_DUE_SOON_WORKDAYS", "2"))
ISSUE_RED_OVERDUE_WORKDAYS = int(os.environ.get("ISSUE_RED_OVERDUE_WORKDAYS", "5"))
# Site-visit photos: per file and per visit.
PHOTO_MAX_BYTES = int(os.environ.get("PHOTO_MAX_BYTES", str(10 * 1024 * 1024)))
PHOTO_MAX_PER_VISIT = int(os.environ.get("PHOTO_MAX_PER_VISIT", "20"))
# Photos that passed, kept on the server when a visit form comes back with an error, until
# the visit is recorded or this long has passed (a nightly job deletes the rest).
HELD_PHOTOS_KEPT_SECONDS = int(os.environ.get("HELD_PHOTOS_KEPT_SECONDS", "86400"))
# Photos of the site's progress sent with one monthly report (月报).
REPORT_PHOTO_MAX = int(os.environ.get("REPORT_PHOTO_MAX", "6"))
# ---------------------------------------------------------------- alerts and briefings
# The zone's name, printed at the head of every briefing.
ZONE_NAME = os.environ.get("ZONE_NAME", "常熟高新区")
# A project whose record nobody has touched for this many days is stale (yellow).
ALERT_STALE_PROJECT_DAYS = int(os.environ.get("ALERT_STALE_PROJECT_DAYS", "30"))
# A milestone projected more than this many days past its baseline warns (yellow).
ALERT_PROJECTION_TOLERANCE_DAYS = int(os.environ.get("ALERT_PROJECTION_TOLERANCE_DAYS", "14"))
# Working days a red alert may stay open before the leader in charge is told, and before
# it goes into the weekly briefing's escalated section.
ALERT_ESCALATE_LEADER_WORKDAYS = int(os.environ.get("ALERT_ESCALATE_LEADER_WORKDAYS", "5"))
ALERT_ESCALATE_BRIEFING_WORKDAYS = int(os.environ.get("ALERT_ESCALATE_BRIEFING_WORKDAYS", "10"))
# A month's briefing is made this many working days after the month's figures were due
# (the monthly round's deadline), once they are reported and checked.
BRIEFING_MONTHLY_WORKDAYS_AFTER_DEADLINE = int(
    os.environ.get("BRIEFING_MONTHLY_WORKDAYS_AFTER_DEADLINE", "3")
)
# How far back the catch-up job looks for briefings that were due and never produced.
BRIEFING_CATCH_UP_WEEKS = int(os.environ.get("BRIEFING_CATCH_UP_WEEKS", "4"))
BRIEFING_CATCH_UP_MONTHS = int(os.environ.get("BRIEFING_CATCH_UP_MONTHS", "2"))
# A briefing still queued or rendering this long after it began is taken as lost (its
# worker died, or its message with a broker that keeps none) and queued again.
BRIEFING_RENDER_LEASE_SECONDS = int(os.environ.get("BRIEFING_RENDER_LEASE_SECONDS", "900"))
# A render still running this long after it started is shown as stalled (停滞) on the
# briefings page and /metrics/, and an official may queue it again at once, without
# waiting for the lease: a render takes seconds (`make bench`), its worker was likely killed.
BRIEFING_RENDER_STALLED_SECONDS = int(os.environ.get("BRIEFING_RENDER_STALLED_SECONDS", "120"))
# Beat runs the catch-up when it starts (off in tests that start beat for other reasons).
BRIEFING_CATCH_UP_ON_START = env_bool("BRIEFING_CATCH_UP_ON_START", True)
# Rows a weekly briefing prints of each list (new warnings, overdue issues, ...); it says
# how many more there are. A city's week can hold thousands of overdue issues: all of them
# made a 40-page, half-minute PDF that no leader reads. 0 prints them all.
BRIEFING_LIST_ROWS = int(os.environ.get("BRIEFING_LIST_ROWS", "100"))
# Above this many projects the monthly briefing does not print its register: the whole
# register comes with it as an .xlsx (on the briefing's page and in the e-mail).
BRIEFING_REGISTER_PRINT_MAX = int(os.environ.get("BRIEFING_REGISTER_PRINT_MAX", "60"))
# 提请领导协调 (reports.briefings.decisions): an issue waiting on its department enters
# the leader's decisions when more than this many working days overdue; the answer is
# needed this many working days after the data cut-off; at most this many items (0: all).
BRIEFING_DECISION_OVERDUE_WORKDAYS = int(os.environ.get("BRIEFING_DECISION_OVERDUE_WORKDAYS", "5"))
BRIEFING_DECISION_RESPONSE_WORKDAYS = int(
    os.environ.get("BRIEFING_DECISION_RESPONSE_WORKDAYS", "5")
)
BRIEFING_DECISION_ITEMS = int(os.environ.get("BRIEFING_DECISION_ITEMS", "7"))
# The monthly's printed lists, so that it stays within 8 A4 pages at any scale: projects
# behind 序时, open issues in the 问题清单, issues closed in the month, visits. The
# snapshot keeps every row; the rest are in the attached register (.xlsx) or the app.
BRIEFING_MONTHLY_BEHIND_ROWS = int(os.environ.get("BRIEFING_MONTHLY_BEHIND_ROWS", "20"))
BRIEFING_MONTHLY_OPEN_ISSUE_ROWS = int(os.environ.get("BRIEFING_MONTHLY_OPEN_ISSUE_ROWS", "25"))
BRIEFING_MONTHLY_CLOSED_ISSUE_ROWS = int(os.environ.get("BRIEFING_MONTHLY_CLOSED_ISSUE_ROWS", "10"))
BRIEFING_MONTHLY_VISIT_ROWS = int(os.environ.get("BRIEFING_MONTHLY_VISIT_ROWS", "6"))
BRIEFING_MONTHLY_RANKING_ROWS = int(os.environ.get("BRIEFING_MONTHLY_RANKING_ROWS", "10"))
# 红黑榜: a park or department at the top of its ranking is on the red list when at least
# this far ahead of 序时 (points) and with at least this 办结率 (%); the one at the bottom
# is on the black list when this far behind 序时 or below this 办结率.
BRIEFING_RED_LIST_POINTS = Decimal(os.environ.get("BRIEFING_RED_LIST_POINTS", "0"))
BRIEFING_RED_LIST_CLOSURE = Decimal(os.environ.get("BRIEFING_RED_LIST_CLOSURE", "80"))
BRIEFING_BLACK_LIST_POINTS = Decimal(os.environ.get("BRIEFING_BLACK_LIST_POINTS", "-10"))
BRIEFING_BLACK_LIST_CLOSURE = Decimal(os.environ.get("BRIEFING_BLACK_LIST_CLOSURE", "60"))
# ---------------------------------------------------------------- group robots
# WeCom, DingTalk and Feishu group robots (inspections.robots). Each vendor's base URL:
# the real hosts by default; tests point them at a server on loopback.
ROBOT_WECOM_BASE_URL = os.environ.get("ROBOT_WECOM_BASE_URL", "https://qyapi.weixin.qq.com")
ROBOT_DINGTALK_BASE_URL = os.environ.get("ROBOT_DINGTALK_BASE_URL", "https://oapi.dingtalk.com")
ROBOT_FEISHU_BASE_URL = os.environ.get("ROBOT_FEISHU_BASE_URL", "https://open.feishu.cn")
# Absolute address of this site, for the links in robot messages (e.g.
# https://zdxm.example.gov.cn); without it the messages carry no links.
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")
# Messages per robot per rate window: WeCom and DingTalk allow 20 a minute, Feishu 100.
# Tests shorten the window to watch the throttle in seconds.
ROBOT_RATE_WINDOW_SECONDS = float(os.environ.get("ROBOT_RATE_WINDOW_SECONDS", "60"))
ROBOT_RATE_LIMITS = {"wecom": 20, "dingtalk": 20, "feishu": 100}
# Seconds an HTTP request to a vendor may take; a send held longer than the lease is
# taken as lost (its worker died) and tried again.
ROBOT_HTTP_TIMEOUT_SECONDS = float(os.environ.get("ROBOT_HTTP_TIMEOUT_SECONDS", "10"))
ROBOT_SEND_LEASE_SECONDS = float(os.environ.get("ROBOT_SEND_LEASE_SECONDS", "60"))
# Back-off after a transient failure: this many seconds, doubled each attempt, at most the
# maximum. Transient failures are tried again without end: a message is never dropped.
ROBOT_RETRY_BASE_SECONDS = float(os.environ.get("ROBOT_RETRY_BASE_SECONDS", "10"))
ROBOT_RETRY_MAX_SECONDS = float(os.environ.get("ROBOT_RETRY_MAX_SECONDS", "900"))
# Seconds between beat's sweeps for robot messages due (a retry, a sender that died).
ROBOT_SWEEP_SECONDS = float(os.environ.get("ROBOT_SWEEP_SECONDS", "60"))
# ---------------------------------------------------------------- spreadsheet import
# An uploaded workbook is refused above this size, above this size once its zip members
# are expanded (a zip bomb), or with more filled rows than this.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(5 * 1024 * 1024)))
IMPORT_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("IMPORT_MAX_UNCOMPRESSED_BYTES", str(50 * 1024 * 1024))
)
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "5000"))
# Reject request bodies far larger than a visit can legitimately be.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
