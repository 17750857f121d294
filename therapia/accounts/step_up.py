"""Re-authentication before sensitive actions ("step-up", ASVS 5.0 7.5.3).

    @staff_view
    @requires_recent_auth(minutes=5)
    def break_glass(request): ...

A decorated view runs only if the user proved, within the last `minutes`, both their
password and a second factor (a current authenticator code or an unused backup code):
at /accounts/confirm/, or at the two-factor step of signing in. Otherwise:

- GET or HEAD: a redirect to /accounts/confirm/?next=<this page>; once confirmed, the user
  lands back here.
- Any other method (a form was submitted): nothing is done. A POST body cannot be replayed
  after a redirect without either keeping form data in the session or re-posting it from
  the browser (which CSRF protection is there to prevent), so the user is sent (303) to
  /accounts/confirm/ with a notice that nothing was changed, and from there back to the page
  the form was on (the Referer, when it is this site), to submit it again. Sensitive
  forms are best reached through a decorated GET, so that the prompt comes before the
  typing and the submission normally arrives within the window.
- HTMX requests get HX-Redirect to the same places, so the whole page changes, not a fragment.

The time of the last confirmation is kept in the session, which is rotated at each
confirmation and flushed at sign-out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from therapia.accounts import two_factor
from therapia.accounts.models import User
from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.core.ratelimit import Limit

View = TypeVar("View", bound=Callable[..., HttpResponse])

STEP_UP_AT = "step_up_at"
DEFAULT_MINUTES = 5
# Wrong confirmations within a signed-in session suggest someone else at the keyboard:
# past this limit the session is ended (views.confirm).
CONFIRM_LIMIT = Limit("step_up.user", rate=10, per=15 * 60)
NOT_DONE_MESSAGE = (
    "Nothing has been changed yet. Please confirm it is you, then submit the form again."
)
# Audit rows. There is no dedicated action yet: a confirmation is a sign-in event on the
# object "step_up" (sign-in itself uses "session"), refusals are the failed kinds.
OBJECT_TYPE = "step_up"
CONFIRMED = Action.SIGN_IN
WRONG_PASSWORD = Action.SIGN_IN_FAILED
WRONG_CODE = Action.TWO_FACTOR_FAILED


def record(request: HttpRequest) -> None:
    """The user has just given their password and a second factor."""
    request.session[STEP_UP_AT] = int(time.time())


def is_recent(request: HttpRequest, minutes: int = DEFAULT_MINUTES) -> bool:
    confirmed = request.session.get(STEP_UP_AT)
    if not isinstance(confirmed, int | float):
        return False
    age = time.time() - confirmed
    return 0 <= age <= minutes * 60


def _is_verified(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_verified", lambda: False)())


def _same_site_path(request: HttpRequest, url: str) -> str | None:
    """The path and query of `url` if it points at this site, else None."""
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def confirm_url(next_path: str) -> str:
    query = QueryDict(mutable=True)
    query["next"] = next_path
    return f"{reverse('accounts:confirm')}?{query.urlencode(safe='/')}"


def ask_to_confirm(request: HttpRequest) -> HttpResponse:
    """Send the user to the confirmation page, and from there back to where they were."""
    safe = request.method in ("GET", "HEAD")
    if safe and not request.headers.get("HX-Request"):
        back = request.get_full_path()
    else:
        came_from = request.headers.get("HX-Current-URL") or request.headers.get("referer", "")
        back = _same_site_path(request, came_from) or (
            request.get_full_path() if safe else reverse("core:home"))
    if not safe:
        messages.info(request, NOT_DONE_MESSAGE)
    url = confirm_url(back)
    if request.headers.get("HX-Request"):
        return HttpResponseClientRedirect(url)
    # 303: the browser follows a redirected POST with a GET
    return HttpResponseRedirect(url, status=302 if safe else 303)


def requires_recent_auth(
    minutes: int = DEFAULT_MINUTES, *, methods: Collection[str] | None = None
) -> Callable[[View], View]:
    """Password and second factor within the last `minutes`, or ask for them first.

    `methods`: only these HTTP methods need it (default: all).
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if methods is not None and request.method not in methods:
                return view(request, *args, **kwargs)
            if not request.user.is_authenticated:
                response = redirect_to_login(request.get_full_path())
                if request.headers.get("HX-Request"):
                    return HttpResponseClientRedirect(response["Location"])
                return response
            if not _is_verified(request):
                return redirect("accounts:two_factor")
            if is_recent(request, minutes):
                return view(request, *args, **kwargs)
            return ask_to_confirm(request)

        wrapper.requires_recent_auth_minutes = minutes  # type: ignore[attr-defined]
        return cast(View, wrapper)

    return decorator


def confirm(*, request: HttpRequest, user: User, password: str, code: str) -> bool:
    """Check the password, then the code; record and audit the outcome.

    The code is only tried after the right password, so a wrong password never uses up a
    backup code or counts against the authenticator's throttle.
    """
    actor = getattr(request, "actor", None)  # names the practice in the audit row
    if not user.check_password(password):
        outcome = WRONG_PASSWORD
    elif two_factor.verify_code(user, code).device is None:
        outcome = WRONG_CODE
    else:
        outcome = CONFIRMED
    audit_record(actor=actor, user=user, action=outcome, purpose=Purpose.SECURITY,
                 object_type=OBJECT_TYPE)
    if outcome != CONFIRMED:
        return False
    request.session.cycle_key()  # a new session id at every (re-)authentication (ASVS 7.2.4)
    record(request)
    return True
