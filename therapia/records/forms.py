from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from therapia.records.services import BODY_MAX_CHARS
from therapia.scheduling.models import Appointment


class SessionChoiceField(forms.ModelChoiceField[Appointment]):
    def label_from_instance(self, obj: Appointment) -> str:
        return f"{obj.starts_at:%a %d %b %Y, %H:%M} · {obj.get_kind_display()}"


class PsychotherapyNoteForm(forms.Form):
    appointment = SessionChoiceField(
        queryset=Appointment.objects.none(), required=False, to_field_name="public_id",
        label="Session", empty_label="Not about one session",
    )
    body = forms.CharField(
        label="Note", max_length=BODY_MAX_CHARS, strip=True,
        widget=forms.Textarea(attrs={"rows": 10, "autocomplete": "off", "spellcheck": "true"}),
        error_messages={"required": "Write the note, or leave this page without saving."},
    )

    def __init__(self, *args: Any, sessions: QuerySet[Appointment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["appointment"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 (narrowing for mypy)
        field.queryset = sessions
