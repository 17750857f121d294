"""Referrals, episodes of care and their transitions: rules, access, audit rows, bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from therapia.audit.models import Action, AuditEvent
from therapia.clients import services
from therapia.clients.models import Client, Episode, EpisodeStatus, Referral
from therapia.clients.services import AttendedSession
from therapia.core.testing import Personas

REASON = "Low mood since the bereavement; REASON-CANARY"


def today() -> dt.date:
    return timezone.localdate()


def ago(days: int) -> str:
    return (today() - dt.timedelta(days=days)).isoformat()


def referral_data(**extra: str) -> dict[str, str]:
    return {"source": "primary_care", "referrer": "Dr Okafor", "received_on": ago(30),
            "urgency": "soon", "reason": REASON,
            "form_token": "5f0c8a59-64a4-4b3e-9d1c-0a3d2d1c7e11", **extra}


def refer(personas: Personas, *, days_ago: int = 30, who: str = "owner") -> Episode:
    referral = services.referral_register(
        actor=personas.actor(who), client=personas.dana, source="self",
        received_on=today() - dt.timedelta(days=days_ago), reason=REASON)
    return Episode.objects.get(referral=referral)


def move(personas: Personas, episode: Episode, to: str, days_ago: int, *,
         reason: str | None = None, who: str = "owner") -> Episode:
    return services.episode_transition(actor=personas.actor(who), episode=episode, to=to,
                                       on=today() - dt.timedelta(days=days_ago), reason=reason)


# --- Registering a referral -------------------------------------------------------------

def test_referral_opens_a_waiting_episode_encrypted_and_audited(personas: Personas,
                                                                as_user) -> None:
    url = reverse("clients:referral_add", args=[personas.dana.public_id])
    response = as_user(personas.owner.user).post(url, referral_data())
    assert response.status_code == 302
    referral = Referral.objects.get(client=personas.dana)
    episode = referral.episode
    assert episode.status == EpisodeStatus.WAITING
    assert episode.opened_on == referral.received_on == today() - dt.timedelta(days=30)
    assert b"REASON-CANARY" not in bytes(referral.reason)  # ciphertext only
    assert services.referral_reason_plaintext(referral) == REASON
    rows = AuditEvent.objects.filter(client_id=personas.dana.pk, action=Action.CREATE)
    by_type = {row.object_type: row.fields for row in rows}
    assert set(by_type["clients.Referral"]) == {"source", "referrer", "reason", "urgency",
                                                "received_on"}
    assert set(by_type["clients.Episode"]) == {"status", "opened_on", "referral"}
    assert "CANARY" not in str(list(rows.values()))


def test_front_desk_registers_a_new_client_with_a_referral(personas: Personas,
                                                           as_user) -> None:
    data = {"legal_given_name": "Noor", "legal_family_name": "Haddad", "preferred_name": "",
            "pronouns": "", "date_of_birth": "1991-03-02", "email": "", "phone": "",
            "address": "", "language": "en", "emergency_contact_name": "",
            "emergency_contact_phone": "", "emergency_contact_relationship": "",
            **referral_data()}
    http = as_user(personas.front_desk.user)
    first = http.post(reverse("clients:referral_create"), data)
    second = http.post(reverse("clients:referral_create"), data)  # a retried submission
    client = Client.objects.get(legal_family_name="Haddad")
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("clients:overview",
                                                              args=[client.public_id])
    assert Referral.objects.filter(client=client).count() == 1
    assert client.episodes.get().status == EpisodeStatus.WAITING


def test_new_client_and_referral_are_saved_together_or_not_at_all(personas: Personas,
                                                                  as_user) -> None:
    data = {"legal_given_name": "Noor", "legal_family_name": "Haddad",
            "date_of_birth": "1991-03-02", "language": "en",
            **referral_data(received_on="1985-01-01")}  # before she was born
    response = as_user(personas.front_desk.user).post(reverse("clients:referral_create"), data)
    assert response.status_code == 422
    assert "before the client was born" in response.content.decode()
    assert not Client.objects.filter(legal_family_name="Haddad").exists()


def test_retried_referral_for_a_client_is_stored_once(personas: Personas, as_user) -> None:
    http = as_user(personas.front_desk.user)
    url = reverse("clients:referral_add", args=[personas.dana.public_id])
    assert http.post(url, referral_data()).status_code == 302
    assert http.post(url, referral_data()).status_code == 302
    assert Referral.objects.filter(client=personas.dana).count() == 1


def test_a_second_open_episode_is_refused_with_a_clear_message(personas: Personas,
                                                              as_user) -> None:
    refer(personas)
    url = reverse("clients:referral_add", args=[personas.dana.public_id])
    response = as_user(personas.owner.user).post(
        url, referral_data(form_token="9b2d1c3e-0f4a-4e5b-8c6d-7e8f9a0b1c2d"))
    assert response.status_code == 422
    assert "already has an open episode of care" in response.content.decode()
    assert Episode.objects.filter(client=personas.dana).count() == 1


def test_the_database_also_refuses_two_open_episodes(personas: Personas) -> None:
    refer(personas)
    with pytest.raises(IntegrityError), transaction.atomic():
        Episode.objects.create(practice=personas.practice, client=personas.dana,
                               opened_on=today())


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2999-01-01", "cannot have been received in the future"),
        ("1985-01-01", "before the client was born"),
        ("31/31/2026", "Enter a valid date"),
    ],
)
def test_bad_referral_dates_are_refused_beside_the_field(personas: Personas, as_user,
                                                         value: str, message: str) -> None:
    url = reverse("clients:referral_add", args=[personas.dana.public_id])
    response = as_user(personas.owner.user).post(url, referral_data(received_on=value))
    body = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_received_on_error"' in body and message in body
    assert not Referral.objects.exists()


def test_a_new_referral_cannot_predate_the_last_discharge(personas: Personas) -> None:
    episode = refer(personas, days_ago=60)
    move(personas, episode, "discharged", 10, reason="declined")
    with pytest.raises(ValidationError) as refused:
        services.referral_register(actor=personas.actor("owner"), client=personas.dana,
                                   source="self", received_on=today() - dt.timedelta(days=20))
    assert "before the client's previous episode ended" in str(refused.value)
    second = refer(personas, days_ago=5)
    assert Episode.objects.filter(client=personas.dana).count() == 2
    assert second.is_open


def test_researcher_cannot_register_a_referral(personas: Personas) -> None:
    with pytest.raises(PermissionDenied):
        refer(personas, who="researcher")


# --- The episode page and who may see the reason ------------------------------------------

def test_front_desk_sees_status_but_never_the_reason(personas: Personas, as_user) -> None:
    episode = refer(personas, who="front_desk")
    url = reverse("clients:episode", args=[episode.public_id])
    desk = as_user(personas.front_desk.user).get(url)
    assert desk.status_code == 200
    assert "REASON-CANARY" not in desk.content.decode()
    assert "Record the assessment" not in desk.content.decode()
    row = AuditEvent.objects.filter(object_id=str(episode.public_id), action=Action.READ).get()
    assert "referral.reason" not in row.fields
    owner = as_user(personas.owner.user).get(url)
    assert "REASON-CANARY" in owner.content.decode()
    assert "Record the assessment" in owner.content.decode()
    assert AuditEvent.objects.filter(object_id=str(episode.public_id), action=Action.READ,
                                     fields__contains=["referral.reason"]).count() == 1


@pytest.mark.parametrize("persona", ["colleague", "outsider", "researcher"])
def test_episode_pages_are_404_for_those_who_cannot_see_the_client(
        personas: Personas, as_user, persona: str) -> None:
    episode = refer(personas)
    http = as_user(getattr(personas, persona).user)
    assert http.get(reverse("clients:episode", args=[episode.public_id])).status_code == 404
    moved = http.post(reverse("clients:episode_move", args=[episode.public_id]),
                      {"to": "assessment", "on": ago(1)})
    assert moved.status_code == 404
    assert Episode.objects.get(pk=episode.pk).status == EpisodeStatus.WAITING


def test_front_desk_cannot_move_an_episode(personas: Personas, as_user) -> None:
    episode = refer(personas)
    response = as_user(personas.front_desk.user).post(
        reverse("clients:episode_move", args=[episode.public_id]),
        {"to": "assessment", "on": ago(1)})
    assert response.status_code == 403
    assert Episode.objects.get(pk=episode.pk).status == EpisodeStatus.WAITING


# --- Transitions ----------------------------------------------------------------------------

def test_referral_to_discharge_through_the_pages_is_audited(personas: Personas,
                                                           as_user) -> None:
    episode = refer(personas, days_ago=60)
    http = as_user(personas.trainee.user)  # on the care team: a clinician may manage
    url = reverse("clients:episode_move", args=[episode.public_id])
    for step in ({"to": "assessment", "on": ago(40)}, {"to": "in_treatment", "on": ago(30)},
                 {"to": "discharged", "on": ago(1), "reason": "completed"}):
        response = http.post(url, step)
        assert response.status_code == 302, response.content.decode()
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.DISCHARGED
    assert (episode.assessed_on, episode.first_treatment_on, episode.discharged_on) == (
        today() - dt.timedelta(days=40), today() - dt.timedelta(days=30),
        today() - dt.timedelta(days=1))
    assert episode.discharge_reason == "completed"
    updates = AuditEvent.objects.filter(object_id=str(episode.public_id), action=Action.UPDATE)
    assert [set(row.fields) for row in updates.order_by("seq")] == [
        {"status", "assessed_on"}, {"status", "first_treatment_on"},
        {"status", "discharged_on", "discharge_reason"}]
    assert {row.actor_user_id for row in updates} == {personas.trainee.user.pk}


def test_a_transition_not_in_the_table_is_refused_clearly(personas: Personas, as_user) -> None:
    episode = refer(personas)
    response = as_user(personas.owner.user).post(
        reverse("clients:episode_move", args=[episode.public_id]),
        {"to": "in_treatment", "on": ago(1)})
    body = response.content.decode()
    assert response.status_code == 422
    assert "An episode in “Waiting” cannot move to “In treatment”" in body
    assert Episode.objects.get(pk=episode.pk).status == EpisodeStatus.WAITING


def test_a_discharged_episode_is_closed(personas: Personas) -> None:
    episode = move(personas, refer(personas), "discharged", 1, reason="moved")
    with pytest.raises(ValidationError) as refused:
        move(personas, episode, "assessment", 1)
    assert "discharged and closed" in str(refused.value)


@pytest.mark.parametrize(
    ("step", "field", "message"),
    [
        ({"to": "discharged", "on": ago(45), "reason": "completed"}, "on",
         "before the episode opened"),
        ({"to": "discharged", "on": ago(1), "reason": ""}, "reason",
         "Choose the reason for discharge"),
        ({"to": "assessment", "on": ago(-2)}, "on", "cannot be in the future"),
        ({"to": "assessment", "on": ago(31)}, "on", "before the episode opened"),
    ],
)
def test_bad_transition_input_is_refused_beside_the_field(personas: Personas, as_user,
                                                          step: dict[str, str], field: str,
                                                          message: str) -> None:
    episode = refer(personas, days_ago=30)
    response = as_user(personas.owner.user).post(
        reverse("clients:episode_move", args=[episode.public_id]), step)
    body = response.content.decode()
    assert response.status_code == 422
    assert f'id="id_{step["to"]}_{field}_error"' in body and message in body
    stored = Episode.objects.get(pk=episode.pk)
    assert (stored.status, stored.discharged_on) == (EpisodeStatus.WAITING, None)


def test_first_treatment_cannot_precede_the_assessment(personas: Personas) -> None:
    episode = move(personas, refer(personas, days_ago=30), "assessment", 10)
    with pytest.raises(ValidationError) as refused:
        move(personas, episode, "in_treatment", 20)
    assert "cannot be before the assessment" in str(refused.value)


# --- Attended sessions recorded by other apps ------------------------------------------------

def test_attended_sessions_record_assessment_and_first_treatment_once(personas: Personas) -> None:
    episode = refer(personas, days_ago=50)
    desk = personas.actor("front_desk")  # who marks attendance at reception
    intake = today() - dt.timedelta(days=40)
    changed = services.episode_session_attended(actor=desk, client=personas.dana,
                                                session=AttendedSession.INTAKE, on=intake)
    assert changed is not None and changed.status == EpisodeStatus.ASSESSMENT
    assert changed.assessed_on == intake
    first = today() - dt.timedelta(days=33)
    services.episode_session_attended(actor=desk, client=personas.dana, session="treatment",
                                      on=first)
    later = services.episode_session_attended(actor=desk, client=personas.dana,
                                              session="treatment", on=today())
    assert later is None  # the first treatment is kept
    episode.refresh_from_db()
    assert (episode.status, episode.first_treatment_on) == (EpisodeStatus.IN_TREATMENT, first)
    rows = AuditEvent.objects.filter(object_id=str(episode.public_id), action=Action.UPDATE)
    assert rows.count() == 2 and {r.actor_user_id for r in rows} == {desk.user.pk}


def test_attended_session_without_an_open_episode_changes_nothing(personas: Personas) -> None:
    assert services.episode_session_attended(actor=personas.actor("owner"),
                                             client=personas.dana, session="intake",
                                             on=today()) is None
    with pytest.raises(PermissionDenied):
        services.episode_session_attended(actor=personas.actor("colleague"),
                                          client=personas.dana, session="intake", on=today())


# --- The overview ---------------------------------------------------------------------------

def test_overview_shows_current_episode_history_and_timeline_link(personas: Personas,
                                                                  as_user) -> None:
    first = refer(personas, days_ago=400)
    move(personas, first, "discharged", 300, reason="dropped_out")
    refer(personas, days_ago=17)
    url = reverse("clients:overview", args=[personas.dana.public_id])
    body = as_user(personas.owner.user).get(url).content.decode()
    assert "waiting 2 weeks, 3 days" in body
    assert "Earlier episodes" in body and "dropped out" in body
    assert reverse("clients:timeline", args=[personas.dana.public_id]) in body
    assert "2 episodes of care" in body
    desk = as_user(personas.front_desk.user).get(url).content.decode()
    assert "Earlier episodes" in desk and "dropped out" not in desk
    assert reverse("clients:timeline", args=[personas.dana.public_id]) not in desk
    assert "Register a referral" not in desk  # one open episode at a time
