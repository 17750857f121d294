"""The demo seeder's clinical records: consistent with the client, readable through the
selectors (sealed like the services seal), safe for the constraints."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from therapia.clients.models import EpisodeStatus
from therapia.clinical import selectors
from therapia.clinical.models import Assessment, Diagnosis, Medication, SafetyPlanVersion
from therapia.clinical.tests.conftest import Clinical, make_episode
from therapia.core import factories
from therapia.seeding.clinical import seed_clinical

pytestmark = pytest.mark.django_db


def test_seeded_records_fit_and_read_back(clinical: Clinical) -> None:
    today = timezone.localdate()
    p = clinical.p
    clinical.episode.delete()
    for n in range(12):
        client = p.dana if n == 0 else factories.ClientFactory.create(practice=p.practice)
        if n:
            factories.CareTeamFactory.create(client=client, membership=p.owner)
            factories.CareTeamFactory.create(client=client, membership=clinical.prescriber,
                                             role="secondary")
        make_episode(client, status=EpisodeStatus.IN_TREATMENT,
                     opened_on=today - dt.timedelta(days=90),
                     assessed_on=today - dt.timedelta(days=80),
                     first_treatment_on=today - dt.timedelta(days=70))
    rng = random.Random(4)  # noqa: S311 (synthetic data)
    written = seed_clinical(p.practice, rng=rng, today=today)
    assert Assessment.objects.count() == 12 and Diagnosis.objects.count() >= 12
    assert Medication.objects.count() == 12 and written >= 36
    assert all(d.rank == "primary" for d in Diagnosis.objects.filter(status="confirmed")
               .order_by("episode_id", "rank").distinct("episode_id"))
    reading = selectors.assessment_read(actor=clinical.actor("owner"),
                                        public_id=Assessment.objects.get(client=p.dana).public_id)
    assert reading.text is not None and reading.text.narrative["presenting_problems"]
    assert reading.assessment.status == "completed"
    page = selectors.medications_page(actor=clinical.actor("owner"),
                                      client_public_id=p.dana.public_id)
    assert page.current and page.current[0].notes
    for version in SafetyPlanVersion.objects.all():
        plan = selectors.safety_plan_version_read(actor=clinical.actor("owner"),
                                                  public_id=version.public_id)
        assert plan.sections and plan.sections[0].lines
