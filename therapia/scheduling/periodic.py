"""The scheduling app's clock-driven jobs (therapia/core/clock_jobs.py)."""

from __future__ import annotations

import datetime as dt

from therapia.core.clock_jobs import Job
from therapia.scheduling.models import Series
from therapia.scheduling.reminders import run_due
from therapia.scheduling.series import series_extend
from therapia.security.actor import Actor


def extend_all_series() -> int:
    """Book each open series' sessions up to the horizon, as its first clinician (the
    standing booking is theirs; the audit row's origin names this job)."""
    booked = 0
    for series in Series.objects.filter(ended=False).prefetch_related("clinicians__user",
                                                                      "clinicians__practice"):
        clinician = next(iter(series.clinicians.all()), None)
        if clinician is not None and clinician.is_active:
            booked += series_extend(actor=Actor(user=clinician.user, membership=clinician),
                                    series=series)
    return booked


JOBS = (
    Job("scheduling.reminders", dt.timedelta(minutes=5), run_due),
    Job("scheduling.series_extend", dt.timedelta(days=1), extend_all_series),
)
