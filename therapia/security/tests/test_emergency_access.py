"""Break-the-glass (BG-1..4) and its review, as a clinician and the privacy officer use them
in the browser-facing views. Test ids from specs/confidentiality.md §4.2."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from therapia.accounts.models import Notification
from therapia.accounts.step_up import STEP_UP_AT
from therapia.audit.models import Action, AuditEvent
from therapia.core.testing import Personas, sign_in
from therapia.records.services import psychotherapy_note_create
from therapia.security.models import AccessOverride, OverrideKind

pytestmark = pytest.mark.django_db
REASON = "Dana's partner called: she has taken an overdose and her clinician is on leave."
URL = reverse("security:emergency_access")


def ask(http: HttpClient, personas: Personas, **changes: str):  # type: ignore[no-untyped-def]
    data = {"legal_given_name": "dana", "legal_family_name": "WHITFIELD",
            "date_of_birth": personas.dana.date_of_birth.isoformat(),
            "reason_code": "MEDICAL_EMERGENCY", "reason_text": REASON, **changes}
    return http.post(URL, data)


def overview(personas: Personas) -> str:
    return reverse("clients:overview", args=[personas.dana.public_id])


def test_t25_a_request_without_a_reason_is_refused_and_logged(personas: Personas) -> None:
    bob = sign_in(HttpClient(), personas.colleague.user)
    for changes in ({"reason_text": "   "}, {"reason_text": "too short"}, {"reason_code": ""}):
        response = ask(bob, personas, **changes)
        assert response.status_code == 422
    assert not AccessOverride.objects.exists()
    refusals = AuditEvent.objects.filter(action=Action.DENIED, client_id=personas.dana.pk,
                                         object_type="security.AccessOverride")
    assert refusals.count() == 3
    assert bob.get(overview(personas)).status_code == 404


def test_t26_break_the_glass_opens_one_client_for_hours_never_their_psychotherapy_notes(
        personas: Personas) -> None:
    psychotherapy_note_create(actor=personas.actor("owner"), client=personas.dana,
                              body="CANARY-PN-emergency")
    bob = sign_in(HttpClient(), personas.colleague.user)
    assert bob.get(overview(personas)).status_code == 404
    response = ask(bob, personas)
    assert response.status_code == 302 and response["Location"] == overview(personas)

    grant = AccessOverride.objects.get()
    assert grant.kind == OverrideKind.BREAK_GLASS and grant.membership == personas.colleague
    assert grant.expires_at - grant.granted_at == dt.timedelta(hours=4)
    assert REASON.encode() not in bytes(grant.reason_text)  # ciphertext only
    assert bob.get(overview(personas)).status_code == 200
    read = AuditEvent.objects.filter(action=Action.READ, client_id=personas.dana.pk,
                                     actor_user_id=personas.colleague.user.pk).last()
    assert read is not None and read.legal_basis == "BREAK_GLASS"
    notes = reverse("records:psychotherapy_notes", args=[personas.dana.public_id])
    for page in (notes, overview(personas)):  # BG-2: never psychotherapy notes
        assert b"CANARY-PN" not in bob.get(page).content
    # Someone else's client stays closed.
    assert bob.get(reverse("clients:overview", args=[personas.outsider_client.public_id])
                   ).status_code == 404
    with time_machine.travel(timezone.now() + dt.timedelta(hours=4, minutes=1)):
        bob = sign_in(HttpClient(), personas.colleague.user)
        assert bob.get(overview(personas)).status_code == 404


def test_bg3_the_primary_clinician_and_privacy_officer_are_told_without_client_data(
        personas: Personas, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    bob = sign_in(HttpClient(), personas.colleague.user)
    with django_capture_on_commit_callbacks(execute=True):
        ask(bob, personas)
    told = Notification.objects.filter(recipient=personas.owner)
    assert told.count() == 1  # Alice is both; told once
    assert [m.to for m in mail.outbox] == [[personas.owner.user.email]]
    body = f"{mail.outbox[0].subject} {mail.outbox[0].body}"
    assert "Dana" not in body and "Whitfield" not in body and "overdose" not in body


def test_bg1_step_up_is_required_first(personas: Personas) -> None:
    bob = sign_in(HttpClient(), personas.colleague.user)
    session = bob.session
    session[STEP_UP_AT] = 0
    session.save()
    response = bob.get(URL)
    assert response.status_code == 302 and "/accounts/confirm/" in response["Location"]
    assert ask(bob, personas).status_code == 303
    assert not AccessOverride.objects.exists()


@pytest.mark.parametrize("persona", ["trainee", "front_desk", "researcher"])
def test_only_licensed_clinicians_may_break_the_glass(personas: Personas, persona: str) -> None:
    http = sign_in(HttpClient(), getattr(personas, persona).user)
    assert http.get(URL).status_code == 404
    assert ask(http, personas).status_code == 404
    assert not AccessOverride.objects.exists()


def test_a_wrong_identity_grants_nothing_and_says_so(personas: Personas) -> None:
    bob = sign_in(HttpClient(), personas.colleague.user)
    response = ask(bob, personas, date_of_birth="1901-01-01")
    assert response.status_code == 422
    assert b"No client of this practice has exactly that name" in response.content
    response = ask(bob, personas, legal_given_name="Olive", legal_family_name="Outis",
                   date_of_birth=personas.outsider_client.date_of_birth.isoformat())
    assert response.status_code == 422  # another practice's client is not found either
    assert not AccessOverride.objects.exists()


def test_bg3_the_review_item_stays_open_until_the_privacy_officer_gives_a_verdict(
        personas: Personas) -> None:
    bob = sign_in(HttpClient(), personas.colleague.user)
    ask(bob, personas)
    grant = AccessOverride.objects.get()
    alice = sign_in(HttpClient(), personas.owner.user)
    queue = alice.get(reverse("security:reviews"))
    assert queue.status_code == 200 and str(grant.public_id).encode() in queue.content
    page = alice.get(reverse("security:review", args=[grant.public_id]))
    assert page.status_code == 200 and b"taken an overdose" in page.content
    assert alice.post(reverse("security:review", args=[grant.public_id]), {}).status_code == 422
    response = alice.post(reverse("security:review", args=[grant.public_id]),
                          {"verdict": "appropriate", "note": "Confirmed with the ward."})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.reviewed_by == personas.owner and grant.verdict == "appropriate"
    assert str(grant.public_id).encode() not in alice.get(reverse("security:reviews")).content
    again = alice.post(reverse("security:review", args=[grant.public_id]),
                       {"verdict": "inappropriate"})
    assert again.status_code == 422
    grant.refresh_from_db()
    assert grant.verdict == "appropriate"
    # Nobody but the privacy officer sees the queue or an item.
    assert bob.get(reverse("security:reviews")).status_code == 404
    assert bob.get(reverse("security:review", args=[grant.public_id])).status_code == 404


def test_the_privacy_officer_cannot_review_their_own_emergency_access(
        personas: Personas) -> None:
    other = personas.outsider_client  # a client Alice is not treating: make one in her practice
    other.practice = personas.practice
    other.save()
    alice = sign_in(HttpClient(), personas.owner.user)
    alice.post(URL, {"legal_given_name": "Olive", "legal_family_name": "Outis",
                     "date_of_birth": other.date_of_birth.isoformat(),
                     "reason_code": "COVERING_CLINICIAN", "reason_text": REASON})
    grant = AccessOverride.objects.get()
    response = alice.post(reverse("security:review", args=[grant.public_id]),
                          {"verdict": "appropriate"})
    assert response.status_code == 422
    grant.refresh_from_db()
    assert grant.reviewed_at is None
