"""Forms for emergency access, its review, and clients' consent directives."""

from __future__ import annotations

from typing import Any

from django import forms

from therapia.accounts.models import Membership, Role
from therapia.security.models import (
    BreakGlassReason,
    DirectiveOverrideBasis,
    RecordCategory,
    ReviewVerdict,
)

REASON_CHOICES = [
    ("Emergency (you are not on this client's care team)", BreakGlassReason.choices),
    ("Setting aside the client's instruction to withhold their record",
     DirectiveOverrideBasis.choices),
]


class EmergencyAccessForm(forms.Form):
    legal_given_name = forms.CharField(label="Client's legal first name", max_length=100)
    legal_family_name = forms.CharField(label="Client's legal last name", max_length=100)
    date_of_birth = forms.DateField(label="Client's date of birth",
                                    widget=forms.DateInput(attrs={"type": "date"}))
    reason_code = forms.ChoiceField(label="Reason", choices=[("", "Choose…"), *REASON_CHOICES],
                                    required=False)
    reason_text = forms.CharField(
        label="What is happening", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The privacy officer reads this. At least 20 characters.")

    def __init__(self, *args: Any, identified: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if identified:  # reached from the client's own page: no need to name them
            for name in ("legal_given_name", "legal_family_name", "date_of_birth"):
                del self.fields[name]


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(label="Verdict", choices=ReviewVerdict.choices,
                                widget=forms.RadioSelect)
    note = forms.CharField(label="Note (optional)", required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class MemberChoiceField(forms.ModelChoiceField[Membership]):
    def label_from_instance(self, obj: Membership) -> str:
        return obj.user.get_full_name() or obj.user.email


class DirectiveForm(forms.Form):
    category = forms.ChoiceField(label="What to withhold", choices=RecordCategory.choices)
    blocked_membership = MemberChoiceField(
        label="From this person", queryset=Membership.objects.none(), required=False,
        empty_label="(no one person)")
    blocked_role = forms.ChoiceField(
        label="Or from everyone in this role", required=False,
        choices=[("", "(no role)"), *Role.choices])
    starts_on = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="Until (optional)", required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["blocked_membership"].queryset = members  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("blocked_membership")) == bool(data.get("blocked_role")):
            self.add_error("blocked_membership", "Choose one person, or one role — not both.")
        ends, starts = data.get("ends_on"), data.get("starts_on")
        if ends and starts and ends < starts:
            self.add_error("ends_on", "The end date must be on or after the start date.")
        return data


class CapacityForm(forms.Form):
    has_capacity = forms.TypedChoiceField(
        label="Finding", coerce=lambda value: value == "yes", widget=forms.RadioSelect,
        choices=[("yes", "Has capacity to decide about their own care"),
                 ("no", "Does not have capacity yet")])
    determined_on = forms.DateField(label="Date of the assessment",
                                    widget=forms.DateInput(attrs={"type": "date"}))
