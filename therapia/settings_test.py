"""Settings for the test suite: the real stack, with a cheaper argon2id and Django's locmem mail."""

from __future__ import annotations

import os

os.environ.setdefault("THERAPIA_EMBEDDED_DB", "allow")
os.environ.setdefault("THERAPIA_DB_SCOPE", "system")  # test code sets up every practice

from therapia.settings import *  # noqa: F403
from therapia.settings import DATABASES, TEMPLATES

KEYS_MAY_GENERATE = True  # test keys in ./var/keys, made on first use
PASSWORD_HASHERS = ["therapia.core.test_hashers.FastArgon2idHasher"]
SECURE_COOKIES = SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SESSION_COOKIE_NAME, CSRF_COOKIE_NAME = "sessionid", "csrftoken"  # "__Host-" needs Secure
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Close connections after each request: the browser tests' live-server threads must not
# keep the test database busy (tests clone it as a template).
DATABASES["default"]["CONN_MAX_AGE"] = 0
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
TEMPLATES[0]["OPTIONS"]["debug"] = True
TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = "!!INVALID:%s!!"
