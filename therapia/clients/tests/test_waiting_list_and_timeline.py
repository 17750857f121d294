"""The waiting list, the waiting-time report and the episode timeline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from therapia.audit.models import Action, AuditEvent
from therapia.clients import selectors, services, timeline
from therapia.clients.models import Client, Episode, EpisodeStatus
from therapia.core import factories
from therapia.core.testing import Personas


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.date:
    return today() - dt.timedelta(days=n)


def open_episode(personas: Personas, client: Client, *, waited: int,
                 urgency: str = "routine") -> Episode:
    referral = services.referral_register(actor=personas.actor("front_desk"), client=client,
                                          source="primary_care", received_on=days(waited),
                                          urgency=urgency)
    return Episode.objects.get(referral=referral)


def treated(personas: Personas, *, referred: int, first_treatment: int) -> Episode:
    """A client of Alice's who started treatment `referred - first_treatment` days after
    referral."""
    client = factories.ClientFactory.create(practice=personas.practice)
    factories.CareTeamFactory.create(client=client, membership=personas.owner)
    episode = open_episode(personas, client, waited=referred)
    owner = personas.actor("owner")
    episode = services.episode_transition(actor=owner, episode=episode, to="assessment",
                                          on=days(first_treatment))
    return services.episode_transition(actor=owner, episode=episode, to="in_treatment",
                                       on=days(first_treatment))


# --- The waiting list -----------------------------------------------------------------------

def test_waiting_list_oldest_first_with_time_waited(personas: Personas, as_user) -> None:
    other = factories.ClientFactory.create(practice=personas.practice,
                                           legal_family_name="Newcombe")
    open_episode(personas, other, waited=3, urgency="urgent")
    open_episode(personas, personas.dana, waited=45)
    services.referral_register(actor=personas.actor("outsider"),  # another practice's
                               client=personas.outsider_client, source="self",
                               received_on=days(80))
    body = as_user(personas.front_desk.user).get(reverse("clients:waiting_list")).content.decode()
    assert body.index("Dana Whitfield") < body.index("Newcombe")
    assert "6 weeks, 3 days" in body and "3 days" in body and "Urgent" in body
    assert "Outis" not in body and "11 weeks" not in body
    row = AuditEvent.objects.get(action=Action.LIST, fields=["waiting_list"])
    assert row.actor_user_id == personas.front_desk.user.pk


def test_waiting_list_names_only_those_the_actor_may_see(personas: Personas, as_user) -> None:
    open_episode(personas, personas.dana, waited=10)
    for persona in ("researcher", "colleague"):
        body = as_user(getattr(personas, persona).user).get(
            reverse("clients:waiting_list")).content.decode()
        assert "Whitfield" not in body and str(personas.dana.public_id) not in body
        assert "Not on your caseload" in body and "1 week, 3 days" in body
        assert ("Register a referral" in body) == (persona == "colleague")
    outsider = as_user(personas.outsider.user).get(reverse("clients:waiting_list"))
    assert "Nobody is waiting" in outsider.content.decode()


def test_waiting_list_leaves_out_treatment_and_discharge(personas: Personas, as_user) -> None:
    treated(personas, referred=30, first_treatment=5)
    episode = open_episode(personas, personas.dana, waited=20)
    services.episode_transition(actor=personas.actor("owner"), episode=episode,
                                to="discharged", on=days(1), reason="declined")
    body = as_user(personas.owner.user).get(reverse("clients:waiting_list")).content.decode()
    assert "Nobody is waiting" in body


def test_waiting_list_query_count_does_not_grow(personas: Personas, as_user,
                                               django_assert_num_queries) -> None:
    http = as_user(personas.front_desk.user)
    open_episode(personas, personas.dana, waited=10)
    http.get(reverse("clients:waiting_list"))  # warm the session
    with django_assert_num_queries(13) as first:
        http.get(reverse("clients:waiting_list"))
    for number in range(12):
        client = factories.ClientFactory.create(practice=personas.practice)
        open_episode(personas, client, waited=number)
    with django_assert_num_queries(len(first.captured_queries)):
        http.get(reverse("clients:waiting_list"))


# --- Waiting times against the standards ------------------------------------------------------

def test_waiting_times_share_within_6_and_18_weeks(personas: Personas, as_user) -> None:
    treated(personas, referred=50, first_treatment=10)  # 40 days: within 6 weeks
    treated(personas, referred=52, first_treatment=10)  # 42 days: exactly 6 weeks counts
    treated(personas, referred=110, first_treatment=10)  # 100 days: within 18 weeks only
    treated(personas, referred=200, first_treatment=10)  # 190 days: beyond both
    treated(personas, referred=400, first_treatment=300)  # outside the dates chosen
    open_episode(personas, personas.dana, waited=130)  # still waiting, beyond 18 weeks
    query = {"start": days(60).isoformat(), "end": today().isoformat()}
    response = as_user(personas.researcher.user).get(reverse("clients:waiting_times"), query)
    report = response.context["report"]
    assert report.total.treated == 4
    assert report.total.within == (2, 3)
    assert report.total.shares == (50, 75)
    assert report.still_waiting == 1 and report.waiting_beyond == (1, 1)
    body = response.content.decode()
    assert "Within 6 weeks: 50%" in body and "Below standard" in body
    assert "Whitfield" not in body  # counts only


def test_waiting_times_refuse_a_backwards_range(personas: Personas, as_user) -> None:
    response = as_user(personas.owner.user).get(
        reverse("clients:waiting_times"), {"start": "2026-05-01", "end": "2026-04-01"})
    assert response.status_code == 422
    assert "The end date is before the start date." in response.content.decode()


# --- The timeline ---------------------------------------------------------------------------

def dana_through_treatment(personas: Personas) -> Episode:
    owner = personas.actor("owner")
    first = open_episode(personas, personas.dana, waited=500)
    services.episode_transition(actor=owner, episode=first, to="discharged", on=days(400),
                                reason="moved")
    episode = open_episode(personas, personas.dana, waited=60)
    episode = services.episode_transition(actor=owner, episode=episode, to="assessment",
                                          on=days(40))
    return services.episode_transition(actor=owner, episode=episode, to="in_treatment",
                                       on=days(30))


def timeline_url(personas: Personas) -> str:
    return reverse("clients:timeline", args=[personas.dana.public_id])


def test_timeline_shows_the_latest_episode_newest_first(personas: Personas, as_user) -> None:
    dana_through_treatment(personas)
    response = as_user(personas.trainee.user).get(timeline_url(personas))
    body = response.content.decode()
    assert response.status_code == 200
    first, assess, referral = (body.index("First treatment session"), body.index("Assessment."),
                               body.index("Referral received"))
    assert first < assess < referral
    assert "Discharged" not in body.split('id="timeline-events"')[1]  # the earlier episode
    row = AuditEvent.objects.get(client_id=personas.dana.pk, action=Action.READ,
                                 fields=["timeline"])
    assert row.purpose == "treatment"


def test_timeline_selects_an_earlier_episode(personas: Personas, as_user) -> None:
    dana_through_treatment(personas)
    earlier = personas.dana.episodes.get(status=EpisodeStatus.DISCHARGED)
    response = as_user(personas.owner.user).get(timeline_url(personas),
                                                {"episode": str(earlier.public_id)})
    assert "Discharged: Moved away" in response.content.decode()
    other = as_user(personas.owner.user).get(
        timeline_url(personas), {"episode": "00000000-0000-4000-8000-000000000000"})
    assert other.status_code == 404


def test_timeline_filters_by_kind_and_htmx_swaps_only_the_list(personas: Personas,
                                                                as_user) -> None:
    dana_through_treatment(personas)
    http = as_user(personas.owner.user)
    response = http.get(timeline_url(personas), {"kind": "referral"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="timeline-events"')
    assert "Referral received" in body and "First treatment session" not in body
    page = http.get(timeline_url(personas), {"kind": "referral"}).content.decode()
    assert 'value="referral" checked' in page  # works without JavaScript too


def test_timeline_is_only_for_the_care_team(personas: Personas, as_user) -> None:
    episode = dana_through_treatment(personas)
    assert as_user(personas.front_desk.user).get(timeline_url(personas)).status_code == 404
    assert list(timeline.events(personas.actor("front_desk"), episode)) == []
    assert list(timeline.events(personas.actor("colleague"), episode)) == []
    assert len(list(timeline.events(personas.actor("supervisor"), episode))) == 3


def test_timeline_pages_and_load_more(personas: Personas, as_user) -> None:
    dana_through_treatment(personas)
    owner = personas.actor("owner")
    one = selectors.timeline_for(actor=owner, client_public_id=personas.dana.public_id,
                                 page=1, page_size=1)
    two = selectors.timeline_for(actor=owner, client_public_id=personas.dana.public_id,
                                 page=2, page_size=1, from_start=False)
    upto = selectors.timeline_for(actor=owner, client_public_id=personas.dana.public_id,
                                  page=2, page_size=1)
    assert one.has_more and two.has_more and not selectors.timeline_for(
        actor=owner, client_public_id=personas.dana.public_id, page=3, page_size=1).has_more
    assert [e.event.title for e in upto.events] == [
        e.event.title for e in (*one.events, *two.events)]
    assert len({e.event.title for e in upto.events}) == 2
    http = as_user(personas.owner.user)
    appended = http.get(timeline_url(personas), {"page": "1", "append": "1"},
                        HTTP_HX_REQUEST="true").content.decode()
    assert appended.lstrip().startswith('<li class="timeline-event">')
    assert "<html" not in appended and "Referral received" in appended


def test_timeline_query_count_does_not_grow(personas: Personas, as_user,
                                           django_assert_num_queries,
                                           django_assert_max_num_queries) -> None:
    """Bounded, not exact: other apps' contributions add their own (fixed) queries. This
    app's own share is pinned exactly below."""
    http = as_user(personas.owner.user)
    episode = open_episode(personas, personas.dana, waited=60)
    http.get(timeline_url(personas))  # warm the session
    with django_assert_max_num_queries(40) as first:
        http.get(timeline_url(personas))
    owner = personas.actor("owner")
    for step, on in (("assessment", 40), ("in_treatment", 30), ("discharged", 1)):
        episode = services.episode_transition(actor=owner, episode=episode, to=step,
                                              on=days(on), reason="completed")
    factories.ClientFactory.create_batch(5, practice=personas.practice)
    with django_assert_num_queries(len(first.captured_queries)):
        response = http.get(timeline_url(personas))
    assert response.context["t"].matching == 4


def test_clients_timeline_module_costs_one_query(personas: Personas,
                                                 django_assert_num_queries) -> None:
    dana_through_treatment(personas)
    episode = Episode.objects.select_related("client", "referral", "practice").get(
        client=personas.dana, status=EpisodeStatus.IN_TREATMENT)
    with django_assert_num_queries(1):  # the policy's care-team check
        found = list(timeline.events(personas.actor("owner"), episode))
    assert [event.kind for event in found] == ["referral", "episode", "episode"]


@pytest.mark.parametrize("persona", ["colleague", "outsider", "researcher", "front_desk"])
def test_timeline_is_404_outside_the_care_team(personas: Personas, as_user,
                                               persona: str) -> None:
    dana_through_treatment(personas)
    http = as_user(getattr(personas, persona).user)
    assert http.get(timeline_url(personas)).status_code == 404
