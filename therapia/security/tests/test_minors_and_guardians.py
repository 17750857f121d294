"""Minors and guardians (MI-1..4; test T-13): guardian access follows the jurisdiction's
law, the minor's age and capacity, and the guardianship's own terms, changing on the
birthday by itself; care a minor consented to alone is kept from guardians."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from therapia.audit.models import AuditEvent
from therapia.clients.models import Episode, RelatedPerson
from therapia.core.testing import Personas, sign_in
from therapia.security import guardianship, minors
from therapia.security.guardianship import GuardianAccess

pytestmark = pytest.mark.django_db
BORN = dt.date(2012, 3, 14)


def guardian_of_minor(personas: Personas, jurisdiction: str = "GB-ENG",
                      **terms: object) -> RelatedPerson:
    practice = personas.practice
    practice.jurisdiction = jurisdiction
    practice.save()
    minor = personas.dana
    minor.date_of_birth = BORN
    minor.save()
    return RelatedPerson.objects.create(
        client=minor, name="Grace Whitfield", relationship="guardian",
        legal_basis="parental_responsibility", valid_from=BORN, **terms)


def access(guardian: RelatedPerson, day: dt.date) -> GuardianAccess:
    return guardianship.guardian_access(guardian, day).access


@pytest.mark.parametrize(("jurisdiction", "day", "expected"), [
    # England: the minor consents for themselves at 16 (FLRA 1969 s.8); majority at 18.
    ("GB-ENG", dt.date(2028, 3, 13), GuardianAccess.FULL),
    ("GB-ENG", dt.date(2028, 3, 14), GuardianAccess.LIMITED),
    ("GB-ENG", dt.date(2030, 3, 13), GuardianAccess.LIMITED),
    ("GB-ENG", dt.date(2030, 3, 14), GuardianAccess.NONE),
    # United States (any state, by fallback): limited proxy from 12.
    ("US-CA", dt.date(2024, 3, 13), GuardianAccess.FULL),
    ("US-CA", dt.date(2024, 3, 14), GuardianAccess.LIMITED),
    # Ontario: no age narrows it; only a capacity finding does; ends at 18.
    ("CA-ON", dt.date(2029, 6, 1), GuardianAccess.FULL),
    ("CA-ON", dt.date(2030, 3, 14), GuardianAccess.NONE),
])
def test_t13_guardian_access_changes_on_the_birthday_by_itself(
        personas: Personas, jurisdiction: str, day: dt.date, expected: GuardianAccess) -> None:
    guardian = guardian_of_minor(personas, jurisdiction)
    assert access(guardian, day) == expected


def test_the_next_change_is_the_birthday_it_happens_on(personas: Personas) -> None:
    guardian = guardian_of_minor(personas, "GB-ENG")
    when, then = guardianship.next_change(guardian, dt.date(2026, 11, 21)) or (None, None)
    assert when == dt.date(2028, 3, 14) and then is not None
    assert then.access == GuardianAccess.LIMITED


@pytest.mark.parametrize(("terms", "expected"), [
    ({"restricted_by_order": True}, GuardianAccess.NONE),  # court order overrides (MI-1)
    ({"has_custody": False}, GuardianAccess.NONE),  # PHIPA Decision 183
    ({"valid_until": dt.date(2020, 1, 1)}, GuardianAccess.NONE),  # guardianship ended
    ({"access_scope": "limited"}, GuardianAccess.LIMITED),
])
def test_t13_the_guardianships_own_terms_narrow_access(
        personas: Personas, terms: dict[str, object], expected: GuardianAccess) -> None:
    guardian = guardian_of_minor(personas, "GB-ENG", **terms)
    assert access(guardian, dt.date(2024, 1, 1)) == expected


def test_a_capacity_finding_limits_a_guardian_before_the_age_rule(personas: Personas) -> None:
    guardian = guardian_of_minor(personas, "CA-ON")
    owner = personas.actor("owner")
    minors.capacity_record(actor=owner, client=guardian.client, has_capacity=True,
                           determined_on=dt.date(2026, 1, 5))
    assert access(guardian, dt.date(2026, 1, 4)) == GuardianAccess.FULL
    assert access(guardian, dt.date(2026, 1, 5)) == GuardianAccess.LIMITED
    minors.capacity_record(actor=owner, client=guardian.client, has_capacity=False,
                           determined_on=dt.date(2026, 2, 1))
    assert access(guardian, dt.date(2026, 2, 1)) == GuardianAccess.FULL  # the latest counts


def test_mi2_care_the_minor_consented_to_alone_is_kept_from_guardians(
        personas: Personas) -> None:
    guardian = guardian_of_minor(personas)
    minor = guardian.client
    private = Episode.objects.create(practice=personas.practice, client=minor,
                                     opened_on=dt.date(2025, 1, 6), status="discharged",
                                     discharged_on=dt.date(2025, 3, 1),
                                     discharge_reason="completed")
    shared = Episode.objects.create(practice=personas.practice, client=minor,
                                    opened_on=dt.date(2025, 9, 1))
    minors.confidentiality_record(actor=personas.actor("owner"), episode=private,
                                  basis="minor_consented")
    hidden = Episode.objects.filter(guardianship.hidden_from_guardians(minor))
    assert list(hidden) == [private]
    assert shared not in hidden
    with pytest.raises(ValidationError):
        minors.confidentiality_record(actor=personas.actor("owner"), episode=private,
                                      basis="minor_consented")


def test_capacity_findings_need_a_plausible_date(personas: Personas) -> None:
    guardian = guardian_of_minor(personas)
    for day in (timezone.localdate() + dt.timedelta(days=1), BORN - dt.timedelta(days=1)):
        with pytest.raises(ValidationError):
            minors.capacity_record(actor=personas.actor("owner"), client=guardian.client,
                                   has_capacity=True, determined_on=day)


def test_the_guardians_page_shows_access_and_records_capacity(personas: Personas) -> None:
    guardian_of_minor(personas, "GB-ENG")
    alice = sign_in(HttpClient(), personas.owner.user)
    url = reverse("security:guardians", args=[personas.dana.public_id])
    page = alice.get(url)
    assert page.status_code == 200 and b"Grace Whitfield" in page.content
    assert b"Family Law Reform Act 1969" in page.content
    bad = alice.post(url, {"has_capacity": "yes"})
    assert bad.status_code == 422
    good = alice.post(url, {"has_capacity": "yes", "determined_on": "2026-01-05"})
    assert good.status_code == 302
    assert AuditEvent.objects.filter(object_type="security.MinorCapacity").exists()


@pytest.mark.parametrize("persona", ["colleague", "front_desk", "researcher", "outsider"])
def test_only_the_care_team_sees_the_guardians_page(personas: Personas, persona: str) -> None:
    http = sign_in(HttpClient(), getattr(personas, persona).user)
    url = reverse("security:guardians", args=[personas.dana.public_id])
    assert http.get(url).status_code == 404


def test_a_law_for_an_unlisted_jurisdiction_is_the_cautious_default() -> None:
    assert guardianship.law_for("FR") is guardianship.DEFAULT
    assert guardianship.law_for("gb-eng").limited_from_age == 16
