"""Related persons (guardians with a legal basis) and the care team."""

from __future__ import annotations

from django.urls import reverse

from therapia.audit.models import Action, AuditEvent
from therapia.clients.models import CareRole, RelatedPerson
from therapia.core.testing import Personas

GUARDIAN = {"name": "Maya Whitfield", "relationship": "guardian", "relationship_detail": "mother",
            "legal_basis": "parental_responsibility", "valid_from": "2012-05-01",
            "valid_until": "", "phone": "", "email": ""}


def test_guardian_is_recorded_with_legal_basis_and_audited(personas: Personas, as_user) -> None:
    url = reverse("clients:related_person_add", args=[personas.dana.public_id])
    response = as_user(personas.owner.user).post(url, GUARDIAN)
    assert response.status_code == 302
    person = RelatedPerson.objects.get(client=personas.dana)
    assert person.legal_basis == "parental_responsibility"
    row = AuditEvent.objects.get(object_id=str(person.public_id), action=Action.CREATE)
    assert row.client_id == personas.dana.pk and "Maya" not in str(row.fields)


def test_guardian_without_legal_basis_or_start_is_refused(personas: Personas, as_user) -> None:
    url = reverse("clients:related_person_add", args=[personas.dana.public_id])
    response = as_user(personas.owner.user).post(
        url, {**GUARDIAN, "legal_basis": "", "valid_from": ""})
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_legal_basis_error"' in body and "legal basis" in body
    assert 'id="id_valid_from_error"' in body
    assert not RelatedPerson.objects.exists()


def test_dates_in_the_wrong_order_are_refused(personas: Personas, as_user) -> None:
    url = reverse("clients:related_person_add", args=[personas.dana.public_id])
    response = as_user(personas.owner.user).post(url, {**GUARDIAN, "valid_until": "2010-01-01"})
    assert response.status_code == 422
    assert "before the start date" in response.content.decode()


def test_new_primary_clinician_demotes_the_previous_one(personas: Personas, as_user) -> None:
    url = reverse("clients:care_team", args=[personas.dana.public_id])
    response = as_user(personas.owner.user).post(
        url, {"membership": personas.colleague.public_id, "role": CareRole.PRIMARY})
    assert response.status_code == 302
    team = {m.membership_id: m.role for m in personas.dana.care_team.filter(ended_on=None)}
    assert team[personas.colleague.pk] == CareRole.PRIMARY
    assert team[personas.owner.pk] == CareRole.SECONDARY
    assert AuditEvent.objects.filter(client_id=personas.dana.pk, action=Action.CREATE,
                                     object_type="clients.CareTeamMember").count() == 1


def test_clinician_from_another_practice_cannot_be_added(personas: Personas, as_user) -> None:
    url = reverse("clients:care_team", args=[personas.dana.public_id])
    response = as_user(personas.owner.user).post(
        url, {"membership": personas.outsider.public_id, "role": CareRole.SECONDARY})
    assert response.status_code == 422
    assert not personas.dana.care_team.filter(membership=personas.outsider).exists()


def test_front_desk_sees_the_team_but_cannot_change_it(personas: Personas, as_user) -> None:
    http = as_user(personas.front_desk.user)
    url = reverse("clients:care_team", args=[personas.dana.public_id])
    page = http.get(url)
    assert page.status_code == 200 and "Add a clinician" not in page.content.decode()
    response = http.post(url, {"membership": personas.colleague.public_id, "role": "secondary"})
    assert response.status_code == 403
    assert not personas.dana.care_team.filter(membership=personas.colleague).exists()
