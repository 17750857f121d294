"""Telling the clinician when a client goes off track (issue 6, item 7).

After each completed questionnaire, the episode's scores on that instrument are checked
against the expected-recovery curve the charts use (the practice's own once it has enough
episodes, else the documented default; trajectory_selectors.practice_curve). When this
score is worse than expected and the one before was not, the primary clinician gets an
in-app notification and a content-free e-mail pointing at the outcome page. It runs as a
task after the submission commits, so a client's submission never waits for a curve fit.
"""

from __future__ import annotations

from dataclasses import replace

from django.db import transaction
from django.urls import reverse
from django_tasks import task

from therapia.accounts.notifications import notify
from therapia.audit.context import current_origin, origin
from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.measures import library, trajectory
from therapia.measures.alerts import primary_clinician
from therapia.measures.expected_recovery import ExpectedRecoveryCurve, check_on_track
from therapia.measures.models import Administration, AdministrationStatus
from therapia.measures.trajectory_selectors import practice_curve

TITLE = "A client's scores are not on track: see their progress"


def _off_track(curve: ExpectedRecoveryCurve, totals: list[float], session: int) -> bool:
    return check_on_track(curve, intake=totals[0], session=session,
                          score=totals[session]).not_on_track


def went_off_track(administration: Administration) -> bool:
    """This score is worse than expected, and the previous one (if any after intake) was not."""
    if administration.custom_instrument_id is not None or administration.total is None:
        return False
    definition = library.get(administration.instrument_id)
    curve = (practice_curve(administration.practice_id, definition)
             or trajectory.default_curve_for(definition))
    if curve is None:
        return False
    totals = [total for total in Administration.objects.filter(
        episode_id=administration.episode_id, instrument_id=administration.instrument_id,
        status=AdministrationStatus.COMPLETED, total__isnull=False,
        completed_at__lte=administration.completed_at,
    ).order_by("completed_at", "pk").values_list("total", flat=True) if total is not None]
    session = len(totals) - 1
    if session < 1 or not _off_track(curve, totals, session):
        return False
    return session == 1 or not _off_track(curve, totals, session - 1)


@task()
def check_track(administration_id: int) -> bool:
    administration = (Administration.objects.select_related("client", "practice")
                      .filter(pk=administration_id).first())
    if administration is None:
        return False
    with transaction.atomic(), origin(replace(current_origin(), job="not-on-track check")):
        # A background read of the client's scores leaves its audit row like any other.
        audit_record(actor=None, action=Action.READ, purpose=Purpose.TREATMENT,
                     object_type=Administration._meta.label, client=administration.client,
                     practice=administration.practice, fields=["total", "completed_at"])
    if not went_off_track(administration):
        return False
    clinician = primary_clinician(administration.client_id)
    if clinician is None:
        return False
    notify(recipients=[clinician], title=TITLE,
           url=reverse("measures_outcomes:outcomes", args=[administration.client.public_id]))
    return True
