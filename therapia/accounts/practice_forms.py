"""Forms for the practice settings pages: roles, licences and continuing education."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms

from therapia.accounts.models import ContinuingEducation, Licence, PractitionerProfile, Role

DATE_ERRORS = {"invalid": "Enter a real date, for example 2027-03-31."}


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


def _is_true(value: str) -> bool:
    return value == "true"


class ActiveForm(forms.Form):
    """Deactivate ('false') or reactivate ('true') a membership."""

    is_active = forms.TypedChoiceField(
        label="Membership", choices=[("true", "Active"), ("false", "Inactive")], coerce=_is_true
    )


class LicenceForm(forms.ModelForm[Licence]):
    class Meta:
        model = Licence
        fields = (
            "regulator", "jurisdiction", "number", "status", "issued_on", "expires_on",
            "grants_prescribing", "cycle_starts_on", "ce_hours_required",
        )
        labels = {
            "number": "Licence or registration number",
            "issued_on": "Issued on",
            "expires_on": "Expires on",
            "grants_prescribing": "This licence allows prescribing",
            "cycle_starts_on": "Current renewal cycle started on",
            "ce_hours_required": "Continuing-education hours required per cycle",
        }
        help_texts = {
            "grants_prescribing": "Counts only for professions that can prescribe (psychiatrists, "
                                  "mental-health nurses, prescribing psychologists).",
            "cycle_starts_on": "Hours logged from this date until the expiry date count "
                               "towards renewal.",
        }
        widgets = {
            "issued_on": _date_input(),
            "expires_on": _date_input(),
            "cycle_starts_on": _date_input(),
        }
        error_messages = {
            "issued_on": DATE_ERRORS,
            "expires_on": DATE_ERRORS,
            "cycle_starts_on": DATE_ERRORS,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ce_hours_required"].widget.attrs.update({"min": "0", "step": "0.5"})

    def clean_regulator(self) -> str:
        return " ".join(self.cleaned_data["regulator"].split())

    def clean_jurisdiction(self) -> str:
        return str(self.cleaned_data["jurisdiction"]).strip().upper()

    def clean_number(self) -> str:
        return str(self.cleaned_data["number"]).strip()

    def clean_ce_hours_required(self) -> Decimal:
        hours: Decimal = self.cleaned_data["ce_hours_required"]
        if hours < 0:
            raise forms.ValidationError("Enter 0 or more hours.")
        return hours

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        issued: dt.date | None = data.get("issued_on")
        expires: dt.date | None = data.get("expires_on")
        cycle: dt.date | None = data.get("cycle_starts_on")
        if issued and expires and expires <= issued:
            self.add_error("expires_on", "The expiry date must be after the date of issue.")
        if cycle and expires and cycle >= expires:
            self.add_error("cycle_starts_on", "The renewal cycle must start before the expiry "
                                              "date.")
        if cycle and issued and cycle < issued:
            self.add_error("cycle_starts_on", "The renewal cycle cannot start before the "
                                              "licence was issued.")
        regulator, jurisdiction, number = (data.get(k) for k in
                                           ("regulator", "jurisdiction", "number"))
        if regulator and jurisdiction and number:
            taken = Licence.objects.filter(regulator=regulator, jurisdiction=jurisdiction,
                                           number=number).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("number", "This number is already recorded for this regulator "
                                         "and jurisdiction.")
        return data


class ContinuingEducationForm(forms.ModelForm[ContinuingEducation]):
    class Meta:
        model = ContinuingEducation
        fields = ("title", "provider", "completed_on", "hours")
        labels = {"title": "Course or activity", "completed_on": "Completed on"}
        widgets = {"completed_on": _date_input()}
        error_messages = {"completed_on": DATE_ERRORS}

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["hours"].widget.attrs.update({"min": "0.5", "step": "0.5"})
        self.fields["completed_on"].widget.attrs["max"] = today.isoformat()

    def clean_completed_on(self) -> dt.date:
        completed: dt.date = self.cleaned_data["completed_on"]
        if completed > self.today:
            raise forms.ValidationError("The date cannot be in the future.")
        return completed

    def clean_hours(self) -> Decimal:
        hours: Decimal = self.cleaned_data["hours"]
        if hours <= 0:
            raise forms.ValidationError("Enter more than 0 hours.")
        return hours


class ProfileForm(forms.ModelForm[PractitionerProfile]):
    class Meta:
        model = PractitionerProfile
        fields = ("profession", "credentials")
        labels = {"credentials": "Credentials (letters after the name)"}
