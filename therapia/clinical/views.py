"""Pages of the clinical record: intake assessment, diagnoses, safety plan, medications.
Never cached (no-store). Whatever the actor may not see is a 404."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from therapia.accounts.models import CLINICAL_ROLES, Membership
from therapia.clients.models import Client
from therapia.clinical import icd, selectors, services
from therapia.clinical.crisis_lines import crisis_lines_for
from therapia.clinical.forms import (
    AddendumForm,
    AssessmentForm,
    CodeSearchForm,
    DiagnosisEditForm,
    DiagnosisForm,
    MedicationEditForm,
    MedicationForm,
    SafetyPlanForm,
)
from therapia.clinical.models import CodeSystem, IcdCode
from therapia.core import idempotency
from therapia.core.decorators import staff_view
from therapia.core.http import AuthedRequest

CONFLICT = ("Someone else saved this record while you were editing it, so nothing was "
            "saved. Copy your changes, reload the page, and apply them again.")


def _parse_uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


def _once(request: AuthedRequest, create: Callable[[], uuid.UUID]) -> uuid.UUID:
    """Run `create` once per form token; a retried submission gets what the first one
    made. ValidationError and PermissionDenied from `create` pass through (nothing saved)."""
    try:
        with transaction.atomic():
            made = create()
            idempotency.remember_submission(request, result_public_id=made)
    except idempotency.DuplicateSubmission:
        made = idempotency.earlier_result(request) or made
    return made


# ---------------------------------------------------------------------------- assessment


@never_cache
@staff_view
@require_http_methods(["GET", "POST"])
def assessments(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    """The client's intake assessments, one per episode; start one for an episode."""
    page = selectors.assessments_page(actor=request.actor, client_public_id=public_id)
    error = ""
    if request.method == "POST":
        if not page.can_write:
            raise Http404("No such client")
        episode = selectors.episode_for(actor=request.actor, client=page.client,
                                        public_id=_parse_uuid(request.POST.get("episode")))
        try:
            assessment = services.assessment_start(actor=request.actor, episode=episode)
        except PermissionDenied as denied:
            raise Http404("No such client") from denied
        except ValidationError as refused:
            existing = next((row.assessment for row in page.rows
                             if row.episode.pk == episode.pk and row.assessment), None)
            if existing is not None:  # a retried start: open the one already there
                return redirect("clinical:assessment", public_id=existing.public_id)
            error = " ".join(refused.messages)
        else:
            return redirect("clinical:assessment", public_id=assessment.public_id)
    return render(request, "clinical/assessments.html",
                  {"page": page, "client": page.client, "error": error, "nav": "clients"},
                  status=422 if error else 200)


@never_cache
@staff_view
@require_http_methods(["GET", "POST"])
def assessment(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    reading = selectors.assessment_read(actor=request.actor, public_id=public_id)
    record = reading.assessment
    context = {"r": reading, "a": record, "client": record.client, "nav": "clients",
               "addendum_form": AddendumForm(), "form_token": idempotency.form_token(request)}
    if request.method == "POST" and not reading.can_edit:
        context["refused"] = ("This assessment is completed and signed: it cannot be "
                              "changed. Add an addendum below to correct or add to it.")
        return render(request, "clinical/assessment.html", context, status=409)
    if not reading.can_edit:
        return render(request, "clinical/assessment.html", context)
    if reading.text is None:
        return render(request, "clinical/assessment.html", context)
    status = 200
    if request.method == "POST":
        form = AssessmentForm(request.POST)
        complete = request.POST.get("action") == "complete"
        if form.is_valid():
            try:
                with transaction.atomic():
                    stored, _ = services.assessment_save_draft(
                        actor=request.actor, assessment=record, text=form.to_text(),
                        seen_revision=form.cleaned_data["revision"])
                    if complete:
                        services.assessment_complete(actor=request.actor, assessment=stored,
                                                     seen_revision=stored.revision)
            except services.EditConflict:
                form.add_error(None, CONFLICT)
                status = 409
            except ValidationError as refused:
                _add_field_errors(form, refused)
            else:
                messages.success(request, "Assessment completed and signed." if complete
                                 else "Draft saved.")
                return redirect("clinical:assessment", public_id=record.public_id)
        status = status if status != 200 else 422
    else:
        form = AssessmentForm(initial=AssessmentForm.initial_from(reading.text,
                                                                  record.revision))
    context["form"] = form
    return render(request, "clinical/assessment.html", context, status=status)


def _add_field_errors(form: AssessmentForm | DiagnosisForm | DiagnosisEditForm
                      | MedicationForm | SafetyPlanForm | AddendumForm,
                      refused: ValidationError) -> None:
    if not hasattr(refused, "error_dict"):
        form.add_error(None, " ".join(refused.messages))
        return
    for field, errors in refused.message_dict.items():
        target = field if field in form.fields else None
        for message in errors:
            form.add_error(target, message)


@never_cache
@staff_view
@require_POST
def assessment_addendum(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    reading = selectors.assessment_read(actor=request.actor, public_id=public_id)
    record = reading.assessment
    if idempotency.earlier_result(request):
        return redirect("clinical:assessment", public_id=record.public_id)
    form = AddendumForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            _once(request, lambda: services.assessment_addendum_add(
                actor=request.actor, assessment=record,
                body=form.cleaned_data["body"]).public_id)
        except PermissionDenied:
            form.add_error(None, "An addendum is added once the assessment is completed.")
            status = 409
        except ValidationError as refused:
            _add_field_errors(form, refused)
        else:
            messages.success(request, "Addendum added.")
            return redirect("clinical:assessment", public_id=record.public_id)
    return render(request, "clinical/assessment.html",
                  {"r": reading, "a": record, "client": record.client, "nav": "clients",
                   "addendum_form": form, "form_token": idempotency.form_token(request)},
                  status=status)


# ----------------------------------------------------------------------------- diagnoses


def _parse_choice(raw: str, system: str) -> tuple[str, str]:
    """A chosen search result is "system:code"; a typed code uses the chosen code list."""
    if ":" in raw:
        chosen_system, code = raw.split(":", 1)
        return chosen_system, code.strip()
    return system, raw.strip()


@never_cache
@staff_view
@require_http_methods(["GET", "POST"])
def diagnoses(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    page = selectors.diagnoses_page(actor=request.actor, client_public_id=public_id)
    if request.method == "POST" and not page.can_write:
        raise Http404("No such client")
    earlier = idempotency.earlier_result(request) if request.method == "POST" else None
    if earlier:
        return redirect("clinical:diagnosis", public_id=earlier)
    open_episode = next((e for e in page.episodes if e.is_open), None)
    form = DiagnosisForm(request.POST or None)
    results: list[IcdCode] = []
    status = 200
    if request.method == "POST":
        searching = request.POST.get("action") == "search"
        system = request.POST.get("system") or CodeSystem.ICD10CM
        if searching:
            results = list(icd.search(request.POST.get("q", ""), system=system))
            form = DiagnosisForm(initial={k: v for k, v in request.POST.items()
                                          if k not in ("code", "csrfmiddlewaretoken")})
        elif form.is_valid() and not (open_episode or request.POST.get("episode")):
            form.add_error(None, "This client has no open episode of care: open one first.")
        elif form.is_valid():
            episode = selectors.episode_for(
                actor=request.actor, client=page.client,
                public_id=_parse_uuid(request.POST.get("episode"))
                or (open_episode.public_id if open_episode else None))
            code_system, code = _parse_choice(form.cleaned_data["code"],
                                              form.cleaned_data["system"])
            data = form.cleaned_data
            try:
                _once(request, lambda: services.diagnosis_add(
                    actor=request.actor, episode=episode, system=code_system, code=code,
                    rank=data["rank"], status=data["status"],
                    diagnosed_on=data["diagnosed_on"], onset_on=data["onset_on"]).public_id)
                messages.success(request, "Diagnosis recorded.")
                return redirect("clinical:diagnoses", public_id=page.client.public_id)
            except PermissionDenied as denied:
                raise Http404("No such client") from denied
            except ValidationError as refused:
                _add_field_errors(form, refused)
        if not searching:
            status = 422
    context = {"page": page, "client": page.client, "form": form, "results": results,
               "searched": request.method == "POST" and request.POST.get("action") == "search",
               "open_episode": open_episode, "form_token": idempotency.form_token(request),
               "nav": "clients"}
    return render(request, "clinical/diagnoses.html", context, status=status)


@staff_view
@require_GET
def icd_search(request: AuthedRequest) -> HttpResponse:
    """Type-ahead over the code lists. The query is a code or words of a code's title, not
    client data, so it may travel in the query string; it is never logged."""
    if request.actor.role not in CLINICAL_ROLES:
        raise Http404("Not found")
    form = CodeSearchForm(request.GET)
    results: list[IcdCode] = []
    if form.is_valid():
        results = list(icd.search(form.cleaned_data["q"], system=form.cleaned_data["system"]))
    return render(request, "clinical/diagnoses.html#results",
                  {"results": results, "searched": bool(request.GET.get("q"))})


@never_cache
@staff_view
@require_http_methods(["GET", "POST"])
def diagnosis(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    reading = selectors.diagnosis_read(actor=request.actor, public_id=public_id)
    record = reading.diagnosis
    initial = {"revision": record.revision, "rank": record.rank, "status": record.status,
               "diagnosed_on": record.diagnosed_on, "onset_on": record.onset_on}
    form = DiagnosisEditForm(request.POST or None, initial=initial,
                             current_status=record.status)
    status = 200
    if request.method == "POST":
        status = 422
        if not reading.can_edit:
            form.add_error(None, "This diagnosis can no longer be changed.")
            status = 409
        elif form.is_valid():
            data = {k: form.cleaned_data[k] for k in ("rank", "status", "diagnosed_on",
                                                      "onset_on")}
            try:
                services.diagnosis_update(actor=request.actor, diagnosis=record, data=data,
                                          seen_revision=form.cleaned_data["revision"])
            except services.EditConflict:
                form.add_error(None, CONFLICT)
                status = 409
            except ValidationError as refused:
                _add_field_errors(form, refused)
            else:
                messages.success(request, "Diagnosis updated.")
                return redirect("clinical:diagnosis", public_id=record.public_id)
    return render(request, "clinical/diagnosis.html",
                  {"r": reading, "d": record, "client": record.client, "form": form,
                   "nav": "clients"}, status=status)


# --------------------------------------------------------------------------- safety plan


@never_cache
@staff_view
@require_http_methods(["GET", "POST"])
def safety_plan(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    page = selectors.safety_plan_page(actor=request.actor, client_public_id=public_id)
    if request.method == "POST" and not page.can_write:
        raise Http404("No such client")
    earlier = idempotency.earlier_result(request) if request.method == "POST" else None
    if earlier:
        return redirect("clinical:safety_plan_version", public_id=earlier)
    based_on = page.versions[0].number if page.versions else 0
    initial = {"based_on": based_on, **(page.current.texts() if page.current else {})}
    form = SafetyPlanForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                _once(request, lambda: services.safety_plan_save(
                    actor=request.actor, client=page.client, sections=form.sections(),
                    based_on=form.cleaned_data["based_on"]).public_id)
            except services.EditConflict:
                form.add_error(None, "Someone saved a newer version of this plan while you "
                                     "were writing, so nothing was saved. Copy your changes, "
                                     "reload the page, and apply them to the newer version.")
                status = 409
            except PermissionDenied as denied:
                raise Http404("No such client") from denied
            except ValidationError as refused:
                _add_field_errors(form, refused)
            else:
                messages.success(request, "Safety plan saved as a new version.")
                return redirect("clinical:safety_plan", public_id=page.client.public_id)
    lines = crisis_lines_for(request.actor.practice.jurisdiction)
    return render(request, "clinical/safety_plan.html",
                  {"page": page, "client": page.client, "form": form, "crisis_lines": lines,
                   "form_token": idempotency.form_token(request), "nav": "clients"}, status=status)


@never_cache
@staff_view
@require_GET
def safety_plan_version(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    reading = selectors.safety_plan_version_read(actor=request.actor, public_id=public_id)
    return render(request, "clinical/safety_plan_version.html",
                  {"r": reading, "v": reading.version, "client": reading.version.client,
                   "crisis_lines": crisis_lines_for(reading.version.jurisdiction),
                   "nav": "clients"})


@never_cache
@staff_view
@require_GET
def safety_plan_print(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    """A plain page to print and hand to the client: the plan and the crisis lines, no
    navigation, laid out for paper."""
    reading = selectors.safety_plan_version_read(actor=request.actor, public_id=public_id)
    return render(request, "clinical/safety_plan_print.html",
                  {"r": reading, "v": reading.version, "client": reading.version.client,
                   "crisis_lines": crisis_lines_for(reading.version.jurisdiction)})


@never_cache
@staff_view
@require_POST
def safety_plan_share(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    reading = selectors.safety_plan_version_read(actor=request.actor, public_id=public_id)
    try:
        services.safety_plan_share(actor=request.actor, version=reading.version)
    except PermissionDenied as denied:
        raise Http404("No such record") from denied
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
        return redirect("clinical:safety_plan_version", public_id=public_id)
    messages.success(request, "Recorded as given to the client. Print this page and hand it "
                              "over.")
    return redirect("clinical:safety_plan_print", public_id=public_id)


# --------------------------------------------------------------------------- medications


def _prescribers(client: Client) -> QuerySet[Membership]:
    return (Membership.objects.filter(practice_id=client.practice_id, is_active=True,
                                      role__in=CLINICAL_ROLES)
            .select_related("user").order_by("user__display_name"))


def _medication_data(form: MedicationForm) -> dict[str, object]:
    names = ("name", "dose", "route", "frequency", "started_on", "stopped_on", "prescriber",
             "external_prescriber", "notes")
    return {name: form.cleaned_data.get(name) for name in names}


@never_cache
@staff_view
@require_http_methods(["GET", "POST"])
def medications(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    page = selectors.medications_page(actor=request.actor, client_public_id=public_id)
    form: MedicationForm | None = None
    status = 200
    if request.method == "POST":
        if not page.can_change:
            return render(request, "clinical/medications.html",
                          {"page": page, "client": page.client, "nav": "clients",
                           "refused": "Only a clinician with prescribing authority on the "
                                      "care team can change the medication list."},
                          status=403)
        if idempotency.earlier_result(request):
            return redirect("clinical:medications", public_id=page.client.public_id)
    if page.can_change:
        form = MedicationForm(request.POST or None, prescribers=_prescribers(page.client),
                              initial={"prescriber": request.actor.membership.public_id})
    if request.method == "POST" and form is not None:
        status = 422
        if form.is_valid():
            try:
                _once(request, lambda: services.medication_add(
                    actor=request.actor, client=page.client,
                    data=_medication_data(form)).public_id)
            except ValidationError as refused:
                _add_field_errors(form, refused)
            else:
                messages.success(request, "Medication added.")
                return redirect("clinical:medications", public_id=page.client.public_id)
    return render(request, "clinical/medications.html",
                  {"page": page, "client": page.client, "form": form,
                   "form_token": idempotency.form_token(request), "nav": "clients"}, status=status)


@never_cache
@staff_view
@require_http_methods(["GET", "POST"])
def medication(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    reading = selectors.medication_read(actor=request.actor, public_id=public_id)
    record = reading.medication
    form: MedicationEditForm | None = None
    status = 200
    if request.method == "POST" and not reading.can_change:
        return render(request, "clinical/medication.html",
                      {"r": reading, "m": record, "client": record.client, "nav": "clients",
                       "refused": "Only a clinician with prescribing authority on the care "
                                  "team can change a current medication."}, status=403)
    if reading.can_change:
        initial = {"revision": record.revision, "name": record.name, "dose": record.dose,
                   "route": record.route, "frequency": record.frequency,
                   "started_on": record.started_on, "stopped_on": record.stopped_on,
                   "prescriber": record.prescriber.public_id if record.prescriber else None,
                   "external_prescriber": record.external_prescriber,
                   "notes": reading.notes or ""}
        form = MedicationEditForm(request.POST or None, initial=initial,
                                  prescribers=_prescribers(record.client))
    if request.method == "POST" and form is not None:
        status = 422
        if form.is_valid():
            try:
                services.medication_update(actor=request.actor, medication=record,
                                           data=_medication_data(form),
                                           seen_revision=form.cleaned_data["revision"])
            except services.EditConflict:
                form.add_error(None, CONFLICT)
                status = 409
            except ValidationError as refused:
                _add_field_errors(form, refused)
            else:
                messages.success(request, "Medication updated.")
                return redirect("clinical:medications", public_id=record.client.public_id)
    return render(request, "clinical/medication.html",
                  {"r": reading, "m": record, "client": record.client, "form": form,
                   "nav": "clients"}, status=status)
