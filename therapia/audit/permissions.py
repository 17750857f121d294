"""Who may see a client's access report. To move into therapia/security/policy.py, beside
the other can_* predicates; it lives here until that module's owners take it."""

from __future__ import annotations

from therapia.accounts.models import Role
from therapia.clients.models import CareRole, CareTeamMember, Client
from therapia.security.actor import Actor


def can_view_access_report(actor: Actor, client: Client) -> bool:
    """The practice owner, or the client's current primary clinician."""
    if client.practice_id != actor.practice.pk or not actor.membership.is_active:
        return False
    if actor.role == Role.OWNER:
        return True
    return CareTeamMember.objects.filter(
        client=client, membership=actor.membership, role=CareRole.PRIMARY, ended_on__isnull=True
    ).exists()
