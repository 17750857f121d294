"""The records app's clock-driven jobs (therapia/core/clock_jobs.py)."""

from __future__ import annotations

import datetime as dt

from therapia.core.clock_jobs import Job
from therapia.records.note_services import progress_notes_lock_due
from therapia.records.tasks import send_plan_review_reminders

JOBS = (
    Job("records.lock_signed_notes", dt.timedelta(hours=1), progress_notes_lock_due),
    Job("records.plan_review_reminders", dt.timedelta(days=1),
        send_plan_review_reminders.enqueue),
)
