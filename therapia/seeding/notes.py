"""A few psychotherapy notes and the trainee's supervision record, written through the
records services so they are encrypted, audited and access-checked like real ones.

Each note carries a canary string: a database dump of the demo must not contain it
(issue #3, item 8; checked by therapia/seeding/tests/test_seed_dump.py).
"""

from __future__ import annotations

import datetime as dt

from therapia.accounts.models import Membership
from therapia.clients.models import Client
from therapia.records import services as records
from therapia.security.actor import Actor
from therapia.seeding.clients import ClientPlan

NOTES_PER_PRACTICE = 6
PHRASES = (
    ("Spoke at length about the argument with her brother; {canary}. Noticed how quickly "
    "she apologised for being upset."),
    ("My hunch: the silence after the question about his father matters more than what he "
    "said ({canary}). Hold this lightly."),
    ("Countertransference: I felt protective and rushed to reassure. {canary}. Bring to "
    "supervision."),
)


def canary(seed: int, number: int) -> str:
    return f"SEED-CANARY-{seed}-{number}"


def seed_psychotherapy_notes(plans: list[ClientPlan], clients: list[Client],
                             memberships: dict[str, Membership], *, seed: int) -> int:
    """Notes by each of the first clients' primary clinicians; returns how many."""
    written = 0
    for plan, client in zip(plans, clients, strict=True):
        if written == NOTES_PER_PRACTICE:
            break
        author = memberships[plan.primary]
        text = PHRASES[written % len(PHRASES)].format(canary=canary(seed, written))
        records.psychotherapy_note_create(actor=Actor(user=author.user, membership=author),
                                          client=client, body=text)
        written += 1
    return written


def seed_supervision(memberships: dict[str, Membership], *, today: dt.date) -> None:
    owner = memberships["owner"]
    records.supervision_start(actor=Actor(user=owner.user, membership=owner),
                              supervisor=memberships["supervisor"],
                              supervisee=memberships["trainee"],
                              starts_on=today - dt.timedelta(days=180))
