"""Treatment-plan pages: the current plan and its versions, revising it, one version with
what changed, the client's paper sign-off, and the clinician's due-for-review list."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from therapia.core.decorators import staff_view
from therapia.core.http import AuthedRequest
from therapia.records import plan_selectors, plan_services
from therapia.records.catalogues import MODALITIES
from therapia.records.forms import GoalFormSet, PlanTermsForm, SignOffForm
from therapia.records.note_views import add_errors
from therapia.records.plan_services import Goal, PlanContent, PlanTerms, Problem

BLANK_ROWS = 2


def content_from_rows(rows: list[dict[str, Any]]) -> PlanContent:
    """Goal rows grouped under their problem (same words, any case), in the order given."""
    grouped: dict[str, tuple[str, list[Goal]]] = {}
    for row in rows:
        if not row.get("goal"):
            continue
        key = row["problem"].strip().casefold()
        measure = row.get("measure") or ""
        goal = Goal(text=row["goal"], interventions=tuple(row.get("interventions") or ()),
                    measure=measure, direction=(row.get("direction") or "below") if measure
                    else "", target=row.get("target") if measure else None)
        grouped.setdefault(key, (row["problem"].strip(), []))[1].append(goal)
    return PlanContent(problems=tuple(Problem(text=text, goals=tuple(goals))
                                      for text, goals in grouped.values()))


def rows_from_content(content: PlanContent | None) -> list[dict[str, Any]]:
    rows = [] if content is None else [
        {"problem": p.text, "goal": g.text, "measure": g.measure, "direction": g.direction,
         "target": g.target, "interventions": list(g.interventions)}
        for p in content.problems for g in p.goals]
    return [*rows, *({} for _ in range(BLANK_ROWS + (1 if not rows else 0)))]


@never_cache
@staff_view
@require_GET
def plan(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    page = plan_selectors.plan_page(actor=request.actor, client_public_id=public_id)
    sign_off = None
    if page.current is not None and not hasattr(page.current, "sign_off") and page.can_write:
        sign_off = SignOffForm(practice_id=page.client.practice_id,
                               initial={"signed_on": timezone.localdate()})
    return render(request, "records/plan.html",
                  {"page": page, "client": page.client, "sign_off": sign_off,
                   "today": timezone.localdate(), "nav": "clients"})


@never_cache
@staff_view
@require_http_methods(["GET", "POST"])
def plan_edit(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    page = plan_selectors.plan_page(actor=request.actor, client_public_id=public_id)
    if not page.can_write:
        raise Http404("No such client")
    seen = request.POST.get("seen") or str(page.plan.current_number if page.plan else 0)
    current = page.current
    initial_terms = ({"frequency": current.frequency, "session_format": current.session_format,
                      "delivery": current.delivery, "review_on": current.review_on}
                     if current else {"frequency": "weekly", "session_format": "individual",
                                      "delivery": "in_person"})
    data = request.POST or None
    goals = GoalFormSet(data, initial=rows_from_content(page.content), prefix="goal")
    terms = PlanTermsForm(data, initial=initial_terms)
    problems: list[str] = []
    if request.method == "POST" and goals.is_valid() and terms.is_valid():
        content = content_from_rows([f.cleaned_data for f in goals.forms])
        try:
            saved = plan_services.plan_save(
                actor=request.actor, client=page.client, content=content,
                terms=PlanTerms(**terms.cleaned_data),
                seen_number=int(seen) if seen.isdigit() else -1)
        except plan_services.EditConflict:
            problems.append(plan_services.CONFLICT_MESSAGE)
            latest = plan_services.plan_for(page.client)
            seen = str(latest.current_number if latest else 0)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                add_errors(terms, error)
            else:
                problems.extend(error.messages)
        except PermissionDenied as error:
            raise Http404("No such client") from error
        else:
            return redirect("records:plan_version", public_id=saved.public_id,
                            number=saved.current_number)
    invalid = bool(problems or terms.errors or any(f.errors for f in goals.forms))
    context = {"page": page, "client": page.client, "goals": goals, "terms": terms,
               "seen": seen, "problems": problems, "invalid": invalid,
               "modalities": MODALITIES, "nav": "clients"}
    return render(request, "records/plan_edit.html", context, status=422 if invalid else 200)


@never_cache
@staff_view
@require_GET
def plan_version(request: AuthedRequest, public_id: uuid.UUID, number: int) -> HttpResponse:
    reading = plan_selectors.plan_version_read(actor=request.actor, public_id=public_id,
                                               number=number)
    return render(request, "records/plan_version.html",
                  {"v": reading, "client": reading.plan.client, "nav": "clients"})


@never_cache
@staff_view
@require_POST
def plan_sign_off(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    found = plan_selectors.plan_get_for(actor=request.actor, public_id=public_id)
    form = SignOffForm(request.POST, practice_id=found.practice_id)
    number = request.POST.get("number", "")
    if form.is_valid() and number.isdigit():
        try:
            plan_services.plan_sign_off_record(
                actor=request.actor, plan=found, number=int(number),
                signed_on=form.cleaned_data["signed_on"],
                witnessed_by=form.cleaned_data["witnessed_by"])
        except ValidationError as error:
            add_errors(form, error)
        except PermissionDenied as error:
            raise Http404("No such plan") from error
        else:
            return redirect("records:plan", public_id=found.client.public_id)
    page = plan_selectors.plan_page(actor=request.actor, client_public_id=found.client.public_id)
    return render(request, "records/plan.html",
                  {"page": page, "client": page.client, "sign_off": form,
                   "today": timezone.localdate(), "nav": "clients"}, status=422)


@never_cache
@staff_view
@require_GET
def plans_due(request: AuthedRequest) -> HttpResponse:
    due = list(plan_selectors.plans_due(actor=request.actor))
    return render(request, "records/plans_due.html",
                  {"due": due, "today": timezone.localdate(), "nav": "clients"})
