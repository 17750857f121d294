from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from therapia.accounts.models import CLINICAL_ROLES, Membership, Practice
from therapia.clients.models import (
    CareRole,
    Client,
    DischargeReason,
    EpisodeStatus,
    ReferralSource,
    RelatedPerson,
    Relationship,
    Urgency,
)


class ClientForm(forms.ModelForm[Client]):
    class Meta:
        model = Client
        fields = (
            "legal_given_name", "legal_family_name", "preferred_name", "pronouns",
            "date_of_birth", "email", "phone", "address", "language",
            "emergency_contact_name", "emergency_contact_phone", "emergency_contact_relationship",
        )
        labels = {
            "legal_given_name": "Legal first name",
            "legal_family_name": "Legal last name",
            "preferred_name": "Preferred name",
            "date_of_birth": "Date of birth",
            "emergency_contact_name": "Emergency contact",
            "emergency_contact_phone": "Emergency contact's phone",
            "emergency_contact_relationship": "Their relationship to the client",
        }
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "address": forms.Textarea(attrs={"rows": 3}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
        }

    def clean_date_of_birth(self) -> dt.date:
        born: dt.date = self.cleaned_data["date_of_birth"]
        if born > timezone.localdate():
            raise forms.ValidationError("The date of birth cannot be in the future.")
        if born < dt.date(1900, 1, 1):
            raise forms.ValidationError("Please check the year: it is before 1900.")
        return born


class ClientSearchForm(forms.Form):
    q = forms.CharField(label="Search by name, e-mail or phone", required=False, max_length=100)


class RelatedPersonForm(forms.ModelForm[RelatedPerson]):
    class Meta:
        model = RelatedPerson
        fields = ("name", "relationship", "relationship_detail", "legal_basis", "valid_from",
                  "valid_until", "phone", "email")
        labels = {
            "relationship_detail": "Relationship in their words",
            "legal_basis": "Legal basis (guardians)",
            "valid_from": "From",
            "valid_until": "Until",
        }
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("relationship") == Relationship.GUARDIAN:
            if not data.get("legal_basis"):
                self.add_error("legal_basis", "A guardian needs the legal basis of guardianship.")
            if not data.get("valid_from"):
                self.add_error("valid_from", "A guardian needs the date guardianship started.")
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", "The end date is before the start date.")
        return data


class ClinicianChoiceField(forms.ModelChoiceField[Membership]):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user.display_name} ({obj.get_role_display()})"


class CareTeamForm(forms.Form):
    membership = ClinicianChoiceField(queryset=Membership.objects.none(), label="Clinician",
                                      to_field_name="public_id")
    role = forms.ChoiceField(choices=CareRole.choices, label="Role")

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["membership"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 (narrowing for mypy)
        field.queryset = Membership.objects.filter(
            practice=practice, is_active=True, role__in=CLINICAL_ROLES
        ).select_related("user")


DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReferralForm(forms.Form):
    """The referral; an episode of care opens with it. The dates' rules live in the service."""

    source = forms.ChoiceField(choices=ReferralSource.choices, label="Referred by")
    referrer = forms.CharField(label="Referrer's name", required=False, max_length=200,
                               help_text="For example the GP or service, if any.")
    received_on = forms.DateField(label="Date received", widget=DATE_WIDGET)
    urgency = forms.ChoiceField(choices=Urgency.choices, label="Urgency",
                                initial=Urgency.ROUTINE)
    reason = forms.CharField(
        label="Reason for referral", required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Clinical information: stored encrypted and shown only to the care team.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()


class TransitionForm(forms.Form):
    """One step of an episode: `to` is fixed by the button, `on` the date of the step."""

    to = forms.ChoiceField(choices=EpisodeStatus.choices, widget=forms.HiddenInput)
    on = forms.DateField(label="Date", widget=DATE_WIDGET)
    reason = forms.ChoiceField(choices=[("", "Choose…"), *DischargeReason.choices],
                               label="Reason for discharge", required=False)

    def __init__(self, *args: Any, to: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"to": to, "on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        # Each step's form on one page: distinct ids and labels per step.
        self.auto_id = f"id_{to or 'step'}_%s"
        self.fields["on"].label = STEP_DATE_LABELS.get(to, "Date")


STEP_DATE_LABELS: dict[str, str] = {
    EpisodeStatus.ASSESSMENT: "Date of the assessment",
    EpisodeStatus.IN_TREATMENT: "Date of the first treatment session",
    EpisodeStatus.DISCHARGED: "Date of discharge",
}


class WaitingTimesForm(forms.Form):
    start = forms.DateField(label="First treatment from", widget=DATE_WIDGET)
    end = forms.DateField(label="to", widget=DATE_WIDGET)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date is before the start date.")
        if start and end and (end - start).days > 3 * 366:
            self.add_error("end", "Choose a range of at most three years.")
        return data
