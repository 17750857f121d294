"""Background work for measures, run by the django-tasks worker.

    send_due_questionnaires   create the questionnaires measurement plans say are due,
                              e-mail the links (nothing clinical in them), expire old links
    escalate_overdue_alerts   escalate risk alerts left unacknowledged too long (alerts.py)

Both are idempotent; the clock runs them every five minutes (therapia/measures/periodic.py,
`therapia manage periodic`). Tests call plans.send_due / alerts.escalate_overdue
directly with a chosen time.
"""

from __future__ import annotations

from dataclasses import replace

from django_tasks import task

from therapia.audit.context import current_origin, origin
from therapia.measures import plans
from therapia.measures.alerts import escalate_overdue_alerts
from therapia.security import crypto

__all__ = ["escalate_overdue_alerts", "send_due_questionnaires"]


@task()
def send_due_questionnaires() -> int:
    with origin(replace(current_origin(), job="measurement plans")), crypto.key_cache():
        return plans.send_due()
