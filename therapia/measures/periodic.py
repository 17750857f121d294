"""The measures app's clock-driven jobs (therapia/core/clock_jobs.py)."""

from __future__ import annotations

import datetime as dt

from therapia.core.clock_jobs import Job
from therapia.measures.tasks import escalate_overdue_alerts, send_due_questionnaires

JOBS = (
    Job("measures.questionnaires", dt.timedelta(minutes=5), send_due_questionnaires.call),
    Job("measures.alert_escalation", dt.timedelta(minutes=5), escalate_overdue_alerts.call),
)
