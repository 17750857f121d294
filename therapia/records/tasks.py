"""Background work for records: treatment-plan review reminders and locking signed notes.

The reminder e-mail says only how many plans are due and where to look (house rule 10):
never a client's name or anything clinical. Run daily, e.g. from cron:
the clock (therapia/records/periodic.py, run by `therapia manage periodic`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from therapia.accounts.models import Membership
from therapia.clients.models import CareRole, CareTeamMember, EpisodeStatus
from therapia.records.models import TreatmentPlan
from therapia.records.note_services import progress_notes_lock_due

REMIND_WITHIN_DAYS = 7
SUBJECT = "Therapia: treatment plans due for review"
BODY = ("{count} treatment plan{s} of your clients {are} due for review within a week.\n\n"
        "Sign in to see the list: {url}\n\n"
        "For confidentiality this e-mail does not say more.")


@task()
def send_plan_review_reminders(within_days: int = REMIND_WITHIN_DAYS) -> int:
    """One e-mail per primary clinician with plans due; returns how many were sent."""
    today = timezone.localdate()
    due = (TreatmentPlan.objects.filter(review_on__lte=today + dt.timedelta(days=within_days))
           .exclude(episode__status=EpisodeStatus.DISCHARGED))
    primaries = CareTeamMember.objects.filter(
        client__in=due.values("client"), role=CareRole.PRIMARY, ended_on__isnull=True)
    counts = Counter(primaries.values_list("membership_id", flat=True))
    url = settings.SITE_URL.rstrip("/") + reverse("records:plans_due")
    sent = 0
    for member in Membership.objects.filter(pk__in=counts, is_active=True).select_related("user"):
        count = counts[member.pk]
        send_mail(SUBJECT, BODY.format(count=count, s="" if count == 1 else "s",
                                       are="is" if count == 1 else "are", url=url),
                  None, [member.user.email])
        sent += 1
    return sent


@task()
def lock_signed_notes() -> int:
    return progress_notes_lock_due()
