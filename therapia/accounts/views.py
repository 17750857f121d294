"""Sign-in, two-factor verification and enrolment, sign-out."""

from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from therapia.accounts import two_factor
from therapia.accounts.forms import CodeForm, SignInForm
from therapia.accounts.middleware import LAST_SEEN, SIGNED_IN_AT
from therapia.accounts.models import User
from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record

NEW_BACKUP_CODES = "new_backup_codes"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "/"


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
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
            return redirect(f"{_two_factor_url()}?next={_next_url(request)}")
        if getattr(request, "axes_locked_out", False):
            return locked_out(request)
        audit_record(actor=None, action=Action.SIGN_IN_FAILED, purpose=Purpose.SECURITY,
                     object_type="session")
        form.add_error(None, "That e-mail and password do not match an account.")
    return render(request, "accounts/sign_in.html", {"form": form, "next": _next_url(request)})


def _two_factor_url() -> str:
    from django.urls import reverse

    return reverse("accounts:two_factor")


@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:sign_in")
    user = request.user
    assert isinstance(user, User)
    if two_factor.confirmed_totp(user) is None:
        return redirect("accounts:enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.verify_code(user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        audit_record(actor=None, user=user, action=Action.TWO_FACTOR_FAILED,
                     purpose=Purpose.SECURITY, object_type="session")
        form.add_error("code", "That code is not right or has expired. Try the newest code.")
    return render(request, "accounts/two_factor.html", {"form": form, "next": _next_url(request)})


@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in: set up an authenticator app, then see the backup codes once."""
    if not request.user.is_authenticated:
        return redirect("accounts:sign_in")
    user = request.user
    assert isinstance(user, User)
    if two_factor.confirmed_totp(user) is not None:
        return redirect("accounts:two_factor")
    device = two_factor.pending_totp(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.totp_confirm(device=device, code=form.cleaned_data["code"])
        if codes is not None:
            otp_login(request, device)
            request.session[NEW_BACKUP_CODES] = codes
            return redirect("accounts:backup_codes")
        form.add_error("code", "That code is not right. Check the time on your phone and retry.")
    context: dict[str, Any] = {
        "form": form,
        "qr": two_factor.qr_svg(device),
        "secret": two_factor.base32_secret(device),
    }
    return render(request, "accounts/enrol.html", context)


@require_http_methods(["GET", "POST"])
def backup_codes(request: HttpRequest) -> HttpResponse:
    """Shows new backup codes once; POST makes a fresh set (the old ones stop working)."""
    if not request.user.is_authenticated or not request.user.is_verified():  # type: ignore[union-attr]
        return redirect("accounts:sign_in")
    user = request.user
    assert isinstance(user, User)
    if request.method == "POST":
        request.session[NEW_BACKUP_CODES] = two_factor.backup_codes_regenerate(user=user)
        return redirect("accounts:backup_codes")
    codes = request.session.pop(NEW_BACKUP_CODES, None)
    return render(request, "accounts/backup_codes.html", {"codes": codes})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit_record(actor=None, user=request.user, action=Action.SIGN_OUT,  # type: ignore[arg-type]
                     purpose=Purpose.SECURITY, object_type="session")
    logout(request)
    messages.info(request, "You have signed out.")
    return redirect("accounts:sign_in")


def locked_out(
    request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    audit_record(actor=None, action=Action.SIGN_IN_FAILED, purpose=Purpose.SECURITY,
                 object_type="lockout")
    return render(request, "accounts/locked_out.html", status=429)
