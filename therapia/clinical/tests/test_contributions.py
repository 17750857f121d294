"""The overview links and the timeline events: only for the care team, plain words, no
clinical text."""

from __future__ import annotations

import pytest
from django.utils import timezone

from therapia.clients.contributions import client_links, timeline_events
from therapia.clinical import services
from therapia.clinical.tests.conftest import Clinical
from therapia.clinical.tests.test_assessment import full_text
from therapia.clinical.tests.test_safety_plan import SECTIONS

pytestmark = pytest.mark.django_db


def fill(c: Clinical) -> None:
    owner = c.actor("owner")
    assessment = services.assessment_start(actor=owner, episode=c.episode)
    saved, _ = services.assessment_save_draft(actor=owner, assessment=assessment,
                                              text=full_text(), seen_revision=1)
    services.assessment_complete(actor=owner, assessment=saved, seen_revision=2)
    services.diagnosis_add(actor=owner, episode=c.episode, system="icd10cm", code="F33.1",
                           rank="primary", diagnosed_on=timezone.localdate())
    services.safety_plan_save(actor=owner, client=c.p.dana, sections=SECTIONS, based_on=0)
    services.medication_add(actor=c.actor("prescriber"), client=c.p.dana, data={
        "name": "Sertraline", "dose": "50 mg", "route": "oral", "frequency": "daily",
        "started_on": timezone.localdate(), "stopped_on": None, "prescriber": c.prescriber,
        "external_prescriber": "", "notes": "Nausea at first"})


def test_the_care_team_gets_four_links_with_their_state(clinical: Clinical) -> None:
    fill(clinical)
    links = {link.label: link.note for link in client_links(clinical.actor("trainee"),
                                                            clinical.p.dana)}
    assert links["Assessment"].startswith("completed")
    assert links["Diagnoses"] == "F33.1 primary, 1 active"
    assert links["Safety plan"].startswith("version 1")
    assert links["Medications"] == "1 current"


@pytest.mark.parametrize("who", ["front_desk", "colleague", "outsider", "researcher"])
def test_no_links_or_events_for_others(clinical: Clinical, who: str) -> None:
    fill(clinical)
    actor = clinical.actor(who)
    labels = {link.label for link in client_links(actor, clinical.p.dana)}
    assert not labels & {"Assessment", "Diagnoses", "Safety plan", "Medications"}
    kinds = {event.kind for event in timeline_events(actor, clinical.episode)}
    assert not kinds & {"assessment", "diagnosis", "safety_plan", "medication"}


def test_the_timeline_has_plain_events_without_clinical_text(clinical: Clinical) -> None:
    fill(clinical)
    events = [e for e in timeline_events(clinical.actor("owner"), clinical.episode)
              if e.kind in {"assessment", "diagnosis", "safety_plan", "medication"}]
    titles = [event.title for event in events]
    assert "Intake assessment completed and signed." in titles
    assert any(t.startswith("Diagnosis added: F33.1") for t in titles)
    assert "Safety plan version 1 saved." in titles
    assert "Medication started: Sertraline 50 mg." in titles
    text = " ".join(titles)
    assert "Nausea" not in text and "Low mood" not in text and "dog" not in text
