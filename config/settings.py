"""Pullboard settings: one module, driven by the environment.

With no environment at all this is the *embedded* profile: a SQLite file and
Celery tasks run in process (eager). `DATABASE_URL` switches the database to
PostgreSQL; `REDIS_URL` (or `CELERY_BROKER_URL`) switches tasks to a Redis
broker and real workers, and live board updates to Redis pub/sub.
"""

from __future__ import annotations

import os
import sys
import warnings
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from config.beat_schedule import beat_schedule
from config.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# A deployment sets its own key; without one it refuses to start (below, once the profile
# is known). Only the embedded profile, DEBUG and the test suite fall back to a built-in key.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "axes",
    "django_guid",
    "health_check",
    "import_export",
    "simple_history",
    "production",
    "kanban",
]

MIDDLEWARE = [
    # Outermost: the web tier's request metrics (README, "Operating Pullboard").
    "production.ops.request_metrics.RequestMetricsMiddleware",
    # A request id for every log line of the request and the tasks it queues.
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outermost of ours: its process_exception runs last, after every other's.
    "config.middleware.ServiceUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The operator's language: the language cookie (set_language), else the browser's.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "production.accounts.middleware.UserLanguageMiddleware",  # a user's saved language
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.PullboardCSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",  # who changed it (the audit trail)
    "axes.middleware.AxesMiddleware",
    "config.middleware.DatabaseBusyMiddleware",
    # Who asks (user or token id, never the key), for the log lines of the request.
    "production.ops.logs.RequestContextMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "production.context_processors.roles",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'pullboard.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Connection budget on PostgreSQL (README, "Deployment"): a web process (config.asgi or
# config.wsgi) has one bounded psycopg pool of DATABASE_POOL_MAX_SIZE connections, busy for
# DATABASE_POOL_TIMEOUT s: 503 (config.middleware). Workers, beat, commands and tests keep
# plain connections (a prefork process runs one task at a time; a pool's threads would not
# survive the fork). DATABASE_POOL=true/false overrides.
WEB_PROCESS = "config.asgi" in sys.modules or "config.wsgi" in sys.modules
DATABASE_POOL = env.bool("DATABASE_POOL", default=WEB_PROCESS)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
    if DATABASE_POOL:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections
        # The pool checks a connection before lending it (one empty query): after a
        # PostgreSQL restart the first requests would otherwise get its dead connections.
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
            "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=8),
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # SQLite in WAL mode copes with the web process and in-process tasks writing together.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USES_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# --- Tasks and live updates ---------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
EMBEDDED_TASKS = not CELERY_BROKER_URL
CELERY_TASK_ALWAYS_EAGER = EMBEDDED_TASKS
CELERY_TASK_EAGER_PROPAGATES = True
# In process (embedded): an in-memory transport, named with a host so that kombu does
# not warn about a broker hostname nobody uses.
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://localhost/"
if CELERY_BROKER_URL.startswith("redis://"):
    # kombu's Redis transport with a fix for workers that stopped when Redis restarted.
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task running when the broker leaves finishes its work (tasks are idempotent; its
# message comes back after the visibility timeout) rather than being killed mid-way.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# A message that a dead worker held comes back after this long (acks_late tasks).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
CELERY_TASK_DEFAULT_QUEUE = "default"
# One queue per concern, so a burst of one never delays another: demand processing has a
# worker of its own (docker-compose.yml); webhooks, planning (forecasts, push plans,
# sizing) and comparisons (the twin) run on others. A worker started without `-Q`
# consumes every queue listed here.
CELERY_TASK_QUEUES = [
    Queue(name) for name in ("demand", "webhooks", "planning", "comparisons", "default")
]
CELERY_TASK_ROUTES = {
    "production.tasks.demand_process_task": {"queue": "demand"},
    "production.tasks.webhook_deliver_task": {"queue": "webhooks"},
    "production.tasks.webhook_deliver_due_task": {"queue": "webhooks"},
    "production.tasks.forecasts_refresh_task": {"queue": "planning"},
    "production.tasks.push_plan_task": {"queue": "planning"},
    "kanban.tasks.loops_size_task": {"queue": "planning"},
    "production.tasks.comparison_run_task": {"queue": "comparisons"},
    "production.tasks.shadow_compare_task": {"queue": "comparisons"},
    # reconcile_task, idempotency_keys_prune_task and line_mode_switches_apply_task: the
    # default queue.
}
CELERY_BEAT_SCHEDULE = beat_schedule(env)  # config/beat_schedule.py

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Live board hints: Redis pub/sub when a Redis is configured, else in process.
LIVE_EVENTS_REDIS_URL = REDIS_URL or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else ""
)

# --- Auth and security --------------------------------------------------------
if not SECRET_KEY:
    # pytest sets PYTEST_VERSION for its session and the processes its tests start.
    if not (DEBUG or (EMBEDDED_TASKS and not USES_POSTGRES) or "PYTEST_VERSION" in os.environ):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. A deployment (PostgreSQL or a broker, DEBUG off) "
            'needs its own key: python -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
    SECRET_KEY = "pullboard-embedded-profile-not-for-production"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# No start-up banner per process, and no log line per successful login; lockouts are
# still logged (WARNING) by axes.
AXES_VERBOSE = False
# The address failed logins are locked on: the connection's, or X-Forwarded-For's when the
# connection comes from one of TRUSTED_PROXIES (the reverse proxy's addresses or networks,
# comma-separated; empty: no proxy is believed). See README, "Deployment".
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
AXES_CLIENT_IP_CALLABLE = "config.proxies.client_ip"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Orchestrator probes and Prometheus ask over plain HTTP inside the deployment's network.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]

# --- I18N, static -------------------------------------------------------------
# Pages in the operator's language (English, German, Spanish: locale/<lang>/LC_MESSAGES,
# compiled by `make`), dates and numbers in its format, times in the plant's time zone.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# WhiteNoise serves files with a synchronous iterator; under ASGI Django warns about it on
# the first file served. It is how WhiteNoise works (the file is read in a thread), not news.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators", category=Warning
)
# Files served at the site's root by WhiteNoise: /favicon.ico.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=VAR_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

# --- REST API -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env.str("API_THROTTLE_RATE", default="100000/hour")},
    # Every API error as RFC 9457 problem details (application/problem+json).
    "EXCEPTION_HANDLER": "production.api.problems.problem_exception_handler",
}
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=365)),
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pullboard ERP API",
    "DESCRIPTION": "Demand in; work orders, stock and signed webhooks out.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The contract is for users with a role, by token or browser session.
    "SERVE_PERMISSIONS": ["production.api.common.RolePermission"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One named enum per choice set, so the schema builds without warnings.
    "ENUM_NAME_OVERRIDES": {
        "WorkOrderStatusEnum": "production.models.WorkOrderStatus",
        "DemandStatusEnum": "production.models.DemandStatus",
        "CardStatusEnum": "kanban.models.CardStatus",
        "CallOffStatusEnum": "production.supply.models.CallOffStatus",
        "TransferStatusEnum": "production.supply.models.TransferStatus",
        "DeliveryStatusEnum": "production.webhooks.models.DeliveryStatus",
        "WebhookEventTypeEnum": "production.webhooks.models.WebhookEventType",
        # Forecast runs and comparisons share one job status set.
        "JobStatusEnum": "production.planning.models.ForecastRunStatus",
        "ComparisonKindEnum": "production.comparisons.models.ComparisonKind",
        "PushPlanStatusEnum": "production.planning.models.PushPlanStatus",
        "ForecastOverrideKindEnum": "production.planning.models.OverrideKind",
    },
}

# --- Webhooks -------------------------------------------------------------------
# Where subscriptions may send (production/webhooks/destinations.py): loopback, link-local
# (cloud metadata), multicast and reserved addresses never; the plant's private network
# unless turned off here; loopback only when turned on (development, the test suite).
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=True)
WEBHOOK_ALLOW_LOOPBACK = env.bool("WEBHOOK_ALLOW_LOOPBACK", default=False)

# --- Pullboard ------------------------------------------------------------------
PULLBOARD = {
    "SITE_URL": env.str("PULLBOARD_SITE_URL", default=""),  # links in e-mails: https://host
    # Demand events one processing task takes at a time (batching is what makes the rate).
    "DEMAND_BATCH_SIZE": env.int("PULLBOARD_DEMAND_BATCH_SIZE", default=500),
    # Demand is drained in this many partitions by product (product id modulo N): drains of
    # different partitions touch disjoint stock levels and cards, so they run in parallel.
    # 1 (one drain at a time) keeps the fewest drains, and the best latency on a small box.
    "DEMAND_PARTITIONS": env.int("PULLBOARD_DEMAND_PARTITIONS", default=1),
    # The reconciler (every PULLBOARD_RECONCILE_EVERY_SECONDS, beat) queues demand left
    # unprocessed this long after it was stored.
    "RECONCILE_STALE_SECONDS": env.int("PULLBOARD_RECONCILE_STALE_SECONDS", default=30),
    # A queued drain not started within this many seconds (its worker died holding it,
    # or every worker is busy) lets the next stored event queue another.
    "DEMAND_PENDING_FLAG_SECONDS": env.int("PULLBOARD_DEMAND_PENDING_FLAG_SECONDS", default=5),
    "SIZING_WINDOW_DAYS": 28,
    "SIZING_MIN_CYCLES_FOR_MEASURED_LEAD_TIME": 5,
    # Shop floor: a repeat scan of one card within this window does nothing; cards not
    # scanned or moved for this many days show in the lost-card audit.
    "SCAN_REPEAT_WINDOW_SECONDS": env.int("PULLBOARD_SCAN_REPEAT_WINDOW_SECONDS", default=10),
    "LOST_CARD_DAYS": env.int("PULLBOARD_LOST_CARD_DAYS", default=14),
    "ACCEPT_UNCHECKED_CARD_CODES": env.bool("PULLBOARD_ACCEPT_UNCHECKED_CARD_CODES", default=True),
    # How long whoever marked a container empty on the board may undo it.
    "UNDO_SECONDS": env.int("PULLBOARD_UNDO_SECONDS", default=120),
    # Push scheduling: length of a planning period (also the review period), in days.
    "PUSH_PLAN_PERIOD_DAYS": env.int("PULLBOARD_PUSH_PLAN_PERIOD_DAYS", default=1),
    # The scheduled push run releases the drafts it makes (off: planners release them).
    "PUSH_PLAN_AUTO_RELEASE": env.bool("PULLBOARD_PUSH_PLAN_AUTO_RELEASE", default=True),
    # Demand the API accepts: at most this quantity per event, and `occurred_at` no older
    # than this many days and no later than this many hours ahead of the server's clock.
    "DEMAND_MAX_QUANTITY": env.int("PULLBOARD_DEMAND_MAX_QUANTITY", default=1_000_000),
    "DEMAND_OLDEST_DAYS": env.int("PULLBOARD_DEMAND_OLDEST_DAYS", default=3650),
    "DEMAND_AHEAD_HOURS": env.int("PULLBOARD_DEMAND_AHEAD_HOURS", default=24),
    # Cards one kanban loop may have (admin, services); sizing recommends at most this.
    "LOOP_MAX_CARDS": env.int("PULLBOARD_LOOP_MAX_CARDS", default=200),
    # Where a product created without a supermarket keeps its stock (a location code).
    "DEFAULT_SUPERMARKET": env.str("PULLBOARD_DEFAULT_SUPERMARKET", default=""),
    # Live board streams one browser session, and one user (a login shared by the
    # tablets of a shop floor), may hold open at once; past it, 429 and the board polls.
    "LIVE_STREAMS_PER_SESSION": env.int("PULLBOARD_LIVE_STREAMS_PER_SESSION", default=6),
    "LIVE_STREAMS_PER_USER": env.int("PULLBOARD_LIVE_STREAMS_PER_USER", default=100),
    # Embedded profile (tasks in process): a comparison runs in a background thread of the
    # web process, so the request that starts it answers at once.
    "COMPARISONS_IN_BACKGROUND_THREAD": env.bool(
        "PULLBOARD_COMPARISONS_IN_BACKGROUND_THREAD", default=EMBEDDED_TASKS
    ),
}

# --- Operations: logs, request ids, health, metrics ------------------------------
# One JSON line per event in the services profile (PostgreSQL or a broker), plain text in
# the embedded one; LOG_FORMAT=json|plain overrides. Every line carries the request id
# (X-Request-ID, taken from the request when it is a UUID, else made; echoed in the
# answer) and, inside a request, the user or token id; the tasks a request queues log
# the same request id (production/ops/logs.py). Celery workers and beat use this too.
SERVICES_PROFILE = USES_POSTGRES or not EMBEDDED_TASKS
# E-mail (late alerts, call-offs): EMAIL_URL as django-environ reads it (smtp+tls://user:pass@
# host:587, filemail:////dir); console when embedded, a local SMTP server in the services profile.
_EMAIL_DEFAULT = "smtp://localhost:25" if SERVICES_PROFILE else "consolemail://"
vars().update(env.email_url("EMAIL_URL", default=_EMAIL_DEFAULT))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="pullboard@localhost")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)  # seconds: a hung server is retried later
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if SERVICES_PROFILE else "plain")
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
}
LOGGING = logging_config(
    json_lines=LOG_FORMAT == "json",
    level=env.str("LOG_LEVEL", default="INFO"),
    tasks_in_process=EMBEDDED_TASKS,
)

# Health (production/ops/health.py): /health/live and /health/ready answer anyone with
# up or down only; /health/ is the detailed view, for admins.
HEALTH_CHECK_TIMEOUT_SECONDS = env.float("HEALTH_CHECK_TIMEOUT_SECONDS", default=3.0)
# Where beat (production.ops.beat.HeartbeatScheduler) stamps each tick of its loop, and
# how old the stamp may be before `manage.py health_beat` says beat is down.
CELERY_BEAT_SCHEDULER = "production.ops.beat.HeartbeatScheduler"
PULLBOARD_BEAT_HEARTBEAT_FILE = env.str(
    "PULLBOARD_BEAT_HEARTBEAT_FILE", default=str(VAR_DIR / "celerybeat-heartbeat")
)
PULLBOARD_BEAT_HEARTBEAT_MAX_AGE_SECONDS = env.int(
    "PULLBOARD_BEAT_HEARTBEAT_MAX_AGE_SECONDS", default=120
)
# Metrics (production/ops/metrics.py): GET /metrics with `Authorization: Bearer TOKEN`.
# Unset, the endpoint answers 404: no metrics are served without a token.
PULLBOARD_METRICS_TOKEN = env.str("PULLBOARD_METRICS_TOKEN", default="")
# The recent window the processing lag percentiles and the processing rate are read over.
PULLBOARD_METRICS_WINDOW_SECONDS = env.int("PULLBOARD_METRICS_WINDOW_SECONDS", default=300)
