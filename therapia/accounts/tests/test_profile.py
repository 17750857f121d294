"""Practitioner profiles: profession from the fixed list and credentials."""

from __future__ import annotations

from django.urls import reverse

from therapia.accounts.models import PractitionerProfile, Profession
from therapia.audit.models import Action, AuditEvent
from therapia.core.testing import Personas


def url(personas: Personas, name: str) -> str:
    return reverse("practice:profile_edit", args=[getattr(personas, name).public_id])


def test_owner_sets_a_members_profession_and_it_is_audited(personas: Personas,
                                                           as_user) -> None:
    response = as_user(personas.owner.user).post(
        url(personas, "colleague"),
        {"profession": Profession.MFT, "credentials": "MSc, LMFT"})
    assert response.status_code == 302
    profile = PractitionerProfile.objects.get(user=personas.colleague.user)
    assert profile.profession == Profession.MFT
    row = AuditEvent.objects.get(object_id=str(profile.public_id))
    assert row.action == Action.CREATE and "LMFT" not in str(row.fields)


def test_member_edits_their_own_credentials(personas: Personas, as_user) -> None:
    PractitionerProfile.objects.create(user=personas.colleague.user,
                                       profession=Profession.COUNSELLOR)
    http = as_user(personas.colleague.user)
    response = http.post(url(personas, "colleague"),
                         {"profession": Profession.COUNSELLOR, "credentials": "MBACP"})
    assert response.status_code == 302
    row = AuditEvent.objects.get(action=Action.UPDATE, object_type="accounts.PractitionerProfile")
    assert row.fields == ["credentials"]


def test_colleagues_and_outsiders_get_404(personas: Personas, as_user) -> None:
    assert as_user(personas.colleague.user).get(url(personas, "front_desk")).status_code == 404
    assert as_user(personas.outsider.user).get(url(personas, "colleague")).status_code == 404


def test_a_profession_outside_the_list_is_refused(personas: Personas, as_user) -> None:
    response = as_user(personas.owner.user).post(
        url(personas, "colleague"), {"profession": "astrologer", "credentials": ""})
    assert response.status_code == 422
    assert 'id="id_profession_error"' in response.content.decode()
    assert not PractitionerProfile.objects.filter(user=personas.colleague.user).exists()
