"""Settings for the test suite: the real stack, with a cheaper argon2id and Django's locmem mail."""

from __future__ import annotations

import os

os.environ.setdefault("THERAPIA_EMBEDDED_DB", "allow")

from therapia.settings import *  # noqa: F403
from therapia.settings import TEMPLATES

PASSWORD_HASHERS = ["therapia.core.test_hashers.FastArgon2idHasher"]
SECURE_COOKIES = SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
TEMPLATES[0]["OPTIONS"]["debug"] = True
TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = "!!INVALID:%s!!"
