"""Client pages: the list with search, the overview, registering and editing a client."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from therapia.clients import selectors, services
from therapia.clients.forms import CareTeamForm, ClientForm, ClientSearchForm, RelatedPersonForm
from therapia.core import idempotency
from therapia.core.decorators import staff_view
from therapia.core.http import AuthedRequest
from therapia.security import policy

PAGE_SIZE = 25


@staff_view
@require_http_methods(["GET", "POST"])
def client_list(request: AuthedRequest) -> HttpResponse:
    # Search terms are names: they travel in the POST body, never in the URL (house rule 10).
    form = ClientSearchForm(request.POST or None)
    search = form.cleaned_data["q"] if form.is_valid() else ""
    clients = selectors.client_list_for(actor=request.actor, search=search)
    number = request.POST.get("page") or request.GET.get("page")
    page = Paginator(clients, PAGE_SIZE).get_page(number)
    template = "clients/client_list.html"
    if request.htmx:
        template += "#results"
    context = {"form": form, "page": page, "search": search, "nav": "clients",
               "can_create": policy.can_create_client(request.actor)}
    return render(request, template, context)


@staff_view
def client_overview(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    overview = selectors.client_overview_for(actor=request.actor, public_id=public_id)
    access_report = policy.can_view_access_report(request.actor, overview.client)
    return render(request, "clients/client_overview.html",
                  {"o": overview, "client": overview.client, "nav": "clients",
                   "access_report": access_report})


@staff_view
@require_http_methods(["GET", "POST"])
def client_create(request: AuthedRequest) -> HttpResponse:
    if not policy.can_create_client(request.actor):
        return render(request, "core/not_allowed.html", status=403)
    token = idempotency.parse_token(request.POST.get("form_token"))
    earlier = idempotency.previous_result(token=token, user_id=request.user.pk)
    if earlier:
        return redirect("clients:overview", public_id=earlier)
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                client = services.client_create(actor=request.actor, data=form.cleaned_data)
                idempotency.remember(token=token, user_id=request.user.pk,
                                     result_public_id=client.public_id)
        except idempotency.DuplicateSubmission:
            earlier = idempotency.previous_result(token=token, user_id=request.user.pk)
            return redirect("clients:overview", public_id=earlier)
        return redirect("clients:overview", public_id=client.public_id)
    status = 422 if form.errors else 200
    form_token = request.POST.get("form_token") or idempotency.new_token()
    return render(request, "clients/client_form.html",
                  {"form": form, "form_token": form_token, "nav": "clients"}, status=status)


@staff_view
@require_http_methods(["GET", "POST"])
def client_edit(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    client = selectors.client_get_for(actor=request.actor, public_id=public_id)
    version = request.POST.get("version") or client.version
    form = ClientForm(request.POST or None, instance=client)
    if request.method == "POST" and form.is_valid():
        try:
            services.client_update(actor=request.actor, client=client, data=form.cleaned_data,
                                   seen_version=version)
        except services.EditConflict:
            form.add_error(None, "Someone else changed this client's details while you were "
                           "editing. Your changes are below: check them against the current "
                           "record, then save again.")
            version = selectors.client_get_for(actor=request.actor, public_id=public_id).version
        else:
            return redirect("clients:overview", public_id=public_id)
    status = 422 if form.errors else 200
    return render(request, "clients/client_form.html",
                  {"form": form, "client": client, "version": version, "nav": "clients"},
                  status=status)


@staff_view
@require_http_methods(["GET", "POST"])
def related_person_add(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    client = selectors.client_get_for(actor=request.actor, public_id=public_id)
    form = RelatedPersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        services.related_person_add(actor=request.actor, client=client, data=data)
        return redirect("clients:overview", public_id=public_id)
    status = 422 if form.errors else 200
    return render(request, "clients/related_person_form.html",
                  {"form": form, "client": client, "nav": "clients"}, status=status)


@staff_view
@require_http_methods(["GET", "POST"])
def care_team(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    client = selectors.client_get_for(actor=request.actor, public_id=public_id)
    can_manage = policy.can_manage_care_team(request.actor, client)
    form = CareTeamForm(request.POST or None, practice=request.actor.practice)
    if request.method == "POST":
        if not can_manage:
            return render(request, "core/not_allowed.html", status=403)
        if form.is_valid():
            try:
                services.care_team_assign(actor=request.actor, client=client,
                                          membership=form.cleaned_data["membership"],
                                          role=form.cleaned_data["role"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("clients:care_team", public_id=public_id)
    members = client.care_team.filter(ended_on__isnull=True).select_related("membership__user")
    status = 422 if form.errors else 200
    context = {"client": client, "members": members, "form": form, "can_manage": can_manage,
               "nav": "clients"}
    return render(request, "clients/care_team.html", context, status=status)


@staff_view
@require_POST
def care_team_end(request: AuthedRequest, public_id: uuid.UUID, member_id: uuid.UUID
                  ) -> HttpResponse:
    client = selectors.client_get_for(actor=request.actor, public_id=public_id)
    member = get_object_or_404(client.care_team, public_id=member_id, ended_on__isnull=True)
    if not policy.can_manage_care_team(request.actor, client):
        return render(request, "core/not_allowed.html", status=403)
    services.care_team_end(actor=request.actor, member=member)
    return redirect("clients:care_team", public_id=public_id)
