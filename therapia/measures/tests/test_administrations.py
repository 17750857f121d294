"""Clinicians' questionnaire pages: giving one (e-mail, a link shown once, paper), paper
entry with item-named errors and prorating rules, the answers page, a new link, cancelling;
who may see them (404 otherwise), audit rows, retried submissions, overview and timeline."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.urls import reverse

from therapia.audit.models import AuditEvent
from therapia.clients.contributions import client_links, timeline_events
from therapia.core.testing import Personas
from therapia.measures import administrations
from therapia.measures.models import (
    Administration,
    AdministrationStatus,
    EntryMode,
    Occasion,
    RiskAlert,
)
from therapia.measures.tests.linkdata import PHQ9_RISK, form_data, link, open_episode, send

pytestmark = [pytest.mark.django_db, pytest.mark.urls("therapia.measures.tests.measures_urls")]
PERSONAS = ["owner", "colleague", "outsider", "front_desk", "trainee", "supervisor",
            "researcher"]
CARE_TEAM = {"owner", "trainee", "supervisor"}
ROWS = 4


def paper(p: Personas, items: list[int | None], instrument: str = "core10") -> Administration:
    return administrations.administration_enter_paper(
        actor=p.actor("owner"), episode=open_episode(p), instrument=instrument,
        items=items).administration


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", ["measures:questionnaires", "measures:paper_entry"])
def test_client_pages_are_for_the_care_team_only(personas: Personas, as_user,  # type: ignore[no-untyped-def]
                                                 persona: str, name: str) -> None:
    open_episode(personas)
    http = as_user(getattr(personas, persona).user)
    response = http.get(reverse(name, args=[personas.dana.public_id]))
    assert response.status_code == (200 if persona in CARE_TEAM else 404)
    if persona != "outsider":  # Olive is the outsider's own client
        foreign = reverse(name, args=[personas.outsider_client.public_id])
        assert http.get(foreign).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_questionnaire_and_its_actions_404_outside_the_care_team(
        personas: Personas, as_user, persona: str) -> None:  # type: ignore[no-untyped-def]
    administration, _ = send(personas)
    http = as_user(getattr(personas, persona).user)
    allowed = persona in CARE_TEAM
    page = http.get(reverse("measures:administration", args=[administration.public_id]))
    assert page.status_code == (200 if allowed else 404)
    if not allowed:
        for name in ("measures:administration_link", "measures:administration_cancel"):
            assert http.post(reverse(name, args=[administration.public_id])).status_code == 404
        administration.refresh_from_db()
        assert administration.status == AdministrationStatus.SENT


def test_giving_a_questionnaire_shows_the_link_once(personas: Personas, as_user,  # type: ignore[no-untyped-def]
                                                    client: HttpClient) -> None:
    open_episode(personas)
    http = as_user(personas.owner.user)
    url = reverse("measures:questionnaires", args=[personas.dana.public_id])
    token = str(uuid.uuid4())
    response = http.post(url, {"instrument": "phq9", "delivery": "link", "form_token": token})
    body = response.content.decode()
    assert response.status_code == 200 and "/portal/q/" in body
    shown = body.split('value="http')[1].split('"')[0]
    created = Administration.objects.get()
    assert bytes(created.token_hash or b"") == administrations.digest(shown.rsplit("/", 2)[-2])
    retry = http.post(url, {"instrument": "phq9", "delivery": "link", "form_token": token})
    assert retry.status_code == 302 and Administration.objects.count() == 1  # stored once
    assert "/portal/q/" not in http.get(url).content.decode()  # never shown again
    row = AuditEvent.objects.get(object_id=str(created.public_id), action="create")
    assert row.fields == ["instrument_id", "occasion", "token_hash"]


def test_e_mail_needs_an_address_and_paper_only_instruments_cannot_be_linked(
        personas: Personas, as_user) -> None:  # type: ignore[no-untyped-def]
    open_episode(personas)
    personas.dana.email = ""
    personas.dana.save()
    http = as_user(personas.owner.user)
    url = reverse("measures:questionnaires", args=[personas.dana.public_id])
    no_mail = http.post(url, {"instrument": "gad7", "delivery": "email",
                              "form_token": str(uuid.uuid4())})
    assert no_mail.status_code == 422 and "no e-mail address" in no_mail.content.decode()
    licensed = http.post(url, {"instrument": "core10", "delivery": "link",
                               "form_token": str(uuid.uuid4())})
    assert licensed.status_code == 422
    assert "CORE-10 cannot be sent as a link" in licensed.content.decode()
    assert not Administration.objects.exists()
    to_paper = http.post(url, {"instrument": "core10", "delivery": "paper",
                               "form_token": str(uuid.uuid4())})
    assert to_paper["Location"].endswith("/paper/?instrument=core10")


def test_paper_entry_scores_and_prorates_as_the_owner_allows(personas: Personas,
                                                            as_user) -> None:  # type: ignore[no-untyped-def]
    open_episode(personas)
    http = as_user(personas.owner.user)
    url = reverse("measures:paper_entry", args=[personas.dana.public_id]) + "?instrument=core10"
    page = http.get(url).content.decode()
    assert "CORE System Trust terms must be checked" in page  # why no item text
    data = {f"item_{n}": "2" for n in range(1, 11)} | {"item_4": "", "instrument": "core10",
                                                       "form_token": str(uuid.uuid4())}
    response = http.post(url, data)
    assert response.status_code == 302
    stored = Administration.objects.get()
    assert (stored.entry_mode, stored.entered_by, stored.prorated, stored.total) == (
        EntryMode.PAPER, personas.owner, True, 20.0)
    assert http.post(url, data).status_code == 302 and Administration.objects.count() == 1
    row = AuditEvent.objects.get(object_id=str(stored.public_id), action="update")
    assert row.actor_user_id == personas.owner.user.pk and "entered_by" in row.fields


def test_paper_entry_names_the_bad_item_and_saves_nothing(personas: Personas,
                                                         as_user) -> None:  # type: ignore[no-untyped-def]
    open_episode(personas)
    http = as_user(personas.owner.user)
    url = reverse("measures:paper_entry", args=[personas.dana.public_id])
    data = {f"item_{n}": "1" for n in range(1, 11)} | {
        "item_7": "5", "instrument": "core10", "form_token": str(uuid.uuid4())}
    response = http.post(url, data)
    body = response.content.decode()
    assert response.status_code == 422
    assert "Item 7 (Item 7): &#x27;5&#x27; is not one of the answers (0, 1, 2, 3, 4)." in body
    assert 'aria-describedby="item_7_error"' in body
    assert not Administration.objects.exists()
    ors = http.post(url, {"instrument": "ors", "item_1": "10.5", "item_2": "3.25",
                          "item_3": "4", "item_4": "5", "form_token": str(uuid.uuid4())})
    text = ors.content.decode()
    assert ors.status_code == 422 and "Item 1 (Individually)" in text
    assert "Item 2 (Interpersonally)" in text


def test_too_many_missing_items_leave_no_total(personas: Personas) -> None:
    stored = paper(personas, [1, 1, None, None, 1, 1, 1, 1, 1, 1])
    assert stored.status == AdministrationStatus.COMPLETED
    assert stored.total is None and stored.band == ""


def test_a_paper_risk_answer_raises_an_alert(personas: Personas) -> None:
    stored = paper(personas, [0, 0, 0, 0, 0, 1, 0, 0, 0, 0])  # CORE-10 item 6
    alert = RiskAlert.objects.get(administration=stored)
    assert alert.risk_flag_ids == ["core10_item6"] and alert.assigned_to == personas.owner


def test_paper_entry_completes_a_waiting_questionnaire_and_uses_up_its_link(
        personas: Personas, as_user, client: HttpClient) -> None:  # type: ignore[no-untyped-def]
    administration, token = send(personas)
    http = as_user(personas.owner.user)
    url = reverse("measures:paper_entry", args=[personas.dana.public_id])
    data = {f"item_{n}": "0" for n in range(1, 10)} | {
        "administration": str(administration.public_id), "form_token": str(uuid.uuid4())}
    assert http.post(url, data).status_code == 302
    administration.refresh_from_db()
    assert administration.status == AdministrationStatus.COMPLETED
    assert administration.token_hash is None
    assert client.get(link(token)).status_code == 404


def test_the_answers_page_decrypts_and_marks_the_risk_item(personas: Personas,
                                                          client: HttpClient,
                                                          as_user) -> None:  # type: ignore[no-untyped-def]
    administration, token = send(personas)
    client.post(link(token), form_data(PHQ9_RISK))
    http = as_user(personas.trainee.user)
    body = http.get(reverse("measures:administration",
                            args=[administration.public_id])).content.decode()
    assert "Thoughts that you would be better off dead" in body
    assert "1: Several days" in body and 'class="flagged"' in body
    assert "8 · Mild" in body
    row = AuditEvent.objects.filter(object_id=str(administration.public_id),
                                    action="read", actor_user_id=personas.trainee.user.pk)
    assert row.get().fields == ["answers", "band", "risk_flag_ids", "subscales", "total"]


def test_a_new_link_replaces_the_old_one(personas: Personas, as_user,  # type: ignore[no-untyped-def]
                                         client: HttpClient) -> None:
    administration, old = send(personas)
    http = as_user(personas.owner.user)
    response = http.post(reverse("measures:administration_link",
                                 args=[administration.public_id]))
    assert response.status_code == 200
    assert client.get(link(old)).status_code == 404
    new = response.content.decode().split("/portal/q/")[1].split("/")[0]
    assert client.get(link(new)).status_code == 200
    assert AuditEvent.objects.filter(object_id=str(administration.public_id),
                                     action="update", fields=["expires_at",
                                                              "token_hash"]).count() == 1


def test_cancelling_goes_through_the_transition_table(personas: Personas,
                                                      as_user) -> None:  # type: ignore[no-untyped-def]
    administration, _ = send(personas)
    http = as_user(personas.owner.user)
    url = reverse("measures:administration_cancel", args=[administration.public_id])
    assert http.post(url).status_code == 302
    administration.refresh_from_db()
    assert administration.status == AdministrationStatus.CANCELLED
    assert http.post(url).status_code == 422  # cancelled is final
    with pytest.raises(ValidationError):
        administrations.administration_enter_paper(
            actor=personas.actor("owner"), episode=open_episode(personas), instrument="phq9",
            items=[0] * 9, administration=administration)


def test_the_same_occasion_is_given_once(personas: Personas) -> None:
    episode = open_episode(personas)
    first = administrations.administration_create(
        actor=None, episode=episode, instrument="gad7", with_link=True,
        occasion=Occasion.INTAKE, occasion_key="intake")
    again = administrations.administration_create(
        actor=None, episode=episode, instrument="gad7", with_link=True,
        occasion=Occasion.INTAKE, occasion_key="intake")
    assert first.created and not again.created and again.token is None
    assert again.administration == first.administration


def test_questionnaires_page_lists_in_a_fixed_number_of_queries(
        personas: Personas, as_user, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    for _ in range(ROWS):
        send(personas)
    paper(personas, [1] * 10)
    http = as_user(personas.owner.user)
    url = reverse("measures:questionnaires", args=[personas.dana.public_id])
    http.get(url)
    with django_assert_num_queries(18):  # whatever the number of rows
        body = http.get(url).content.decode()
    assert body.count("Link sent, open until") == ROWS and "CORE-10" in body


def test_overview_link_and_timeline_for_the_care_team_only(personas: Personas,
                                                           client: HttpClient) -> None:
    administration, token = send(personas)
    client.post(link(token), form_data(PHQ9_RISK))
    found = [x for x in client_links(personas.actor("owner"), personas.dana)
             if x.label == "Questionnaires"]
    assert found[0].note.startswith("latest PHQ-9 8 (Mild)")
    assert "1 open risk alert" in found[0].note
    assert not [x for x in client_links(personas.actor("front_desk"), personas.dana)
                if x.label == "Questionnaires"]
    titles = [e.title for e in timeline_events(personas.actor("owner"),
                                               administration.episode)
              if e.kind == "measure"]
    assert {"PHQ-9 sent to the client", "PHQ-9 completed: total 8 (Mild)",
            "Risk alert raised"} <= set(titles)
    assert not [e for e in timeline_events(personas.actor("front_desk"),
                                           administration.episode) if e.kind == "measure"]
