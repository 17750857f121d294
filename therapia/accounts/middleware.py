"""Session lifetime and two-factor enforcement for everyone who signs in."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

SIGNED_IN_AT = "signed_in_at"
LAST_SEEN = "last_seen"
# Pages a signed-in but not yet verified user may reach.
OPEN_PREFIXES = ("/accounts/", "/static/")
TIMED_OUT_MESSAGE = (
    "You were signed out after a period without activity, to protect client information. "
    "Please sign in again."
)


def _redirect(request: HttpRequest, url_name: str) -> HttpResponse:
    """A redirect that HTMX follows as a whole page; plain GETs come back to where they were."""
    url = reverse(url_name)
    if request.headers.get("HX-Request"):
        return HttpResponseClientRedirect(url)
    if request.method == "GET":
        query = QueryDict(mutable=True)
        query["next"] = request.get_full_path()
        url = f"{url}?{query.urlencode(safe='/')}"
    return HttpResponseRedirect(url)


def _is_expired(request: HttpRequest, now: float) -> bool:
    """Idle too long, or signed in too long ago, whichever comes first."""
    started = request.session.get(SIGNED_IN_AT)
    last_seen = request.session.get(LAST_SEEN)
    if not isinstance(started, int | float) or not isinstance(last_seen, int | float):
        return True  # a session without timestamps was not made by our sign-in
    idle_limit = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
    lifetime = settings.SESSION_MAX_AGE_HOURS * 3600
    return bool(now - last_seen > idle_limit or now - started > lifetime)


class SessionTimeoutMiddleware:
    """Signs out after an idle period and after an absolute lifetime, whichever comes first.

    Both come from settings (SESSION_IDLE_TIMEOUT_MINUTES, SESSION_MAX_AGE_HOURS), read on
    every request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.get_response(request)
        now = time.time()
        if _is_expired(request, now):
            logout(request)
            response = _redirect(request, "accounts:sign_in")
            # This runs before MessageMiddleware, so store the notice ourselves.
            storage = default_storage(request)
            storage.add(messages.INFO, TIMED_OUT_MESSAGE)
            storage.update(response)
            return response
        request.session[LAST_SEEN] = int(now)
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """Nothing beyond the sign-in pages until the second factor is verified."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        verified = user.is_authenticated and getattr(user, "is_verified", lambda: False)()
        if user.is_authenticated and not verified and not request.path.startswith(OPEN_PREFIXES):
            return _redirect(request, "accounts:two_factor")
        return self.get_response(request)
