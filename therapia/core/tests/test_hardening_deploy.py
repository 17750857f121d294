"""Production settings (therapia.settings, not the test settings), loaded in a subprocess
with the environment of a real deployment behind a TLS proxy: `check --deploy` is clean,
and a page served with them carries HSTS, the other security headers and secure,
host-only cookies (T-38)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from typing import Any

import pytest

from therapia import dbserver

HOST = "therapia.example"
# Served by Django's test client inside the subprocess: no server, no database queries.
HEADERS_SCRIPT = f"""
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
http = Client(HTTP_HOST={HOST!r})
plain = http.get("/accounts/sign-in/")
page = http.get("/accounts/sign-in/", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({{
    "plain": {{"status": plain.status_code, "location": plain.get("Location", "")}},
    "status": page.status_code,
    "headers": dict(page.headers),
    "cookies": {{name: {{"secure": bool(m["secure"]), "httponly": bool(m["httponly"]),
                        "samesite": m["samesite"], "path": m["path"], "domain": m["domain"]}}
                for name, m in page.cookies.items()}},
    "settings": {{name: getattr(settings, name) for name in (
        "DEBUG", "SESSION_COOKIE_NAME", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_NAME", "CSRF_COOKIE_SECURE")}},
}}))
"""


def production_env() -> dict[str, str]:
    """Only what a deployment sets; nothing from the test run but the database URLs."""
    passthrough = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    env = {name: os.environ[name] for name in passthrough if name in os.environ}
    env.update({
        "DJANGO_SETTINGS_MODULE": "therapia.settings",
        "SECRET_KEY": secrets.token_urlsafe(48),  # 64 random characters
        "THERAPIA_DEBUG": "false",
        "THERAPIA_BEHIND_TLS_PROXY": "true",
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "DATABASE_APP_URL": os.environ["DATABASE_APP_URL"],
    })
    return env


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=dbserver.ROOT, env=production_env(),  # noqa: S603
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def served() -> dict[str, Any]:
    result = run("-c", HEADERS_SCRIPT)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_check_deploy_is_clean_with_production_settings() -> None:
    result = run("-m", "django", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_are_not_debug(served: dict[str, Any]) -> None:
    assert served["settings"]["DEBUG"] is False


def test_plain_http_is_redirected_to_https(served: dict[str, Any]) -> None:
    assert served["plain"] == {"status": 301, "location": f"https://{HOST}/accounts/sign-in/"}


def test_hsts_for_a_year_including_subdomains(served: dict[str, Any]) -> None:
    assert served["status"] == 200
    hsts = served["headers"]["Strict-Transport-Security"]
    assert hsts.startswith("max-age=31536000")
    assert "includeSubDomains" in hsts
    assert "preload" not in hsts  # the domain's owner decides that (THERAPIA_HSTS_PRELOAD)


def test_security_headers_in_production(served: dict[str, Any]) -> None:
    headers = served["headers"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "no-store" in headers["Cache-Control"]  # the sign-in form


def test_permissions_policy_in_production(served: dict[str, Any]) -> None:
    policy = served["headers"]["Permissions-Policy"]
    assert "camera=()" in policy
    assert "microphone=()" in policy
    assert "geolocation=()" in policy


def test_cookies_are_secure_host_only_and_not_for_scripts(served: dict[str, Any]) -> None:
    config = served["settings"]
    # "__Host-": the browser accepts the cookie only if Secure, Path=/ and without Domain, so
    # neither a sibling subdomain nor a plain-http response can plant or overwrite it.
    assert config["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert config["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    csrf = served["cookies"][config["CSRF_COOKIE_NAME"]]
    assert csrf == {"secure": True, "httponly": True, "samesite": "Lax", "path": "/",
                    "domain": ""}
