"""sanbufu settings, read from the environment.

With nothing set, the system runs on a bare machine: SQLite in WAL mode and Celery on
kombu's filesystem transport under var/. DATABASE_URL and REDIS_URL switch to PostgreSQL
and Redis. See .env.example for every variable.
"""

from __future__ import annotations

import os
from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SANBUFU_VAR_DIR") or BASE_DIR / "var")


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name) or default


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-debug-mode"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    # The admin with the office dashboard, open to office members and leaders.
    "sanbufu.admin_apps.AdminConfig",
    "django.contrib.auth",
    "axes",
    "csp",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "dispatch",
    "issues",
    "meetings",
    "diaries",
    "integrations",
    # Co-building units and contracts, and the panel they add to the issue page.
    "contracts",
    "durable",
    "ops",
    "sms",
    "residents",
    # Households visited, campaigns and 下沉 deployments.
    "fieldwork",
    "evidence",
    "sanbufu",
]

MIDDLEWARE = [
    # First: the request id, request metrics, and the probes and /metrics (ops.middleware).
    "ops.middleware.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before anything reads the database for the request (sessions load lazily).
    "sanbufu.routers.ReplicaPinMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "sanbufu.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it turns a refused login into the lockout answer whatever view refused it.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sanbufu.urls"
WSGI_APPLICATION = "sanbufu.wsgi.application"

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
                "diaries.context_processors.diary_words",
                "issues.context_processors.inbox",
            ],
        },
    },
]

# Database: SQLite in WAL mode by default. IMMEDIATE transactions take the write lock at
# BEGIN, so two writers queue on the busy timeout instead of failing with "database is
# locked" when one upgrades a read lock.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    # Persistent connections, checked before their first use in each request: after a
    # database restart a worker reconnects instead of answering one 500.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
    # Two checkouts testing against one server at once each need their own test database.
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME") or None}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "sanbufu.sqlite3",
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not memory, so a Celery worker started by a test sees the same data.
            "TEST": {"NAME": str(VAR_DIR / "test_sanbufu.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A read replica (PostgreSQL streaming replication) for lists, pages and statistics: reads
# go to it except inside transactions and for a client that wrote in the last
# REPLICA_PIN_SECONDS (sanbufu/routers.py). Unset: one database.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=60, conn_health_checks=True
    )
SANBUFU_READ_REPLICA = bool(DATABASE_REPLICA_URL)
SANBUFU_REPLICA_PIN_SECONDS = env_int("REPLICA_PIN_SECONDS", 10)
DATABASE_ROUTERS = ["sanbufu.routers.ReplicaRouter"]

# Cache, shared by every process of a deployment, because login failures and API throttles
# must count across gunicorn workers: Redis when CACHE_URL or REDIS_URL is set, otherwise a
# table in the database (`manage.py createcachetable`; `make run` does it). Not per-process
# memory, and not files, whose counters django-axes cannot increment safely.
REDIS_URL = env_str("REDIS_URL")
CACHE_URL = env_str("CACHE_URL", REDIS_URL)
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "sanbufu",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "sanbufu_cache",
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Office members and leaders hold the admin permissions of their role (dispatch.backends).
# AxesStandaloneBackend comes first: it refuses a locked-out username or client before any
# password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "dispatch.backends.MembershipBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login lockout (django-axes) for the login page, the admin login and the API token: after
# LOGIN_FAILURE_LIMIT wrong passwords for one username, or from one client address, further
# attempts by that username or from that address are refused for LOGIN_LOCKOUT_MINUTES,
# counted from the failure that locked them (attempts during a lockout do not extend it).
# The counters live in the cache that every web process shares; each lockout is recorded
# in axes' failure log, which superusers read in the admin.
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "sanbufu.lockouts.lockout_response"
AXES_ENABLE_ADMIN = False  # sanbufu/admin.py shows the failure log only
# No banner on every command and process start; lockouts are still logged.
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded evidence (photos, documents): private files under the var directory, or in an
# S3-compatible store (MinIO in docker-compose.yml) when S3_BUCKET is set. Neither is served
# directly: evidence.views checks visible_to first (see SANBUFU_X_ACCEL_REDIRECT).
MEDIA_ROOT = VAR_DIR / "media"
S3_BUCKET = env_str("S3_BUCKET")
if S3_BUCKET:
    _default_storage: dict[str, object] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            "region_name": env_str("S3_REGION", "us-east-1"),
            "location": env_str("S3_PREFIX"),
            # Private objects; a reader gets a presigned URL that lasts this many seconds.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env_int("S3_URL_SECONDS", 300),
            "file_overwrite": False,
            "addressing_style": env_str("S3_ADDRESSING_STYLE", "path"),
            "signature_version": "s3v4",
        },
    }
# On S3, a reader is redirected to a presigned URL of the store's endpoint, which the browser
# must reach; S3_REDIRECT=0 streams the file through the application instead (a store on a
# private network, as MinIO in docker-compose.yml).
S3_REDIRECT = env_bool("S3_REDIRECT", default=True)
if not S3_BUCKET:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Email: console by default; SMTP when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "sanbufu <noreply@sanbufu.local>")

# Text messages (sms app): the backend by short name (console, locmem, filebased, tencent)
# or dotted path, as EMAIL_BACKEND. Providers send approved templates only: SMS_TEMPLATES maps
# each message of the system to the provider's template id, signed with SMS_SIGN_NAME.
SMS_BACKEND = env_str("SMS_BACKEND", "console")
SMS_FILE_PATH = env_str("SMS_FILE_PATH", str(VAR_DIR / "sms"))
SMS_SIGN_NAME = env_str("SMS_SIGN_NAME", "三服务")
SMS_TEMPLATES = {
    "tracking": env_str("SMS_TEMPLATE_TRACKING"),  # {1} number, {2} link
    "rating": env_str("SMS_TEMPLATE_RATING"),  # {1} number, {2} answer, {3} link
    "notice": env_str("SMS_TEMPLATE_NOTICE"),  # {1} what happened, {2} link
}
SMS_TENCENT_SECRET_ID = env_str("SMS_TENCENT_SECRET_ID")
SMS_TENCENT_SECRET_KEY = env_str("SMS_TENCENT_SECRET_KEY")
SMS_TENCENT_APP_ID = env_str("SMS_TENCENT_APP_ID")
SMS_TENCENT_REGION = env_str("SMS_TENCENT_REGION", "ap-guangzhou")
SMS_TENCENT_ENDPOINT = env_str("SMS_TENCENT_ENDPOINT", "sms.tencentcloudapi.com")
SMS_TENCENT_SCHEME = env_str("SMS_TENCENT_SCHEME", "https")
# Seconds one request to the provider may take; a transient failure is retried
# SMS_MAX_RETRIES times after SMS_RETRY_BACKOFF * 2**n seconds.
SMS_TIMEOUT = env_int("SMS_TIMEOUT", 10)
SMS_MAX_RETRIES = env_int("SMS_MAX_RETRIES", 5)
SMS_RETRY_BACKOFF = env_int("SMS_RETRY_BACKOFF", 60)
# The secret in the address of the provider's reply callback (/sms/replies/<token>/), where a
# resident's TD puts their phone on the opt-out list; unset, the callback does not exist.
SMS_REPLY_TOKEN = env_str("SMS_REPLY_TOKEN")

# Residents (residents app): how long the link in a resident's message opens their issue's
# page; working days after resolution before an unrated issue joins the offices' follow-up
# (回访) queue; days after final resolution that the reporter's name and phone are kept;
# lookups at /track/ per client address and per issue number in a window of minutes.
RESIDENT_LINK_DAYS = env_int("RESIDENT_LINK_DAYS", 30)
FOLLOWUP_AFTER = env_int("FOLLOWUP_AFTER", 1)
REPORTER_RETENTION_DAYS = env_int("REPORTER_RETENTION_DAYS", 180)
TRACK_LIMIT_CLIENT = env_int("TRACK_LIMIT_CLIENT", 10)
TRACK_LIMIT_ISSUE = env_int("TRACK_LIMIT_ISSUE", 5)
TRACK_WINDOW_MINUTES = env_int("TRACK_WINDOW_MINUTES", 15)

# Production hardening: on whenever DEBUG is off, so `check --deploy` passes.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# Always, in development too, so that what breaks under them shows before deployment.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts only from this site's own files, or an inline
# script carrying the request's nonce (`request.csp_nonce`); the pages, the admin and Swagger
# UI have none inline. Inline styles stay allowed: the admin, the dashboard's SVG charts and
# Swagger UI set style attributes, and a nonce would disable 'unsafe-inline' for them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if S3_BUCKET and S3_REDIRECT and env_str("S3_ENDPOINT_URL"):
    # Evidence is sent by a redirect to a presigned URL of the store: images load from there.
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(
        "/".join(env_str("S3_ENDPOINT_URL").split("/")[:3])
    )

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport, which needs no
# server: the web process, the worker and beat exchange messages through files under var/.
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
# Without Redis: kombu's filesystem transport. The host is named so that kombu does not warn
# on every connection that it assumed one.
ZERO_SETUP_BROKER_URL = "filesystem://localhost//"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A message taken by a worker that dies before acknowledging it (acks_late) goes back to
    # the queue after this long. Longer than the task time limit, so a task still running is
    # never handed to a second worker; not much longer, so a killed task resumes soon. A
    # broker that does not answer fails a publish within seconds: the outbox keeps the task.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_TASK_TIME_LIMIT + 5 * 60,
        "socket_connect_timeout": 3,
    }
else:
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _control_dir = VAR_DIR / "celery" / "control"
    for _d in (_queue_dir, _processed_dir, _control_dir):
        _d.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = ZERO_SETUP_BROKER_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "control_folder": str(_control_dir),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Worker and beat log through LOGGING below (JSON lines in production), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    # Every hour, move each unresolved issue past its tier's deadline one tier up.
    "escalate-overdue-hourly": {
        "task": "issues.tasks.escalate_overdue_task",
        "schedule": crontab(minute=5),
    },
    # Every five minutes, the same sweep again: it takes up a sweep whose worker died mid-run
    # (each issue still moves once) and lifts what fell due since. With nothing overdue it is
    # one index lookup per tier. It expires unrun after four minutes, so runs queued while no
    # worker was up do not pile up.
    "escalate-overdue-follow-up": {
        "task": "issues.tasks.escalate_overdue_task",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
    # Monday 08:30 Shanghai time, convene each town's weekly analysis meeting.
    "convene-meetings-monday": {
        "task": "meetings.tasks.convene_meetings_task",
        "schedule": crontab(minute=30, hour=8, day_of_week="mon"),
    },
    # Every minute, queue the tasks the broker could not take when their change committed.
    "drain-outbox-every-minute": {
        "task": "durable.tasks.drain_outbox_task",
        "schedule": crontab(),
    },
    # 08:30 every day, each holder of amber and red issues gets one reminder (催办) of them.
    "remind-holders-daily": {
        "task": "issues.tasks.send_digest_task",
        "schedule": crontab(minute=30, hour=8),
    },
    # 03:40 every night, blank the reporter's name and phone on issues resolved longer ago
    # than REPORTER_RETENTION_DAYS.
    "anonymise-reporters-nightly": {
        "task": "residents.tasks.anonymise_reporters_task",
        "schedule": crontab(minute=40, hour=3),
    },
    # Every hour, remove evidence uploaded but never attached to an issue within
    # SANBUFU_ABANDONED_UPLOAD_HOURS (a form that failed or was left).
    "remove-abandoned-uploads-hourly": {
        "task": "evidence.tasks.remove_abandoned_uploads_task",
        "schedule": crontab(minute=50),
    },
    # Every hour, forget the answers of idempotency keys older than their lifetime.
    "purge-idempotency-keys-hourly": {
        "task": "durable.tasks.purge_idempotency_keys_task",
        "schedule": crontab(minute=20),
    },
}
# Publishing a task after a commit: at most this much retrying while the request waits; what
# the broker still refuses stays in the outbox (durable.outbox).
SANBUFU_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# Seconds a process leaves the broker alone after a failed publish (the outbox keeps what
# comes meanwhile).
SANBUFU_PUBLISH_PAUSE = 5
# Seconds after which the drain takes an outbox message its own request never published.
SANBUFU_OUTBOX_GRACE = 60
# How long the answer to a write sent with an Idempotency-Key is replayed.
SANBUFU_IDEMPOTENCY_TTL = 24 * 3600

# Outgoing webhooks: a failed delivery is retried after 2**n * BACKOFF seconds (whole
# seconds, randomised by Celery's full jitter unless turned off), capped at BACKOFF_MAX, at
# most MAX_RETRIES times, then marked failed. TIMEOUT bounds each request.
SANBUFU_WEBHOOK_BACKOFF = env_int("WEBHOOK_BACKOFF", 30)
SANBUFU_WEBHOOK_BACKOFF_MAX = env_int("WEBHOOK_BACKOFF_MAX", 3600)
SANBUFU_WEBHOOK_MAX_RETRIES = env_int("WEBHOOK_MAX_RETRIES", 8)
SANBUFU_WEBHOOK_RETRY_JITTER = env_bool("WEBHOOK_RETRY_JITTER", default=True)
SANBUFU_WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 10)
# Webhook targets on loopback addresses are refused unless this is on (development and tests:
# a receiver on 127.0.0.1); private, link-local and cloud-metadata addresses always are.
SANBUFU_WEBHOOK_ALLOW_LOOPBACK = env_bool("WEBHOOK_ALLOW_LOOPBACK", default=DEBUG)

# Deadlines in working days per tier (a category may override them).
SANBUFU_DEADLINE_DAYS = {
    "village": env_int("DEADLINE_DAYS_VILLAGE", 3),
    "town": env_int("DEADLINE_DAYS_TOWN", 7),
    "county": env_int("DEADLINE_DAYS_COUNTY", 15),
    "city": env_int("DEADLINE_DAYS_CITY", 30),
}
# Share of a tier's time after which the deadline light turns amber.
SANBUFU_AMBER_FRACTION = 2 / 3
SANBUFU_SWEEP_BATCH = env_int("SWEEP_BATCH", 2000)
# Lists (API and admin) count matching rows exactly up to this many and estimate past it
# (PostgreSQL's planner), so a page of a million issues does not count a million rows.
SANBUFU_COUNT_BOUND = env_int("COUNT_BOUND", 10000)
# Seconds the office dashboard's figures are kept in the cache, per jurisdiction (0: never).
SANBUFU_DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 60)

# Work orders of departments (工单): the window for 签收 and 退单 in working hours (09:00-17:00
# on the Chinese calendar), the extensions (延期) allowed per tier and the working days each
# may add, and the working days a supervision order (督办单) gives for the reply.
SANBUFU_ACK_WORKING_HOURS = env_int("ACK_WORKING_HOURS", 8)
SANBUFU_EXTENSION_LIMIT = env_int("EXTENSION_LIMIT", 3)
SANBUFU_EXTENSION_MAX_DAYS = env_int("EXTENSION_MAX_DAYS", 10)
SANBUFU_SUPERVISION_REPLY_DAYS = env_int("SUPERVISION_REPLY_DAYS", 2)

# Evidence (evidence app): limits of one file and of one issue, checked on the server.
SANBUFU_ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
SANBUFU_ATTACHMENT_MAX_PIXELS = env_int("ATTACHMENT_MAX_PIXELS", 40_000_000)
SANBUFU_ATTACHMENTS_PER_ISSUE = env_int("ATTACHMENTS_PER_ISSUE", 20)
SANBUFU_ABANDONED_UPLOAD_HOURS = env_int("ABANDONED_UPLOAD_HOURS", 24)
# The longer side of a thumbnail, in pixels.
SANBUFU_THUMBNAIL_SIZE = 320
# When nginx fronts the application: the internal location that maps to MEDIA_ROOT (e.g.
# "/protected-media/"); the view checks access and nginx sends the file. Empty: Django sends it.
SANBUFU_X_ACCEL_REDIRECT = env_str("X_ACCEL_REDIRECT")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "common.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Services' domain errors and ValidationError answer 404/403/409/400 here, and only here.
    "EXCEPTION_HANDLER": "common.drf.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("THROTTLE_ANON", "60/min"),
        "user": env_str("THROTTLE_USER", "1200/min"),
        # The token endpoint, per client address: password guessing is also locked out (axes).
        "auth": env_str("THROTTLE_AUTH", "20/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "sanbufu API",
    "DESCRIPTION": "Tiered issue escalation for local government (三服务).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set, so the schema has no ambiguous enums (--fail-on-warn).
    "ENUM_NAME_OVERRIDES": {
        "TierEnum": "dispatch.models.Tier",
        "PostingKindEnum": "dispatch.models.Posting.Kind",
        "DiaryKindEnum": "diaries.models.DiaryEntry.Kind",
        "EventKindEnum": "issues.models.IssueEvent.Kind",
        # Co-building.
        "UnitKindEnum": "contracts.models.Unit.Kind",
        "ResourceKindEnum": "contracts.models.Kind",
        # Evidence.
        "AttachmentRoleEnum": "evidence.models.Attachment.Role",
        "AttachmentKindEnum": "evidence.models.Attachment.Kind",
    },
}

# --- Operations: probes, metrics, logs, error reports (ops/) ------------------------------------
# /metrics answers a scraper sending `Authorization: Bearer <METRICS_TOKEN>`, or one whose
# address lies in METRICS_ALLOWED_NETWORKS (comma-separated, e.g. 10.0.0.0/8); no one else.
SANBUFU_METRICS_TOKEN = env_str("METRICS_TOKEN")
try:
    SANBUFU_METRICS_NETWORKS = [
        ip_network(n, strict=False) for n in env_list("METRICS_ALLOWED_NETWORKS", [])
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {exc}") from None
# The domain gauges (issues open and overdue by tier, ...) are computed at most this often.
SANBUFU_METRICS_CACHE_SECONDS = env_int("METRICS_CACHE_SECONDS", 30)
# /readyz calls beat silent when the overdue sweep (every five minutes) has not finished for
# two of its periods, and waits this long for a worker's answer to its ping.
SANBUFU_BEAT_SILENT_AFTER = env_int("BEAT_SILENT_AFTER", 2 * 5 * 60)
SANBUFU_WORKER_PING_TIMEOUT = 1.0
# A Celery worker serves its task metrics on this port (0: not at all; compose: 9808).
SANBUFU_WORKER_METRICS_PORT = env_int("WORKER_METRICS_PORT", 0)
# Log lines: plain text (the development default) or one JSON object per line (LOG_FORMAT=json),
# each with the id of the request or task it was written for.
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ops.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
# Error reports to Sentry (web, worker and beat) when SENTRY_DSN is set; nothing otherwise.
SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", "production"),
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
    )
