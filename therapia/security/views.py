"""Emergency access (break the glass), the privacy officer's review queue, and clients'
consent directives. Never cached (no-store)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from therapia.accounts.models import Membership
from therapia.accounts.step_up import requires_recent_auth
from therapia.audit.models import Purpose
from therapia.clients.models import Client
from therapia.clients.selectors import client_get_for
from therapia.core.decorators import staff_view
from therapia.core.http import AuthedRequest
from therapia.security import consent_directives, emergency_access, guardianship, minors, policy
from therapia.security.forms import (
    CapacityForm,
    DirectiveForm,
    EmergencyAccessForm,
    ReviewForm,
)

NO_MATCH = "No client of this practice has exactly that name and date of birth."


def _posted(request: AuthedRequest) -> QueryDict | None:
    """The submitted data, even when empty (an empty form is still a submission)."""
    return request.POST if request.method == "POST" else None


def _identified_client(request: AuthedRequest, public_id: uuid.UUID | None) -> Client | None:
    """From the client's page (a care-team member whom a directive blocks in part)."""
    if public_id is None:
        return None
    return client_get_for(actor=request.actor, public_id=public_id, purpose=Purpose.EMERGENCY)


@never_cache
@staff_view
@requires_recent_auth(minutes=5)
@require_http_methods(["GET", "POST"])
def emergency_access_page(request: AuthedRequest,
                          public_id: uuid.UUID | None = None) -> HttpResponse:
    if not policy.can_break_glass(request.actor):
        raise Http404("Not available")
    known = _identified_client(request, public_id)
    form = EmergencyAccessForm(_posted(request), identified=known is not None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        client = known or emergency_access.client_by_identity(
            request.actor, given=data["legal_given_name"], family=data["legal_family_name"],
            born=data["date_of_birth"])
        if client is None:
            form.add_error(None, NO_MATCH)
        else:
            try:
                grants = emergency_access.emergency_access_request(
                    actor=request.actor, client=client, reason_code=data["reason_code"],
                    reason_text=data["reason_text"])
            except ValidationError as error:
                for name, problems in error.message_dict.items():
                    form.add_error(name, problems)
            except PermissionDenied as error:
                raise Http404("Not available") from error
            else:
                emergency_access.remember(request.session, grants)
                if grants:
                    messages.warning(request, "Emergency access is on for this client. It ends "
                                     "in a few hours and the privacy officer will review it.")
                else:
                    messages.info(request, "You can already see this client's record.")
                return redirect("clients:overview", public_id=client.public_id)
    status = 422 if form.errors else 200
    return render(request, "security/emergency_access.html",
                  {"form": form, "client": known, "nav": "clients"}, status=status)


@never_cache
@staff_view
@require_GET
def reviews(request: AuthedRequest) -> HttpResponse:
    if not policy.is_privacy_officer(request.actor):
        raise Http404("Not available")
    pending = emergency_access.unreviewed_for(request.actor)
    return render(request, "security/reviews.html", {"pending": pending, "nav": "privacy"})


@never_cache
@staff_view
@require_http_methods(["GET", "POST"])
def review(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    override = emergency_access.override_get_for_review(request.actor, public_id)
    if override is None:
        raise Http404("No such review item")
    form = ReviewForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            emergency_access.override_review(actor=request.actor, override=override,
                                             verdict=form.cleaned_data["verdict"],
                                             note=form.cleaned_data["note"])
        except ValidationError as error:
            form.add_error("verdict", error.message_dict.get("verdict", error.messages))
        else:
            messages.success(request, "Review recorded.")
            return redirect("security:reviews")
    reason = emergency_access.reason_for_reviewer(actor=request.actor, override=override)
    status = 422 if form.errors else 200
    return render(request, "security/review.html",
                  {"override": override, "reason": reason, "form": form, "nav": "privacy"},
                  status=status)


@never_cache
@staff_view
@require_http_methods(["GET", "POST"])
def directives(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    client = client_get_for(actor=request.actor, public_id=public_id, fields=())
    if not policy.can_manage_directives(request.actor, client):
        raise Http404("No such client")
    members = Membership.objects.filter(practice=client.practice, is_active=True
                                        ).select_related("user")
    form = DirectiveForm(_posted(request), members=members)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            consent_directives.directive_record(
                actor=request.actor, client=client, category=data["category"],
                blocked_membership=data["blocked_membership"], blocked_role=data["blocked_role"],
                starts_on=data["starts_on"], ends_on=data["ends_on"])
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                form.add_error(name if name in form.fields else None, problems)
        else:
            messages.success(request, "The client's instruction is recorded and in force.")
            return redirect("security:directives", public_id=client.public_id)
    context = {"client": client, "form": form, "nav": "clients",
               "directives": consent_directives.directives_page(request.actor, client)}
    return render(request, "security/directives.html", context, status=422 if form.errors else 200)


@staff_view
@require_POST
def directive_revoke(request: AuthedRequest, public_id: uuid.UUID,
                     directive_id: uuid.UUID) -> HttpResponse:
    client = client_get_for(actor=request.actor, public_id=public_id, fields=())
    directive = consent_directives.directives_for(request.actor, client).filter(
        public_id=directive_id).first()
    if directive is None:
        raise Http404("No such instruction")
    try:
        consent_directives.directive_revoke(actor=request.actor, directive=directive)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The instruction is withdrawn.")
    return redirect("security:directives", public_id=client.public_id)


@never_cache
@staff_view
@require_http_methods(["GET", "POST"])
def guardians(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    """What each guardian may see now, when that changes, and the minor's capacity."""
    client = client_get_for(actor=request.actor, public_id=public_id, fields=())
    try:
        rows = minors.guardians_page(request.actor, client)
    except PermissionDenied as error:
        raise Http404("No such client") from error
    form = CapacityForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            minors.capacity_record(actor=request.actor, client=client,
                                   has_capacity=form.cleaned_data["has_capacity"],
                                   determined_on=form.cleaned_data["determined_on"])
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                form.add_error(name, problems)
        except PermissionDenied as error:
            raise Http404("No such client") from error
        else:
            messages.success(request, "Capacity determination recorded.")
            return redirect("security:guardians", public_id=client.public_id)
    law = guardianship.law_for(client.practice.jurisdiction)
    context = {"client": client, "rows": rows, "form": form, "law": law, "nav": "clients"}
    return render(request, "security/guardians.html", context, status=422 if form.errors else 200)
