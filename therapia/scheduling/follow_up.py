"""Follow-up sessions after discharge (e.g. at 1, 3 and 6 months), booked as part of
closing an episode. The discharge flow (clients app) calls follow_ups_book in its own
transaction after the episode is discharged, or links to the follow-up page."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from therapia.accounts.models import Membership
from therapia.clients.models import Episode
from therapia.scheduling import services, session_policy
from therapia.scheduling.models import Appointment, Purpose, Room, SessionKind
from therapia.security.actor import Actor


@transaction.atomic
def follow_ups_book(*, actor: Actor, episode: Episode, clinician: Membership,
                    months: list[int], start: dt.time, minutes: int, format: str,
                    room: Room | None = None,
                    now: dt.datetime | None = None) -> list[Appointment]:
    """One follow-up session per month offset, counted from discharge (or today for an
    episode still open), at the same local time, linked to the episode."""
    client = episode.client
    if not session_policy.can_book_for(actor, client):
        raise PermissionDenied("You cannot book sessions for this client.")
    zone = services.zone_of(actor.practice.time_zone)
    moment = now or timezone.now()
    base = episode.discharged_on or moment.astimezone(zone).date()
    booked: list[Appointment] = []
    for offset in months:
        day = base + relativedelta(months=offset)
        starts = dt.datetime.combine(day, start, tzinfo=zone)
        booking = services.Booking(
            kind=SessionKind.INDIVIDUAL, starts_at=starts,
            ends_at=starts + dt.timedelta(minutes=minutes), clinicians=[clinician],
            clients=[client], purpose=Purpose.FOLLOW_UP, format=format, room=room,
            episode=episode)
        try:
            booked.append(services.appointment_book(actor=actor, booking=booking, now=moment))
        except ValidationError as error:
            raise ValidationError(f"{day:%d %B %Y}: {' '.join(error.messages)}") from error
    return booked
