"""Who may record and read disclosures and authorisations (built on security.policy).

    record a disclosure or authorisation     the client's care team (CLINICAL access)
    read a client's disclosures/accounting   the care team, and the privacy officer
    download a supporting document           the care team only
    the practice's whole disclosure log      the privacy officer

The privacy officer is, for now, the practice owner role. Anyone else: the record does not
exist for them (404).
(These can_* functions belong beside therapia/security/policy.py; they live here until
that file takes them.)
"""

from __future__ import annotations

from therapia.accounts.models import Role
from therapia.clients.models import Client
from therapia.security import policy
from therapia.security.actor import Actor


def is_privacy_officer(actor: Actor) -> bool:
    return actor.role == Role.OWNER and actor.membership.is_active


def can_record_disclosure(actor: Actor, client: Client) -> bool:
    return actor.is_clinical and policy.can_view_clinical(actor, client)


def can_record_authorisation(actor: Actor, client: Client) -> bool:
    return can_record_disclosure(actor, client)


def can_view_disclosures(actor: Actor, client: Client) -> bool:
    if client.practice_id != actor.practice.pk or not actor.membership.is_active:
        return False
    return is_privacy_officer(actor) or policy.can_view_clinical(actor, client)


def can_download_document(actor: Actor, client: Client) -> bool:
    return policy.can_view_clinical(actor, client)


def can_view_practice_log(actor: Actor) -> bool:
    return is_privacy_officer(actor)
