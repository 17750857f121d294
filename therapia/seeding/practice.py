"""Seeding a whole synthetic practice in one transaction.

The result depends only on (clients, seed, today): every random draw comes from a
`random.Random` seeded from `seed` and the name of the part it builds, and every date is
counted from `today`. Passing the same three values builds the same people, dates and
timetable (database ids and public UUIDs differ).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction

from therapia.accounts.models import Practice
from therapia.audit.context import Origin, origin
from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.seeding.calendar import working_offsets
from therapia.seeding.caseloads import add_psychiatry, add_supervision, assign_primaries
from therapia.seeding.clients import (
    ClientPlan,
    PlanContext,
    individual_clients,
    insert_care_teams,
    insert_clients,
    insert_related_persons,
)
from therapia.seeding.clinical import seed_clinical
from therapia.seeding.demo_accounts import (
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    DEMO_PRACTICE_NAME,
    DEMO_TIME_ZONE,
    FEATURED_CLINICIANS,
    enrol_two_factor,
)
from therapia.seeding.disclosures import seed_disclosures
from therapia.seeding.episodes import seed_episodes
from therapia.seeding.groups import GROUP_SIZE, insert_group, plan_group
from therapia.seeding.households import insert_units, plan_households
from therapia.seeding.measures import seed_measures
from therapia.seeding.notes import seed_psychotherapy_notes, seed_supervision
from therapia.seeding.people import insert_staff, plan_staff, staff_domain
from therapia.seeding.progress_notes import seed_notes_and_plans
from therapia.seeding.schedule import (
    Links,
    insert_appointments,
    insert_rooms,
    insert_scheduling_settings,
    link_episodes,
    place_series,
    plan_series,
)
from therapia.seeding.slots import GROUP_ROOM, SPECIAL_ROOMS, Timetable, therapy_rooms

HOUSEHOLD_CLIENTS = 4  # two partners, a parent and a child
MIN_CLIENTS = HOUSEHOLD_CLIENTS + GROUP_SIZE


@dataclass(frozen=True)
class SeedResult:
    practice: Practice
    staff: int
    clients: int
    appointments: int

    def summary(self) -> str:
        return (f"Seeded {self.practice.name}: {self.staff} staff, {self.clients} clients, "
                f"{self.appointments} sessions.")


def stream(seed: int, part: str) -> random.Random:
    """An independent random stream per part, so adding staff never renames a client."""
    return random.Random(f"{seed}:{part}")  # noqa: S311 (synthetic data, not secrets)


def seed_practice(
    *,
    clients: int,
    seed: int,
    today: dt.date,
    practice_name: str = DEMO_PRACTICE_NAME,
    time_zone: str = DEMO_TIME_ZONE,
) -> SeedResult:
    """Build a practice with `clients` clients, their staff and six months of sessions."""
    if clients < MIN_CLIENTS:
        raise ValueError(f"a seeded practice needs at least {MIN_CLIENTS} clients")
    with origin(Origin(job="seed")), transaction.atomic():
        practice = Practice.objects.create(name=practice_name, time_zone=time_zone,
                                           jurisdiction="GB-ENG")
        result = _populate(practice, clients=clients, seed=seed, today=today)
        audit_record(actor=None, action=Action.CREATE, purpose=Purpose.SYSTEM,
                     object_type="seed", practice=practice)
    return result


def _populate(practice: Practice, *, clients: int, seed: int, today: dt.date) -> SeedResult:
    domain = staff_domain(practice.name, DEMO_PRACTICE_NAME, DEMO_DOMAIN)
    staff = plan_staff(stream(seed, "staff"), client_count=clients, domain=domain, today=today)
    memberships = insert_staff(practice, staff, rng=stream(seed, f"licences:{domain}"),
                               today=today, password=DEMO_PASSWORD)
    enrol_two_factor(memberships[plan.key].user for plan in staff if plan.is_persona)

    ctx = PlanContext(rng=stream(seed, "clients"), today=today)
    households = plan_households(ctx, 0)
    individuals = individual_clients(ctx, HOUSEHOLD_CLIENTS, clients - HOUSEHOLD_CLIENTS,
                                     adults_first=GROUP_SIZE)
    assign_primaries(individuals, staff, today=today)
    group = plan_group(stream(seed, "group"), individuals, today=today)
    plans: list[ClientPlan] = [*households.plans, *individuals]
    add_supervision(plans, staff)
    add_psychiatry(stream(seed, "psychiatry"), individuals, staff, today=today)

    rows = insert_clients(practice, plans)
    insert_related_persons(plans, rows)
    insert_care_teams(plans, rows, memberships, today=today)
    units = insert_units(practice, households, rows)
    group_row = insert_group(practice, group, rows, memberships, today=today)

    series = plan_series(plans, households, group, {plan.key: plan for plan in staff})
    rooms = therapy_rooms(sum(1 for plan in staff if plan.is_clinical))
    timetable = Timetable(offsets=working_offsets(today), rooms=rooms,
                          featured=FEATURED_CLINICIANS, rng=stream(seed, "timetable"))
    place_series(timetable, series)
    seed_episodes(stream(seed, "episodes"), plans, rows, series, memberships, today=today)
    links = Links(practice=practice, memberships=memberships, clients=rows,
                  rooms=insert_rooms(practice, (*rooms, *SPECIAL_ROOMS, GROUP_ROOM)),
                  units={"couple": units.couple, "family": units.family}, group=group_row)
    sessions = insert_appointments(stream(seed, "sessions"), series, links, today=today)
    seed_supervision(memberships, today=today)
    seed_psychotherapy_notes(plans, rows, memberships, seed=seed)
    seed_disclosures(plans, rows, memberships, today=today)
    seed_clinical(practice, rng=stream(seed, "clinical"), today=today)  # after episodes
    seed_notes_and_plans(practice, rng=stream(seed, "progress_notes"), today=today)
    insert_scheduling_settings(practice, memberships, today)
    link_episodes(practice)  # last: after any seeding of episodes
    seed_measures(practice, rng=stream(seed, "measures"), today=today)  # sessions linked
    return SeedResult(practice=practice, staff=len(staff), clients=len(rows),
                      appointments=sessions)
