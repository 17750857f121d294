from __future__ import annotations

import pytest
from django.urls import reverse

from therapia.audit.models import Action, AuditEvent
from therapia.core.testing import Personas


def overview_url(personas: Personas) -> str:
    return reverse("clients:overview", args=[personas.dana.public_id])


def test_primary_clinician_sees_overview_and_it_is_audited(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    response = http.get(overview_url(personas))
    assert response.status_code == 200
    assert b"Dana Whitfield" in response.content
    assert b"Clinical record" in response.content
    row = AuditEvent.objects.filter(client_id=personas.dana.pk, action=Action.READ).get()
    assert row.actor_user_id == personas.owner.user.pk
    assert row.ip_address == "127.0.0.1"


@pytest.mark.parametrize("persona", ["outsider", "colleague", "researcher"])
def test_outside_the_care_team_is_404(personas: Personas, as_user, persona: str) -> None:
    http = as_user(getattr(personas, persona).user)
    assert http.get(overview_url(personas)).status_code == 404


def test_front_desk_sees_demographics_not_clinical(personas: Personas, as_user) -> None:
    http = as_user(personas.front_desk.user)
    response = http.get(overview_url(personas))
    assert response.status_code == 200
    assert b"Clinical record" not in response.content
