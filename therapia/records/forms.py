from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from therapia.accounts.models import Membership
from therapia.clients.models import Client
from therapia.records.catalogues import (
    INSTRUMENT_BY_ID,
    INSTRUMENTS,
    MODALITIES,
    TARGET_DIRECTIONS,
    Delivery,
    Frequency,
    SessionFormat,
)
from therapia.records.note_services import ADDENDUM_MAX_CHARS, SECTION_MAX_CHARS
from therapia.records.note_templates import GROUP_SUMMARY, TEMPLATES, NoteTemplate, Template
from therapia.records.plan_services import TEXT_MAX_CHARS
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


class NoteForm(forms.Form):
    """The sections of one template: free text, each with its prompt. A draft may leave
    sections empty; those marked as needed must be filled in before signing."""

    def __init__(self, *args: Any, template: NoteTemplate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for section in template.sections:
            needed = " Needed before signing." if section.required else ""
            self.fields[section.key] = forms.CharField(
                label=section.label, help_text=section.prompt + needed, required=False,
                max_length=SECTION_MAX_CHARS, strip=True,
                widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off",
                                             "spellcheck": "true"}))


class NoteStartForm(forms.Form):
    """Which session, and which template: the first step of a new note."""

    template = forms.ChoiceField(label="Template", choices=Template.choices)
    session = SessionChoiceField(queryset=Appointment.objects.none(), required=False,
                                 to_field_name="public_id", label="Session",
                                 empty_label="No session (discharge summary)")

    def __init__(self, *args: Any, sessions: QuerySet[Appointment] | list[Appointment],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["session"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 (narrowing for mypy)
        ids = [s.pk for s in sessions]
        field.queryset = Appointment.objects.filter(pk__in=ids).order_by("-starts_at")


class AddendumForm(forms.Form):
    body = forms.CharField(
        label="Addendum", max_length=ADDENDUM_MAX_CHARS, strip=True,
        help_text="Dated and kept with the note. The note itself does not change.",
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "true"}),
        error_messages={"required": "Write the addendum, or leave without saving."},
    )


class GroupNoteForm(forms.Form):
    """The facilitator's form for a group session: the de-identified summary once, then
    each member's own part. Field names carry the member's row id, never a name."""

    def __init__(self, *args: Any, members: list[Client], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        summary = TEMPLATES[Template.GROUP].section(GROUP_SUMMARY)
        self.fields[GROUP_SUMMARY] = forms.CharField(
            label=summary.label, help_text=summary.prompt, max_length=SECTION_MAX_CHARS,
            widget=forms.Textarea(attrs={"rows": 5, "autocomplete": "off"}),
            error_messages={"required": "Write the group summary: every member's note "
                                        "shares it."})
        self.members = members
        for member in members:
            self.fields[f"m{member.pk}"] = forms.CharField(
                label=f"{member.display_name}: participation", required=False,
                max_length=SECTION_MAX_CHARS,
                help_text="Only this member. Refer to others as “another member”.",
                widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}))

    def member_fields(self) -> list[forms.BoundField]:
        return [self[f"m{member.pk}"] for member in self.members]


MEASURE_CHOICES = [("", "No questionnaire"), *((i.id, i.label) for i in INSTRUMENTS)]
INTERVENTION_CHOICES = [(m.key, m.label) for m in MODALITIES]


class GoalRowForm(forms.Form):
    """One goal: the problem it addresses, how it is measured, and the interventions. Rows
    naming the same problem are grouped under it; an empty row is ignored."""

    problem = forms.CharField(label="Problem", required=False, max_length=TEXT_MAX_CHARS,
                              help_text="In plain words, e.g. “Low mood and withdrawal”.")
    goal = forms.CharField(label="Goal", required=False, max_length=TEXT_MAX_CHARS,
                           help_text="Something you can both see change, e.g. “Back to "
                                     "seeing friends every week”.")
    measure = forms.ChoiceField(label="Measured by", choices=MEASURE_CHOICES, required=False)
    direction = forms.ChoiceField(label="Target", choices=TARGET_DIRECTIONS, required=False)
    target = forms.IntegerField(label="Target score", required=False, min_value=0,
                                max_value=100)
    interventions = forms.MultipleChoiceField(
        label="Interventions", choices=INTERVENTION_CHOICES, required=False,
        help_text="Choose one or more (hold Ctrl or ⌘ to choose several).",
        widget=forms.SelectMultiple(attrs={"size": 6}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        problem, goal = data.get("problem", ""), data.get("goal", "")
        if not problem and not goal and not data.get("interventions") and not data.get(
                "measure"):
            return data
        if not problem:
            self.add_error("problem", "Name the problem this goal addresses.")
        if not goal:
            self.add_error("goal", "Write the goal for this problem.")
        if not data.get("interventions"):
            self.add_error("interventions", "Choose at least one intervention.")
        measure = data.get("measure")
        if measure:
            target = data.get("target")
            if target is None:
                self.add_error("target", "Give the target score.")
            elif target > INSTRUMENT_BY_ID[measure].max_score:
                self.add_error("target", f"{INSTRUMENT_BY_ID[measure].label} scores run from "
                                         f"0 to {INSTRUMENT_BY_ID[measure].max_score}.")
        elif data.get("target") is not None:
            self.add_error("measure", "Choose the questionnaire the target refers to.")
        return data

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not (data.get("problem") or data.get("goal") or data.get("interventions")
                    or data.get("measure"))


GoalFormSet = forms.formset_factory(GoalRowForm, extra=0, max_num=12, absolute_max=12)


class PlanTermsForm(forms.Form):
    frequency = forms.ChoiceField(label="How often", choices=Frequency.CHOICES)
    session_format = forms.ChoiceField(label="Format", choices=SessionFormat.CHOICES)
    delivery = forms.ChoiceField(label="Delivered", choices=Delivery.CHOICES)
    review_on = forms.DateField(label="Review by", widget=forms.DateInput(
        attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="You will see the plan in your review list two weeks before.")


class MemberChoiceField(forms.ModelChoiceField[Membership]):
    def label_from_instance(self, obj: Membership) -> str:
        return obj.user.display_name


class SignOffForm(forms.Form):
    signed_on = forms.DateField(label="Date the client signed", widget=forms.DateInput(
        attrs={"type": "date"}, format="%Y-%m-%d"))
    witnessed_by = MemberChoiceField(queryset=Membership.objects.none(),
                                     label="Witnessed by", to_field_name="public_id")

    def __init__(self, *args: Any, practice_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["witnessed_by"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 (narrowing for mypy)
        field.queryset = (Membership.objects.filter(practice_id=practice_id, is_active=True)
                          .select_related("user").order_by("user__display_name"))
