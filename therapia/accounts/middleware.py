"""Session lifetime and two-factor enforcement for everyone who signs in."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

SIGNED_IN_AT = "signed_in_at"
LAST_SEEN = "last_seen"
# Pages a signed-in but not yet verified user may reach.
OPEN_PREFIXES = ("/accounts/", "/static/")


def redirect_to_sign_in(request: HttpRequest) -> HttpResponse:
    url = reverse("accounts:sign_in")
    if request.headers.get("HX-Request"):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


class SessionTimeoutMiddleware:
    """Signs out after an idle period and after an absolute lifetime, whichever comes first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and self._expired(request):
            logout(request)
            messages.info(request, "You were signed out to protect client information. "
                          "Please sign in again.")
            return redirect_to_sign_in(request)
        if request.user.is_authenticated:
            request.session[LAST_SEEN] = int(time.time())
        return self.get_response(request)

    @staticmethod
    def _expired(request: HttpRequest) -> bool:
        now = time.time()
        started = request.session.get(SIGNED_IN_AT, now)
        last_seen = request.session.get(LAST_SEEN, now)
        idle = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
        lifetime = settings.SESSION_MAX_AGE_HOURS * 3600
        return now - last_seen > idle or now - started > lifetime


class TwoFactorRequiredMiddleware:
    """Nothing beyond the sign-in pages until the second factor is verified."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not user.is_verified():  # type: ignore[union-attr]
            if not request.path.startswith(OPEN_PREFIXES):
                url = reverse("accounts:two_factor")
                if request.headers.get("HX-Request"):
                    return HttpResponseClientRedirect(url)
                return HttpResponseRedirect(url)
        return self.get_response(request)
