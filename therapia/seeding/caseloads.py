"""Care teams: who is each client's primary clinician, and who else is on the team."""

from __future__ import annotations

import datetime as dt
import random

from therapia.accounts.models import Profession, Role
from therapia.clients.models import CareRole
from therapia.seeding.clients import ClientPlan
from therapia.seeding.people import StaffPlan

PSYCHIATRY_REFERRAL_SHARE = 0.18


def assign_primaries(plans: list[ClientPlan], staff: list[StaffPlan], *,
                     today: dt.date) -> None:
    """Spread clients over clinicians in proportion to their caseload weights.

    Each client goes to the eligible clinician furthest below their quota (the first one on a
    tie), so the result depends only on the order of `plans`.
    """
    clinicians = [plan for plan in staff if plan.is_clinical]
    weights = sum(clinician.caseload_weight for clinician in clinicians)
    quota = {c.key: len(plans) * c.caseload_weight / weights for c in clinicians}
    assigned = dict.fromkeys(quota, 0)
    for_minors = [clinician for clinician in clinicians if clinician.sees_minors]
    for plan in plans:
        eligible = for_minors if plan.is_minor(today) else clinicians
        chosen = max(eligible, key=lambda c: quota[c.key] - assigned[c.key])
        plan.team = {chosen.key: CareRole.PRIMARY, **plan.team}
        assigned[chosen.key] += 1


def add_supervision(plans: list[ClientPlan], staff: list[StaffPlan]) -> None:
    """A trainee's clients have the trainee's supervisor on their care team."""
    trainees = {plan.key for plan in staff if plan.role == Role.TRAINEE}
    supervisor = next((plan.key for plan in staff if plan.role == Role.SUPERVISOR), None)
    if supervisor is None:
        return
    for plan in plans:
        if trainees.intersection(plan.team):
            plan.team.setdefault(supervisor, CareRole.SUPERVISOR)


def add_psychiatry(rng: random.Random, plans: list[ClientPlan], staff: list[StaffPlan], *,
                   today: dt.date) -> None:
    """Some adults also see the psychiatrist about medication."""
    psychiatrist = next(
        (plan.key for plan in staff if plan.profession == Profession.PSYCHIATRIST), None
    )
    if psychiatrist is None:
        return
    for plan in plans:
        if plan.is_minor(today) or rng.random() >= PSYCHIATRY_REFERRAL_SHARE:
            continue
        plan.team.setdefault(psychiatrist, CareRole.SECONDARY)
