"""A client's questionnaire through a private link (therapia/portal): no account, the token
in the path, only its hash stored, row-level security opened only for the link's practice,
answers saved as they go and used up on submit; audit rows labelled system:portal."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from django.db import connection
from django.test import Client as HttpClient

from therapia.audit.models import AuditEvent
from therapia.core import ratelimit
from therapia.core.testing import Personas
from therapia.measures import administrations
from therapia.measures.models import Administration, AdministrationStatus, EntryMode
from therapia.measures.tests.linkdata import (
    PHQ9_CALM,
    done,
    form_data,
    link,
    open_episode,
    send,
)
from therapia.portal.views import LINK_LIMIT
from therapia.security import rls

pytestmark = [pytest.mark.django_db, pytest.mark.urls("therapia.measures.tests.measures_urls")]


def test_only_the_hash_of_the_token_is_stored(personas: Personas) -> None:
    administration, token = send(personas)
    stored = Administration.objects.get(pk=administration.pk)
    assert bytes(stored.token_hash or b"") == hashlib.sha256(token.encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM measures_administration")
        assert token not in repr(cursor.fetchall())
    assert len(token) >= 40  # 32 random bytes


def test_the_link_opens_without_an_account_and_is_audited_as_the_portal(
        personas: Personas, client: HttpClient) -> None:
    administration, token = send(personas)
    response = client.get(link(token))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Little interest or pleasure in doing things?" in body
    assert "Dana" not in body and "Whitfield" not in body  # nothing about who it is for
    assert response["Cache-Control"].startswith("max-age=0") or "no-cache" in response[
        "Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"  # no Referer to other sites
    row = AuditEvent.objects.filter(object_id=str(administration.public_id),
                                    action="read").get()
    assert row.actor_user_id is None and row.actor_label == "system:portal"
    assert row.practice_id == personas.practice.pk and row.client_id == personas.dana.pk


def test_an_anonymous_request_sees_no_rows_without_the_token(personas: Personas) -> None:
    send(personas)
    with rls.request_scope(None):
        assert Administration.objects.count() == 0  # row-level security: no practice
        with connection.cursor() as cursor:
            cursor.execute("SELECT measures_link_practice(%s)", [b"\x00" * 32])
            assert cursor.fetchone()[0] is None


def test_progress_is_saved_encrypted_and_resumable(personas: Personas,
                                                    client: HttpClient) -> None:
    administration, token = send(personas)
    partial = [1, 2, None, None, None, None, None, None, None, None]
    response = client.post(link(token), form_data(partial, action="save"))
    assert response.status_code == 200 and "Saved at" in response.content.decode()
    stored = Administration.objects.get(pk=administration.pk)
    assert stored.status == AdministrationStatus.IN_PROGRESS and stored.answered_count == 2
    assert b"items" not in bytes(stored.answers or b"")  # ciphertext only
    answers = administrations.answers_plaintext(stored)
    assert answers is not None and answers.items[:3] == [1, 2, None]
    again = client.get(link(token)).content.decode()  # resumed later
    assert 'id="item_1_1" name="item_1" value="1" checked' in again
    assert 'id="item_2_2" name="item_2" value="2" checked' in again
    saved = AuditEvent.objects.get(object_id=str(administration.public_id), action="update")
    assert saved.fields == ["answers", "status"] and saved.actor_label == "system:portal"


def test_htmx_saves_each_change_and_answers_with_the_status_only(
        personas: Personas, client: HttpClient) -> None:
    _, token = send(personas)
    response = client.post(link(token), form_data([2] + [None] * 9, action="save"),
                           headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and body.strip().startswith('<div id="save-status"')
    assert "<form" not in body


def test_submit_scores_stores_and_uses_up_the_link(personas: Personas,
                                                    client: HttpClient) -> None:
    administration, token = send(personas)
    response = client.post(link(token), form_data(PHQ9_CALM))
    assert response.status_code == 302 and response["Location"] == done(token)
    stored = Administration.objects.get(pk=administration.pk)
    assert (stored.status, stored.total, stored.band, stored.entry_mode) == (
        AdministrationStatus.COMPLETED, 3.0, "None-minimal", EntryMode.CLIENT_LINK)
    assert stored.risk_flag_ids == [] and stored.completed_at is not None
    assert client.get(link(token))["Location"] == done(token)  # used up: thank-you only
    assert client.post(link(token), form_data([3] * 10, submission_id=(
        "0e0e0e0e-0000-4000-8000-000000000000")))["Location"] == done(token)
    assert Administration.objects.get(pk=administration.pk).total == 3.0  # unchanged
    thanks = client.get(done(token))
    assert thanks.status_code == 200 and "Thank you" in thanks.content.decode()
    row = AuditEvent.objects.get(object_id=str(administration.public_id), action="update")
    assert {"answers", "total", "band", "risk_flag_ids", "status"} <= set(row.fields)


def test_a_retried_submission_is_stored_once(personas: Personas, client: HttpClient) -> None:
    administration, token = send(personas)
    first = client.post(link(token), form_data(PHQ9_CALM))
    retry = client.post(link(token), form_data(PHQ9_CALM))
    assert first.status_code == retry.status_code == 302
    assert AuditEvent.objects.filter(object_id=str(administration.public_id),
                                     action="update").count() == 1
    # The service itself: the same submission id again is a duplicate, nothing written.
    stored = Administration.objects.get(pk=administration.pk)
    again = administrations.administration_submit(
        administration=stored, items=PHQ9_CALM, submission_id=stored.submission_id)
    assert again.duplicate and again.result is None


def test_a_missing_answer_is_named_and_nothing_is_stored(personas: Personas,
                                                         client: HttpClient) -> None:
    administration, token = send(personas)
    response = client.post(link(token), form_data([0, 1, 0, None, 0, 0, 0, 0, 0, None]))
    assert response.status_code == 422
    body = response.content.decode()
    assert "Question 4: please choose an answer." in body
    assert 'aria-describedby="item_4_error"' in body
    assert "Question 10: please" not in body  # the difficulty item is optional
    assert Administration.objects.get(pk=administration.pk).status == AdministrationStatus.SENT


def test_an_out_of_range_answer_is_named(personas: Personas, client: HttpClient) -> None:
    administration, token = send(personas)
    response = client.post(link(token), form_data([0, 1, 0, 1, 7, 0, 0, 0, 0, 0]))
    assert response.status_code == 422
    assert "Question 5 (Appetite): &#x27;7&#x27; is not one of the answers (0, 1, 2, 3)." in \
        response.content.decode()
    assert Administration.objects.get(pk=administration.pk).answers is None


def test_an_expired_link_is_refused(personas: Personas, client: HttpClient) -> None:
    now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(now, tick=False):
        administration, token = send(personas)
    with time_machine.travel(now + dt.timedelta(days=8), tick=False):
        response = client.get(link(token))
        assert response.status_code == 410
        assert "This link has expired" in response.content.decode()
        assert client.post(link(token), form_data(PHQ9_CALM)).status_code == 410
        assert administrations.expire_due() == 1
    assert Administration.objects.get(pk=administration.pk).status == AdministrationStatus.EXPIRED


def test_unknown_and_cancelled_links(personas: Personas, client: HttpClient) -> None:
    assert client.get(link("not-a-real-token")).status_code == 404
    assert client.get(link("x" * 150)).status_code == 404
    administration, token = send(personas)
    administrations.administration_cancel(actor=personas.actor("owner"),
                                          administration=administration)
    response = client.get(link(token))
    assert response.status_code == 410 and "no longer needed" in response.content.decode()


def test_a_questionnaire_whose_licence_keeps_it_off_screens_says_why(
        personas: Personas, client: HttpClient) -> None:
    """The service will not make a link for CORE-10; should one exist (a licence changed),
    the client is told why, and not shown any item."""
    with pytest.raises(Exception, match="cannot be sent as a link"):
        send(personas, instrument="core10")
    token = "core10-link-token-for-the-test-000000000000"
    Administration.objects.create(
        practice=personas.practice, client=personas.dana, episode=open_episode(personas),
        instrument_id="core10", instrument_version="1",
        token_hash=administrations.digest(token),
        expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    response = client.get(link(token))
    body = response.content.decode()
    assert response.status_code == 200 and "filled in on paper" in body
    assert "does not allow its questions to be shown online" in body
    assert "<form" not in body


def test_the_link_is_rate_limited_by_address(personas: Personas, client: HttpClient) -> None:
    _, token = send(personas)
    for _ in range(LINK_LIMIT.rate):
        ratelimit.hit(LINK_LIMIT, "127.0.0.1")
    response = client.get(link(token))
    assert response.status_code == 429 and response["Retry-After"]


def test_the_email_carries_the_link_and_nothing_clinical(
        personas: Personas, mailoutbox: list, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def, type-arg]
    personas.dana.email = "dana@example.org"
    personas.dana.save()
    with django_capture_on_commit_callbacks(execute=True):
        administration, token = send(personas)
        assert administration.expires_at is not None
        assert administrations.send_link_email(
            personas.dana, [(token, administration.expires_at)])
    (mail,) = mailoutbox
    assert mail.to == ["dana@example.org"]
    assert link(token) in mail.body
    text = (mail.subject + mail.body).lower()
    for clinical in ("phq", "depress", "patient health", "dana", "whitfield", "mood"):
        assert clinical not in text
    assert "your therapist has asked you to fill in a short form" in text
