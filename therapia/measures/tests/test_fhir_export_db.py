"""FHIR export of stored administrations: one as a Bundle, or all of a client's; validated
by fhirclient (FHIR 4.0.1); care team only, audited, 404 for anyone else."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle as R4BBundle
from fhirclient.models.bundle import Bundle  # type: ignore[import-untyped]

from therapia.audit.models import Action, AuditEvent
from therapia.measures.models import AdministrationStatus
from therapia.measures.tests.outcome_data import (
    START,
    complete,
    make_episode,
    phq9_items,
    weekly_course,
)
from therapia.security import crypto
from therapia.security.consent_directives import directive_record
from therapia.security.models import RecordCategory

pytestmark = pytest.mark.urls("therapia.measures.tests.outcomes_urls")
STAFF = ["owner", "colleague", "outsider", "front_desk", "trainee", "supervisor", "researcher"]
CARE_TEAM = {"owner", "trainee", "supervisor"}


def one_url(administration) -> str:  # type: ignore[no-untyped-def]
    return reverse("measures_outcomes:administration_fhir", args=[administration.public_id])


@pytest.fixture
def phq9(personas):  # type: ignore[no-untyped-def]
    episode = make_episode(personas.dana)
    items = [2, 2, 2, 2, 1, 1, 2, 0, 1]  # 13, item 9 above 0
    return complete(episode, personas.owner, "phq9", items, START)


def test_one_questionnaire_as_a_valid_r4_bundle(personas, as_user, phq9):
    response = as_user(personas.owner.user).get(one_url(phq9))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    assert str(phq9.public_id) in response["Content-Disposition"]
    data = json.loads(response.content)
    Bundle(data)  # fhirclient: strict FHIR 4.0.1 parse, raises on any structural fault
    R4BBundle.model_validate(data)
    resources = [entry["resource"] for entry in data["entry"]]
    assert [r["resourceType"] for r in resources] == ["QuestionnaireResponse", "Observation"]
    response_resource, total = resources
    assert response_resource["id"] == str(phq9.public_id)
    assert response_resource["subject"]["reference"] == f"Patient/{personas.dana.public_id}"
    assert response_resource["questionnaire"] == "http://loinc.org/q/44249-1"
    assert response_resource["status"] == "completed"
    answers = {i["linkId"]: i["answer"][0] for i in response_resource["item"]}
    assert answers["/44260-8"]["valueCoding"]["code"] == "LA6569-3"  # item 9: several days
    assert answers["/44261-6"] == {"valueInteger": 13}
    assert total["code"]["coding"] == [{"system": "http://loinc.org", "code": "44261-6"}]
    assert total["valueQuantity"]["value"] == 13
    assert total["interpretation"] == [{"text": "Moderate"}]
    assert total["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{phq9.public_id}"}]
    assert data["meta"]["security"][0]["code"] == "PSY"
    assert "Dana" not in response.content.decode()  # no name: the Patient is an id


def test_the_export_is_audited(personas, as_user, phq9):
    before = AuditEvent.objects.count()
    as_user(personas.owner.user).get(one_url(phq9))
    rows = [r for r in AuditEvent.objects.order_by("seq")[before:]
            if r.object_type == "measures.Administration"]
    assert len(rows) == 1
    assert rows[0].action == Action.READ and rows[0].object_id == str(phq9.public_id)
    assert "format:fhir" in rows[0].fields and "answers" in rows[0].fields


@pytest.mark.parametrize("persona", STAFF)
def test_only_the_care_team_exports(personas, as_user, phq9, persona):
    http = as_user(getattr(personas, persona).user)
    expected = 200 if persona in CARE_TEAM else 404
    assert http.get(one_url(phq9)).status_code == expected
    everything = reverse("measures_outcomes:client_fhir", args=[personas.dana.public_id])
    assert http.get(everything).status_code == expected


def test_client_and_guardian_accounts_get_404(personas, as_user, phq9):
    for user in (personas.client_user, personas.guardian_user):
        assert as_user(user).get(one_url(phq9)).status_code == 404


def test_outsider_cannot_export_with_their_own_clients_administration(personas, as_user):
    theirs = complete(make_episode(personas.outsider_client), personas.outsider, "phq9",
                      phq9_items(10), START)
    assert as_user(personas.owner.user).get(one_url(theirs)).status_code == 404
    assert as_user(personas.outsider.user).get(one_url(theirs)).status_code == 200


def test_a_directive_withholding_measures_blocks_the_export(personas, as_user, phq9):
    directive_record(actor=personas.actor("owner"), client=personas.dana,
                     category=RecordCategory.MEASURES, blocked_membership=personas.trainee,
                     blocked_role="", starts_on=dt.date(2026, 1, 1), ends_on=None)
    assert as_user(personas.trainee.user).get(one_url(phq9)).status_code == 404


def test_an_unfinished_questionnaire_is_not_exported(personas, as_user, phq9):
    phq9.status = AdministrationStatus.SENT
    phq9.completed_at = None
    phq9.total = None
    phq9.answers = None
    phq9.entry_mode = ""
    phq9.entered_by = None
    phq9.save()
    assert as_user(personas.owner.user).get(one_url(phq9)).status_code == 404


def test_all_of_a_clients_questionnaires_in_one_bundle(personas, as_user):
    first = make_episode(personas.dana, opened_on=dt.date(2025, 3, 1),
                         discharged_on=dt.date(2025, 9, 1))
    weekly_course(first, personas.owner, [20, 15])
    weekly_course(make_episode(personas.dana), personas.owner, [14, 12], [11, 9])
    url = reverse("measures_outcomes:client_fhir", args=[personas.dana.public_id])
    response = as_user(personas.owner.user).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    assert response["X-Therapia-Not-Exported"] == "0"
    data = json.loads(response.content)
    Bundle(data)
    kinds = [e["resource"]["resourceType"] for e in data["entry"]]
    assert kinds.count("QuestionnaireResponse") == 6
    assert kinds.count("Observation") == 6  # one total each (PHQ-9, GAD-7: no subscales)
    codes = sorted(e["resource"]["code"]["coding"][0]["code"] for e in data["entry"]
                   if e["resource"]["resourceType"] == "Observation")
    assert codes == ["44261-6"] * 4 + ["70274-6"] * 2


def test_free_text_answers_and_notes_never_leave(personas, as_user):
    """Only the items and the scores: a free-text answer stored beside the items is not
    exported, and nothing else of the record (notes, psychotherapy notes) is read."""
    episode = make_episode(personas.dana)
    administration = complete(episode, personas.owner, "phq9", phq9_items(9), START)
    administration.answers = crypto.encrypt_text(
        client=personas.dana, key_class=crypto.KeyClass.CLINICAL,
        model_label="measures.Administration", record_id=administration.public_id,
        field="answers", plaintext=json.dumps({"items": phq9_items(9),
                                                "text": {"1": "private words"}}))
    administration.save()
    body = as_user(personas.owner.user).get(one_url(administration)).content.decode()
    assert "private words" not in body
    data = json.loads(body)
    assert {e["resource"]["resourceType"] for e in data["entry"]} == {
        "QuestionnaireResponse", "Observation"}


def test_query_count_of_the_client_bundle_is_fixed(personas, as_user, django_assert_num_queries):
    http = as_user(personas.owner.user)
    episode = make_episode(personas.dana)
    weekly_course(episode, personas.owner, [16, 14])
    url = reverse("measures_outcomes:client_fhir", args=[personas.dana.public_id])
    with CaptureQueriesContext(connection) as few:
        http.get(url)
    weekly_course(episode, personas.owner, list(range(20, 5, -1)))
    with django_assert_num_queries(len(few)):
        http.get(url)
