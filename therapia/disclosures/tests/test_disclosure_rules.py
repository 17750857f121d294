"""Recording disclosures (LC-1, AD-1), authorisations (PN-5, T-07, T-08) and the couple,
family and group rule (CF-2, T-12), through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from therapia.audit.models import Action, AuditEvent
from therapia.clients.models import ClientUnit, Episode, EpisodeStatus, UnitMember
from therapia.core import factories
from therapia.core.testing import Personas
from therapia.disclosures import documents, services
from therapia.disclosures.bases import (
    ACCOUNTABLE_BASES,
    PN_BASES,
    RULES,
    Basis,
    Category,
    ClientInformed,
    citation_text,
)
from therapia.disclosures.models import (
    AuthorisationKind,
    Disclosure,
    ExpiryEvent,
    SupportingDocument,
)
from therapia.disclosures.tests.helpers import (
    PURPOSE,
    authorise,
    disclosure_input,
    on_authorisation,
    pdf_upload,
)
from therapia.records.services import psychotherapy_note_create
from therapia.scheduling.models import GroupMember, TherapyGroup

TODAY = dt.date(2026, 11, 21)


def messages(error: ValidationError) -> str:
    return " ".join(m for ms in error.message_dict.values() for m in ms)


def test_lc1_every_basis_has_its_citation() -> None:
    assert set(RULES) == {code for code, _ in Basis.choices}
    assert "164.512(j)(1)(i)" in citation_text(Basis.DUTY_TO_PROTECT)
    assert "Tarasoff" in citation_text(Basis.DUTY_TO_PROTECT)
    assert "164.512(b)(1)(ii)" in citation_text(Basis.CHILD_PROTECTION)
    assert "164.512(c)" in citation_text(Basis.ADULT_PROTECTION)
    assert "164.512(e)(1)(i)" in citation_text(Basis.COURT_ORDER)
    assert "Services Act s.125" in citation_text(Basis.CHILD_PROTECTION)
    # 164.508(a)(2)(ii): the bases on which psychotherapy notes may go out.
    assert {Basis.DUTY_TO_PROTECT, Basis.IMMINENT_SELF_HARM,
                        Basis.REQUIRED_BY_LAW, Basis.OVERSIGHT, Basis.CORONER} == PN_BASES
    # 164.528(a)(1): authorised and treatment disclosures are exempt from the accounting.
    assert Basis.CLIENT_AUTHORISATION not in ACCOUNTABLE_BASES
    assert Basis.EMERGENCY not in ACCOUNTABLE_BASES


def test_lc1_duty_to_protect_is_recorded_encrypted_and_audited(personas: Personas) -> None:
    alice = personas.actor("owner")
    disclosure = services.disclosure_record(
        actor=alice, client=personas.dana,
        data=disclosure_input(document=pdf_upload("Dana Whitfield threat.pdf")))
    assert disclosure.basis == Basis.DUTY_TO_PROTECT
    assert disclosure.disclosed_by == personas.owner
    assert disclosure.jurisdiction == "US-CA"
    with connection.cursor() as cursor:
        cursor.execute("SELECT purpose::text, purpose FROM disclosures_disclosure")
        _text, raw = cursor.fetchone()
    assert b"CANARY" not in bytes(raw)
    assert services.unseal(obj=disclosure, client=personas.dana, field_name="purpose") == PURPOSE
    document = SupportingDocument.objects.get(disclosure=disclosure)
    assert b"%PDF" not in bytes(document.content) and b"Whitfield" not in bytes(document.name)
    opened = documents.decrypt(document, client=personas.dana)
    assert opened.data.startswith(b"%PDF") and opened.name == "Dana Whitfield threat.pdf"
    row = AuditEvent.objects.get(object_id=str(disclosure.public_id), action=Action.CREATE)
    assert row.client_id == personas.dana.pk
    assert "basis:DUTY_TO_PROTECT" in row.fields and "purpose" in row.fields
    assert "CANARY" not in str(row.fields) and "Reyes" not in str(row.fields)
    assert AuditEvent.objects.filter(object_id=str(document.public_id)).count() == 1


def test_lc1_a_ciphertext_moved_to_another_disclosure_fails(personas: Personas) -> None:
    alice = personas.actor("owner")
    first = services.disclosure_record(actor=alice, client=personas.dana, data=disclosure_input())
    second = services.disclosure_record(actor=alice, client=personas.dana,
                                        data=disclosure_input(purpose="another"))
    second.purpose = first.purpose
    with pytest.raises(Exception, match="does not belong"):
        services.unseal(obj=second, client=personas.dana, field_name="purpose")


@pytest.mark.parametrize("persona", ["colleague", "front_desk", "outsider", "researcher"])
def test_only_the_care_team_records_a_disclosure(personas: Personas, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        services.disclosure_record(actor=personas.actor(persona), client=personas.dana,
                                   data=disclosure_input())
    assert not Disclosure.objects.exists()


def test_a_trainee_on_the_care_team_may_record(personas: Personas) -> None:
    services.disclosure_record(actor=personas.actor("trainee"), client=personas.dana,
                               data=disclosure_input())
    assert Disclosure.objects.count() == 1


@pytest.mark.parametrize(("changes", "field", "text"), [
    ({"basis": ""}, "basis", "Choose the legal basis"),
    ({"recipient_name": " ", "recipient_organisation": ""}, "recipient_name", "Name the recipient"),
    ({"categories": []}, "categories", "at least one"),
    ({"categories": ["genome"]}, "categories", "listed parts"),
    ({"purpose": "  "}, "purpose", "purpose"),
    ({"disclosed_at": timezone.now() + dt.timedelta(days=1)}, "disclosed_at", "future"),
    ({"basis": Basis.COURT_ORDER}, "document", "Attach the order"),
    ({"basis": Basis.SUBPOENA_WITH_ASSURANCE}, "document", "Attach the order"),
    ({"basis": Basis.ADULT_PROTECTION}, "client_informed", "164.512(c)(2)"),
    ({"basis": Basis.COURT_ORDER, "document": "x",
      "categories": [Category.PSYCHOTHERAPY_NOTES]}, "categories", "164.508(a)(2)"),
])
def test_bad_input_is_refused_and_nothing_saved(personas: Personas, changes: dict[str, object],
                                                field: str, text: str) -> None:
    if changes.get("document") == "x":
        changes["document"] = pdf_upload()
    with pytest.raises(ValidationError) as refused:
        services.disclosure_record(actor=personas.actor("owner"), client=personas.dana,
                                   data=disclosure_input(**changes))
    assert field in refused.value.message_dict
    assert text in messages(refused.value)
    assert not Disclosure.objects.exists() and not SupportingDocument.objects.exists()


def test_lc1_adult_protection_with_the_client_informed_answer(personas: Personas) -> None:
    disclosure = services.disclosure_record(
        actor=personas.actor("owner"), client=personas.dana,
        data=disclosure_input(basis=Basis.ADULT_PROTECTION,
                              client_informed=ClientInformed.RISK_OF_HARM))
    assert disclosure.client_informed == ClientInformed.RISK_OF_HARM


def test_mn2_court_order_with_its_document(personas: Personas) -> None:
    disclosure = services.disclosure_record(
        actor=personas.actor("owner"), client=personas.dana,
        data=disclosure_input(basis=Basis.COURT_ORDER, document=pdf_upload(),
                              categories=[Category.DATES_OF_SERVICE]))
    assert disclosure.categories == [Category.DATES_OF_SERVICE]
    assert disclosure.documents.count() == 1


def test_pn4_psychotherapy_notes_only_by_their_author_on_an_allowed_basis(
        personas: Personas) -> None:
    alice = personas.actor("owner")
    data = disclosure_input(categories=[Category.PSYCHOTHERAPY_NOTES])
    with pytest.raises(ValidationError, match="Only the author"):
        services.disclosure_record(actor=alice, client=personas.dana, data=data)
    psychotherapy_note_create(actor=alice, client=personas.dana, body="private")
    disclosure = services.disclosure_record(actor=alice, client=personas.dana, data=data)
    assert Category.PSYCHOTHERAPY_NOTES in disclosure.categories


def test_pn4_the_database_refuses_notes_on_another_basis(personas: Personas) -> None:
    disclosure = services.disclosure_record(actor=personas.actor("owner"),
                                            client=personas.dana, data=disclosure_input())
    with pytest.raises(IntegrityError, match="disclosure_pn_basis"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO disclosures_disclosure (public_id, created_at, updated_at, "
            "practice_id, client_id, basis, jurisdiction, recipient_name, "
            "recipient_organisation, recipient_address, recipient_contact, categories, "
            "purpose, description, disclosed_at, disclosed_by_id, client_informed, "
            "correction_reason) SELECT gen_random_uuid(), now(), now(), practice_id, "
            "client_id, 'COURT_ORDER', jurisdiction, recipient_name, '', '', '', "
            "ARRAY['psychotherapy_notes'], purpose, '', disclosed_at, disclosed_by_id, '', '' "
            "FROM disclosures_disclosure WHERE id = %s", [disclosure.pk])


def test_ad1_a_correction_is_a_new_row_referencing_the_old(personas: Personas) -> None:
    alice = personas.actor("owner")
    original = services.disclosure_record(actor=alice, client=personas.dana,
                                          data=disclosure_input())
    with pytest.raises(ValidationError, match="what was wrong"):
        services.disclosure_record(actor=alice, client=personas.dana, corrects=original,
                                   data=disclosure_input(recipient_name="Jordan Reyes Jr"))
    fixed = services.disclosure_record(
        actor=alice, client=personas.dana, corrects=original,
        data=disclosure_input(recipient_name="Jordan Reyes Jr",
                              correction_reason="Wrong recipient name"))
    assert fixed.corrects == original
    original.refresh_from_db()
    assert original.recipient_name == "Jordan Reyes"  # the original is untouched
    with pytest.raises(ValidationError, match="already been corrected"):
        services.disclosure_record(actor=alice, client=personas.dana, corrects=original,
                                   data=disclosure_input(correction_reason="again"))
    other = factories.ClientFactory.create(practice=personas.practice)
    factories.CareTeamFactory.create(client=other, membership=personas.owner)
    with pytest.raises(PermissionDenied):
        services.disclosure_record(actor=alice, client=other, corrects=fixed,
                                   data=disclosure_input(correction_reason="x"))


# --- Authorisations (release of information) --------------------------------------------


def test_t07_a_valid_authorisation_is_cited(personas: Personas) -> None:
    alice = personas.actor("owner")
    authorisation = authorise(alice, personas.dana)
    disclosure = services.disclosure_record(
        actor=alice, client=personas.dana,
        data=on_authorisation(recipient_name="dr  LEE", recipient_organisation="northside gp"))
    assert list(disclosure.authorisations.all()) == [authorisation]
    row = AuditEvent.objects.get(object_id=str(authorisation.public_id))
    assert row.action == Action.CREATE and "witnessed_by" in row.fields


def test_t07_without_any_authorisation_it_is_refused(personas: Personas) -> None:
    with pytest.raises(services.AuthorisationMissing, match="No valid authorisation from "
                                                            "Dana Whitfield"):
        services.disclosure_record(actor=personas.actor("owner"), client=personas.dana,
                                   data=on_authorisation())


def test_t07_an_expired_authorisation_is_refused(personas: Personas) -> None:
    alice = personas.actor("owner")
    signed = timezone.localdate() - dt.timedelta(days=60)
    authorise(alice, personas.dana, signed_on=signed, expires_on=signed + dt.timedelta(days=30))
    with pytest.raises(services.AuthorisationMissing, match="expired on"):
        services.disclosure_record(actor=alice, client=personas.dana, data=on_authorisation())
    # A disclosure made while it was still valid may still be recorded.
    services.disclosure_record(
        actor=alice, client=personas.dana,
        data=on_authorisation(disclosed_at=timezone.now() - dt.timedelta(days=40)))


def test_t08_a_revoked_authorisation_is_refused_from_the_revocation_day(
        personas: Personas) -> None:
    alice = personas.actor("owner")
    authorisation = authorise(alice, personas.dana,
                              signed_on=timezone.localdate() - dt.timedelta(days=10))
    services.disclosure_record(actor=alice, client=personas.dana, data=on_authorisation())
    revocation = services.authorisation_revoke(actor=alice, authorisation=authorisation)
    with pytest.raises(services.AuthorisationMissing, match="revoked on"):
        services.disclosure_record(actor=alice, client=personas.dana, data=on_authorisation())
    services.disclosure_record(  # made the week before the revocation: allowed
        actor=alice, client=personas.dana,
        data=on_authorisation(disclosed_at=timezone.now() - dt.timedelta(days=7)))
    assert AuditEvent.objects.filter(object_id=str(revocation.public_id),
                                     action=Action.CREATE).count() == 1
    with pytest.raises(ValidationError, match="already revoked"):
        services.authorisation_revoke(actor=alice, authorisation=authorisation)


def test_t07_a_category_outside_the_scope_is_refused(personas: Personas) -> None:
    alice = personas.actor("owner")
    authorise(alice, personas.dana)
    with pytest.raises(services.AuthorisationMissing, match="does not cover: Progress notes"):
        services.disclosure_record(
            actor=alice, client=personas.dana,
            data=on_authorisation(categories=[Category.DIAGNOSES, Category.PROGRESS_NOTES]))


def test_t07_another_recipient_is_not_covered(personas: Personas) -> None:
    alice = personas.actor("owner")
    authorise(alice, personas.dana)
    with pytest.raises(services.AuthorisationMissing, match="No valid authorisation"):
        services.disclosure_record(actor=alice, client=personas.dana,
                                   data=on_authorisation(recipient_organisation="Acme Insurance"))


def test_pn5_psychotherapy_notes_need_their_own_authorisation(personas: Personas) -> None:
    alice = personas.actor("owner")
    psychotherapy_note_create(actor=alice, client=personas.dana, body="private")
    with pytest.raises(ValidationError, match="separate"):
        authorise(alice, personas.dana,
                  categories=[Category.DIAGNOSES, Category.PSYCHOTHERAPY_NOTES])
    authorise(alice, personas.dana)
    both = on_authorisation(categories=[Category.DIAGNOSES, Category.PSYCHOTHERAPY_NOTES])
    with pytest.raises(services.AuthorisationMissing, match="Psychotherapy notes"):
        services.disclosure_record(actor=alice, client=personas.dana, data=both)
    pn = authorise(alice, personas.dana, kind=AuthorisationKind.PSYCHOTHERAPY_NOTES,
                   categories=[Category.PSYCHOTHERAPY_NOTES])
    disclosure = services.disclosure_record(actor=alice, client=personas.dana, data=both)
    assert pn in disclosure.authorisations.all() and disclosure.authorisations.count() == 2


def test_an_authorisation_ending_with_the_episode(personas: Personas) -> None:
    alice = personas.actor("owner")
    signed = timezone.localdate() - dt.timedelta(days=20)
    episode = Episode.objects.create(practice=personas.practice, client=personas.dana,
                                     opened_on=signed - dt.timedelta(days=30),
                                     status=EpisodeStatus.IN_TREATMENT)
    authorise(alice, personas.dana, signed_on=signed, expires_on=None,
              expiry_event=ExpiryEvent.END_OF_EPISODE)
    services.disclosure_record(actor=alice, client=personas.dana, data=on_authorisation())
    Episode.objects.filter(pk=episode.pk).update(
        status=EpisodeStatus.DISCHARGED, discharged_on=timezone.localdate() - dt.timedelta(days=2),
        discharge_reason="completed")
    with pytest.raises(services.AuthorisationMissing, match="ended with the episode"):
        services.disclosure_record(actor=alice, client=personas.dana, data=on_authorisation())


@pytest.mark.parametrize(("changes", "field"), [
    ({"expires_on": None}, "expires_on"),
    ({"signed_on": timezone.localdate() + dt.timedelta(days=1)}, "signed_on"),
    ({"expires_on": timezone.localdate() - dt.timedelta(days=1)}, "expires_on"),
    ({"kind": AuthorisationKind.PSYCHOTHERAPY_NOTES}, "categories"),
    ({"recipient_name": "", "recipient_organisation": ""}, "recipient_name"),
])
def test_bad_authorisations_are_refused(personas: Personas, changes: dict[str, object],
                                        field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        authorise(personas.actor("owner"), personas.dana, **changes)
    assert field in refused.value.message_dict


def test_a_witness_from_another_practice_is_refused(personas: Personas) -> None:
    with pytest.raises(ValidationError) as refused:
        authorise(personas.actor("owner"), personas.dana, witnessed_by=personas.outsider)
    assert "witnessed_by" in refused.value.message_dict


# --- Couples, families and groups (CF-2, T-12) -------------------------------------------


@pytest.fixture
def family(personas: Personas) -> ClientUnit:
    """Dana, her partner Ravi (both adults) and their son Theo (a minor)."""
    unit = ClientUnit.objects.create(practice=personas.practice, kind="family",
                                     name="The Whitfield-Rao family")
    ravi = factories.ClientFactory.create(practice=personas.practice, legal_given_name="Ravi",
                                          legal_family_name="Rao")
    theo = factories.ClientFactory.create(practice=personas.practice, legal_given_name="Theo",
                                          legal_family_name="Rao",
                                          date_of_birth=timezone.localdate().replace(year=2014))
    for client, role in ((personas.dana, "parent"), (ravi, "parent"), (theo, "child")):
        UnitMember.objects.create(unit=unit, client=client, role=role)
        if client != personas.dana:
            factories.CareTeamFactory.create(client=client, membership=personas.owner)
    return unit


def test_t12_a_family_record_needs_each_adult_members_authorisation(
        personas: Personas, family: ClientUnit) -> None:
    alice = personas.actor("owner")
    ravi = family.members.get(legal_given_name="Ravi")
    authorise(alice, personas.dana, unit=family)
    data = on_authorisation(unit=family)
    with pytest.raises(services.AuthorisationMissing) as refused:
        services.disclosure_record(actor=alice, client=personas.dana, data=data)
    text = messages(refused.value)
    assert "Ravi Rao" in text and "Dana" not in text and "Theo" not in text  # minors not asked
    authorise(alice, ravi, unit=family)
    disclosure = services.disclosure_record(actor=alice, client=personas.dana, data=data)
    assert disclosure.authorisations.count() == 2
    # Each member's record shows the disclosure in the audit trail.
    assert set(AuditEvent.objects.filter(object_id=str(disclosure.public_id))
               .values_list("client_id", flat=True)) == set(family.members.values_list("pk",
                                                                                          flat=True))


def test_t12_an_authorisation_of_the_own_record_does_not_cover_the_unit_record(
        personas: Personas, family: ClientUnit) -> None:
    alice = personas.actor("owner")
    authorise(alice, personas.dana)
    authorise(alice, family.members.get(legal_given_name="Ravi"))
    with pytest.raises(services.AuthorisationMissing):
        services.disclosure_record(actor=alice, client=personas.dana,
                                   data=on_authorisation(unit=family))


def test_cf2_a_group_record_needs_each_adult_members_authorisation(personas: Personas) -> None:
    alice = personas.actor("owner")
    group = TherapyGroup.objects.create(practice=personas.practice, name="DBT skills")
    kim = factories.ClientFactory.create(practice=personas.practice, legal_given_name="Kim",
                                         legal_family_name="Novak")
    factories.CareTeamFactory.create(client=kim, membership=personas.owner)
    for client in (personas.dana, kim):
        GroupMember.objects.create(group=group, client=client, joined_on=TODAY)
    authorise(alice, personas.dana, group=group)
    with pytest.raises(services.AuthorisationMissing, match="Kim Novak"):
        services.disclosure_record(actor=alice, client=personas.dana,
                                   data=on_authorisation(group=group))
    authorise(alice, kim, group=group)
    services.disclosure_record(actor=alice, client=personas.dana,
                               data=on_authorisation(group=group))


def test_a_unit_the_client_is_not_in_is_refused(personas: Personas) -> None:
    unit = ClientUnit.objects.create(practice=personas.practice, kind="couple", name="Others")
    with pytest.raises(ValidationError, match="not a member"):
        services.disclosure_record(actor=personas.actor("owner"), client=personas.dana,
                                   data=disclosure_input(unit=unit))
