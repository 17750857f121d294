"""Sign-in, two-factor verification and enrolment, sign-out, lock-out, password reset and
re-authentication before sensitive actions (step_up.py)."""

from __future__ import annotations

import time
from typing import Any

from axes.helpers import get_cool_off
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from therapia.accounts import step_up, two_factor
from therapia.accounts.forms import (
    CodeForm,
    ConfirmForm,
    EnrolCodeForm,
    NewPasswordForm,
    ResetRequestForm,
    SignInForm,
)
from therapia.accounts.middleware import LAST_SEEN, SIGNED_IN_AT
from therapia.accounts.models import User
from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.core import ratelimit
from therapia.core.ratelimit import Limit

NEW_BACKUP_CODES = "new_backup_codes"
LOCKOUT_RESPONSE = "therapia_lockout_response"
THROTTLED_MESSAGE = "Too many wrong codes in a row. Wait a minute, then try the newest code."
CONFIRM_ERROR = ("That password or code is not right. If you just used this code, "
                 "wait for the next one.")

# Rate limits (core/ratelimit.py), shared by all workers. They come on top of django-axes,
# which locks one e-mail at one address: these also stop one address trying many e-mails
# (password spraying), one signed-in user guessing codes, and floods of reset e-mails.
SIGN_IN_PER_ADDRESS = Limit("sign_in.address", rate=30, per=15 * 60)
TWO_FACTOR_PER_USER = Limit("two_factor.user", rate=10, per=15 * 60)
RESET_PER_ADDRESS = Limit("password_reset.address", rate=10, per=60 * 60)
RESET_PER_EMAIL = Limit("password_reset.email", rate=3, per=60 * 60)
RATE_LIMITED = "rate_limit"  # object_type of the audit row written when a limit is crossed


def _next_url(request: HttpRequest) -> str:
    """Where to go after signing in: only a path on this site, never another host."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _with_next(url_name: str, next_url: str) -> str:
    query = QueryDict(mutable=True)
    query["next"] = next_url
    return f"{reverse(url_name)}?{query.urlencode(safe='/')}"


def _signed_in_user(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def _is_verified(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_verified", lambda: False)())


def _account(email: str) -> User | None:
    return User.objects.filter(email=email).first() if email else None


def _refuse_if_over(
    request: HttpRequest, limit: Limit, key: str, *, action: Action,
    user: User | None = None, email: str = "",
) -> HttpResponse | None:
    """Count this attempt; a 429 page if it is over the limit, else None.

    The audit row names the account tried, if any. It is written once each time the limit
    is crossed, not for every refused request, so a flood cannot fill the audit trail.
    """
    decision = ratelimit.hit(limit, key)
    if decision.allowed:
        return None
    if decision.first_refusal:
        audit_record(actor=None, user=user or _account(email), action=action,
                     purpose=Purpose.SECURITY, object_type=RATE_LIMITED)
    return ratelimit.too_many_requests(request, decision)


def _second_factor_verified(request: HttpRequest, device: Any) -> None:
    """Mark the session verified with `device`, under a new session id and CSRF token.

    django_otp.login only stores the device in the session; the session id must change
    too when the session gains privileges (ASVS 5.0 7.2.4), as django's login() does for
    the password step.
    """
    otp_login(request, device)
    request.session.cycle_key()
    rotate_token(request)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
    next_url = _next_url(request)
    if request.method == "POST":
        refused = _refuse_if_over(
            request, SIGN_IN_PER_ADDRESS, ratelimit.address_key(request),
            action=Action.SIGN_IN_FAILED,
            email=str(request.POST.get("username", "")).strip().lower())
        if refused is not None:
            return refused
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["username"].lower()
        user = authenticate(request, username=email, password=form.cleaned_data["password"])
        if isinstance(user, User):
            with transaction.atomic():
                login(request, user)
                request.session[SIGNED_IN_AT] = request.session[LAST_SEEN] = int(time.time())
                audit_record(actor=None, user=user, action=Action.SIGN_IN,
                             purpose=Purpose.SECURITY, object_type="session")
            if two_factor.confirmed_totp(user) is None:
                return redirect("accounts:enrol")
            return redirect(_with_next("accounts:two_factor", next_url))
        if getattr(request, "axes_locked_out", False):
            return locked_out(request)
        # The row names the account tried, if there is one, so its owner can see the attempts.
        audit_record(actor=None, user=_account(email),
                     action=Action.SIGN_IN_FAILED, purpose=Purpose.SECURITY,
                     object_type="session")
        form.add_error(None, "That e-mail and password do not match an account.")
    context = {"form": form, "next": next_url, "actor": None}
    return render(request, "accounts/sign_in.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user = _signed_in_user(request)
    if user is None:
        return redirect("accounts:sign_in")
    next_url = _next_url(request)
    if _is_verified(request):
        return HttpResponseRedirect(next_url)
    if two_factor.confirmed_totp(user) is None:
        return redirect("accounts:enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        refused = _refuse_if_over(request, TWO_FACTOR_PER_USER, str(user.pk),
                                  action=Action.TWO_FACTOR_FAILED, user=user)
        if refused is not None:
            return refused
    if request.method == "POST" and form.is_valid():
        check = two_factor.verify_code(user, form.cleaned_data["code"])
        if check.device is not None:
            _second_factor_verified(request, check.device)
            # password and code just now: sensitive actions need no second prompt yet
            step_up.record(request)
            return HttpResponseRedirect(next_url)
        audit_record(actor=None, user=user, action=Action.TWO_FACTOR_FAILED,
                     purpose=Purpose.SECURITY, object_type="session")
        form.add_error("code", THROTTLED_MESSAGE if check.throttled else
                       "That code is not right or has expired. Try the newest code.")
    # actor=None: no main navigation until the second factor is in.
    context = {"form": form, "next": next_url, "actor": None}
    return render(request, "accounts/two_factor.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in: set up an authenticator app, then see the backup codes once."""
    user = _signed_in_user(request)
    if user is None:
        return redirect("accounts:sign_in")
    if two_factor.confirmed_totp(user) is not None:
        return redirect("accounts:two_factor")
    device = two_factor.pending_totp(user)
    form = EnrolCodeForm(request.POST or None)
    if request.method == "POST":
        refused = _refuse_if_over(request, TWO_FACTOR_PER_USER, str(user.pk),
                                  action=Action.TWO_FACTOR_FAILED, user=user)
        if refused is not None:
            return refused
    if request.method == "POST" and form.is_valid():
        codes = two_factor.totp_confirm(device=device, code=form.cleaned_data["code"])
        if codes is not None:
            _second_factor_verified(request, device)
            request.session[NEW_BACKUP_CODES] = codes
            return redirect("accounts:backup_codes")
        form.add_error("code", "That code is not right. Check the time on your phone, "
                               "then enter the newest code.")
    context: dict[str, Any] = {
        "form": form,
        "qr": two_factor.qr_svg(device),
        "secret": two_factor.base32_secret(device),
        "actor": None,
    }
    return render(request, "accounts/enrol.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def backup_codes(request: HttpRequest) -> HttpResponse:
    """Shows new backup codes once; POST makes a fresh set (the old ones stop working).

    A fresh set is a new way to pass the second factor, so it needs a recent password and
    code (step-up): a borrowed session cannot mint itself a lasting way in."""
    user = _signed_in_user(request)
    if user is None:
        return redirect("accounts:sign_in")
    if not _is_verified(request):
        return redirect("accounts:two_factor")
    if request.method == "POST":
        if not step_up.is_recent(request):
            return step_up.ask_to_confirm(request)
        request.session[NEW_BACKUP_CODES] = two_factor.backup_codes_regenerate(user=user)
        return redirect("accounts:backup_codes")
    codes = request.session.pop(NEW_BACKUP_CODES, None)
    return render(request, "accounts/backup_codes.html", {"codes": codes})


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    """Password and second factor again, before a sensitive action (step_up.py)."""
    user = _signed_in_user(request)
    if user is None:
        return redirect("accounts:sign_in")
    next_url = _next_url(request)
    if not _is_verified(request):
        return redirect(_with_next("accounts:two_factor", next_url))
    form = ConfirmForm(request.POST or None)
    if request.method == "POST":
        decision = ratelimit.hit(step_up.CONFIRM_LIMIT, str(user.pk))
        if not decision.allowed:
            # Many wrong confirmations in a signed-in session: perhaps not its owner at
            # the keyboard. End the session; the owner can sign in again.
            audit_record(actor=getattr(request, "actor", None), user=user,
                         action=Action.SIGN_IN_FAILED, purpose=Purpose.SECURITY,
                         object_type=RATE_LIMITED)
            logout(request)
            return ratelimit.too_many_requests(request, decision)
        if form.is_valid():
            if step_up.confirm(request=request, user=user, password=form.cleaned_data["password"],
                               code=form.cleaned_data["code"]):
                return HttpResponseRedirect(next_url)
            form.add_error(None, CONFIRM_ERROR)
    context = {"form": form, "next": next_url, "email": user.email}
    return render(request, "accounts/confirm.html", context)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    user = _signed_in_user(request)
    if user is not None:
        audit_record(actor=None, user=user, action=Action.SIGN_OUT,
                     purpose=Purpose.SECURITY, object_type="session")
    logout(request)
    messages.info(request, "You have signed out.")
    return redirect(settings.LOGOUT_REDIRECT_URL)


def locked_out(
    request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: too many failed sign-ins from this address for this e-mail.

    Called by the sign-in view and again by AxesMiddleware for the same request; the
    second call returns the first response, so there is one audit row per attempt.
    """
    earlier: HttpResponse | None = getattr(request, LOCKOUT_RESPONSE, None)
    if earlier is not None:
        return earlier
    email = str(request.POST.get("username", "")).strip().lower()
    audit_record(actor=None, user=_account(email),
                 action=Action.SIGN_IN_FAILED, purpose=Purpose.SECURITY, object_type="lockout")
    cool_off = get_cool_off(request)
    minutes = round(cool_off.total_seconds() / 60) if cool_off else None
    result = render(request, "accounts/locked_out.html", {"minutes": minutes, "actor": None},
                    status=429)
    setattr(request, LOCKOUT_RESPONSE, result)
    return result


class PasswordResetView(auth_views.PasswordResetView):
    """Sends the link to an account's e-mail; an unknown e-mail gets the same page and no
    message. The link is built from SITE_URL, never from the request's Host header."""

    form_class = ResetRequestForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_sent")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = _refuse_if_over(request, RESET_PER_ADDRESS, ratelimit.address_key(request),
                                  action=Action.DENIED)
        return refused or super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        email = str(form.cleaned_data["email"]).strip().lower()
        refused = _refuse_if_over(self.request, RESET_PER_EMAIL, email, action=Action.DENIED,
                                  email=email)
        if refused is not None:
            return refused
        self.extra_email_context = {"site_url": str(settings.SITE_URL).rstrip("/")}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Sets the new password, audits it and lifts any sign-in lock-out for the account.

    The second factor is still asked for at the next sign-in."""

    form_class = NewPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            user = form.user
            audit_record(actor=None, user=user, action=Action.UPDATE, purpose=Purpose.SECURITY,
                         object_type="password")
        axes_reset(username=user.email)
        return response
