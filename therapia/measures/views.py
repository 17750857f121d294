"""Clinicians' measures pages: a client's questionnaires (send one, enter a paper form),
one questionnaire's answers, the episode's measurement plan, and risk alerts."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from therapia.core import idempotency
from therapia.core.decorators import staff_view
from therapia.core.http import AuthedRequest
from therapia.measures import administrations, alerts, library, plans, selectors
from therapia.measures.forms import AcknowledgeForm, PlanForm, SendForm, item_views
from therapia.measures.models import Administration, AdministrationStatus, Occasion
from therapia.security.crypto import key_cache


def _errors_of(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {key: [str(m) for e in value for m in e.messages]
                for key, value in error.error_dict.items()}
    return {"__all__": error.messages}


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    for field, messages in _errors_of(error).items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


@staff_view
@require_http_methods(["GET", "POST"])
def questionnaires(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    """A client's questionnaires, and giving a new one."""
    page = selectors.questionnaires_page_for(actor=request.actor, public_id=public_id)
    instruments = administrations.available_instruments(request.actor.practice.pk)
    form = SendForm(request.POST or None, instruments=instruments)
    new_link = ""
    if request.method == "POST":
        if not page.can_administer:
            return render(request, "core/not_allowed.html", status=403)
        token = idempotency.submitted_token(request)
        earlier = idempotency.earlier_result(request)
        if earlier:
            return redirect("measures:administration", public_id=earlier)
        if form.is_valid() and form.cleaned_data["delivery"] == "paper":
            url = reverse("measures:paper_entry", args=[public_id])
            return redirect(f"{url}?instrument={form.cleaned_data['instrument']}")
        if form.is_valid():
            try:
                new_link = _send(request, page, form.cleaned_data, token)
            except idempotency.DuplicateSubmission:
                earlier = idempotency.earlier_result(request)
                return redirect("measures:administration", public_id=earlier)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                page = selectors.questionnaires_page_for(actor=request.actor,
                                                         public_id=public_id)
                form = SendForm(instruments=instruments)
    return render(request, "measures/questionnaires.html",
                  {"page": page, "client": page.client, "form": form, "nav": "clients",
                   "new_link": new_link, "form_token": idempotency.new_token(),
                   "sent": request.method == "POST" and not form.errors},
                  status=422 if form.errors else 200)


@transaction.atomic
def _send(request: AuthedRequest, page: selectors.QuestionnairesPage, data: dict[str, Any],
          token: uuid.UUID | None) -> str:
    """Create the administration with a link; e-mail it, or return it to show once."""
    if page.episode is None:
        raise ValidationError("The client has no episode of care: open one first.")
    issued = administrations.administration_create(
        actor=request.actor, episode=page.episode, instrument=data["instrument"],
        with_link=True)
    idempotency.remember_submission(request, result_public_id=issued.administration.public_id)
    assert issued.token is not None and issued.administration.expires_at  # noqa: S101
    if data["delivery"] == "link":
        return administrations.link_url(issued.token)
    if not administrations.send_link_email(
            page.client, [(issued.token, issued.administration.expires_at)]):
        raise ValidationError({"delivery": "The client has no e-mail address: choose "
                               "'Show me a private link'."})
    return ""


def _paper_target(request: AuthedRequest, client_pk: int) -> tuple[
        Administration | None, str]:
    """The waiting administration being entered (if any) and the instrument's choice key."""
    waiting_id = request.GET.get("administration") or request.POST.get("administration")
    if not waiting_id:
        return None, request.GET.get("instrument") or request.POST.get("instrument") or ""
    parsed = idempotency.parse_token(waiting_id)
    if parsed is None:
        raise Http404("No such questionnaire")
    waiting = selectors.administration_get_for(actor=request.actor, public_id=parsed)
    if waiting.client_id != client_pk:
        raise Http404("No such questionnaire")
    custom = waiting.custom_instrument
    return waiting, waiting.instrument_id if custom is None else f"custom:{custom.public_id}"


def _cannot_enter(request: AuthedRequest, page: selectors.QuestionnairesPage
                  ) -> HttpResponse | None:
    if not page.can_administer:
        return render(request, "core/not_allowed.html", status=403)
    if page.episode is None:
        return render(request, "measures/refused.html", {
            "client": page.client, "nav": "clients",
            "message": "The client has no episode of care: questionnaires belong to one."})
    return None


@staff_view
@require_http_methods(["GET", "POST"])
def paper_entry(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    """A clinician types in a paper form's answers (any instrument, licensed or not)."""
    page = selectors.questionnaires_page_for(actor=request.actor, public_id=public_id)
    refusal = _cannot_enter(request, page)
    if refusal is not None or page.episode is None:
        return refusal or HttpResponse(status=404)
    waiting, choice = _paper_target(request, page.client.pk)
    if not choice:
        return render(request, "measures/paper_choose.html", {
            "client": page.client, "nav": "clients",
            "instruments": administrations.available_instruments(request.actor.practice.pk)})
    try:
        definition, _ = administrations.resolve_instrument(request.actor.practice.pk, choice)
    except ValidationError:
        raise Http404("No such questionnaire") from None
    errors: dict[str, str] = {}
    general: list[str] = []
    earlier = idempotency.earlier_result(request)
    if earlier:
        return redirect("measures:administration", public_id=earlier)
    if request.method == "POST":
        items, errors = administrations.parse_answers(definition, request.POST, require=False,
                                                      who="Item")
        try:
            if not errors:
                with transaction.atomic(), key_cache():
                    done = administrations.administration_enter_paper(
                        actor=request.actor, episode=page.episode, instrument=choice,
                        items=items, administration=waiting)
                    idempotency.remember_submission(
                        request, result_public_id=done.administration.public_id)
                return redirect("measures:administration",
                                public_id=done.administration.public_id)
        except idempotency.DuplicateSubmission:
            earlier = idempotency.earlier_result(request)
            return redirect("measures:administration", public_id=earlier)
        except ValidationError as error:
            for field, messages in _errors_of(error).items():
                if field.startswith("item_"):
                    errors[field] = " ".join(messages)
                else:
                    general.extend(messages)
    views = item_views(definition, request.POST if request.method == "POST" else [], errors,
                       with_text=definition.item_text.shipped)
    return render(request, "measures/paper_entry.html",
                  {"client": page.client, "definition": definition, "items": views,
                   "errors": errors, "general": general, "choice": choice, "waiting": waiting,
                   "form_token": idempotency.form_token(request),
                   "nav": "clients"}, status=422 if errors or general else 200)


@staff_view
def administration(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    with key_cache():
        page = selectors.administration_page_for(actor=request.actor, public_id=public_id)
    return render(request, "measures/administration.html",
                  {"page": page, "client": page.administration.client, "nav": "clients"})


@staff_view
@require_POST
def administration_link(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    found = selectors.administration_get_for(actor=request.actor, public_id=public_id)
    try:
        token = administrations.administration_new_link(actor=request.actor,
                                                        administration=found)
    except PermissionDenied:
        return render(request, "core/not_allowed.html", status=403)
    except ValidationError as error:
        return render(request, "measures/refused.html",
                      {"message": " ".join(error.messages), "client": found.client,
                       "nav": "clients"}, status=422)
    return render(request, "measures/link_issued.html",
                  {"link": administrations.link_url(token), "administration": found,
                   "client": found.client, "nav": "clients"})


@staff_view
@require_POST
def administration_cancel(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    found = selectors.administration_get_for(actor=request.actor, public_id=public_id)
    try:
        administrations.administration_cancel(actor=request.actor, administration=found)
    except PermissionDenied:
        return render(request, "core/not_allowed.html", status=403)
    except ValidationError as error:
        return render(request, "measures/refused.html",
                      {"message": " ".join(error.messages), "client": found.client,
                       "nav": "clients"}, status=422)
    return redirect("measures:questionnaires", public_id=found.client.public_id)


@staff_view
@require_http_methods(["GET", "POST"])
def plan(request: AuthedRequest, episode_id: uuid.UUID) -> HttpResponse:
    episode = selectors.episode_for_plan(actor=request.actor, public_id=episode_id)
    current = plans.plan_for(episode)
    choices = [(d.id, d.short_name) for d in sorted(library.definitions().values(),
                                                    key=lambda d: d.short_name.lower())]
    initial: dict[str, object] = {}
    if current is not None:
        initial["lead_time_hours"] = current.lead_time_hours
        for row, rule in enumerate(current.rules.all(), 1):
            initial.update({f"instrument_{row}": rule.instrument_id,
                            f"occasion_{row}": rule.occasion, f"every_n_{row}": rule.every_n,
                            f"months_{row}": rule.months_after})
    form = PlanForm(request.POST or None, initial=initial, instruments=choices)
    version = request.POST.get("version") or (current.version if current else "")
    if request.method == "POST" and form.is_valid():
        try:
            plans.plan_save(actor=request.actor, episode=episode, rules=form.specs(),
                            lead_time_hours=form.cleaned_data["lead_time_hours"],
                            seen_version=int(version) if str(version).isdigit() else None)
        except PermissionDenied:
            return render(request, "core/not_allowed.html", status=403)
        except plans.EditConflict:
            form.add_error(None, "Someone else changed this plan while you were editing. "
                           "Your rows are below: check them against the current plan, then "
                           "save again.")
            version = str(plans.plan_for(episode).version)  # type: ignore[union-attr]
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return redirect("measures:questionnaires", public_id=episode.client.public_id)
    status = 422 if form.errors else 200
    return render(request, "measures/plan.html",
                  {"form": form, "episode": episode, "client": episode.client, "plan": current,
                   "version": version, "nav": "clients",
                   "occasions": [o for o in Occasion if o != Occasion.AD_HOC]},
                  status=status)


@staff_view
def alert_list(request: AuthedRequest) -> HttpResponse:
    listed = list(selectors.alerts_list_for(actor=request.actor)[:200])
    return render(request, "measures/alerts.html",
                  {"alerts": listed, "nav": "alerts",
                   "open": [a for a in listed if a.status == "open"],
                   "done": [a for a in listed if a.status != "open"][:50],
                   "escalation_minutes": alerts.escalation_minutes()})


@staff_view
@require_http_methods(["GET", "POST"])
def alert(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    with key_cache():
        page = selectors.alert_page_for(actor=request.actor, public_id=public_id)
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST":
        if not page.can_acknowledge and page.alert.status == "open":
            return render(request, "core/not_allowed.html", status=403)
        if form.is_valid():
            try:
                with key_cache():
                    alerts.alert_acknowledge(actor=request.actor, alert=page.alert,
                                             action=form.cleaned_data["action"],
                                             note=form.cleaned_data["note"])
            except PermissionDenied:
                return render(request, "core/not_allowed.html", status=403)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                return redirect("measures:alert", public_id=public_id)
    status = 422 if form.errors else 200
    return render(request, "measures/alert.html",
                  {"page": page, "form": form, "client": page.alert.client, "nav": "alerts",
                   "statuses": AdministrationStatus}, status=status)
