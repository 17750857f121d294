"""Reads about the people of a practice: members, practitioner profiles, licences and CE.

Every lookup by public id is scoped to the actor's practice here, so a UUID from another
practice is a 404 (house rule 3). Licence expiry and CE progress are computed here too, so the
people page, the practitioner page and (later) the agenda all say the same thing.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet
from django.http import Http404
from django.utils import dateformat, timezone

from therapia.accounts.models import (
    ContinuingEducation,
    Licence,
    LicenceStatus,
    Membership,
    Practice,
    PractitionerProfile,
    User,
)
from therapia.security import policy
from therapia.security.actor import Actor

_USABLE = frozenset({LicenceStatus.ACTIVE, LicenceStatus.PROVISIONAL})


def practice_today(practice: Practice) -> dt.date:
    """Today's date where the practice is, which is the date its licences expire by."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(practice.time_zone)).date()


def hours_text(hours: Decimal) -> str:
    """12.5 → '12.5', 20.0 → '20'."""
    text = f"{hours:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _long_date(day: dt.date) -> str:
    return dateformat.format(day, "j F Y")


# --- Licence standing ---------------------------------------------------------------------


@dataclass(frozen=True)
class LicenceStanding:
    """A licence and what its dates and status mean today, in words."""

    licence: Licence
    state: str  # 'ok', 'expiring', 'expired' (Licence.expiry_state) or 'not_current'
    days_left: int | None  # None when the licence has no expiry date
    summary: str  # "expires in 30 days", "expired on 3 March 2026", "suspended", …

    @property
    def needs_attention(self) -> bool:
        return self.state != "ok"

    @property
    def badge_class(self) -> str:
        return {"ok": "badge-ok", "expiring": "badge-warn"}.get(self.state, "badge-danger")


def licence_standing(licence: Licence, today: dt.date) -> LicenceStanding:
    expiry = licence.expiry_state(today)
    days_left = (licence.expires_on - today).days if licence.expires_on else None
    if expiry == "expired" and licence.expires_on:
        return LicenceStanding(licence, "expired", days_left,
                               f"expired on {_long_date(licence.expires_on)}")
    if licence.status not in _USABLE:
        return LicenceStanding(licence, "not_current", days_left,
                               licence.get_status_display().lower())
    if expiry == "expiring":
        if days_left == 0:
            summary = "expires today"
        else:
            summary = f"expires in {days_left} day{'' if days_left == 1 else 's'}"
        return LicenceStanding(licence, "expiring", days_left, summary)
    if licence.expires_on is None:
        return LicenceStanding(licence, "ok", None, "current, no expiry date")
    return LicenceStanding(licence, "ok", days_left,
                           f"current until {_long_date(licence.expires_on)}")


def licence_standings(licences: Iterable[Licence], today: dt.date) -> list[LicenceStanding]:
    return [licence_standing(licence, today) for licence in licences]


def licence_warnings_for(*, user: User, today: dt.date) -> list[LicenceStanding]:
    """The user's licences that are expired, expire within LICENCE_WARNING_DAYS, or are not
    current (suspended, lapsed). Empty for someone with no practitioner profile."""
    licences = Licence.objects.filter(practitioner__user=user)
    return [s for s in licence_standings(licences, today) if s.needs_attention]


# --- Continuing education -------------------------------------------------------------------


@dataclass(frozen=True)
class CeProgress:
    """Hours logged in a licence's current renewal cycle against the hours it requires."""

    licence: Licence
    starts_on: dt.date | None
    ends_on: dt.date | None
    logged: Decimal
    required: Decimal
    entries: list[ContinuingEducation] = field(default_factory=list)

    @property
    def has_cycle(self) -> bool:
        return self.starts_on is not None

    @property
    def complete(self) -> bool:
        return self.logged >= self.required

    @property
    def summary(self) -> str:
        return f"{hours_text(self.logged)} of {hours_text(self.required)} hours"

    @property
    def bar_value(self) -> str:
        """For <progress value>: capped at the maximum, plain digits."""
        return hours_text(min(self.logged, self.required))

    @property
    def bar_max(self) -> str:
        return hours_text(self.required)


def in_cycle(entry: ContinuingEducation, licence: Licence, today: dt.date) -> bool:
    if licence.cycle_starts_on is None or entry.completed_on < licence.cycle_starts_on:
        return False
    if entry.completed_on > today:
        return False
    return licence.expires_on is None or entry.completed_on <= licence.expires_on


def ce_progress(
    licence: Licence, today: dt.date, *, entries: Sequence[ContinuingEducation] | None = None
) -> CeProgress:
    """CE hours completed from the licence's cycle_starts_on until its expiry (and not after
    today). Pass the practitioner's `entries` when already loaded, to save a query."""
    if entries is None:
        entries = list(ContinuingEducation.objects.filter(practitioner_id=licence.practitioner_id))
    counted = [e for e in entries if in_cycle(e, licence, today)]
    return CeProgress(
        licence=licence,
        starts_on=licence.cycle_starts_on,
        ends_on=licence.expires_on,
        logged=sum((e.hours for e in counted), Decimal(0)),
        required=licence.ce_hours_required,
        entries=counted,
    )


# --- The people page ------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    membership: Membership
    profile: PractitionerProfile | None
    licences: list[LicenceStanding]
    can_prescribe: bool


def _profile_of(user: User) -> PractitionerProfile | None:
    try:
        return user.practitioner
    except PractitionerProfile.DoesNotExist:
        return None


def _row(membership: Membership, today: dt.date) -> PersonRow:
    profile = _profile_of(membership.user)
    return PersonRow(
        membership=membership,
        profile=profile,
        licences=licence_standings(profile.licences.all(), today) if profile else [],
        can_prescribe=bool(profile and profile.can_prescribe(today)),
    )


def _members(practice: Practice) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(practice=practice)
        .select_related("user", "user__practitioner")
        .prefetch_related("user__practitioner__licences")
        .order_by("user__display_name", "pk")
    )


def people_for(*, actor: Actor, today: dt.date) -> list[PersonRow]:
    """Every member of the actor's practice, active or not, in two queries."""
    return [_row(m, today) for m in _members(actor.practice)]


def person_row_for(*, actor: Actor, public_id: uuid.UUID, today: dt.date) -> PersonRow:
    return _row(membership_get_for(actor=actor, public_id=public_id, members=True), today)


# --- Scoped lookups -------------------------------------------------------------------------


def membership_get_for(
    *, actor: Actor, public_id: uuid.UUID, members: bool = False
) -> Membership:
    """A membership of the actor's practice, or 404."""
    query = _members(actor.practice) if members else Membership.objects.filter(
        practice=actor.practice).select_related("user")
    found = query.filter(public_id=public_id).first()
    if found is None:
        raise Http404("No such member")
    return found


def practitioner_for_editing(*, actor: Actor, public_id: uuid.UUID) -> PractitionerProfile:
    """The practitioner profile of a member whose credentials the actor may edit, or 404."""
    membership = membership_get_for(actor=actor, public_id=public_id)
    profile = _profile_of(membership.user)
    if profile is None or not policy.can_edit_credentials(actor, profile):
        raise Http404("No such practitioner")
    return profile


def licence_get_for(*, actor: Actor, public_id: uuid.UUID) -> Licence:
    """A licence the actor may edit, or 404 (another practice's, or a colleague's)."""
    licence = (
        Licence.objects.filter(public_id=public_id,
                               practitioner__user__memberships__practice=actor.practice)
        .select_related("practitioner__user")
        .first()
    )
    if licence is None or not policy.can_edit_credentials(actor, licence.practitioner):
        raise Http404("No such licence")
    return licence


def ce_entry_get_for(*, actor: Actor, public_id: uuid.UUID) -> ContinuingEducation:
    entry = (
        ContinuingEducation.objects.filter(
            public_id=public_id, practitioner__user__memberships__practice=actor.practice)
        .select_related("practitioner__user")
        .first()
    )
    if entry is None or not policy.can_edit_credentials(actor, entry.practitioner):
        raise Http404("No such entry")
    return entry


def membership_for_user(*, actor: Actor, user_id: int) -> Membership:
    found = Membership.objects.filter(practice=actor.practice, user_id=user_id).first()
    if found is None:
        raise Http404("No such member")
    return found


# --- The practitioner page ------------------------------------------------------------------


@dataclass(frozen=True)
class PersonPage:
    membership: Membership
    profile: PractitionerProfile | None
    licences: list[LicenceStanding]
    cycles: list[CeProgress]  # one per licence, in the licences' order
    other_entries: list[ContinuingEducation]  # CE in no licence's current cycle
    can_prescribe: bool
    can_edit: bool


def person_page_for(*, actor: Actor, public_id: uuid.UUID, today: dt.date) -> PersonPage:
    membership = membership_get_for(actor=actor, public_id=public_id, members=True)
    profile = _profile_of(membership.user)
    if profile is None:
        return PersonPage(membership, None, [], [], [], can_prescribe=False, can_edit=False)
    licences = list(profile.licences.all())
    entries = list(profile.ce_entries.all())
    cycles = [ce_progress(licence, today, entries=entries) for licence in licences]
    counted = {e.pk for cycle in cycles for e in cycle.entries}
    return PersonPage(
        membership=membership,
        profile=profile,
        licences=licence_standings(licences, today),
        cycles=cycles,
        other_entries=[e for e in entries if e.pk not in counted],
        can_prescribe=profile.can_prescribe(today),
        can_edit=policy.can_edit_credentials(actor, profile),
    )
