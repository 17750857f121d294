"""Forms for recording disclosures and authorisations. They parse and check shapes; the
rules (bases, authorisations, adult members) live in services.py and rules.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from therapia.accounts.models import Membership
from therapia.clients.models import ClientUnit
from therapia.disclosures import documents
from therapia.disclosures.bases import Basis, Category, ClientInformed
from therapia.disclosures.models import AuthorisationKind, ExpiryEvent
from therapia.disclosures.services import DESCRIPTION_MAX, PURPOSE_MAX
from therapia.scheduling.models import TherapyGroup

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
OWN_RECORD = ""


def _shared_choices(units: list[ClientUnit], groups: list[TherapyGroup]
                    ) -> list[tuple[str, str]]:
    return [(OWN_RECORD, "The client's own record"),
            *((f"unit:{u.public_id}", f"{u.name} ({u.get_kind_display().lower()} record)")
              for u in units),
            *((f"group:{g.public_id}", f"{g.name} (group record)") for g in groups)]


class RecipientAndScope(forms.Form):
    recipient_name = forms.CharField(label="Recipient's name", max_length=200, required=False,
                                     help_text="The person the information went to, if known")
    recipient_organisation = forms.CharField(label="Organisation", max_length=200,
                                             required=False)
    recipient_address = forms.CharField(label="Address", max_length=300, required=False,
                                        help_text="If known")
    recipient_contact = forms.CharField(label="Phone or e-mail", max_length=200,
                                        required=False)
    categories = forms.MultipleChoiceField(
        label="What was released (minimum necessary)", choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one part of the record.",
                        "invalid_choice": "Choose from the listed parts of the record."})
    shared_record = forms.ChoiceField(label="Whose record", required=False)
    document = forms.FileField(
        label="Supporting document", required=False,
        help_text=f"{documents.ALLOWED_TEXT}, up to {documents.MAX_BYTES // 1048576} MB. "
                  "Stored encrypted; only the care team can download it.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}))

    def __init__(self, *args: Any, units: list[ClientUnit], groups: list[TherapyGroup],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units = {f"unit:{u.public_id}": u for u in units}
        self.groups = {f"group:{g.public_id}": g for g in groups}
        field = self.fields["shared_record"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (narrowing for mypy)
        field.choices = _shared_choices(units, groups)
        if not units and not groups:
            field.widget = forms.HiddenInput()

    def clean_recipient_name(self) -> str:
        name: str = self.cleaned_data["recipient_name"].strip()
        return name

    def clean_document(self) -> documents.Upload | None:
        file: UploadedFile | None = self.cleaned_data.get("document")
        if not file:
            return None
        try:
            return documents.check_upload(file)
        except documents.DocumentRefused as refused:
            raise forms.ValidationError(str(refused)) from refused

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("recipient_name") or (data.get("recipient_organisation") or "").strip()):
            self.add_error("recipient_name",
                           "Name the recipient: a person, an organisation, or both.")
        chosen = data.get("shared_record") or OWN_RECORD
        data["unit"] = self.units.get(chosen)
        data["group"] = self.groups.get(chosen)
        return data


class DisclosureForm(RecipientAndScope):
    basis = forms.ChoiceField(
        label="Legal basis", choices=[("", "Choose the basis"), *Basis.choices],
        error_messages={"required": "Choose the legal basis for this disclosure."})
    jurisdiction = forms.CharField(label="Jurisdiction", max_length=16,
                                   help_text="Whose law applies, e.g. US-CA, CA-ON, GB-ENG")
    purpose = forms.CharField(
        label="Purpose", max_length=PURPOSE_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text="A brief statement of why: this appears in the client's accounting.",
        error_messages={"required": "State the purpose in a sentence."})
    description = forms.CharField(
        label="What was said or sent (optional)", max_length=DESCRIPTION_MAX, required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}))
    disclosed_at = forms.DateTimeField(
        label="When it was disclosed",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])
    client_informed = forms.ChoiceField(
        label="Was the client told?", required=False,
        choices=[("", "Not asked for this basis / not decided"), *ClientInformed.choices],
        help_text="Required for elder or vulnerable-adult abuse reports (45 CFR 164.512(c)).")
    accounting_suspended_until = forms.DateField(
        label="Accounting suspended until (optional)", required=False, widget=DATE,
        help_text="Only when a health-oversight or law-enforcement agency asked in writing "
                  "(45 CFR 164.528(a)(2)).")

    field_order = ["basis", "jurisdiction", "recipient_name", "recipient_organisation",
                   "recipient_address", "recipient_contact", "shared_record", "categories",
                   "purpose", "description", "disclosed_at", "client_informed",
                   "accounting_suspended_until", "document"]

    def clean_disclosed_at(self) -> dt.datetime:
        when: dt.datetime = self.cleaned_data["disclosed_at"]
        if when > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError("The date of the disclosure cannot be in the future.")
        return when


class CorrectionForm(DisclosureForm):
    correction_reason = forms.CharField(
        label="What was wrong with the entry", max_length=PURPOSE_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}),
        error_messages={"required": "Say what was wrong with the entry."})

    field_order = ["correction_reason", *DisclosureForm.field_order]


class WitnessField(forms.ModelChoiceField[Membership]):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user.display_name} ({obj.get_role_display()})"


class AuthorisationForm(RecipientAndScope):
    kind = forms.ChoiceField(label="Kind of authorisation", choices=AuthorisationKind.choices)
    purpose = forms.CharField(
        label="Purpose", max_length=PURPOSE_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        error_messages={"required": "State the purpose in a sentence."})
    signed_on = forms.DateField(label="Signed on", widget=DATE)
    witnessed_by = WitnessField(queryset=Membership.objects.none(), label="Witnessed by",
                                to_field_name="public_id")
    expires_on = forms.DateField(label="Expires on", required=False, widget=DATE)
    expiry_event = forms.ChoiceField(label="Or expires on an event", required=False,
                                     choices=ExpiryEvent.choices)

    field_order = ["kind", "recipient_name", "recipient_organisation", "recipient_address",
                   "recipient_contact", "shared_record", "categories", "purpose",
                   "signed_on", "witnessed_by", "expires_on", "expiry_event", "document"]

    def __init__(self, *args: Any, witnesses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["witnessed_by"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 (narrowing for mypy)
        field.queryset = witnesses
        self.fields["document"].label = "Scan of the signed form (optional)"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("expires_on") and not data.get("expiry_event"):
            self.add_error("expires_on", "Give an expiry date or an expiry event.")
        return data


class RevokeForm(forms.Form):
    revoked_on = forms.DateField(label="Revoked on", widget=DATE,
                                 help_text="The day the client's written revocation arrived.")
