"""Building blocks for the scheduling tests."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from therapia.accounts.models import Membership
from therapia.clients.models import CareRole, Client
from therapia.core import factories
from therapia.core.testing import Personas
from therapia.scheduling import services
from therapia.scheduling.models import Appointment, Format, Room, SessionKind

LONDON = zoneinfo.ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 3, 10, 8, 0, tzinfo=LONDON)  # a Tuesday
TOMORROW = dt.date(2026, 3, 11)


def at(day: dt.date, hour: int, minute: int = 0, zone: zoneinfo.ZoneInfo = LONDON) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


def room(personas: Personas, name: str = "Willow Room") -> Room:
    found, _ = Room.objects.get_or_create(practice=personas.practice, name=name,
                                          defaults={"address": "1 River Street"})
    return found


def client_of(personas: Personas, clinician: Membership, family: str = "Okoro") -> Client:
    client = factories.ClientFactory.create(practice=personas.practice,
                                            legal_family_name=family,
                                            email=f"{family.lower()}@example.net")
    factories.CareTeamFactory.create(client=client, membership=clinician, role=CareRole.PRIMARY)
    return client


def book(personas: Personas, *, actor: str = "front_desk", clinician: Membership | None = None,
         clients: list[Client] | None = None, starts: dt.datetime | None = None,
         minutes: int = 50, where: Room | str | None = "default", fmt: str = Format.IN_PERSON,
         kind: str = SessionKind.INDIVIDUAL, **extra: object) -> Appointment:
    starts = starts or at(TOMORROW, 10)
    booking = services.Booking(
        kind=kind, starts_at=starts, ends_at=starts + dt.timedelta(minutes=minutes),
        clinicians=[clinician or personas.owner],
        clients=clients if clients is not None else [personas.dana], format=fmt,
        room=room(personas) if where == "default" and fmt == Format.IN_PERSON
        else None if isinstance(where, str) else where,
        **extra)  # type: ignore[arg-type]
    return services.appointment_book(actor=personas.actor(actor), booking=booking, now=NOW)
