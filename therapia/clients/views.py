"""Client pages: the list with search, the overview, registering and editing a client."""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from therapia.clients import episode_policy, selectors, services
from therapia.clients.forms import (
    CareTeamForm,
    ClientForm,
    ClientSearchForm,
    ReferralForm,
    RelatedPersonForm,
    TransitionForm,
    WaitingTimesForm,
)
from therapia.clients.models import EpisodeStatus
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
    earlier = idempotency.earlier_result(request)
    if earlier:
        return redirect("clients:overview", public_id=earlier)
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                client = services.client_create(actor=request.actor, data=form.cleaned_data)
                idempotency.remember_submission(request, result_public_id=client.public_id)
        except idempotency.DuplicateSubmission:
            earlier = idempotency.earlier_result(request)
            return redirect("clients:overview", public_id=earlier)
        return redirect("clients:overview", public_id=client.public_id)
    status = 422 if form.errors else 200
    form_token = idempotency.form_token(request)
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


# --- Referrals, episodes, the waiting list, waiting times, the timeline (issue 4) -------

WAITING_PAGE = 50


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal beside the field it names; hidden or unknown fields on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, texts in error.message_dict.items():
        known = name in form.fields and not form.fields[name].widget.is_hidden
        form.add_error(name if known else None, texts)


def _uuid_or_none(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


@staff_view
@require_http_methods(["GET", "POST"])
def referral_create(request: AuthedRequest) -> HttpResponse:
    """A referral for someone new: the client's details and the referral on one form."""
    if not episode_policy.can_register_referral(request.actor):
        return render(request, "core/not_allowed.html", status=403)
    earlier = idempotency.earlier_result(request)
    if earlier:
        return redirect("clients:overview", public_id=earlier)
    form = ClientForm(request.POST or None)
    referral_form = ReferralForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and referral_form.is_valid():
        try:
            with transaction.atomic():
                client = services.client_create(actor=request.actor, data=form.cleaned_data)
                services.referral_register(actor=request.actor, client=client,
                                           **referral_form.cleaned_data)
                idempotency.remember_submission(request, result_public_id=client.public_id)
        except ValidationError as error:
            _add_errors(referral_form, error)
        except idempotency.DuplicateSubmission:
            earlier = idempotency.earlier_result(request)
            return redirect("clients:overview", public_id=earlier)
        else:
            messages.success(request, "Referral registered: the client is on the waiting list.")
            return redirect("clients:overview", public_id=client.public_id)
    status = 422 if form.errors or referral_form.errors else 200
    form_token = idempotency.form_token(request)
    return render(request, "clients/referral_form.html",
                  {"form": form, "referral_form": referral_form, "form_token": form_token,
                   "nav": "clients"}, status=status)


@staff_view
@require_http_methods(["GET", "POST"])
def referral_add(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    """A new referral for a client already registered (a first one, or after a discharge)."""
    client = selectors.client_get_for(actor=request.actor, public_id=public_id)
    if not episode_policy.can_register_referral(request.actor, client):
        return render(request, "core/not_allowed.html", status=403)
    if idempotency.earlier_result(request):
        return redirect("clients:overview", public_id=public_id)
    referral_form = ReferralForm(request.POST or None)
    if request.method == "POST" and referral_form.is_valid():
        try:
            with transaction.atomic():
                referral = services.referral_register(actor=request.actor, client=client,
                                                      **referral_form.cleaned_data)
                idempotency.remember_submission(request, result_public_id=referral.public_id)
        except ValidationError as error:
            _add_errors(referral_form, error)
        except idempotency.DuplicateSubmission:
            return redirect("clients:overview", public_id=public_id)
        else:
            messages.success(request, "Referral registered: the client is on the waiting list.")
            return redirect("clients:overview", public_id=public_id)
    status = 422 if referral_form.errors else 200
    form_token = idempotency.form_token(request)
    open_episode = client.episodes.exclude(status=EpisodeStatus.DISCHARGED).first()
    return render(request, "clients/referral_form.html",
                  {"referral_form": referral_form, "client": client, "form_token": form_token,
                   "open_episode": open_episode, "nav": "clients"}, status=status)


def _render_episode(request: AuthedRequest, public_id: uuid.UUID,
                    failed: TransitionForm | None = None) -> HttpResponse:
    page = selectors.episode_page_for(actor=request.actor, public_id=public_id)
    steps = [failed if failed is not None and failed.data.get("to") == step
             else TransitionForm(to=step) for step in page.next_steps]
    context = {"p": page, "episode": page.episode, "client": page.episode.client,
               "steps": steps, "failed": failed, "nav": "clients"}
    status = 422 if failed is not None else 200
    return render(request, "clients/episode.html", context, status=status)


@never_cache
@staff_view
def episode_detail(request: AuthedRequest, episode_id: uuid.UUID) -> HttpResponse:
    return _render_episode(request, episode_id)


@staff_view
@require_POST
def episode_move(request: AuthedRequest, episode_id: uuid.UUID) -> HttpResponse:
    """One step along EPISODE_TRANSITIONS: assessment, treatment or discharge."""
    episode = selectors.episode_for_change(actor=request.actor, public_id=episode_id)
    form = TransitionForm(request.POST, to=request.POST.get("to", ""))
    if form.is_valid():
        data = form.cleaned_data
        try:
            moved = services.episode_transition(actor=request.actor, episode=episode,
                                                to=data["to"], on=data["on"],
                                                reason=data["reason"] or None)
        except PermissionDenied:
            return render(request, "core/not_allowed.html", status=403)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Episode status: {moved.get_status_display()}.")
            return redirect("clients:episode", episode_id=episode_id)
    return _render_episode(request, episode_id, failed=form)


@never_cache
@staff_view
@require_GET
def timeline(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    """An episode's timeline (the latest, or ?episode=), filtered by kind, in pages. With
    HTMX a filter change swaps the list and "load more" appends one page."""
    chosen = _uuid_or_none(request.GET.get("episode"))
    append = request.htmx and request.GET.get("append") == "1"
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    page = selectors.timeline_for(actor=request.actor, client_public_id=public_id,
                                  episode_public_id=chosen, kinds=request.GET.getlist("kind"),
                                  page=number, from_start=not append)
    template = "clients/timeline.html"
    if append:
        template += "#more"
    elif request.htmx:
        template += "#events"
    query = [("kind", kind) for kind in page.chosen]
    if page.episode is not None:
        query.insert(0, ("episode", str(page.episode.public_id)))
    context = {"t": page, "client": page.client, "episode": page.episode, "nav": "clients",
               "append": append, "zone": request.actor.practice.time_zone,
               "filter_query": urlencode(query)}
    return render(request, template, context)


@staff_view
@require_GET
def waiting_list(request: AuthedRequest) -> HttpResponse:
    if not episode_policy.can_view_waiting_list(request.actor):
        raise Http404("No waiting list")
    entries = selectors.waiting_list_for(actor=request.actor)
    page = Paginator(entries, WAITING_PAGE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [(entry, selectors.weeks_and_days((today - entry.opened_on).days)) for entry in page]
    return render(request, "clients/waiting_list.html",
                  {"page": page, "rows": rows, "nav": "waiting",
                   "can_refer": episode_policy.can_register_referral(request.actor)})


@staff_view
@require_GET
def waiting_times(request: AuthedRequest) -> HttpResponse:
    today = timezone.localdate()
    default = {"start": today.replace(day=1) - dt.timedelta(days=365), "end": today}
    form = WaitingTimesForm(request.GET if "start" in request.GET else None, initial=default)
    report = None
    if form.is_bound and form.is_valid():
        report = selectors.waiting_times_for(actor=request.actor, **form.cleaned_data)
    elif not form.is_bound:
        report = selectors.waiting_times_for(actor=request.actor, **default)
    status = 422 if form.errors else 200
    return render(request, "clients/waiting_times.html",
                  {"form": form, "report": report, "nav": "waiting"}, status=status)
