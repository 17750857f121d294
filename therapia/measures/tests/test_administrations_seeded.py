"""The demo's questionnaires (therapia/seeding/measures.py): weekly PHQ-9 and GAD-7 series
per episode in treatment, mostly improving, some flat, a few worse; CORE-10 from paper for
some; stored as the services store them; one open risk alert for the practice owner."""

from __future__ import annotations

from collections import defaultdict

import pytest

from therapia.accounts.models import Notification, Role
from therapia.measures import administrations
from therapia.measures.models import Administration, AlertStatus, EntryMode, RiskAlert
from therapia.measures.scoring import score
from therapia.seeding.tests.test_seed import seed

pytestmark = pytest.mark.django_db


def test_seeded_series_alerts_and_storage() -> None:
    practice = seed(name="Measured Practice", clients=60)
    given = Administration.objects.filter(practice=practice)
    series: dict[tuple[int, str], list[float]] = defaultdict(list)
    for row in given.order_by("completed_at"):
        series[(row.episode_id, row.instrument_id)].append(row.total or 0)
    phq = [s for (_, instrument), s in series.items() if instrument == "phq9" and len(s) >= 3]
    assert len(phq) >= 10
    better = sum(1 for s in phq if s[-1] <= s[0] - 5)
    worse = sum(1 for s in phq if s[-1] >= s[0] + 3)
    assert better > len(phq) / 2 and worse >= 1 and better + worse < len(phq)
    assert {i for (_, i) in series} == {"phq9", "gad7", "core10"}
    assert set(given.filter(instrument_id="core10").values_list("entry_mode", flat=True)) == {
        EntryMode.PAPER}
    for row in given.order_by("?")[:20]:  # stored exactly as scoring says
        answers = administrations.answers_plaintext(row)
        assert answers is not None and score(row.instrument_id, answers.items).total == row.total
    (alert,) = RiskAlert.objects.filter(practice=practice)
    assert alert.status == AlertStatus.OPEN and alert.assigned_to is not None
    assert alert.assigned_to.role == Role.OWNER
    assert alert.administration.risk_flag_ids == ["phq9_item9"]
    assert given.exclude(risk_flag_ids=[]).count() == 1  # no other risk answers seeded
    assert Notification.objects.filter(recipient=alert.assigned_to,
                                       url__contains=str(alert.public_id)).exists()
