"""Security headers on every response, and no caching of pages a signed-in user sees
(ASVS 5.0 14.3.2, T-38). The production-settings variant (HSTS, secure cookies) runs in a
subprocess: test_hardening_deploy.py."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.urls import reverse
from django.utils.cache import patch_cache_control

from therapia.core.security_headers import PERMISSIONS_POLICY, SecurityHeadersMiddleware
from therapia.core.testing import Personas

MIDDLEWARE = "therapia.core.security_headers.SecurityHeadersMiddleware"
DEVICE_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb", "display-capture")


def csp_directives(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def signed_in_pages(personas: Personas) -> list[str]:
    return [
        reverse("scheduling:agenda"),
        reverse("clients:list"),
        reverse("clients:overview", args=[personas.dana.public_id]),
        reverse("clients:edit", args=[personas.dana.public_id]),
        reverse("practice:people"),
        "/accounts/two-factor/backup-codes/",
    ]


def test_the_middleware_is_installed_after_security_middleware() -> None:
    """Add it to MIDDLEWARE in settings.py (see docs/security.md)."""
    assert MIDDLEWARE in settings.MIDDLEWARE, "SecurityHeadersMiddleware is not in MIDDLEWARE"
    position = settings.MIDDLEWARE.index(MIDDLEWARE)
    assert settings.MIDDLEWARE[position - 1] == "django.middleware.security.SecurityMiddleware"
    assert settings.MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") > position


def test_csp_allows_only_our_own_scripts(db: None, client: HttpClient) -> None:
    response = client.get("/accounts/sign-in/")
    header = response["Content-Security-Policy"]
    directives = csp_directives(header)
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header


def test_framing_sniffing_referrer_and_opener(db: None, client: HttpClient) -> None:
    response = client.get("/accounts/sign-in/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_device_features_are_denied(db: None, client: HttpClient) -> None:
    response = client.get("/accounts/sign-in/")
    policy = response["Permissions-Policy"]
    for feature in DEVICE_FEATURES:
        assert f"{feature}=()" in policy
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


def test_signed_in_pages_are_never_stored(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    for url in signed_in_pages(personas):
        response = http.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
        assert "private" in response["Cache-Control"], url
        for name in ("X-Frame-Options", "Content-Security-Policy", "Permissions-Policy"):
            assert name in response, (url, name)
    # HTMX fragments too
    partial = http.post(reverse("clients:list"), {"q": "Whit"}, HTTP_HX_REQUEST="true")
    assert "no-store" in partial["Cache-Control"]
    # and the 404 a signed-in user gets
    missing = http.get("/clients/00000000-0000-4000-8000-000000000000/")
    assert missing.status_code == 404
    assert "no-store" in missing["Cache-Control"]


def test_static_files_stay_cacheable(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    response = http.get("/static/css/therapia.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


# --- the middleware on its own -------------------------------------------------------------


class _User:
    is_authenticated = True


def _through(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    return SecurityHeadersMiddleware(lambda _: response)(request)


@pytest.mark.parametrize("signed_in", [True, False])
def test_middleware_unit(signed_in: bool) -> None:
    request = RequestFactory().get("/")
    request.user = _User() if signed_in else AnonymousUser()  # type: ignore[assignment]
    cacheable = HttpResponse("x")
    patch_cache_control(cacheable, public=True, max_age=3600)
    before = cacheable["Cache-Control"]
    response = _through(request, cacheable)
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    cache = response["Cache-Control"]
    if signed_in:
        assert "no-store" in cache
        assert "private" in cache
        assert "public" not in cache
    else:
        assert cache == before


def test_middleware_keeps_a_views_own_permissions_policy() -> None:
    request = RequestFactory().get("/")
    own = HttpResponse("x", headers={"Permissions-Policy": "camera=(self)"})
    assert _through(request, own)["Permissions-Policy"] == "camera=(self)"
