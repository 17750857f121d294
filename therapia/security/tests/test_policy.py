"""The access policy decides every client read: practice, care team and role."""

from __future__ import annotations

import datetime as dt

import pytest

from therapia.clients.models import CareTeamMember
from therapia.core.testing import Personas
from therapia.security import policy
from therapia.security.policy import Access

EXPECTED = {
    "owner": Access.CLINICAL,  # primary clinician
    "trainee": Access.CLINICAL,  # secondary clinician
    "supervisor": Access.CLINICAL,  # on the care team as supervisor
    "front_desk": Access.DEMOGRAPHICS,
    "colleague": Access.NONE,  # same practice, not on the care team
    "researcher": Access.NONE,  # aggregates only
    "outsider": Access.NONE,  # another practice
}


@pytest.mark.parametrize(("persona", "level"), EXPECTED.items())
def test_access_level_per_persona(personas: Personas, persona: str, level: Access) -> None:
    actor = personas.actor(persona)
    assert policy.client_access(actor, personas.dana) == level
    for wanted in (Access.DEMOGRAPHICS, Access.CLINICAL):
        visible = policy.clients_visible_to(actor, wanted).filter(pk=personas.dana.pk).exists()
        assert visible == (level >= wanted), (persona, wanted)


def test_leaving_the_care_team_ends_access(personas: Personas) -> None:
    actor = personas.actor("trainee")
    CareTeamMember.objects.filter(membership=personas.trainee).update(ended_on=dt.date(2026, 2, 1))
    assert policy.client_access(actor, personas.dana) == Access.NONE


def test_inactive_membership_sees_nothing(personas: Personas) -> None:
    personas.owner.is_active = False
    personas.owner.save()
    assert policy.client_access(personas.actor("owner"), personas.dana) == Access.NONE


def test_outsider_owner_never_reaches_another_practice(personas: Personas) -> None:
    visible = policy.clients_visible_to(personas.actor("outsider"), Access.DEMOGRAPHICS)
    assert list(visible) == [personas.outsider_client]
