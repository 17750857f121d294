"""A closed therapy group of eight adults, meeting weekly in the evening."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from therapia.accounts.models import Membership, Practice
from therapia.clients.models import CareRole, Client
from therapia.scheduling.models import GroupMember, TherapyGroup
from therapia.seeding.calendar import session_day
from therapia.seeding.clients import ClientPlan

GROUP_SIZE = 8
GROUP_START_WEEK = -20
GROUP_OFFSET = 0  # meets on today's weekday, so it is on today's agenda
GROUP_HOUR = 18
GROUP_MINUTES = 90
FACILITATORS = ("psychologist", "counsellor")


@dataclass(frozen=True)
class GroupPlan:
    name: str
    members: tuple[ClientPlan, ...]
    facilitators: tuple[str, ...]
    start_week: int


def plan_group(rng: random.Random, candidates: list[ClientPlan], *,
               today: dt.date) -> GroupPlan:
    """Eight adults in individual therapy who joined when the group started and stayed."""
    adults = [plan for plan in candidates if not plan.is_minor(today)]
    if len(adults) < GROUP_SIZE:
        raise ValueError(f"a group needs {GROUP_SIZE} adult clients; only {len(adults)} given")
    members = tuple(rng.sample(adults, GROUP_SIZE))
    for member in members:
        member.start_week = min(member.start_week, GROUP_START_WEEK - rng.randint(0, 4))
        member.end_week = None
        for key in FACILITATORS:
            member.team.setdefault(key, CareRole.SECONDARY)
    weekday = session_day(today, 0, GROUP_OFFSET).strftime("%A")
    return GroupPlan(name=f"{weekday} evening emotion-skills group", members=members,
                     facilitators=FACILITATORS, start_week=GROUP_START_WEEK)


def insert_group(practice: Practice, plan: GroupPlan, clients: list[Client],
                 memberships: dict[str, Membership], *, today: dt.date) -> TherapyGroup:
    group = TherapyGroup.objects.create(practice=practice, name=plan.name, is_open=False,
                                        capacity=GROUP_SIZE)
    group.facilitators.set([memberships[key] for key in plan.facilitators])
    joined = session_day(today, plan.start_week, GROUP_OFFSET)
    GroupMember.objects.bulk_create(
        [GroupMember(group=group, client=clients[member.index], joined_on=joined)
         for member in plan.members]
    )
    return group
