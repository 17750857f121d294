"""Who may register referrals, read their reasons, and move episodes of care.

Decided here (issue 4, items 1 and 2), on top of therapia.security.policy.client_access:

    register a referral     anyone who may see the client's demographics and is not a
                            researcher: front desk and the owner do intake; clinicians on
                            the care team too. A referral for a new client needs the right
                            to register clients.
    read the reason         CLINICAL access only (the care team). The reason is clinical
                            text: the front desk may type it from a referral letter when
                            registering, but never reads it back; it is encrypted on write.
    manage the episode      a clinician (clinical role) with CLINICAL access: record the
                            assessment, start treatment, discharge. The front desk and an
                            owner who is not on the care team see status and dates only.
    see status and dates    DEMOGRAPHICS and above (the front desk books the assessment, so
                            it sees who is waiting); the discharge reason is clinical.
    the waiting list        any active member of the practice; the client's name only for
                            those who may see the client (a researcher sees no names).
    waiting-time report     any active member of the practice: counts and shares only.

(These can_* functions belong beside therapia/security/policy.py; they live here until that
file takes them.)
"""

from __future__ import annotations

from therapia.accounts.models import Role
from therapia.clients.models import Client, Episode
from therapia.security import policy
from therapia.security.actor import Actor
from therapia.security.policy import Access


def can_register_referral(actor: Actor, client: Client | None = None) -> bool:
    """For `client`, or (None) for a client registered with the referral."""
    if not actor.membership.is_active or actor.role == Role.RESEARCHER:
        return False
    if client is None:
        return policy.can_create_client(actor)
    return policy.client_access(actor, client) >= Access.DEMOGRAPHICS


def can_read_referral_reason(actor: Actor, client: Client) -> bool:
    return policy.can_view_clinical(actor, client)


def can_manage_episode(actor: Actor, episode: Episode) -> bool:
    """Transitions and discharge: a clinician on the care team, while the episode is open."""
    return (episode.is_open and actor.is_clinical
            and policy.can_view_clinical(actor, episode.client))


def can_view_episode(actor: Actor, client: Client) -> bool:
    """Status and dates of the client's episodes."""
    return policy.client_access(actor, client) >= Access.DEMOGRAPHICS


def can_view_timeline(actor: Actor, client: Client) -> bool:
    return policy.can_view_clinical(actor, client)


def can_view_waiting_list(actor: Actor) -> bool:
    return actor.membership.is_active


def can_view_waiting_times(actor: Actor) -> bool:
    return actor.membership.is_active
