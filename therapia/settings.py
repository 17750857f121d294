"""Django settings. Every setting that varies by deployment comes from the environment,
read by strict helpers that refuse a value they do not understand (see docs/configuration.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from therapia import dbserver

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    file_name = os.environ.get(f"{name}_FILE")  # secrets mounted as files
    if file_name:
        return Path(file_name).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value not in ("true", "false", "1", "0"):
        raise ImproperlyConfigured(f"{name}={value!r}: use true or false")
    return value in ("true", "1")


def env_int(name: str, default: int, minimum: int = 1) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}={value!r}: use a whole number") from error
    if number < minimum:
        raise ImproperlyConfigured(f"{name}={number}: must be at least {minimum}")
    return number


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("THERAPIA_DEBUG", default=False)
DATA_DIR = dbserver.data_dir()
# The demo and the tests write a random key to var/secret_key (therapia/cli.py).
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY and (DATA_DIR / "secret_key").exists():
    SECRET_KEY = (DATA_DIR / "secret_key").read_text().strip()
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set (or SECRET_KEY_FILE)")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "therapia.core",
    "therapia.accounts",
    "therapia.audit",
    "therapia.security",
    "therapia.clients",
    "therapia.scheduling",
    "therapia.records",
    "therapia.clinical",
    "therapia.disclosures",
    "therapia.measures",
    "therapia.portal",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_htmx",
    "template_partials",
    "csp",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "therapia.core.security_headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "therapia.audit.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "therapia.accounts.middleware.SessionTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "therapia.accounts.middleware.TwoFactorRequiredMiddleware",
    "therapia.security.middleware.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "therapia.urls"
WSGI_APPLICATION = "therapia.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "therapia" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "therapia.security.context_processors.actor",
            ],
            "debug": DEBUG,
        },
    }
]

# --- Database: the application connects as a role that owns nothing; migrations run as
# the owner through the "owner" alias (see therapia/core/routers.py).
_urls = dbserver.ensure_environment()
DATABASES = {
    "default": dj_database_url.parse(_urls.app, conn_max_age=60, conn_health_checks=True),
    "owner": dj_database_url.parse(_urls.owner),
}
DATABASE_ROUTERS = ["therapia.core.routers.OwnerMigratesRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and sign-in
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]  # argon2id
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:sign_in"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:sign_in"

# Idle timeout and absolute session lifetime (therapia/accounts/middleware.py).
SESSION_IDLE_TIMEOUT_MINUTES = env_int("THERAPIA_IDLE_TIMEOUT_MINUTES", 15)
SESSION_MAX_AGE_HOURS = env_int("THERAPIA_SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_MAX_AGE_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("THERAPIA_SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_HTTPONLY = True
# "__Host-": the browser keeps these cookies only if Secure, Path=/ and without Domain, so
# neither a sibling subdomain nor a plain-http response can plant or overwrite them.
SESSION_COOKIE_NAME = "__Host-sessionid" if SECURE_COOKIES else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if SECURE_COOKIES else "csrftoken"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("THERAPIA_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("THERAPIA_HSTS_PRELOAD", default=False)
# Preloading commits the whole registrable domain to HTTPS in browsers for months; only the
# domain's owner can decide that (THERAPIA_HSTS_PRELOAD=true), so check --deploy doesn't ask.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

OTP_TOTP_ISSUER = "Therapia"
TWO_FACTOR_BACKUP_CODES = 10

# Reverse proxies in front of Therapia whose X-Forwarded-For we trust (therapia/core/client_ip.py).
TRUSTED_PROXIES = env_int("THERAPIA_TRUSTED_PROXIES", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "therapia.core.client_ip.client_ip"
AXES_FAILURE_LIMIT = env_int("THERAPIA_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = env_int("THERAPIA_LOCKOUT_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "therapia.accounts.views.locked_out"
AXES_VERBOSE = False

# --- Keys kept outside the database. Each may instead come from an environment variable
# (see therapia/security/keyring.py and therapia/audit/keys.py).
KEYS_DIR = Path(env_str("THERAPIA_KEYS_DIR", str(DATA_DIR / "keys")))
# Create missing keys in KEYS_DIR: on for the embedded demo database (therapia/dbserver.py
# exports it) and the tests; a server is given its keys and refuses to start without them.
KEYS_MAY_GENERATE = env_bool("THERAPIA_GENERATE_KEYS", default=False)
# A cloud KMS plugs in here: dotted path of factory(key_class) -> MasterKeyProvider
# (therapia/security/keyring.py). Empty: master keys from env variables or KEYS_DIR files.
MASTER_KEY_PROVIDER = env_str("THERAPIA_MASTER_KEY_PROVIDER", "")


def env_years(name: str) -> dict[str, int]:
    """"US-CA=7,CA-ON=10": years to keep records after last contact, per ISO 3166 code."""
    years: dict[str, int] = {}
    for item in env_list(name, ""):
        code, sep, value = item.partition("=")
        if not sep or not value.strip().isdigit():
            raise ImproperlyConfigured(f"{name}={item!r}: write CODE=YEARS, e.g. US-CA=7")
        years[code.strip().upper()] = int(value)
    return years


# Retention per jurisdiction beyond the sourced defaults (therapia/security/crypto/retention.py).
RETENTION_YEARS = env_years("THERAPIA_RETENTION_YEARS")
AUDIT_CHECKPOINT_DIR = Path(
    env_str("THERAPIA_AUDIT_CHECKPOINT_DIR", str(DATA_DIR / "audit-checkpoints"))
)
AUDIT_CHECKPOINT_MINUTES = env_int("THERAPIA_AUDIT_CHECKPOINT_MINUTES", 15)
# How long emergency access (break the glass) lasts before it must be asked for again.
BREAK_GLASS_HOURS = env_int("THERAPIA_BREAK_GLASS_HOURS", 4, minimum=1)
# A risk alert not acknowledged within this time goes to the supervisor or the owner.
THERAPIA_ALERT_ESCALATION_MINUTES = env_int("THERAPIA_ALERT_ESCALATION_MINUTES", 60, minimum=5)
# Signed progress notes lock after this many hours (0: at once).
THERAPIA_NOTE_LOCK_HOURS = env_int("THERAPIA_NOTE_LOCK_HOURS", 0, minimum=0)

# --- E-mail: a real Django backend. The demo writes messages to var/mail.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Therapia <no-reply@localhost>")

# --- Background work: the database is the queue (django-tasks + django-tasks-db).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Front end. Strict CSP: nothing inline, nothing from another origin.
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "therapia" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Client data never goes into logs: only ids, never names or free text.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"withhold": {"()": "therapia.core.log_filters.WithholdExceptionMessages"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["withhold"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
