"""What a guardian may see of a minor's record, decided from the law of the practice's
jurisdiction, the minor's age and capacity, and the guardianship itself (MI-1..4).

    FULL      the guardian acts for the minor: schedule, billing, messages, questionnaire
              scores (never progress-note text, MI-4, nor psychotherapy notes)
    LIMITED   scheduling, billing and messages only (MI-3)
    NONE      the guardian has no access: not a current guardian, restricted by a court
              order, a non-custodial parent, or the minor has come of age

Services the minor consented to on their own are hidden from guardians at every level
(MI-2; 45 CFR 164.502(g)(3)). Age changes the answer by itself: nothing has to run on the
birthday, the rules are applied to the day asked about.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from django.db.models import Q

from therapia.clients.models import Client, RelatedPerson, Relationship
from therapia.security.models import MinorCapacity, MinorConfidentiality


class GuardianAccess(enum.IntEnum):
    NONE = 0
    LIMITED = 1
    FULL = 2


@dataclass(frozen=True)
class MinorsLaw:
    """When a guardian's access narrows and ends, in one jurisdiction."""

    limited_from_age: int | None  # None: only a recorded capacity determination narrows it
    ends_at_age: int
    source: str


# Each row cites its source; a practice whose jurisdiction is not listed gets DEFAULT.
LAWS: dict[str, MinorsLaw] = {
    "GB-ENG": MinorsLaw(16, 18, "Family Law Reform Act 1969 s.8(1) (16- and 17-year-olds "
                        "consent to treatment themselves); Gillick v West Norfolk AHA [1986] "
                        "AC 112 (a competent younger child may too); majority at 18 (s.1)."),
    "GB-WLS": MinorsLaw(16, 18, "As England: Family Law Reform Act 1969 s.8(1), s.1."),
    "US": MinorsLaw(12, 18, "45 CFR 164.502(g)(3) defers to state minor-consent law; US "
                    "portals commonly narrow parental proxy to limited at 12 "
                    "(specs/confidentiality.md S74). Majority at 18 in most states."),
    "CA-ON": MinorsLaw(None, 18, "Ontario: no age of consent to treatment, capacity is "
                       "assessed case by case (Health Care Consent Act 1996 s.4; CRPO, "
                       "specs S77); Age of Majority and Accountability Act s.1: 18."),
}
DEFAULT = MinorsLaw(None, 18, "No rule for this jurisdiction: only a recorded capacity "
                    "determination narrows a guardian's access; it ends at 18.")


def law_for(jurisdiction: str) -> MinorsLaw:
    """The most specific rule: "US-CA" falls back to "US", "GB-ENG" is itself."""
    code = jurisdiction.upper()
    while code:
        if code in LAWS:
            return LAWS[code]
        code = code.rpartition("-")[0]
    return DEFAULT


def has_capacity(client: Client, day: dt.date) -> bool:
    """A clinician's latest determination on or before `day` says the minor has capacity."""
    latest = (MinorCapacity.objects.filter(client=client, determined_on__lte=day)
              .order_by("-determined_on", "-created_at").first())
    return latest is not None and latest.has_capacity


@dataclass(frozen=True)
class Decision:
    access: GuardianAccess
    reason: str  # plain words, for the clinician's screen


def _why_none(guardian: RelatedPerson, day: dt.date, law: MinorsLaw) -> str | None:
    age = guardian.client.age_on(day)
    reasons = [
        (guardian.relationship != Relationship.GUARDIAN or not guardian.is_current(day),
         "Not a current guardian."),
        (guardian.restricted_by_order, "A court order restricts this guardian's access."),
        (not guardian.has_custody, "A parent without custody has no right of access."),
        (age >= law.ends_at_age, f"The client is {age}: guardian access has ended."),
    ]
    return next((why for applies, why in reasons if applies), None)


def _why_limited(guardian: RelatedPerson, day: dt.date, law: MinorsLaw) -> str | None:
    age = guardian.client.age_on(day)
    if has_capacity(guardian.client, day):
        return "The client was found to have capacity to decide about their care."
    if law.limited_from_age is not None and age >= law.limited_from_age:
        return f"At {age} the client decides about their own care."
    if guardian.access_scope == "limited":
        return "Limited by the terms of the guardianship."
    return None


def guardian_access(guardian: RelatedPerson, day: dt.date) -> Decision:
    """What `guardian` may see of their minor's record on `day`."""
    law = law_for(guardian.client.practice.jurisdiction)
    if why := _why_none(guardian, day, law):
        return Decision(GuardianAccess.NONE, why)
    if why := _why_limited(guardian, day, law):
        return Decision(GuardianAccess.LIMITED, why)
    return Decision(GuardianAccess.FULL, "Acts for the client.")


def next_change(guardian: RelatedPerson, today: dt.date) -> tuple[dt.date, Decision] | None:
    """The next birthday on which the guardian's access changes by age alone, if any."""
    law = law_for(guardian.client.practice.jurisdiction)
    now = guardian_access(guardian, today)
    for age in sorted({a for a in (law.limited_from_age, law.ends_at_age) if a is not None}):
        born = guardian.client.date_of_birth
        try:
            birthday = born.replace(year=born.year + age)
        except ValueError:  # born on 29 February
            birthday = dt.date(born.year + age, 3, 1)
        if birthday > today:
            then = guardian_access(guardian, birthday)
            if then.access != now.access:
                return birthday, then
    return None


def hidden_from_guardians(client: Client) -> Q:
    """A filter over the client's episodes: those the minor consented to on their own (MI-2)."""
    private = MinorConfidentiality.objects.filter(client=client).values("episode_id")
    return Q(pk__in=private)
