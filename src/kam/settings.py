"""Settings for KAM Platform.

One settings module, driven by environment variables:
- ``KAM_DB=postgres`` selects PostgreSQL (``KAM_PG_*`` variables), anything else the embedded
  SQLite database in ``var/``.
- ``KAM_DEBUG=1`` turns on debug mode (``make run`` sets it for the local trial).
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
ROOT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("KAM_VAR_DIR", ROOT_DIR / "var"))

SECRET_KEY = os.environ.get("KAM_SECRET_KEY", "kam-local-trial-key-change-me-in-production-0123456789")
DEBUG = os.environ.get("KAM_DEBUG", "0") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("KAM_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "axes",
    "kam.core",
    "kam.org",
    "kam.api",
    "kam.system",
    "django_tasks_db",
    "kam.jobs",
    "kam.audit",
    "kam.exchange",
    "kam.managers",
    "kam.assessment",
    "kam.customers",
    "kam.work",
    "kam.processes",
    "kam.todo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kam.system.middleware.RequestCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kam.core.middleware.DefaultLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kam.audit.middleware.AuditContextMiddleware",
    "kam.system.middleware.OnlineSessionMiddleware",
    "kam.system.middleware.OperationLogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kam.org.middleware.PasswordChangeRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kam.urls"

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
                "django.template.context_processors.i18n",
                "kam.core.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "kam.wsgi.application"

if os.environ.get("KAM_DB", "sqlite") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("KAM_PG_NAME", "kam"),
            "USER": os.environ.get("KAM_PG_USER", "kam"),
            "PASSWORD": os.environ.get("KAM_PG_PASSWORD", "kam"),
            "HOST": os.environ.get("KAM_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("KAM_PG_PORT", "5432"),
            "CONN_MAX_AGE": 60,
            # A test database per test process, so parallel test runs never collide.
            "TEST": {"NAME": os.environ.get("KAM_PG_TEST_NAME", f"test_kam_{os.getpid()}")},
        }
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("KAM_SQLITE_PATH", str(VAR_DIR / "kam.sqlite3")),
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "kam.system.security.ParameterMinimumLengthValidator"},  # security.password_min_length
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions expire (R-AUTH-1): two hours of inactivity, and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("KAM_SESSION_SECONDS", 2 * 60 * 60))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Failed logins are throttled (R-AUTH-1): 5 failures per account and address lock for 15 minutes.
# Read from 参数设置 (security.login_failure_limit / security.lockout_minutes), defaults 5 and 15.
AXES_FAILURE_LIMIT = "kam.system.security.login_failure_limit"
AXES_COOLOFF_TIME = "kam.system.security.lockout_cooloff"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS: list = []  # each app keeps its own catalogue in <app>/locale
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = ROOT_DIR / "staticfiles"
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "kam.api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["kam.api.permissions.Authenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "kam.api.pagination.CappedPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DATETIME_FORMAT": "iso-8601",
    "DATE_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "KAM Platform API",
    "DESCRIPTION": "客户经理工作平台与绩效考核系统 REST API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"ManagerStatusEnum": "kam.managers.models.ManagerStatus",
                            "AccessContentEnum": "kam.customers.models.AccessContent",  # kam.customers
                            # kam.assessment
                            "AssessmentSubjectTypeEnum": "kam.assessment.models.SubjectType",
                            "AssessmentMetricSourceEnum": "kam.assessment.models.MetricSource",
                            "AssessmentScoringModeEnum": "kam.assessment.models.ScoringMode",
                            "AssessmentMissingPolicyEnum": "kam.assessment.models.MissingPolicy",
                            "AssessmentRunStatusEnum": "kam.assessment.models.RunStatus",
                            "AssessmentRunTriggerEnum": "kam.assessment.models.RunTrigger",
                            "AssessmentResultStatusEnum": "kam.assessment.models.ResultStatus",
                            "AssessmentTargetSubjectTypeEnum": "kam.assessment.models.TargetSubjectType",
                            "AssessmentTargetSplitEnum": "kam.assessment.models.TargetSplit",
                            "AssessmentTargetSplitMethodEnum": "kam.assessment.models.TargetSplitMethod",
                            "AssessmentTierReachedEnum": "kam.assessment.models.TierReached",
                            # kam.processes
                            "ProcessInstanceStatusEnum": "kam.processes.models.InstanceStatus",
                            "ProcessTaskStatusEnum": "kam.processes.models.TaskStatus",
                            "ProcessTaskOutcomeEnum": "kam.processes.models.TaskOutcome",
                            "ProcessEventActionEnum": "kam.processes.models.EventAction",
                            "ImportModeEnum": "kam.exchange.specs.MODES",  # kam.exchange
                            "WorkResultEnum": "kam.work.models.Result"},  # kam.work
}

# Background jobs (kam.jobs): django.tasks on the database queue; `manage.py kam_worker` runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

DJANGO_TABLES2_TEMPLATE = "core/table.html"

# Demo accounts' password; documented in README.
KAM_DEMO_PASSWORD = os.environ.get("KAM_DEMO_PASSWORD", "Kam@2026demo")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"axes": {"level": "ERROR"}},
}
