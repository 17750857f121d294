"""Reads of client data. Each goes through the access policy and leaves an audit row."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    UUIDField,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, NullIf, TruncMonth
from django.http import Http404
from django.utils import timezone

from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients import episode_policy
from therapia.clients.contributions import (
    ClientLink,
    TimelineEvent,
    client_links,
    timeline_events,
)
from therapia.clients.models import (
    EPISODE_TRANSITIONS,
    CareTeamMember,
    Client,
    ClientUnit,
    Episode,
    EpisodeStatus,
    RelatedPerson,
)
from therapia.clients.services import referral_reason_plaintext
from therapia.scheduling.models import Appointment
from therapia.security import policy
from therapia.security.actor import Actor
from therapia.security.policy import Access

DEMOGRAPHIC_FIELDS = (
    "legal_given_name", "legal_family_name", "preferred_name", "pronouns", "date_of_birth",
    "email", "phone", "address", "language", "emergency_contact_name",
    "emergency_contact_phone", "emergency_contact_relationship",
)


def client_list_for(*, actor: Actor, search: str = "") -> QuerySet[Client]:
    """Clients the actor may see, optionally filtered by name, e-mail or phone."""
    clients = policy.clients_visible_to(actor, Access.DEMOGRAPHICS)
    for term in search.split()[:4]:
        clients = clients.filter(
            Q(legal_given_name__icontains=term) | Q(legal_family_name__icontains=term)
            | Q(preferred_name__icontains=term) | Q(email__icontains=term)
            | Q(phone__icontains=term)
        )
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.OPERATIONS,
                 object_type="clients.Client", fields=["search"] if search else [])
    return clients.filter(is_active=True)


def client_get_for(
    *, actor: Actor, public_id: uuid.UUID, need: Access = Access.DEMOGRAPHICS,
    purpose: Purpose = Purpose.OPERATIONS, fields: tuple[str, ...] = DEMOGRAPHIC_FIELDS,
) -> Client:
    """One client, or 404 when the actor may not see it at the level needed."""
    client = policy.clients_visible_to(actor, need).filter(public_id=public_id).first()
    if client is None:
        raise Http404("No such client")
    audit_record(actor=actor, action=Action.READ, purpose=purpose, obj=client, client=client,
                 fields=fields)
    return client


@dataclass(frozen=True)
class ClientOverview:
    client: Client
    access: Access
    related: list[RelatedPerson]
    units: list[ClientUnit]
    care_team: list[CareTeamMember]
    upcoming: list[Appointment]
    recent: list[Appointment]
    current: EpisodeView | None = None  # the open episode
    history: list[EpisodeView] = field(default_factory=list)  # discharged, newest first
    links: list[ClientLink] = field(default_factory=list)  # from other apps
    can_refer: bool = False  # may register a referral now (no open episode)
    can_manage_episode: bool = False

    @property
    def clinical(self) -> bool:
        return self.access >= Access.CLINICAL


def client_overview_for(*, actor: Actor, public_id: uuid.UUID) -> ClientOverview:
    client = client_get_for(actor=actor, public_id=public_id,
                            fields=(*DEMOGRAPHIC_FIELDS, "episodes"))
    access = policy.client_access(actor, client)
    episodes = episode_views(list(client.episodes.order_by("-opened_on", "-id")))
    current = next((view for view in episodes if view.episode.is_open), None)
    now = timezone.now()
    appointments = client.appointments.prefetch_related("clinicians__user").select_related("room")
    return ClientOverview(
        client=client,
        access=access,
        related=list(client.related_persons.all()),
        units=list(client.units.all()),
        care_team=list(
            client.care_team.filter(ended_on__isnull=True).select_related("membership__user")
        ),
        upcoming=list(appointments.filter(starts_at__gte=now).order_by("starts_at")[:5]),
        recent=list(
            appointments.filter(starts_at__lt=now, starts_at__gte=now - dt.timedelta(days=90))
            .order_by("-starts_at")[:5]
        ),
        current=current,
        history=[view for view in episodes if view is not current],
        links=client_links(actor, client),
        can_refer=current is None and episode_policy.can_register_referral(actor, client),
        can_manage_episode=(current is not None and actor.is_clinical
                            and access >= Access.CLINICAL),
    )


# --- Referrals, episodes, the waiting list and waiting times (issue 4) -----------------

OPEN_WAITING = (EpisodeStatus.WAITING, EpisodeStatus.ASSESSMENT)
# NHS Talking Therapies (formerly IAPT) referral-to-treatment standards, England, since
# 2015/16: 75% of people should have their first treatment appointment within 6 weeks of
# referral, 95% within 18 weeks. Source: NHS England, "Mental health access and waiting time
# standards", https://www.england.nhs.uk/mental-health/resources/access-waiting-time/ .
# The national indicator counts referrals that finished a course of treatment in the period;
# this report counts episodes whose first treatment fell in the period (it needs no
# course-completion rule), and shows who is still waiting beside it.
STANDARD_WEEKS = ((6, 75), (18, 95))


def weeks_and_days(days: int) -> str:
    weeks, rest = divmod(max(days, 0), 7)
    parts = [f"{weeks} week{'s' if weeks != 1 else ''}"] if weeks else []
    if rest or not weeks:
        parts.append(f"{rest} day{'s' if rest != 1 else ''}")
    return ", ".join(parts)


def episode_for_change(*, actor: Actor, public_id: uuid.UUID) -> Episode:
    """The episode a write is about, or 404 when the actor may not see its client. Not
    audited as a read: the service audits the change (and refuses it if not allowed)."""
    visible = policy.clients_visible_to(actor, Access.DEMOGRAPHICS)
    episode = (Episode.objects.select_related("client", "referral")
               .filter(public_id=public_id, client__in=visible).first())
    if episode is None:
        raise Http404("No such episode")
    return episode


def waiting_list_for(*, actor: Actor) -> QuerySet[Episode]:
    """The practice's open episodes not yet in treatment, oldest referral first. The client's
    name and id come from the database only where the actor may see the client."""
    if not episode_policy.can_view_waiting_list(actor):
        return Episode.objects.none()
    visible = Exists(policy.clients_visible_to(actor, Access.DEMOGRAPHICS)
                     .filter(pk=OuterRef("client_id")))
    given = Coalesce(NullIf(F("client__preferred_name"), Value("")),
                     F("client__legal_given_name"))
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.OPERATIONS,
                 object_type="clients.Episode", fields=["waiting_list"])
    return (
        Episode.objects.filter(practice=actor.practice, status__in=OPEN_WAITING)
        .annotate(
            client_name=Case(When(visible, then=Concat(given, Value(" "),
                                                       F("client__legal_family_name"))),
                             default=None, output_field=CharField()),
            client_key=Case(When(visible, then=F("client__public_id")), default=None,
                            output_field=UUIDField()),
            urgency=F("referral__urgency"),
        )
        .only("public_id", "status", "opened_on", "assessed_on")
        .order_by("opened_on", "id")
    )


@dataclass(frozen=True)
class WaitingTimeRow:
    label: str
    treated: int
    within: tuple[int, ...]  # per STANDARD_WEEKS

    @property
    def shares(self) -> tuple[int | None, ...]:
        """Whole percentages, None when nobody started treatment."""
        return tuple(round(100 * n / self.treated) if self.treated else None
                     for n in self.within)


@dataclass(frozen=True)
class WaitingTimes:
    start: dt.date
    end: dt.date
    total: WaitingTimeRow
    months: list[WaitingTimeRow]
    still_waiting: int
    waiting_beyond: tuple[int, ...]  # open, untreated, waited longer than each standard

    @property
    def beyond(self) -> list[tuple[int, int]]:
        """(weeks, how many still waiting have waited longer) per standard."""
        return [(weeks, n) for (weeks, _t), n
                in zip(STANDARD_WEEKS, self.waiting_beyond, strict=True)]

    @property
    def standards(self) -> list[tuple[int, int, int | None, int]]:
        """(weeks, target %, achieved %, count within) per standard."""
        return [(weeks, target, share, n) for (weeks, target), share, n
                in zip(STANDARD_WEEKS, self.total.shares, self.total.within, strict=True)]


def waiting_times_for(*, actor: Actor, start: dt.date, end: dt.date) -> WaitingTimes:
    """Referral to first treatment, for episodes whose first treatment session fell between
    `start` and `end` (inclusive), and a snapshot of those still waiting today. Counts only:
    no client appears."""
    if not episode_policy.can_view_waiting_times(actor):
        raise Http404("No such report")
    practice = Episode.objects.filter(practice=actor.practice)
    within = {
        f"w{weeks}": Count("id", filter=Q(
            first_treatment_on__lte=F("opened_on") + dt.timedelta(weeks=weeks)))
        for weeks, _target in STANDARD_WEEKS
    }
    treated = practice.filter(first_treatment_on__range=(start, end))
    monthly = (treated.annotate(month=TruncMonth("first_treatment_on")).values("month")
               .annotate(treated=Count("id"), **within).order_by("month"))
    months = [WaitingTimeRow(label=f"{row['month']:%B %Y}", treated=row["treated"],
                             within=tuple(row[key] for key in within)) for row in monthly]
    total = WaitingTimeRow(label="All", treated=sum(m.treated for m in months),
                           within=tuple(sum(m.within[i] for m in months)
                                        for i in range(len(STANDARD_WEEKS))))
    today = timezone.localdate()
    waiting = practice.filter(status__in=OPEN_WAITING, first_treatment_on__isnull=True)
    beyond = waiting.aggregate(
        total=Count("id"),
        **{f"b{weeks}": Count("id", filter=Q(opened_on__lt=today - dt.timedelta(weeks=weeks)))
           for weeks, _target in STANDARD_WEEKS})
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.OPERATIONS,
                 object_type="clients.Episode", fields=["waiting_times"])
    return WaitingTimes(start=start, end=end, total=total, months=months,
                        still_waiting=beyond["total"],
                        waiting_beyond=tuple(beyond[f"b{w}"] for w, _t in STANDARD_WEEKS))


@dataclass(frozen=True)
class EpisodeView:
    """An episode as a page shows it: status and dates; waiting time so far or to treatment."""

    episode: Episode
    today: dt.date

    @property
    def waited(self) -> str:
        """Referral to first treatment, or to today while the client still waits."""
        end = self.episode.first_treatment_on or (
            self.today if self.episode.is_open else self.episode.discharged_on or self.today)
        return weeks_and_days((end - self.episode.opened_on).days)

    @property
    def still_waiting(self) -> bool:
        return self.episode.status in OPEN_WAITING


def episode_views(episodes: list[Episode]) -> list[EpisodeView]:
    today = timezone.localdate()
    return [EpisodeView(episode=e, today=today) for e in episodes]


# --- The episode timeline (issue 4, item 10) -------------------------------------------

TIMELINE_PAGE = 20
KIND_LABELS = {
    "referral": "Referral", "episode": "Episode status", "session": "Sessions",
    "assessment": "Assessments", "diagnosis": "Diagnoses", "note": "Notes",
    "measure": "Measures", "plan": "Treatment plans", "safety_plan": "Safety plans",
    "medication": "Medications",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


@dataclass(frozen=True)
class ShownEvent:
    event: TimelineEvent
    label: str  # the kind, in words


@dataclass(frozen=True)
class TimelinePage:
    client: Client
    episode: Episode | None
    episodes: list[EpisodeView]
    kinds: list[tuple[str, str, bool]]  # (kind, label, chosen), every kind this episode has
    events: list[ShownEvent]  # the ones to show
    page: int
    has_more: bool
    matching: int  # events matching the filter, on every page

    @property
    def chosen(self) -> list[str]:
        return [kind for kind, _label, on in self.kinds if on]


def timeline_for(*, actor: Actor, client_public_id: uuid.UUID,
                 episode_public_id: uuid.UUID | None = None, kinds: Iterable[str] = (),
                 page: int = 1, from_start: bool = True,
                 page_size: int = TIMELINE_PAGE) -> TimelinePage:
    """One episode's events from every app, newest first, filtered by kind (none chosen: all).
    `from_start` returns pages 1 to `page` (a page without JavaScript); otherwise only
    `page` (what "load more" appends)."""
    client = client_get_for(actor=actor, public_id=client_public_id, need=Access.CLINICAL,
                            purpose=Purpose.TREATMENT, fields=("timeline",))
    episodes = list(client.episodes.select_related("referral", "practice")
                    .order_by("-opened_on", "-id"))
    episode = episodes[0] if episodes else None
    if episode_public_id is not None:
        episode = next((e for e in episodes if e.public_id == episode_public_id), None)
        if episode is None:
            raise Http404("No such episode")
    found = timeline_events(actor, episode) if episode is not None else []
    present = sorted({event.kind for event in found},
                     key=lambda k: (list(KIND_LABELS).index(k) if k in KIND_LABELS else 99, k))
    chosen = {kind for kind in kinds if kind in present}
    shown = [event for event in found if not chosen or event.kind in chosen]
    page = max(page, 1)
    first = 0 if from_start else (page - 1) * page_size
    return TimelinePage(
        client=client, episode=episode, episodes=episode_views(episodes),
        kinds=[(kind, kind_label(kind), kind in chosen) for kind in present],
        events=[ShownEvent(event, kind_label(event.kind))
                for event in shown[first:page * page_size]],
        page=page,
        has_more=len(shown) > page * page_size, matching=len(shown),
    )


@dataclass(frozen=True)
class EpisodePage:
    episode: Episode
    view: EpisodeView
    clinical: bool  # the actor sees the clinical parts (reason, discharge reason)
    reason: str | None  # the referral reason, decrypted; None when not for this actor
    can_manage: bool
    next_steps: list[EpisodeStatus]  # from EPISODE_TRANSITIONS, for those who may manage


def episode_page_for(*, actor: Actor, public_id: uuid.UUID) -> EpisodePage:
    """An episode and its referral: status and dates for whoever may see the client; the
    reason and the discharge reason for the care team only."""
    visible = policy.clients_visible_to(actor, Access.DEMOGRAPHICS)
    episode = (Episode.objects.select_related("client", "referral", "practice")
               .filter(public_id=public_id, client__in=visible).first())
    if episode is None:
        raise Http404("No such episode")
    client = episode.client
    clinical = policy.can_view_clinical(actor, client)
    fields = ["status", "opened_on", "assessed_on", "first_treatment_on", "discharged_on",
              "referral.source", "referral.referrer", "referral.urgency",
              "referral.received_on"]
    if clinical:
        fields += ["discharge_reason", "referral.reason"]
    audit_record(actor=actor, action=Action.READ,
                 purpose=Purpose.TREATMENT if clinical else Purpose.OPERATIONS, obj=episode,
                 client=client, fields=fields)
    reason = None
    if clinical and episode.referral is not None:
        reason = referral_reason_plaintext(episode.referral)
    can_manage = episode_policy.can_manage_episode(actor, episode)
    order = list(EpisodeStatus)
    steps = sorted((EpisodeStatus(s) for s in EPISODE_TRANSITIONS[EpisodeStatus(episode.status)]),
                   key=order.index) if can_manage else []
    return EpisodePage(episode=episode, view=EpisodeView(episode, timezone.localdate()),
                       clinical=clinical, reason=reason, can_manage=can_manage,
                       next_steps=steps)
