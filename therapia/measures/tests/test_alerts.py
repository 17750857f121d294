"""Risk alerts: raised at once by a risk answer (from the item), for the primary clinician
in the app and by a content-free e-mail; crisis resources for the client at once;
acknowledged with an action and an encrypted note; escalated once when left too long."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import override_settings
from django.urls import reverse

from therapia.accounts.models import Notification
from therapia.audit.models import AuditEvent
from therapia.core.testing import Personas
from therapia.measures import administrations, alerts
from therapia.measures.models import AlertAction, AlertStatus, RiskAlert
from therapia.measures.tests.linkdata import (
    PHQ9_CALM,
    PHQ9_RISK,
    done,
    form_data,
    link,
    open_episode,
    send,
)
from therapia.security.models import SupervisionRecord

pytestmark = [pytest.mark.django_db, pytest.mark.urls("therapia.measures.tests.measures_urls")]
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def raise_alert(p: Personas, client: HttpClient, mailoutbox: list | None = None,  # type: ignore[type-arg]
                ) -> tuple[RiskAlert, str]:
    _, token = send(p)
    assert client.post(link(token), form_data(PHQ9_RISK)).status_code == 302
    return RiskAlert.objects.get(), token


def test_a_risk_answer_alerts_the_primary_clinician_at_once(
        personas: Personas, client: HttpClient, mailoutbox: list,  # type: ignore[type-arg]
        django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        alert, _ = raise_alert(personas, client)
    assert alert.assigned_to == personas.owner and alert.status == AlertStatus.OPEN
    assert alert.risk_flag_ids == ["phq9_item9"]
    assert alert.administration.total == 8.0  # the total is mild: the item decides
    (note,) = Notification.objects.filter(recipient=personas.owner)
    assert note.url == reverse("measures:alert", args=[alert.public_id])
    assert "Dana" not in note.title
    (mail,) = mailoutbox
    assert mail.to == [personas.owner.user.email]
    for clinical in ("dana", "whitfield", "phq", "risk", "suicid", "harm"):
        assert clinical not in (mail.subject + mail.body).lower()
    created = AuditEvent.objects.get(object_id=str(alert.public_id), action="create")
    assert created.actor_label == "system:portal" and created.client_id == personas.dana.pk


def test_no_alert_without_a_risk_answer(personas: Personas, client: HttpClient) -> None:
    _, token = send(personas)
    client.post(link(token), form_data(PHQ9_CALM))
    assert not RiskAlert.objects.exists()
    body = client.get(done(token)).content.decode()
    assert "If you need help before your next appointment" in body
    assert "you may have had thoughts of harming yourself" not in body


def test_the_client_sees_crisis_resources_for_their_jurisdiction(
        personas: Personas, client: HttpClient) -> None:
    _, token = raise_alert(personas, client)
    body = client.get(done(token)).content.decode()
    assert "If you are struggling right now" in body
    assert "Samaritans" in body and 'href="tel:116123"' in body
    assert "https://www.samaritans.org/" in body  # the source is shown
    personas.practice.jurisdiction = "US-CA"
    personas.practice.save()
    us = client.get(done(token)).content.decode()
    assert "988 Suicide &amp; Crisis Lifeline" in us and "Samaritans" not in us


def test_the_clinician_acknowledges_with_an_action_and_an_encrypted_note(
        personas: Personas, client: HttpClient, as_user) -> None:  # type: ignore[no-untyped-def]
    alert, _ = raise_alert(personas, client)
    http = as_user(personas.owner.user)
    url = reverse("measures:alert", args=[alert.public_id])
    page = http.get(url).content.decode()
    assert "thoughts of death or self-harm" in page and "Acknowledge the alert" in page
    response = http.post(url, {"action": AlertAction.CONTACTED_CLIENT,
                               "note": "Phoned; safe tonight, sister with her."})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.action, alert.acknowledged_by) == (
        AlertStatus.ACKNOWLEDGED, AlertAction.CONTACTED_CLIENT, personas.owner)
    assert b"sister" not in bytes(alert.note or b"")
    assert alerts.note_plaintext(alert) == "Phoned; safe tonight, sister with her."
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM measures_riskalert")
        assert b"sister" not in bytes(cursor.fetchone()[0])
    row = AuditEvent.objects.get(object_id=str(alert.public_id), action="update")
    assert row.fields == ["acknowledged_by", "action", "note", "status"]
    assert "Phoned; safe tonight" in http.get(url).content.decode()
    again = http.post(url, {"action": AlertAction.RISK_ASSESSED})
    assert again.status_code == 422 and "already acknowledged" in again.content.decode()


def test_acknowledging_needs_an_action_and_no_action_needs_a_reason(
        personas: Personas, client: HttpClient, as_user) -> None:  # type: ignore[no-untyped-def]
    alert, _ = raise_alert(personas, client)
    http = as_user(personas.owner.user)
    url = reverse("measures:alert", args=[alert.public_id])
    assert http.post(url, {"note": "x"}).status_code == 422
    refused = http.post(url, {"action": AlertAction.NO_ACTION, "note": " "})
    assert refused.status_code == 422
    assert "why no further action is needed" in refused.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


@pytest.mark.parametrize(("persona", "expected"), [
    ("owner", 200), ("trainee", 200), ("supervisor", 200), ("colleague", 404),
    ("front_desk", 404), ("outsider", 404), ("researcher", 404)])
def test_who_may_open_an_alert(personas: Personas, client: HttpClient, as_user,  # type: ignore[no-untyped-def]
                               persona: str, expected: int) -> None:
    alert, _ = raise_alert(personas, client)
    http = as_user(getattr(personas, persona).user)
    url = reverse("measures:alert", args=[alert.public_id])
    assert http.get(url).status_code == expected
    posted = http.post(url, {"action": AlertAction.CONTACTED_CLIENT})
    assert posted.status_code == (302 if expected == 200 else 404)


def test_the_alerts_page_lists_open_alerts_in_a_fixed_number_of_queries(
        personas: Personas, client: HttpClient, as_user,  # type: ignore[no-untyped-def]
        django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        _, token = send(personas)
        client.post(link(token), form_data(PHQ9_RISK, submission_id=str(uuid.uuid4())))
    http = as_user(personas.owner.user)
    http.get(reverse("measures:alerts"))  # warm the session
    with django_assert_num_queries(12):  # whatever the number of alerts
        body = http.get(reverse("measures:alerts")).content.decode()
    assert body.count("Dana Whitfield") == 3
    outsider = as_user(personas.outsider.user).get(reverse("measures:alerts")).content.decode()
    assert "Dana" not in outsider and "No open alerts" in outsider


def test_an_unacknowledged_alert_escalates_once_after_the_set_time(
        personas: Personas, client: HttpClient) -> None:
    with time_machine.travel(NOW, tick=False):
        alert, _ = raise_alert(personas, client)
    with override_settings(THERAPIA_ALERT_ESCALATION_MINUTES=30):
        assert alerts.escalate_overdue(NOW + dt.timedelta(minutes=29)) == 0
        assert alerts.escalate_overdue(NOW + dt.timedelta(minutes=30)) == 1
        assert alerts.escalate_overdue(NOW + dt.timedelta(minutes=90)) == 0  # never twice
    alert.refresh_from_db()
    # Alice (the owner) is the primary; Sam is Dana's care-team supervisor.
    assert alert.escalated_to == personas.supervisor
    assert alert.escalated_at == NOW + dt.timedelta(minutes=30)
    assert Notification.objects.filter(recipient=personas.supervisor,
                                       title=alerts.ESCALATED_TITLE).count() == 1
    assert AuditEvent.objects.filter(object_id=str(alert.public_id),
                                     fields__contains=["escalated_to"]).count() == 1


def test_the_default_escalation_time_and_the_task(personas: Personas,
                                                  client: HttpClient) -> None:
    with time_machine.travel(NOW, tick=False):
        alert, _ = raise_alert(personas, client)
    with time_machine.travel(NOW + dt.timedelta(minutes=alerts.ESCALATION_MINUTES - 1),
                             tick=False):
        assert alerts.escalate_overdue_alerts.call() == 0
    with time_machine.travel(NOW + dt.timedelta(minutes=alerts.ESCALATION_MINUTES),
                             tick=False):
        assert alerts.escalate_overdue_alerts.call() == 1
        assert alerts.escalate_overdue_alerts.call() == 0
    row = AuditEvent.objects.get(object_id=str(alert.public_id), fields__contains=[
        "escalated_at"])
    assert row.actor_label == "system:alert escalation"


def test_an_acknowledged_alert_does_not_escalate(personas: Personas,
                                                 client: HttpClient) -> None:
    with time_machine.travel(NOW, tick=False):
        alert, _ = raise_alert(personas, client)
        alerts.alert_acknowledge(actor=personas.actor("owner"), alert=alert,
                                 action=AlertAction.RISK_ASSESSED)
    assert alerts.escalate_overdue(NOW + dt.timedelta(days=1)) == 0


def test_escalation_goes_to_the_supervisor_of_record_first_then_the_owner(
        personas: Personas, client: HttpClient) -> None:
    """Tara (trainee) as primary clinician, supervised by Bob on record: Bob. Without a
    supervisor anywhere: the practice owner."""
    from therapia.clients.models import CareRole, CareTeamMember

    CareTeamMember.objects.filter(client=personas.dana).delete()
    CareTeamMember.objects.create(client=personas.dana, membership=personas.trainee,
                                  role=CareRole.PRIMARY, started_on=dt.date(2026, 1, 1))
    SupervisionRecord.objects.create(practice=personas.practice,
                                     supervisor=personas.colleague,
                                     supervisee=personas.trainee, starts_on=dt.date(2026, 1, 1))
    entered = administrations.administration_enter_paper(
        actor=personas.actor("trainee"), episode=open_episode(personas), instrument="phq9",
        items=PHQ9_RISK)
    alert_row = RiskAlert.objects.get(administration=entered.administration)
    assert alert_row.assigned_to == personas.trainee
    assert alerts.escalation_target(alert_row, NOW.date()) == personas.colleague
    SupervisionRecord.objects.all().delete()
    assert alerts.escalation_target(alert_row, NOW.date()) == personas.owner
