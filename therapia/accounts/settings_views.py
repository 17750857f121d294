"""Practice settings: the people of the practice, their roles, licences and continuing education.

Every member sees the people page and practitioner pages (read-only). The owner changes roles
and memberships; the owner and the practitioner themselves edit licences and CE. Anyone else
gets a 404 from those URLs, as if they did not exist (house rule 3).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from therapia.accounts import selectors, services
from therapia.accounts.models import PractitionerProfile, Role
from therapia.accounts.practice_forms import (
    ActiveForm,
    ContinuingEducationForm,
    LicenceForm,
    ProfileForm,
    RoleForm,
)
from therapia.accounts.step_up import requires_recent_auth
from therapia.core.decorators import staff_view
from therapia.core.http import AuthedRequest
from therapia.security import policy

PEOPLE = "accounts/settings/people.html"
NAV = "settings"


def owner_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Pages only the practice owner may see: a 404 for everyone else."""

    @wraps(view)
    def wrapper(request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not policy.can_manage_practice(request.actor):
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return wrapper


def _today(request: AuthedRequest) -> dt.date:
    return selectors.practice_today(request.actor.practice)


@staff_view
def people(request: AuthedRequest) -> HttpResponse:
    rows = selectors.people_for(actor=request.actor, today=_today(request))
    return render(request, PEOPLE, {"rows": rows, "roles": Role.choices, "nav": NAV,
                                    "can_manage": policy.can_manage_practice(request.actor)})


@staff_view
def person(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    page = selectors.person_page_for(actor=request.actor, public_id=public_id,
                                     today=_today(request))
    can_edit_profile = policy.can_edit_profile(request.actor, page.membership)
    return render(request, "accounts/settings/person.html",
                  {"page": page, "m": page.membership, "nav": NAV,
                   "can_edit_profile": can_edit_profile})


def _row(request: AuthedRequest, public_id: uuid.UUID, status: int = 200,
         **errors: Any) -> HttpResponse:
    """One member's row of the people page, for HTMX to swap in place."""
    row = selectors.person_row_for(actor=request.actor, public_id=public_id,
                                   today=_today(request))
    context = {"row": row, "roles": Role.choices, "can_manage": True, **errors}
    return render(request, f"{PEOPLE}#row", context, status=status)


@staff_view
@owner_only
@requires_recent_auth(minutes=5)
@require_http_methods(["GET", "POST"])
def member_role(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    membership = selectors.membership_get_for(actor=request.actor, public_id=public_id)
    form = RoleForm(request.POST or None, initial={"role": membership.role})
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.membership_change_role(
                actor=request.actor, membership=membership, role=form.cleaned_data["role"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if request.htmx:
                return _row(request, public_id)
            messages.success(request, f"{changed.user}'s role is now "
                                      f"{changed.get_role_display()}.")
            return redirect("practice:people")
    status = 422 if form.errors else 200
    if request.htmx:
        return _row(request, public_id, status, role_errors=form.errors.get("role"))
    return render(request, "accounts/settings/role_form.html",
                  {"form": form, "membership": membership, "nav": NAV}, status=status)


@staff_view
@owner_only
@requires_recent_auth(minutes=5)
@require_http_methods(["GET", "POST"])
def member_active(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    membership = selectors.membership_get_for(actor=request.actor, public_id=public_id)
    form = ActiveForm(request.POST or None, initial={"is_active": not membership.is_active})
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.membership_set_active(
                actor=request.actor, membership=membership,
                is_active=form.cleaned_data["is_active"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if request.htmx:
                return _row(request, public_id)
            state = "active again" if changed.is_active else "deactivated"
            messages.success(request, f"{changed.user}'s membership is {state}.")
            return redirect("practice:people")
    status = 422 if form.errors else 200
    if request.htmx:
        return _row(request, public_id, status, active_errors=form.errors.get("is_active"))
    return render(request, "accounts/settings/member_active.html",
                  {"form": form, "membership": membership, "nav": NAV}, status=status)


@staff_view
@require_http_methods(["GET", "POST"])
def licence_add(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    practitioner = selectors.practitioner_for_editing(actor=request.actor, public_id=public_id)
    form = LicenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.licence_create(actor=request.actor, practitioner=practitioner,
                                    data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Licence added.")
            return redirect("practice:person", public_id=public_id)
    return render(request, "accounts/settings/licence_form.html",
                  {"form": form, "person": practitioner.user, "back": public_id, "nav": NAV},
                  status=422 if form.errors else 200)


@staff_view
@require_http_methods(["GET", "POST"])
def licence_edit(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    licence = selectors.licence_get_for(actor=request.actor, public_id=public_id)
    back = selectors.membership_for_user(actor=request.actor, user_id=licence.practitioner.user_id)
    form = LicenceForm(request.POST or None, instance=licence)
    if request.method == "POST" and form.is_valid():
        try:
            services.licence_update(actor=request.actor, licence=licence, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Licence saved.")
            return redirect("practice:person", public_id=back.public_id)
    return render(request, "accounts/settings/licence_form.html",
                  {"form": form, "person": licence.practitioner.user, "back": back.public_id,
                   "editing": True, "nav": NAV},
                  status=422 if form.errors else 200)


@staff_view
@require_http_methods(["GET", "POST"])
def ce_add(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    practitioner = selectors.practitioner_for_editing(actor=request.actor, public_id=public_id)
    form = ContinuingEducationForm(request.POST or None, today=_today(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.ce_entry_create(actor=request.actor, practitioner=practitioner,
                                     data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Continuing-education entry added.")
            return redirect("practice:person", public_id=public_id)
    return render(request, "accounts/settings/ce_form.html",
                  {"form": form, "person": practitioner.user, "back": public_id, "nav": NAV},
                  status=422 if form.errors else 200)


@staff_view
@require_http_methods(["GET", "POST"])
def ce_edit(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    entry = selectors.ce_entry_get_for(actor=request.actor, public_id=public_id)
    back = selectors.membership_for_user(actor=request.actor, user_id=entry.practitioner.user_id)
    form = ContinuingEducationForm(request.POST or None, instance=entry, today=_today(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.ce_entry_update(actor=request.actor, entry=entry, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Continuing-education entry saved.")
            return redirect("practice:person", public_id=back.public_id)
    return render(request, "accounts/settings/ce_form.html",
                  {"form": form, "person": entry.practitioner.user, "back": back.public_id,
                   "editing": True, "nav": NAV},
                  status=422 if form.errors else 200)


@staff_view
@require_http_methods(["GET", "POST"])
def profile_edit(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    """Profession and credentials: the member themselves, or the owner."""
    membership = selectors.membership_get_for(actor=request.actor, public_id=public_id,
                                              members=True)
    if not policy.can_edit_profile(request.actor, membership):
        raise Http404("No such page")
    current = PractitionerProfile.objects.filter(user=membership.user).first()
    form = ProfileForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.practitioner_profile_save(actor=request.actor, membership=membership,
                                           data=form.cleaned_data)
        messages.success(request, "Profile saved.")
        return redirect("practice:person", public_id=public_id)
    return render(request, "accounts/settings/profile_form.html",
                  {"form": form, "person": membership.user, "back": public_id, "nav": NAV},
                  status=422 if form.errors else 200)
