"""Synthetic clients: who they are, how to reach them, who answers for a minor, and the
course of their therapy. Planning is pure; the insert functions write the rows."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from enum import Enum

from therapia.accounts.models import Membership, Practice
from therapia.clients.models import (
    CareRole,
    CareTeamMember,
    Client,
    GuardianBasis,
    RelatedPerson,
    Relationship,
)
from therapia.scheduling.models import Format
from therapia.seeding import contacts
from therapia.seeding.bulk import BATCH_SIZE
from therapia.seeding.calendar import FIRST_WEEK, LAST_WEEK, week_start
from therapia.seeding.names import (
    Culture,
    Gender,
    PersonName,
    culture_named,
    masculine_family_name,
    person_name,
    pick_culture,
    preferred_language,
    pronouns_for,
)

MINOR_SHARE = 0.04
CONTINUING_SHARE = 0.5  # in therapy since before the history begins
NEW_SHARE = 0.06  # first session in the coming two weeks
ENDED_SHARE = 0.15  # finished therapy during the six months
# Whom adults name as their emergency contact, by age.
RELATIONS_BY_AGE = (
    (25, ("mother", "mother", "father", "sister", "brother", "friend", "partner")),
    (60, ("partner", "partner", "wife", "husband", "sister", "brother", "friend", "mother")),
    (200, ("partner", "wife", "husband", "daughter", "son", "son", "daughter", "friend")),
)
SAME_FAMILY = frozenset({"wife", "husband", "mother", "father", "sister", "brother",
                         "daughter", "son"})


class Cadence(Enum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"


@dataclass(frozen=True)
class GuardianPlan:
    name: str
    detail: str  # mother, father, parent
    phone: str
    email: str
    linked_index: int | None = None  # when the guardian is also a client


@dataclass
class ClientPlan:
    index: int
    name: PersonName
    pronouns: str
    date_of_birth: dt.date
    email: str
    phone: str
    address: str
    language: str
    emergency_name: str = ""
    emergency_phone: str = ""
    emergency_relationship: str = ""
    # The course of therapy, in weeks from the current one (0 holds today).
    start_week: int = 0
    end_week: int | None = None  # first week without sessions; None while ongoing
    cadence: Cadence = Cadence.WEEKLY
    format: Format = Format.IN_PERSON
    reliability: int = 0  # 0 attends nearly always, 1 sometimes misses, 2 often misses
    individual_sessions: bool = True
    guardians: list[GuardianPlan] = field(default_factory=list)
    partner_index: int | None = None
    team: dict[str, CareRole] = field(default_factory=dict)  # staff key → role; primary first

    def is_minor(self, today: dt.date) -> bool:
        return contacts.years_before(today, 18) < self.date_of_birth

    def is_active_in(self, week: int) -> bool:
        return self.start_week <= week and (self.end_week is None or week < self.end_week)

    @property
    def primary(self) -> str:
        return next(key for key, role in self.team.items() if role == CareRole.PRIMARY)


@dataclass
class PlanContext:
    """What every client draw needs: the random stream, today, and e-mails handed out."""

    rng: random.Random
    today: dt.date
    emails: set[str] = field(default_factory=set)


def adult(ctx: PlanContext, index: int, *, culture: Culture | None = None,
          family: str | None = None, gender: Gender | None = None,
          age: int | None = None) -> ClientPlan:
    rng = ctx.rng
    culture = culture or pick_culture(rng)
    name = person_name(rng, culture=culture, gender=gender, family=family)
    age = age or contacts.adult_age(rng)
    plan = ClientPlan(
        index=index, name=name,
        pronouns="" if rng.random() < 0.08 else pronouns_for(rng, name.gender),
        date_of_birth=contacts.birth_date(rng, today=ctx.today, age=age),
        email=contacts.email_address(rng, name.given, name.family, ctx.emails),
        phone=contacts.mobile_phone(rng), address=contacts.postal_address(rng),
        language=preferred_language(rng, culture),
    )
    _emergency_contact(rng, plan, culture, age)
    return plan


def minor(ctx: PlanContext, index: int, *, age: int, culture: Culture | None = None,
          family: str | None = None) -> ClientPlan:
    """A young person: no e-mail of their own; a parent holds parental responsibility."""
    rng = ctx.rng
    culture = culture or pick_culture(rng)
    name = person_name(rng, culture=culture, family=family)
    return ClientPlan(
        index=index, name=name, pronouns=pronouns_for(rng, name.gender),
        date_of_birth=contacts.birth_date(rng, today=ctx.today, age=age), email="",
        phone=contacts.mobile_phone(rng) if age >= 13 else "",
        address=contacts.postal_address(rng), language="en",
    )


def add_guardian(ctx: PlanContext, child: ClientPlan, *, parent: ClientPlan | None = None,
                 gender: Gender | None = None) -> GuardianPlan:
    """A parent with parental responsibility; `parent` when they are a client too."""
    rng = ctx.rng
    if parent is None:
        culture = culture_named(child.name.culture)
        name = person_name(rng, culture=culture, family=masculine_family_name(child.name.family),
                           gender=gender or rng.choice((Gender.WOMAN, Gender.MAN)))
        phone = contacts.mobile_phone(rng)
        email = contacts.email_address(rng, name.given, name.family, ctx.emails)
    else:
        name, phone, email = parent.name, parent.phone, parent.email
    detail = {Gender.WOMAN: "mother", Gender.MAN: "father"}.get(name.gender, "parent")
    guardian = GuardianPlan(name=f"{name.given} {name.family}", detail=detail, phone=phone,
                            email=email, linked_index=parent.index if parent else None)
    child.guardians.append(guardian)
    if not child.emergency_name:
        child.emergency_name, child.emergency_phone = guardian.name, guardian.phone
        child.emergency_relationship = detail
    return guardian


def individual_clients(ctx: PlanContext, first_index: int, count: int, *,
                       adults_first: int = 0) -> list[ClientPlan]:
    """`count` clients in individual therapy; the first `adults_first` are adults."""
    plans = []
    for index in range(first_index, first_index + count):
        if index - first_index >= adults_first and ctx.rng.random() < MINOR_SHARE:
            plan = minor(ctx, index, age=ctx.rng.randint(12, 17))
            add_guardian(ctx, plan)
        else:
            plan = adult(ctx, index)
        plan_course(ctx.rng, plan)
        plans.append(plan)
    return plans


def plan_course(rng: random.Random, plan: ClientPlan) -> None:
    """When therapy started (and perhaps ended), how often, in what format."""
    roll = rng.random()
    if roll < CONTINUING_SHARE:  # began before the six months shown; no intake in view
        plan.start_week = rng.randint(FIRST_WEEK - 26, FIRST_WEEK - 1)
    elif roll < CONTINUING_SHARE + NEW_SHARE:
        plan.start_week = rng.randint(0, LAST_WEEK)  # intake still to come
    else:
        plan.start_week = rng.randint(FIRST_WEEK, -1)
    if plan.start_week <= -8 and rng.random() < ENDED_SHARE:
        plan.end_week = rng.randint(max(plan.start_week, FIRST_WEEK) + 5, -1)
    plan.cadence = Cadence.WEEKLY if rng.random() < 0.6 else Cadence.FORTNIGHTLY
    formats = (Format.IN_PERSON, Format.VIDEO, Format.PHONE)
    plan.format = rng.choices(formats, weights=(85, 13, 2) if plan.guardians else (65, 25, 10))[0]
    plan.reliability = rng.choices((0, 1, 2), weights=(70, 25, 5))[0]


def _emergency_contact(rng: random.Random, plan: ClientPlan, culture: Culture, age: int) -> None:
    relations = next(choices for limit, choices in RELATIONS_BY_AGE if age < limit)
    relation = rng.choice(relations)
    family = masculine_family_name(plan.name.family) if relation in SAME_FAMILY else None
    gender = {"wife": Gender.WOMAN, "mother": Gender.WOMAN, "sister": Gender.WOMAN,
              "daughter": Gender.WOMAN, "husband": Gender.MAN, "father": Gender.MAN,
              "brother": Gender.MAN, "son": Gender.MAN}.get(relation)
    contact = person_name(rng, culture=culture, family=family, gender=gender)
    while contact.given == plan.name.given:
        contact = person_name(rng, culture=culture, family=family, gender=gender)
    plan.emergency_name = f"{contact.given} {contact.family}"
    plan.emergency_relationship = relation
    plan.emergency_phone = (contacts.mobile_phone(rng) if rng.random() < 0.8
                            else contacts.landline_phone(rng))


def insert_clients(practice: Practice, plans: list[ClientPlan]) -> list[Client]:
    clients = [
        Client(
            practice=practice, legal_given_name=plan.name.given,
            legal_family_name=plan.name.family, preferred_name=plan.name.preferred,
            pronouns=plan.pronouns, date_of_birth=plan.date_of_birth, email=plan.email,
            phone=plan.phone, address=plan.address, language=plan.language,
            emergency_contact_name=plan.emergency_name,
            emergency_contact_phone=plan.emergency_phone,
            emergency_contact_relationship=plan.emergency_relationship,
            is_active=plan.end_week is None,
        )
        for plan in plans
    ]
    return Client.objects.bulk_create(clients, batch_size=BATCH_SIZE)


def insert_related_persons(plans: list[ClientPlan], clients: list[Client]) -> None:
    rows = []
    for plan, client in zip(plans, clients, strict=True):
        for guardian in plan.guardians:
            linked = clients[guardian.linked_index] if guardian.linked_index is not None else None
            rows.append(RelatedPerson(
                client=client, name=guardian.name, relationship=Relationship.GUARDIAN,
                relationship_detail=guardian.detail,
                legal_basis=GuardianBasis.PARENTAL_RESPONSIBILITY,
                valid_from=plan.date_of_birth, phone=guardian.phone, email=guardian.email,
                linked_client=linked,
            ))
        if plan.partner_index is not None:
            partner = plans[plan.partner_index]
            rows.append(RelatedPerson(
                client=client, name=f"{partner.name.given} {partner.name.family}",
                relationship=Relationship.PARTNER, relationship_detail="partner",
                phone=partner.phone, email=partner.email,
                linked_client=clients[plan.partner_index],
            ))
    RelatedPerson.objects.bulk_create(rows, batch_size=BATCH_SIZE)


def insert_care_teams(plans: list[ClientPlan], clients: list[Client],
                      memberships: dict[str, Membership], *, today: dt.date) -> None:
    rows = [
        CareTeamMember(client=client, membership=memberships[key], role=role,
                       started_on=week_start(today, min(plan.start_week, 0)))
        for plan, client in zip(plans, clients, strict=True)
        for key, role in plan.team.items()
    ]
    CareTeamMember.objects.bulk_create(rows, batch_size=BATCH_SIZE)
