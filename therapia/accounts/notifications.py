"""Telling members about things that need them: an in-app notification, and an e-mail
that says only that there is something to see (no client data in e-mails, house rule 10).
The e-mail goes out after the transaction commits, through the task queue, by id."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks import task

from therapia.accounts.models import Membership, Notification

EMAIL_SUBJECT = "Therapia: something needs your attention"
EMAIL_BODY = (
    "There is something in Therapia that needs your attention.\n\n"
    "Sign in to see it: {site}\n\n"
    "For confidentiality this e-mail does not say more."
)


def notify(*, recipients: Iterable[Membership], title: str, url: str = "") -> list[Notification]:
    """One notification per distinct recipient; e-mails are sent once the caller commits."""
    unique = {member.pk: member for member in recipients if member.is_active}
    created = Notification.objects.bulk_create(
        Notification(recipient=member, title=title[:200], url=url) for member in unique.values()
    )
    for notification in created:
        transaction.on_commit(partial(email_notification.enqueue, notification.pk))
    return created


@task()
def email_notification(notification_id: int) -> None:
    """Send the e-mail copy once: the row is claimed before sending."""
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return
    notification = Notification.objects.select_related("recipient__user").get(pk=notification_id)
    send_mail(EMAIL_SUBJECT, EMAIL_BODY.format(site=settings.SITE_URL),
              None, [notification.recipient.user.email])


def unread_for(member: Membership) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=member, read_at__isnull=True)
