"""In-app notifications: listed for their recipient only; opening one marks it read and
follows its link; the e-mail copy is sent once and carries no client data."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse

from therapia.accounts.models import Notification
from therapia.accounts.notifications import email_notification, notify
from therapia.core.testing import Personas, sign_in

pytestmark = pytest.mark.django_db


def test_opening_a_notification_marks_it_read_and_follows_its_link(personas: Personas) -> None:
    (note,) = notify(recipients=[personas.owner], title="Review emergency access",
                     url=reverse("security:reviews"))
    alice = sign_in(HttpClient(), personas.owner.user)
    page = alice.get(reverse("accounts:notifications"))
    assert page.status_code == 200 and b"Review emergency access" in page.content
    response = alice.post(reverse("accounts:notification_open", args=[note.public_id]))
    assert response.status_code == 302 and response["Location"] == reverse("security:reviews")
    note.refresh_from_db()
    assert note.read_at is not None


def test_someone_elses_notification_is_not_found(personas: Personas) -> None:
    (note,) = notify(recipients=[personas.owner], title="For Alice only")
    bob = sign_in(HttpClient(), personas.colleague.user)
    assert b"For Alice only" not in bob.get(reverse("accounts:notifications")).content
    opened = bob.post(reverse("accounts:notification_open", args=[note.public_id]))
    assert opened.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_an_off_site_link_is_not_followed(personas: Personas) -> None:
    (note,) = notify(recipients=[personas.owner], title="x", url="https://evil.example/")
    alice = sign_in(HttpClient(), personas.owner.user)
    response = alice.post(reverse("accounts:notification_open", args=[note.public_id]))
    assert response["Location"] == reverse("accounts:notifications")


def test_the_email_copy_is_sent_once_without_the_title(personas: Personas,
                                                       django_capture_on_commit_callbacks
                                                       ) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        (note,) = notify(recipients=[personas.owner, personas.owner],
                         title="Dana Whitfield answered item 9")
    email_notification.call(note.pk)  # a retry after the first send: nothing more goes out
    assert len(mail.outbox) == 1
    assert "Dana" not in f"{mail.outbox[0].subject} {mail.outbox[0].body}"
    assert Notification.objects.count() == 1
