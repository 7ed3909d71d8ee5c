"""Settings for the fieldwork project, read from the environment.

Every setting has a safe local default so that the project starts on a machine with
nothing installed (SQLite, tasks run in process). Production sets DEBUG=False and must
then provide SECRET_KEY; see README.md for the variables.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    """Return the boolean value of environment variable `name`, failing loudly on junk."""
    value = os.environ.get(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envlist(name: str, default: str) -> list[str]:
    """Return a comma-separated environment variable as a list without blanks."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "true")

# A development key is only acceptable while DEBUG is on: a production process that
# starts without SECRET_KEY would sign sessions and tokens with a public value.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "value before starting with DEBUG=False."
        )
    SECRET_KEY = "django-insecure-local-development-only"
elif not DEBUG and (
    len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-")
):
    # The same test as `check --deploy` (security.W009), made fatal: a guessable key lets
    # anyone forge sessions, password-reset links and signed cookies.
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak: use at least 50 characters, 5 of them different, not "
        "starting with 'django-insecure-' (python -c 'import secrets; "
        "print(secrets.token_urlsafe(50))')."
    )

# Earlier keys, still accepted for signatures made with them while a new key rolls out.
SECRET_KEY_FALLBACKS = envlist("SECRET_KEY_FALLBACKS", "")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
# Origins (scheme and host) from which forms may be posted, when they differ from the host
# the request came to: e.g. https://survey.example behind a proxy that rewrites the host.
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

# HTTPS. Production (DEBUG off) is secure by default: plain HTTP is redirected and cookies
# are only sent over HTTPS. Behind a proxy that terminates TLS, SECURE_PROXY_SSL_HEADER
# names the header it sets ("X-Forwarded-Proto"), or every request looks like plain HTTP
# and the redirect loops. Only set it when the proxy overwrites that header from clients.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", str(not DEBUG))
# Load balancers probe the health endpoint over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
_proxy_ssl_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "").strip()
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", str(not DEBUG))
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", str(not DEBUG))
# HSTS is off unless asked for: once a browser has seen it, the site cannot go back to
# plain HTTP for that long, so it is a decision for whoever owns the domain.
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "false")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "false")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    # The project's own checks (fieldwork/checks.py); it has no models.
    "fieldwork",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "surveys",
    "respondents",
    "reports",
    "integrations",
    "mailings",
    "openrosa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    "audit",
    "axes",
    "django_ratelimit",
]

MIDDLEWARE = [
    "fieldwork.request_id.RequestIdMiddleware",
    # Runs a view once more when its database connection was dropped under it and that
    # cannot do anything twice (fieldwork/reconnect.py).
    "fieldwork.reconnect.ReconnectMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Production serves collectstatic's output from the web processes; with DEBUG,
    # runserver serves the files from their folders and there is no STATIC_ROOT to serve.
    *([] if DEBUG else ["whitenoise.middleware.WhiteNoiseMiddleware"]),
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

# Messages live in the session (the database), not in a cookie: one of them is a new
# API key, shown once.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

ROOT_URLCONF = "fieldwork.urls"

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

WSGI_APPLICATION = "fieldwork.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        # A connection kept from an earlier request is checked (SELECT 1) before the
        # request's first query, and replaced when the database dropped it meanwhile.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database host that stops answering fails a request (and /health/) in seconds,
    # instead of after the operating system's TCP timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The interface speaks the languages of the 2024 study; questionnaire texts carry their
# own translations per survey (see surveys.models.TranslatedTextField).
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("ru", "Русский"),
    ("kk", "Қазақ тілі"),
    ("zh-hans", "简体中文"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
# Number formats Django lacks or gets otherwise than CLDR (Kazakh, Chinese grouping).
FORMAT_MODULE_PATH = ["fieldwork.formats"]
USE_TZ = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reports:index"
LOGOUT_REDIRECT_URL = "login"
# How many reverse proxies (load balancers) stand in front of the web processes: the
# respondent's address is then read from X-Forwarded-For. 0 trusts REMOTE_ADDR only.
TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
# How often an open survey dashboard fetches fresh counts.
DASHBOARD_REFRESH_SECONDS = int(os.environ.get("DASHBOARD_REFRESH_SECONDS", "10"))
# Interviewers' tablets (openrosa/): Basic credentials over plain HTTP are refused unless
# this is on (by default only with DEBUG, for a tablet on the local network); the largest
# instance accepted, which the server announces to clients.
OPENROSA_ALLOW_HTTP = envbool("OPENROSA_ALLOW_HTTP", "true" if DEBUG else "false")
OPENROSA_MAX_BYTES = int(os.environ.get("OPENROSA_MAX_BYTES", str(10 * 1024 * 1024)))
# How long a tablet's successful password check is remembered (0: check every request).
OPENROSA_CREDENTIALS_SECONDS = int(os.environ.get("OPENROSA_CREDENTIALS_SECONDS", "300"))

STATIC_URL = "static/"
# Export files are written here by workers and read by web processes, through Django's
# storage API: every web node and worker must share this directory (or STORAGES must name
# object storage). It is never served as-is; downloads go through a view that checks access.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
# A CSV export of at most this many rows streams straight to the browser; anything larger,
# and every other format, is built by a worker while the page shows its progress.
EXPORT_STREAM_MAX_ROWS = int(os.environ.get("EXPORT_STREAM_MAX_ROWS", "5000"))
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Whitenoise serves the static files from the web processes. Production uses hashed,
# compressed copies made by collectstatic (cached for a year, safe to change); with DEBUG
# (and so in the tests, which never run collectstatic) the files are served as they are,
# since the hashed storage refuses to render a page whose files it has no manifest for.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "fieldwork.static_storage.ManifestStaticStorage"
    },
}

# Content-Security-Policy (django-csp): scripts only from this site's own files, so a
# questionnaire label or an answer that got into a page as HTML cannot run. Style
# attributes are allowed (server-computed progress bars), <style> elements are not; see
# docs/decisions/0010-static-files-csp-logging.md.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        # Bootstrap draws check marks and select arrows as data: SVG images.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Celery: with no broker configured, tasks run eagerly in the calling process, so the
# embedded default needs neither Redis nor a worker.
CELERY_TASK_ALWAYS_EAGER = not os.environ.get("CELERY_BROKER_URL")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "memory://localhost/"
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# The queue tasks go to and workers take them from (a broker can serve several
# installations, or a test run, each with its own queue).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "") or "celery"
# Workers keep their database connection between tasks, like web processes between
# requests (fieldwork/celery.py closes broken or old ones); Celery closes it anyway every
# 2 x this many tasks.
CELERY_DB_REUSE_MAX = int(os.environ.get("CELERY_DB_REUSE_MAX", "1000"))
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 120
# A message a worker took but never acknowledged (it died) comes back after this long;
# it must be longer than any task may run, or a slow task would run twice at once.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A respondent's request enqueues validation: when the broker is down it must give up
# quickly (the sweeper enqueues again later) rather than keep the respondent waiting.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# Completed submissions still awaiting validation after this long are enqueued again by
# the sweeper, which Celery beat runs every minute.
VALIDATION_GRACE_SECONDS = int(os.environ.get("VALIDATION_GRACE_SECONDS", "120"))
CELERY_BEAT_SCHEDULE = {
    "sweep-pending-validations": {
        "task": "respondents.tasks.sweep_pending",
        "schedule": 60.0,
    },
    "sweep-lost-webhook-deliveries": {
        "task": "integrations.tasks.sweep_deliveries",
        "schedule": 300.0,
    },
    # Reminders due now, for every live survey (mailings.reminders), and messages whose
    # sender died or whose retry is due.
    "send-due-reminders": {
        "task": "mailings.tasks.remind_all",
        "schedule": float(os.environ.get("MAIL_REMINDER_CHECK_SECONDS", "900")),
    },
    "sweep-mailings": {
        "task": "mailings.tasks.sweep",
        "schedule": 60.0,
    },
    # Surveys past their last day of fieldwork, or at their target, close (idempotent).
    "close-surveys": {
        "task": "respondents.tasks.close_surveys",
        "schedule": 60.0,
    },
}
# E-mail, with Django's own setting names. Without EMAIL_HOST, messages are written as
# files under var/mail/ (one file per sending connection), so the embedded default needs
# no mail server.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "false")
    EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", "false")
    # A mail server that stops answering fails one message (retried later), not a worker.
    EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "fieldwork@localhost")
# Messages to panel members (mailings/): a new survey's rate (each survey's own is set on
# its panel page); a message is tried at most MAIL_MAX_ATTEMPTS times, waiting
# base * 2^(n-1) seconds after the n-th temporary failure; a claim older than
# MAIL_CLAIM_TIMEOUT_SECONDS belongs to a sender that died, and is sent again.
MAIL_RATE_PER_MINUTE = int(os.environ.get("MAIL_RATE_PER_MINUTE", "60"))
MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "5"))
MAIL_RETRY_BASE_SECONDS = float(os.environ.get("MAIL_RETRY_BASE_SECONDS", "60"))
MAIL_CLAIM_TIMEOUT_SECONDS = int(os.environ.get("MAIL_CLAIM_TIMEOUT_SECONDS", "300"))

# Webhooks: each delivery is tried at most this many times, waiting base * 2^(n-1)
# seconds (at most the cap) after the n-th failure; a receiver has this long to answer.
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "6"))
WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "30"))
WEBHOOK_RETRY_MAX_SECONDS = float(os.environ.get("WEBHOOK_RETRY_MAX_SECONDS", "3600"))
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "5"))
# A delivery still undelivered this long after its retry was due was lost: send it again.
WEBHOOK_SWEEP_GRACE_SECONDS = int(os.environ.get("WEBHOOK_SWEEP_GRACE_SECONDS", "600"))
# Where people reach this server: the host of the provider links shown in the admin.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
REDIS_URL = os.environ.get("REDIS_URL", "")

# The REST API (api/, /api/v1/): token or session authentication, JSON only, every error
# as JSON (api.exceptions.handler). See docs/decisions/0009-rest-api.md.
REST_FRAMEWORK = {
    # \u escapes instead of raw characters: a lone surrogate echoed from bad input (a
    # field name) cannot be encoded as UTF-8, and would turn a 400 into a 500.
    "UNICODE_JSON": False,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fieldwork API",
    "DESCRIPTION": "Surveys, quotas and submissions; ingestion of interviews collected elsewhere.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # The schema pages' scripts and styles come from this server, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.closed_requests_and_known_values",
    ],
    "ENUM_NAME_OVERRIDES": {
        "SurveyStatusEnum": "surveys.models.Survey.Status",
        "SubmissionStatusEnum": "respondents.models.Submission.Status",
        "VerdictEnum": "respondents.models.Verdict",
    },
}

# Logs go to standard output, one JSON object a line in production (LOG_FORMAT=json, the
# default without DEBUG), with the request id of the request that wrote them.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json").strip().lower()
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "fieldwork.request_id.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            # Servers log to standard output; locally, stderr keeps commands' output clean.
            "stream": "ext://sys.stdout" if LOG_FORMAT == "json" else "ext://sys.stderr",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Task-by-task lines are noise when tasks run in process; workers log their own.
    "loggers": {"celery.app.trace": {"level": "WARNING"}},
}
# Workers write JSON lines too, through the same configuration, instead of Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"

# Redis, when configured, backs the cache shared by every web process; otherwise each
# process has its own memory cache, which is only right for the embedded default.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "fieldwork.cache.RedisCache",
            "LOCATION": REDIS_URL,
            # Keys of several installations (or a test run) sharing one Redis keep apart.
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", ""),
            # A cache that stops answering must fail a request quickly, not hang it.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Abuse. Logins: after LOGIN_FAILURE_LIMIT failed attempts for one user name from one
# address, that pair is locked out (django-axes, with a back-off below), and login
# posts are rate-limited per address and per (user name, address) pair. Respondent pages are limited
# per address (generously: a whole office or a mobile carrier can share one) and per
# link. Counters live in the cache, so every web node must share one (REDIS_URL).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
# The lock-out of a pair backs off slowly (fieldwork/lockout.py): LOGIN_LOCKOUT, doubled
# for every LOGIN_BACKOFF_FAILURES failures of the user name from every address, at most
# LOGIN_LOCKOUT_MAX. Each attempt's record expires with its own cool-off.
LOGIN_LOCKOUT = datetime.timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
LOGIN_LOCKOUT_MAX = datetime.timedelta(hours=int(os.environ.get("LOGIN_LOCKOUT_MAX_HOURS", "24")))
LOGIN_BACKOFF_FAILURES = int(os.environ.get("LOGIN_BACKOFF_FAILURES", "20"))
AXES_COOLOFF_TIME = "fieldwork.lockout.cool_off"
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "fieldwork.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "fieldwork.network.client_ip"
AXES_VERBOSE = False
RATELIMIT_ENABLE = envbool("RATELIMIT_ENABLE", "true")
# A cache that cannot count (Redis unreachable: fieldwork.cache then counts in the
# process's memory, and anything it still raises) lets the request through.
RATELIMIT_FAIL_OPEN = True
# django-ratelimit lists only django-redis as "supported"; Django's own RedisCache counts
# with Redis INCR, which is just as atomic. Its error for a per-process cache (E003) would
# stop every command of a deployment without REDIS_URL; fieldwork.W001 warns of it in
# `check --deploy` instead (fieldwork/checks.py), and development is quiet.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001", "django_ratelimit.E003"]
RATELIMIT_VIEW = "fieldwork.views.too_many_requests"
RATE_LIMITS = {
    "login_ip": os.environ.get("RATE_LIMIT_LOGIN_IP", "30/m"),
    # Per (user name, address) pair: a limit per user name alone would let anyone keep
    # its owner out. RATE_LIMIT_LOGIN_USER is its earlier name.
    "login_pair": os.environ.get(
        "RATE_LIMIT_LOGIN_PAIR", os.environ.get("RATE_LIMIT_LOGIN_USER", "10/m")
    ),
    "respondent_ip": os.environ.get("RATE_LIMIT_RESPONDENT_IP", "600/m"),
    "respondent_link": os.environ.get("RATE_LIMIT_RESPONDENT_LINK", "120/m"),
}
