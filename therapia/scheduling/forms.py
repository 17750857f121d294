"""Forms for booking and changing sessions. Times are entered as the practice's wall-clock
date and time; the time zone field defaults to the practice's and must be a real zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.db.models import QuerySet

from therapia.accounts.models import CLINICAL_ROLES, Membership
from therapia.clients.models import Client, ClientUnit
from therapia.scheduling.models import (
    CancelReason,
    Format,
    Purpose,
    Room,
    SchedulingSettings,
    SessionKind,
    Status,
    TherapyGroup,
    Weekday,
)
from therapia.scheduling.reminders import MAX_LEAD_HOURS
from therapia.scheduling.series import FORTNIGHTLY, WEEKLY, with_end
from therapia.security.actor import Actor
from therapia.security.policy import clients_visible_to

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
REPEATS = (("", "Does not repeat"), ("weekly", "Every week"),
           ("fortnightly", "Every two weeks"), ("custom", "Custom rule (RFC 5545)"))


class ClinicianChoices(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Membership) -> str:
        return obj.user.display_name


def clinicians_of(actor: Actor) -> QuerySet[Membership]:
    return Membership.objects.filter(practice=actor.practice, is_active=True,
                                     role__in=CLINICAL_ROLES).select_related("user")


class WhenForm(forms.Form):
    day = forms.DateField(label="Date", widget=DATE)
    start = forms.TimeField(label="Start time", widget=TIME)
    minutes = forms.IntegerField(label="Length in minutes", min_value=5, max_value=480,
                                 initial=50)
    time_zone = forms.CharField(label="Time zone", max_length=64,
                                help_text="The practice's time zone unless you change it.")

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["time_zone"].initial = actor.practice.time_zone

    def clean_time_zone(self) -> str:
        name: str = self.cleaned_data["time_zone"].strip()
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
            raise forms.ValidationError(f"Unknown time zone “{name}”. Use a name such as "
                                        "Europe/London or America/New_York.") from error
        return name

    def period(self) -> tuple[dt.datetime, dt.datetime]:
        data = self.cleaned_data
        zone = zoneinfo.ZoneInfo(data["time_zone"])
        starts = dt.datetime.combine(data["day"], data["start"], tzinfo=zone)
        return starts, starts + dt.timedelta(minutes=data["minutes"])


class BookingForm(WhenForm):
    kind = forms.ChoiceField(label="Type of session", choices=SessionKind.choices)
    purpose = forms.ChoiceField(choices=Purpose.choices, initial=Purpose.TREATMENT)
    format = forms.ChoiceField(label="How", choices=Format.choices, initial=Format.IN_PERSON)
    room = forms.ModelChoiceField(queryset=Room.objects.none(), required=False,
                                  to_field_name="public_id",
                                  help_text="Needed for a session in person.",
                                  error_messages={"invalid_choice":
                                                  "Choose one of the practice's rooms."})
    clinicians = ClinicianChoices(queryset=Membership.objects.none(), to_field_name="public_id",
                                  help_text="A group can have co-facilitators.")
    client = forms.ModelChoiceField(queryset=Client.objects.none(), required=False,
                                    to_field_name="public_id",
                                    help_text="For an individual session.")
    unit = forms.ModelChoiceField(label="Couple or family", queryset=ClientUnit.objects.none(),
                                  required=False, to_field_name="public_id")
    group = forms.ModelChoiceField(queryset=TherapyGroup.objects.none(), required=False,
                                   to_field_name="public_id")
    repeats = forms.ChoiceField(choices=REPEATS, required=False)
    rule = forms.CharField(label="Custom repeat rule", required=False, max_length=200,
                           help_text="e.g. FREQ=WEEKLY;BYDAY=MO,TH or FREQ=MONTHLY;BYDAY=1TU")
    until = forms.DateField(label="Repeat until", required=False, widget=DATE)
    count = forms.IntegerField(label="Or number of sessions", required=False, min_value=1,
                               max_value=200)
    exceptions = forms.CharField(label="Skip these dates", required=False, max_length=500,
                                 help_text="Dates without a session, e.g. 2026-12-24, "
                                           "2026-12-31")

    field_order = ("kind", "purpose", "format", "day", "start", "minutes", "time_zone",
                   "clinicians", "client", "unit", "group", "room", "repeats", "rule",
                   "until", "count", "exceptions")

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        practice = actor.practice
        self.fields["room"].queryset = Room.objects.filter(practice=practice)  # type: ignore[attr-defined]
        self.fields["clinicians"].queryset = clinicians_of(actor)  # type: ignore[attr-defined]
        self.fields["client"].queryset = clients_visible_to(actor)  # type: ignore[attr-defined]
        self.fields["unit"].queryset = ClientUnit.objects.filter(practice=practice)  # type: ignore[attr-defined]
        self.fields["group"].queryset = TherapyGroup.objects.filter(practice=practice)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == SessionKind.INDIVIDUAL and not data.get("client"):
            self.add_error("client", "Choose the client.")
        if kind in (SessionKind.COUPLE, SessionKind.FAMILY) and not data.get("unit"):
            self.add_error("unit", "Choose the couple or family.")
        if kind == SessionKind.GROUP and not data.get("group"):
            self.add_error("group", "Choose the group.")
        if data.get("format") == Format.IN_PERSON and not data.get("room") \
                and "room" not in self.errors:
            self.add_error("room", "An in-person session needs a room.")
        repeats = data.get("repeats")
        if repeats == "custom" and not data.get("rule"):
            self.add_error("rule", "Give the rule, or choose another repeat.")
        if repeats and data.get("until") and data.get("count"):
            self.add_error("count", "Give an end date or a number of sessions, not both.")
        if repeats and not data.get("until") and not data.get("count"):
            self.add_error("until", "Give an end date or a number of sessions.")
        return data

    def clean_exceptions(self) -> list[dt.date]:
        raw: str = self.cleaned_data.get("exceptions") or ""
        days: list[dt.date] = []
        for part in raw.replace(";", ",").split(","):
            if part.strip():
                try:
                    days.append(dt.date.fromisoformat(part.strip()))
                except ValueError as error:
                    raise forms.ValidationError(
                        f"“{part.strip()}” is not a date (use YYYY-MM-DD).") from error
        return days

    def rrule(self) -> str:
        data = self.cleaned_data
        base = {"weekly": WEEKLY, "fortnightly": FORTNIGHTLY}.get(data["repeats"],
                                                                   data.get("rule") or "")
        return with_end(base, until=data.get("until"), count=data.get("count"))


class MoveForm(WhenForm):
    room = forms.ModelChoiceField(queryset=Room.objects.none(), required=False,
                                  to_field_name="public_id",
                                  error_messages={"invalid_choice":
                                                  "Choose one of the practice's rooms."})
    following = forms.BooleanField(label="Also move the sessions after this one in the series",
                                   required=False)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["room"].queryset = Room.objects.filter(practice=actor.practice)  # type: ignore[attr-defined]


class CancelForm(forms.Form):
    by = forms.ChoiceField(label="Cancelled by", choices=(("client", "The client"),
                                                          ("clinician", "The practice")),
                           widget=forms.RadioSelect)
    reason = forms.ChoiceField(choices=[("", "Choose a reason"), *CancelReason.choices])


class AttendanceForm(forms.Form):
    status = forms.ChoiceField(label="Attendance", widget=forms.RadioSelect, choices=(
        (Status.ATTENDED, "Attended"), (Status.DID_NOT_ATTEND, "Did not attend")))
    reason = forms.ChoiceField(label="Reason (if known)", required=False,
                               choices=[("", "Not known"), *CancelReason.choices])


class MemberAttendanceForm(forms.Form):
    status = forms.ChoiceField(label="Attendance", choices=(
        (Status.ATTENDED, "Attended"), (Status.DID_NOT_ATTEND, "Did not attend"),
        (Status.CANCELLED_CLIENT, "Cancelled")))


class SettingsForm(forms.ModelForm[SchedulingSettings]):
    class Meta:
        model = SchedulingSettings
        fields = ("video_url_template", "late_cancellation_hours", "reminder_lead_hours",
                  "reminders_enabled")
        labels = {"video_url_template": "Video service link",
                  "late_cancellation_hours": "Late-cancellation notice (hours)",
                  "reminder_lead_hours": "Send reminders this many hours before",
                  "reminders_enabled": "Send e-mail reminders to clients"}

    def clean_reminder_lead_hours(self) -> int:
        hours: int = self.cleaned_data["reminder_lead_hours"]
        if not 1 <= hours <= MAX_LEAD_HOURS:
            raise forms.ValidationError(f"Choose between 1 and {MAX_LEAD_HOURS} hours.")
        return hours

    def clean_video_url_template(self) -> str:
        value: str = self.cleaned_data["video_url_template"].strip()
        if value and (not value.startswith("https://") or "{meeting}" not in value):
            raise forms.ValidationError("Use an https:// link containing {meeting}, e.g. "
                                        "https://video.example.org/{meeting}.")
        return value


class WorkingHoursForm(forms.Form):
    weekday = forms.TypedChoiceField(choices=Weekday.choices, coerce=int)
    starts = forms.TimeField(label="From", widget=TIME)
    ends = forms.TimeField(label="To", widget=TIME)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts") and data.get("ends") and data["ends"] <= data["starts"]:
            self.add_error("ends", "The end must be after the start.")
        return data


class TimeOffForm(forms.Form):
    first_day = forms.DateField(widget=DATE)
    last_day = forms.DateField(widget=DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("first_day") and data.get("last_day") and \
                data["last_day"] < data["first_day"]:
            self.add_error("last_day", "The last day is before the first day.")
        return data


class FollowUpForm(forms.Form):
    clinician = forms.ModelChoiceField(queryset=Membership.objects.none(),
                                       to_field_name="public_id")
    months = forms.CharField(label="Months after discharge", initial="1, 3, 6", max_length=40)
    start = forms.TimeField(label="Time", widget=TIME, initial=dt.time(10, 0))
    minutes = forms.IntegerField(min_value=10, max_value=120, initial=50)
    format = forms.ChoiceField(label="How", choices=Format.choices, initial=Format.VIDEO)
    room = forms.ModelChoiceField(queryset=Room.objects.none(), required=False,
                                  to_field_name="public_id")

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = clinicians_of(actor)  # type: ignore[attr-defined]
        self.fields["room"].queryset = Room.objects.filter(practice=actor.practice)  # type: ignore[attr-defined]

    def clean_months(self) -> list[int]:
        raw: str = self.cleaned_data["months"]
        try:
            months = sorted({int(part) for part in raw.replace(";", ",").split(",")
                             if part.strip()})
        except ValueError as error:
            raise forms.ValidationError("Give whole months, e.g. 1, 3, 6.") from error
        if not months or months[0] < 1 or months[-1] > 24:
            raise forms.ValidationError("Give months between 1 and 24, e.g. 1, 3, 6.")
        return months
