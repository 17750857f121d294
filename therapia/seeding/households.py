"""The couple and the family seen together: their clients, and their ClientUnit rows."""

from __future__ import annotations

from dataclasses import dataclass

from therapia.accounts.models import Practice
from therapia.clients.models import CareRole, Client, ClientUnit, UnitKind, UnitMember
from therapia.scheduling.models import Format
from therapia.seeding.clients import (
    Cadence,
    ClientPlan,
    PlanContext,
    add_guardian,
    adult,
    minor,
)
from therapia.seeding.names import Gender, culture_named, masculine_family_name, pick_culture

COUPLE_THERAPIST = "mft"
FAMILY_THERAPIST = "mft"
CHILD_CLINICIAN = "social_worker"
CHILD_AGE = 14


@dataclass(frozen=True)
class Households:
    couple: tuple[ClientPlan, ClientPlan]
    parent: ClientPlan
    child: ClientPlan

    @property
    def plans(self) -> list[ClientPlan]:
        return [*self.couple, self.parent, self.child]

    @property
    def couple_name(self) -> str:
        first, second = self.couple
        return f"{first.name.display} and {second.name.display}"

    @property
    def family_name(self) -> str:
        return f"The {masculine_family_name(self.child.name.family)} family"


def plan_households(ctx: PlanContext, first_index: int) -> Households:
    """Clients `first_index` to `first_index + 3`: two partners, a parent and their child."""
    couple = _couple(ctx, first_index)
    parent, child = _family(ctx, first_index + 2)
    return Households(couple=couple, parent=parent, child=child)


def _couple(ctx: PlanContext, index: int) -> tuple[ClientPlan, ClientPlan]:
    rng = ctx.rng
    first = adult(ctx, index, age=rng.randint(28, 46))
    second = adult(ctx, index + 1, culture=pick_culture(rng), age=_partner_age(ctx, first))
    second.address = first.address
    start = rng.randint(-24, -14)
    for plan, other in ((first, second), (second, first)):
        plan.partner_index = other.index
        plan.emergency_name = f"{other.name.given} {other.name.family}"
        plan.emergency_phone, plan.emergency_relationship = other.phone, "partner"
        plan.start_week, plan.cadence, plan.format = start, Cadence.WEEKLY, Format.IN_PERSON
        plan.individual_sessions = False
        plan.team = {COUPLE_THERAPIST: CareRole.PRIMARY}
    return first, second


def _partner_age(ctx: PlanContext, partner: ClientPlan) -> int:
    age = ctx.today.year - partner.date_of_birth.year
    return max(21, age + ctx.rng.randint(-6, 6))


def _family(ctx: PlanContext, index: int) -> tuple[ClientPlan, ClientPlan]:
    rng = ctx.rng
    culture = pick_culture(rng)
    parent = adult(ctx, index, culture=culture, age=rng.randint(36, 50),
                   gender=rng.choice((Gender.WOMAN, Gender.MAN)))
    child = minor(ctx, index + 1, age=CHILD_AGE, culture=culture_named(parent.name.culture),
                  family=masculine_family_name(parent.name.family))
    child.address = parent.address
    add_guardian(ctx, child, parent=parent)
    other = Gender.MAN if parent.name.gender is Gender.WOMAN else Gender.WOMAN
    add_guardian(ctx, child, gender=other)  # the other parent, not a client here
    parent.start_week = child.start_week = rng.randint(-20, -12)
    parent.cadence = child.cadence = Cadence.FORTNIGHTLY
    parent.format = child.format = Format.IN_PERSON
    parent.individual_sessions = False
    parent.team = {FAMILY_THERAPIST: CareRole.PRIMARY}
    child.team = {CHILD_CLINICIAN: CareRole.PRIMARY, FAMILY_THERAPIST: CareRole.SECONDARY}
    return parent, child


@dataclass(frozen=True)
class Units:
    couple: ClientUnit
    family: ClientUnit


def insert_units(practice: Practice, households: Households, clients: list[Client]) -> Units:
    couple = ClientUnit.objects.create(practice=practice, kind=UnitKind.COUPLE,
                                       name=households.couple_name)
    family = ClientUnit.objects.create(practice=practice, kind=UnitKind.FAMILY,
                                       name=households.family_name)
    first, second = households.couple
    UnitMember.objects.bulk_create([
        UnitMember(unit=couple, client=clients[first.index], role="partner"),
        UnitMember(unit=couple, client=clients[second.index], role="partner"),
        UnitMember(unit=family, client=clients[households.parent.index], role="parent"),
        UnitMember(unit=family, client=clients[households.child.index], role="child"),
    ])
    return Units(couple=couple, family=family)
