"""Not on track, flagged to the clinician (issue 6, item 7): when a score is worse than the
expected-recovery curve allows and the one before was not, the primary clinician is told
once, in the app and by an e-mail with nothing clinical in it."""

from __future__ import annotations

import pytest
from django.core import mail

from therapia.accounts.models import Notification
from therapia.audit.models import AuditEvent
from therapia.core.testing import Personas
from therapia.measures import administrations
from therapia.measures.tests.linkdata import open_episode
from therapia.measures.track_alerts import TITLE

pytestmark = pytest.mark.django_db
INTAKE_15 = [2, 2, 2, 2, 2, 2, 2, 1, 0]
WORSE_24 = [3, 3, 3, 3, 3, 3, 3, 3, 0]  # item 9 stays 0: no risk alert mixed in
BETTER_5 = [1, 1, 1, 1, 1, 0, 0, 0, 0]


def enter(p: Personas, items: list[int], capture) -> None:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        administrations.administration_enter_paper(
            actor=p.actor("owner"), episode=open_episode(p), instrument="phq9", items=items)


def told(p: Personas) -> int:
    return Notification.objects.filter(recipient=p.owner, title=TITLE).count()


def test_going_off_track_is_flagged_once_then_again_after_recovering(
        personas: Personas, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    enter(personas, INTAKE_15, django_capture_on_commit_callbacks)
    assert told(personas) == 0  # an intake score alone is never off track
    enter(personas, WORSE_24, django_capture_on_commit_callbacks)
    assert told(personas) == 1
    enter(personas, WORSE_24, django_capture_on_commit_callbacks)
    assert told(personas) == 1  # still off track: not told again
    enter(personas, BETTER_5, django_capture_on_commit_callbacks)
    enter(personas, WORSE_24, django_capture_on_commit_callbacks)
    assert told(personas) == 2
    assert all("PHQ" not in m.body and "Dana" not in m.body for m in mail.outbox)
    checks = AuditEvent.objects.filter(actor_label="system:not-on-track check",
                                       client_id=personas.dana.pk, action="read")
    assert checks.count() == 5  # one audited read of the scores per check


def test_improving_as_expected_is_not_flagged(
        personas: Personas, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    for items in (INTAKE_15, BETTER_5, BETTER_5):
        enter(personas, items, django_capture_on_commit_callbacks)
    assert told(personas) == 0
