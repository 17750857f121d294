"""Forms for the clinical record. They parse and check input; the rules live in services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet

from therapia.accounts.models import Membership
from therapia.clinical.models import (
    ASSESSMENT_NARRATIVE,
    DIAGNOSIS_TRANSITIONS,
    MSE_DOMAINS,
    RISK_AREAS,
    SAFETY_PLAN_SECTIONS,
    CodeSystem,
    DiagnosisRank,
    DiagnosisStatus,
    MseFinding,
    RiskLevel,
    Route,
)
from therapia.clinical.services import TEXT_MAX_CHARS, AssessmentText

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ERRORS = {"invalid": "Enter a real date, e.g. 2026-03-14."}


def _text(label: str, rows: int = 4, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=TEXT_MAX_CHARS, help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows, "autocomplete": "off"}))


class AssessmentForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)
    assessed_on = forms.DateField(label="Date of assessment", widget=DATE,
                                  error_messages=DATE_ERRORS)
    mse_all_wnl = forms.BooleanField(
        label="All within normal limits, except the exceptions marked below", required=False,
        help_text="Marks every mental-status domain not recorded as an exception as within "
                  "normal limits.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in ASSESSMENT_NARRATIVE:
            self.fields[name] = _text(label, rows=5 if name == "formulation" else 4)
        mse_choices = [("", "Not yet recorded"), *MseFinding.choices]
        for domain, label in MSE_DOMAINS:
            self.fields[f"mse_{domain}"] = forms.ChoiceField(
                label=label, choices=mse_choices, required=False, widget=forms.RadioSelect)
            self.fields[f"mse_{domain}_note"] = forms.CharField(
                label=f"{label}: describe the exception", required=False, max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}))
        risk_choices = [("", "Not yet assessed"), *RiskLevel.choices]
        for area, label in RISK_AREAS:
            self.fields[f"risk_{area}"] = forms.ChoiceField(
                label=f"{label}: level", choices=risk_choices, required=False)
            self.fields[f"risk_{area}_plan"] = _text(f"{label}: plan", rows=2)

    @staticmethod
    def initial_from(text: AssessmentText, revision: int) -> dict[str, Any]:
        initial: dict[str, Any] = {"revision": revision, "assessed_on": text.assessed_on,
                                   **text.narrative}
        for domain, _ in MSE_DOMAINS:
            initial[f"mse_{domain}"] = text.mse.get(domain, "")
            initial[f"mse_{domain}_note"] = text.mse_notes.get(domain, "")
        for area, _ in RISK_AREAS:
            initial[f"risk_{area}"] = text.risk_levels.get(area, "")
            initial[f"risk_{area}_plan"] = text.risk_plans.get(area, "")
        return initial

    def to_text(self) -> AssessmentText:
        data = self.cleaned_data
        shortcut = bool(data.get("mse_all_wnl"))
        mse: dict[str, str] = {}
        for domain, _ in MSE_DOMAINS:
            finding = data.get(f"mse_{domain}") or ""
            if shortcut and finding != MseFinding.EXCEPTION:
                finding = MseFinding.WNL
            mse[domain] = finding
        return AssessmentText(
            narrative={name: data.get(name) or "" for name, _ in ASSESSMENT_NARRATIVE},
            mse=mse,
            mse_notes={domain: data.get(f"mse_{domain}_note") or ""
                       for domain, _ in MSE_DOMAINS},
            risk_levels={area: data.get(f"risk_{area}") or "" for area, _ in RISK_AREAS},
            risk_plans={area: data.get(f"risk_{area}_plan") or "" for area, _ in RISK_AREAS},
            assessed_on=data["assessed_on"],
        )

    def narrative_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _ in ASSESSMENT_NARRATIVE]

    def mse_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"mse_{d}"], self[f"mse_{d}_note"]) for d, _ in MSE_DOMAINS]

    def risk_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"risk_{a}"], self[f"risk_{a}_plan"]) for a, _ in RISK_AREAS]


class AddendumForm(forms.Form):
    body = forms.CharField(
        label="Addendum", max_length=TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
        error_messages={"required": "Write the addendum, or leave without saving."})


class CodeSearchForm(forms.Form):
    q = forms.CharField(label="Find a code", required=False, max_length=100,
                        help_text="Type a code (F32) or words of its title (panic).")
    system = forms.ChoiceField(label="Code list", choices=CodeSystem.choices,
                               initial=CodeSystem.ICD10CM, widget=forms.RadioSelect)


class DiagnosisForm(forms.Form):
    system = forms.ChoiceField(label="Code list", choices=CodeSystem.choices,
                               initial=CodeSystem.ICD10CM, widget=forms.RadioSelect)
    q = forms.CharField(label="Find a code", required=False, max_length=100,
                        help_text="Type a code (F32) or words of its title (panic), then "
                                  "choose one of the codes found.",
                        widget=forms.TextInput(attrs={"autocomplete": "off"}))
    code = forms.CharField(label="Code", max_length=16,
                           error_messages={"required": "Find the code and choose it."})
    rank = forms.ChoiceField(label="Primary or secondary", choices=DiagnosisRank.choices,
                             initial=DiagnosisRank.PRIMARY)
    status = forms.ChoiceField(label="Status", initial=DiagnosisStatus.PROVISIONAL, choices=[
        (s, DiagnosisStatus(s).label) for s in (DiagnosisStatus.PROVISIONAL,
                                                DiagnosisStatus.CONFIRMED,
                                                DiagnosisStatus.IN_REMISSION)])
    diagnosed_on = forms.DateField(label="Date of diagnosis", widget=DATE,
                                   error_messages=DATE_ERRORS)
    onset_on = forms.DateField(label="Onset (if known)", required=False, widget=DATE,
                               error_messages=DATE_ERRORS)


class DiagnosisEditForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)
    rank = forms.ChoiceField(label="Primary or secondary", choices=DiagnosisRank.choices)
    status = forms.ChoiceField(label="Status", choices=DiagnosisStatus.choices)
    diagnosed_on = forms.DateField(label="Date of diagnosis", widget=DATE,
                                   error_messages=DATE_ERRORS)
    onset_on = forms.DateField(label="Onset (if known)", required=False, widget=DATE,
                               error_messages=DATE_ERRORS)

    def __init__(self, *args: Any, current_status: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = [current_status, *sorted(DIAGNOSIS_TRANSITIONS[current_status])]
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (narrowing for mypy)
        field.choices = [(s, DiagnosisStatus(s).label) for s in allowed]


class SafetyPlanForm(forms.Form):
    based_on = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label, help_text in SAFETY_PLAN_SECTIONS:
            self.fields[name] = _text(label, rows=4, help_text=f"{help_text} One per line.")

    def sections(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name, _, _ in SAFETY_PLAN_SECTIONS}

    def section_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _, _ in SAFETY_PLAN_SECTIONS]


class PrescriberChoice(forms.ModelChoiceField[Membership]):
    def label_from_instance(self, obj: Membership) -> str:
        return obj.user.display_name


class MedicationForm(forms.Form):
    name = forms.CharField(label="Medicine", max_length=200,
                           error_messages={"required": "Write the medicine's name."})
    dose = forms.CharField(label="Dose", max_length=100, help_text="e.g. 50 mg",
                           error_messages={"required": "Write the dose."})
    route = forms.ChoiceField(label="Route", choices=Route.choices, initial=Route.ORAL)
    frequency = forms.CharField(label="How often", max_length=100,
                                help_text="e.g. once daily, at night",
                                error_messages={"required": "Write how often it is taken."})
    started_on = forms.DateField(label="Started on", widget=DATE, error_messages={
        **DATE_ERRORS, "required": "Give the date it was started."})
    stopped_on = forms.DateField(label="Stopped on", required=False, widget=DATE,
                                 error_messages=DATE_ERRORS)
    prescriber = PrescriberChoice(queryset=Membership.objects.none(), required=False,
                                  to_field_name="public_id", label="Prescriber in the practice",
                                  empty_label="Prescribed outside the practice")
    external_prescriber = forms.CharField(label="Prescriber outside the practice",
                                          max_length=200, required=False,
                                          help_text="e.g. Dr A. Jones, Riverside GP surgery")
    notes = _text("Notes", rows=2)

    def __init__(self, *args: Any, prescribers: QuerySet[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["prescriber"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 (narrowing for mypy)
        field.queryset = prescribers

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        started: dt.date | None = data.get("started_on")
        stopped: dt.date | None = data.get("stopped_on")
        if started and stopped and stopped < started:
            self.add_error("stopped_on", f"The stop date ({stopped:%d %b %Y}) cannot be "
                                         f"before the start date ({started:%d %b %Y}).")
        return data


class MedicationEditForm(MedicationForm):
    revision = forms.IntegerField(widget=forms.HiddenInput)
