"""Recurring series: RFC 5545 rules over the practice's wall-clock time.

A series keeps its rule, its first date and its local start time; each occurrence is that
wall-clock time on the rule's dates, placed in the practice's time zone only when it is
materialised, so a weekly 10:00 session stays at 10:00 across daylight-saving changes.
Occurrences are materialised as appointments up to HORIZON_WEEKS ahead (extend_horizons
moves the horizon on; run it daily). "This one" is an ordinary move or cancellation of
the appointment, which keeps its occurrence_start so it is never materialised again;
"this and following" ends the series before the occurrence and starts a new one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from therapia.audit.models import Action
from therapia.scheduling import services, session_policy
from therapia.scheduling.models import Appointment, Series, Status
from therapia.security.actor import Actor

HORIZON_WEEKS = 26  # materialise half a year ahead
MAX_OCCURRENCES = 200
WEEKLY = "FREQ=WEEKLY"
FORTNIGHTLY = "FREQ=WEEKLY;INTERVAL=2"


def parse_rule(text: str, first: dt.datetime) -> rrule:
    """The rule as dateutil's rrule, starting at the naive local `first`; a clear error
    for anything that is not a single RRULE."""
    body = text.strip().removeprefix("RRULE:")
    if not body or "\n" in body or "DTSTART" in body.upper():
        raise ValidationError({"rule": "Give one RRULE, e.g. FREQ=WEEKLY;BYDAY=MO,TH."})
    try:
        rule = rrulestr(body, dtstart=first)
    except (ValueError, TypeError) as error:
        raise ValidationError({"rule": f"That repeat rule is not valid RFC 5545: {error}."}
                              ) from error
    if not isinstance(rule, rrule):
        raise ValidationError({"rule": "Give one RRULE, e.g. FREQ=WEEKLY;BYDAY=MO,TH."})
    return rule


def with_end(rule_text: str, *, until: dt.date | None, count: int | None) -> str:
    """Add an end date or a count to a rule that has neither."""
    parts = [part for part in rule_text.strip().removeprefix("RRULE:").split(";")
             if part and not part.upper().startswith(("UNTIL=", "COUNT="))]
    if until is not None and count is not None:
        raise ValidationError({"count": "Give an end date or a number of sessions, not both."})
    if until is not None:
        parts.append(f"UNTIL={until:%Y%m%d}T235959")
    if count is not None:
        parts.append(f"COUNT={count}")
    return ";".join(parts)


def local_starts(series: Series, *, through: dt.date) -> list[dt.datetime]:
    """Aware start times of the occurrences on or before `through`, minus exceptions."""
    zone = services.zone_of(series.time_zone)
    first = dt.datetime.combine(series.starts_on, series.start_time)
    rule = parse_rule(series.rule, first)
    skipped = {dt.date.fromisoformat(day) for day in series.exceptions}
    found: list[dt.datetime] = []
    for naive in rule:
        if naive.date() > through or len(found) >= MAX_OCCURRENCES:
            break
        if naive.date() not in skipped:
            found.append(naive.replace(tzinfo=zone))
    return found


def _template(series: Series) -> services.Booking:
    return services.Booking(
        kind=series.kind, starts_at=timezone.now(), ends_at=timezone.now(),
        clinicians=list(series.clinicians.select_related("user")),
        clients=list(series.clients.all()), purpose=series.purpose, format=series.format,
        room=series.room, unit=series.unit, group=series.group, episode=series.episode)


def _materialise(actor: Actor, series: Series, *, through: dt.date, now: dt.datetime,
                 strict: bool) -> list[Appointment]:
    """Book the occurrences not yet booked. strict: refuse the whole series at the first
    clash (when it is created); otherwise skip clashing occurrences (horizon extension)."""
    done = set(series.appointments.values_list("occurrence_start", flat=True))
    template = _template(series)
    made: list[Appointment] = []
    for start in local_starts(series, through=through):
        if start in done or start < now:
            continue
        booking = replace(template, starts_at=start,
                          ends_at=start + dt.timedelta(minutes=series.minutes),
                          clients=[] if series.group_id else list(template.clients))
        try:
            services.validate_booking(actor, booking, now=now)
        except ValidationError as error:
            if not strict:
                continue
            local = start.astimezone(services.zone_of(series.time_zone))
            message = " ".join(error.messages)
            raise ValidationError({"starts_at": f"{local:%a} {local.day} {local:%b %Y}: "
                                                f"{message} Add that date as an exception, "
                                                "or choose another time."}) from error
        made.append(services.write_booking(actor, booking, series_id=series.pk,
                                           occurrence_start=start))
    series.materialised_until = through
    series.save(update_fields=["materialised_until", "updated_at"])
    return made


@transaction.atomic
def series_create(*, actor: Actor, booking: services.Booking, rule: str,
                  exceptions: list[dt.date] | None = None,
                  now: dt.datetime | None = None) -> Series:
    """A recurring series from the first session's booking and a rule; books the
    occurrences within the horizon, or none if any of them clashes."""
    if not session_policy.can_book(actor):
        raise PermissionDenied("Your role cannot book sessions.")
    moment = now or timezone.now()
    zone_name = actor.practice.time_zone
    zone = services.zone_of(zone_name)
    local = booking.starts_at.astimezone(zone)
    parse_rule(rule, local.replace(tzinfo=None))
    minutes = int((booking.ends_at - booking.starts_at).total_seconds() // 60)
    if minutes <= 0:
        raise ValidationError({"ends_at": "The session must end after it starts."})
    services.validate_booking(actor, replace(booking), now=moment)
    series = Series.objects.create(
        practice=actor.practice, rule=rule, starts_on=local.date(), start_time=local.time(),
        time_zone=zone_name, minutes=minutes,
        exceptions=[day.isoformat() for day in exceptions or []], kind=booking.kind,
        purpose=booking.purpose, format=booking.format, room=booking.room, unit=booking.unit,
        group=booking.group, episode=booking.episode)
    series.clinicians.set(booking.clinicians)
    if booking.group is None:
        series.clients.set(booking.clients)
    through = moment.astimezone(zone).date() + dt.timedelta(weeks=HORIZON_WEEKS)
    made = _materialise(actor, series, through=through, now=moment, strict=True)
    if not made:
        raise ValidationError({"rule": "That rule gives no sessions from the first date."})
    for appointment in made:
        services.audit_booking(actor, appointment, booking.clients,
                               ["series", "starts_at", "ends_at"])
    return series


def occurrences_booked(series: Series) -> int:
    return series.appointments.count()


@transaction.atomic
def series_change_following(*, actor: Actor, appointment: Appointment,
                            starts_at: dt.datetime, ends_at: dt.datetime,
                            now: dt.datetime | None = None) -> Series:
    """"This and following": the series ends before this occurrence; a new series with
    the new time (and the same rule, from this date) takes over, with the rest of a count."""
    series = appointment.series
    if series is None:
        raise ValidationError("This session is not part of a series.")
    if not session_policy.can_change(actor, appointment):
        raise PermissionDenied("You cannot change this session.")
    moment = now or timezone.now()
    series = Series.objects.select_for_update().get(pk=series.pk)
    split = appointment.occurrence_start or appointment.starts_at
    zone = services.zone_of(series.time_zone)
    split_local = split.astimezone(zone)
    before = [start for start in local_starts(series, through=split_local.date())
              if start < split]
    rule_parts = series.rule.split(";")
    count = next((int(p[6:]) for p in rule_parts if p.upper().startswith("COUNT=")), None)
    base = ";".join(p for p in rule_parts if not p.upper().startswith(("COUNT=", "UNTIL=")))
    original_until = next((p for p in rule_parts if p.upper().startswith("UNTIL=")), None)
    # The old series stops the day before the split.
    series.rule = with_end(base, until=split_local.date() - dt.timedelta(days=1), count=None) \
        if before else base
    series.ended = not before
    series.save(update_fields=["rule", "ended", "updated_at"])
    future = list(series.appointments.filter(occurrence_start__gte=split,
                                             status=Status.SCHEDULED))
    clients = list(appointment.clients.all())
    for old in future:
        services.audit_booking(actor, old, clients, ["series"], action=Action.DELETE)
        old.delete()
    new_rule = base
    if count is not None:
        new_rule = with_end(base, until=None, count=max(count - len(before), 1))
    elif original_until:
        new_rule = f"{base};{original_until}"
    booking = _template(series)
    booking = replace(booking, starts_at=starts_at, ends_at=ends_at,
                      clients=[] if series.group_id else booking.clients)
    return series_create(actor=actor, booking=booking, rule=new_rule,
                         exceptions=[dt.date.fromisoformat(d) for d in series.exceptions],
                         now=moment)


@transaction.atomic
def series_extend(*, actor: Actor, series: Series, now: dt.datetime | None = None) -> int:
    """Move the horizon on: book the occurrences that now fall within it (skipping any that
    would clash). Returns how many were booked."""
    moment = now or timezone.now()
    zone = services.zone_of(series.time_zone)
    through = moment.astimezone(zone).date() + dt.timedelta(weeks=HORIZON_WEEKS)
    if series.ended or (series.materialised_until and series.materialised_until >= through):
        return 0
    return len(_materialise(actor, series, through=through, now=moment, strict=False))


def follow_up_dates(base: dt.date, months: list[int]) -> list[dt.date]:
    return [base + relativedelta(months=m) for m in months]
