"""A practice's own instruments: imported through the service, audited, kept apart by
row-level security."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from therapia.audit.models import Action, AuditEvent
from therapia.core.testing import Personas
from therapia.measures import scoring
from therapia.measures.models import CustomInstrument
from therapia.measures.services import custom_instrument_import
from therapia.security import rls

pytestmark = pytest.mark.django_db
EXAMPLES = Path(__file__).resolve().parent / "fhir_examples"
SDC_PHQ9 = (EXAMPLES / "hl7_sdc_questionnaire_PHQ9_2021.json").read_text()
LHC_PHQ9 = (EXAMPLES / "lhc_phq9_questionnaire_R4.json").read_text()


def test_the_owner_imports_a_questionnaire(personas: Personas) -> None:
    stored = custom_instrument_import(actor=personas.actor("owner"), practice=personas.practice,
                                      questionnaire_json=SDC_PHQ9)
    stored.refresh_from_db()
    assert stored.instrument_id == "custom-patient-health-questionnaire-9-item"
    assert stored.version == "0.0.1"
    assert stored.source_url.endswith("questionnaire-sdc-profile-example-PHQ9")
    assert stored.created_by == personas.owner
    assert scoring.Scorer(stored.instrument).score([0, 0, 0, 1, 2, 1, 3, 2, 1]).total == 10
    event = AuditEvent.objects.get(object_id=str(stored.public_id))
    assert (event.action, event.practice_id, event.actor_user_id) == (
        Action.CREATE, personas.practice.pk, personas.owner.user.pk)
    assert "definition" in event.fields


def test_a_malformed_questionnaire_is_refused_and_nothing_stored(personas: Personas) -> None:
    with pytest.raises(ValidationError) as refused:
        custom_instrument_import(actor=personas.actor("owner"), practice=personas.practice,
                                 questionnaire_json=LHC_PHQ9)
    assert "item[2] (linkId '/44259-0')" in refused.value.message_dict["questionnaire"][0]
    assert not CustomInstrument.objects.exists()


def test_the_same_version_twice_is_refused(personas: Personas) -> None:
    owner = personas.actor("owner")
    custom_instrument_import(actor=owner, practice=personas.practice, questionnaire_json=SDC_PHQ9)
    with pytest.raises(ValidationError, match="already imported"):
        custom_instrument_import(actor=owner, practice=personas.practice,
                                 questionnaire_json=json.loads(SDC_PHQ9))


@pytest.mark.parametrize("who", ["colleague", "supervisor"])
def test_licensed_clinicians_may_import(personas: Personas, who: str) -> None:
    stored = custom_instrument_import(actor=personas.actor(who), practice=personas.practice,
                                      questionnaire_json=SDC_PHQ9)
    assert stored.practice == personas.practice


@pytest.mark.parametrize("who", ["front_desk", "trainee", "researcher"])
def test_trainees_front_desk_and_researchers_may_not_import(personas: Personas,
                                                            who: str) -> None:
    with pytest.raises(PermissionDenied):
        custom_instrument_import(actor=personas.actor(who), practice=personas.practice,
                                 questionnaire_json=SDC_PHQ9)


def test_an_owner_cannot_import_into_another_practice(personas: Personas) -> None:
    with pytest.raises(PermissionDenied):
        custom_instrument_import(actor=personas.actor("outsider"), practice=personas.practice,
                                 questionnaire_json=SDC_PHQ9)


def test_row_level_security_shows_a_practice_only_its_own(personas: Personas) -> None:
    mine = custom_instrument_import(actor=personas.actor("owner"), practice=personas.practice,
                                    questionnaire_json=SDC_PHQ9)
    theirs = custom_instrument_import(actor=personas.actor("outsider"),
                                      practice=personas.other_practice,
                                      questionnaire_json=SDC_PHQ9)
    with rls.request_scope(personas.owner.user.pk):
        rls.set_practice(personas.practice.pk)
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM measures_custominstrument")
            visible = {row[0] for row in cursor.fetchall()}
    assert visible == {mine.pk}
    assert theirs.pk not in visible
