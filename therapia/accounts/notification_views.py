"""A member's notifications: what needs them (emergency access to review, risk alerts,
notes to co-sign). Opening one marks it read and follows its link."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from therapia.accounts.models import Notification
from therapia.core.decorators import staff_view
from therapia.core.http import AuthedRequest

PAGE_SIZE = 50


@staff_view
@require_GET
def notifications(request: AuthedRequest) -> HttpResponse:
    mine = Notification.objects.filter(recipient=request.actor.membership)[:PAGE_SIZE]
    return render(request, "accounts/notifications.html",
                  {"notifications": mine, "nav": "inbox"})


@staff_view
@require_POST
def notification_open(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    notification = Notification.objects.filter(
        recipient=request.actor.membership, public_id=public_id).first()
    if notification is None:
        raise Http404("No such notification")
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk).update(read_at=timezone.now())
    safe = url_has_allowed_host_and_scheme(notification.url, allowed_hosts={request.get_host()})
    return redirect(notification.url if notification.url and safe else "accounts:notifications")
