"""The access policy: the one place that decides who may see which client's data.

Levels, lowest first:
  NONE          the record does not exist for this actor (answer 404);
  DEMOGRAPHICS  name, contact details and the schedule (front desk, practice owner);
  CLINICAL      the clinical record (a clinician on the client's active care team).
A researcher sees no client-level record at all, only de-identified aggregates.
"""

from __future__ import annotations

import enum

from django.db.models import Exists, OuterRef, QuerySet

from therapia.accounts.models import Membership, PractitionerProfile, Role
from therapia.clients.models import CareTeamMember, Client
from therapia.security.actor import Actor


class Access(enum.IntEnum):
    NONE = 0
    DEMOGRAPHICS = 1
    CLINICAL = 2


# The highest level a practice role can reach without being on the care team.
_ROLE_BASELINE = {
    Role.OWNER: Access.DEMOGRAPHICS,
    Role.FRONT_DESK: Access.DEMOGRAPHICS,
    Role.CLINICIAN: Access.NONE,
    Role.SUPERVISOR: Access.NONE,
    Role.TRAINEE: Access.NONE,
    Role.RESEARCHER: Access.NONE,
}
# Roles that reach CLINICAL when they are on the client's active care team.
_CARE_TEAM_ROLES = frozenset({Role.OWNER, Role.CLINICIAN, Role.SUPERVISOR, Role.TRAINEE})


def _on_care_team(actor: Actor) -> Exists:
    return Exists(
        CareTeamMember.objects.filter(
            client=OuterRef("pk"), membership=actor.membership, ended_on__isnull=True
        )
    )


def clients_visible_to(actor: Actor, level: Access = Access.DEMOGRAPHICS) -> QuerySet[Client]:
    """Every client the actor may see at `level` or above, as one query."""
    in_practice = Client.objects.filter(practice=actor.practice)
    if not actor.membership.is_active:
        return in_practice.none()
    baseline = _ROLE_BASELINE.get(Role(actor.role), Access.NONE)
    if baseline >= level:
        return in_practice
    if actor.role in _CARE_TEAM_ROLES:
        return in_practice.filter(_on_care_team(actor))
    return in_practice.none()


def client_access(actor: Actor, client: Client) -> Access:
    """The actor's level for one client."""
    if client.practice_id != actor.practice.pk or not actor.membership.is_active:
        return Access.NONE
    baseline = _ROLE_BASELINE.get(Role(actor.role), Access.NONE)
    if actor.role in _CARE_TEAM_ROLES and is_on_care_team(actor, client):
        return Access.CLINICAL
    return baseline


def is_on_care_team(actor: Actor, client: Client) -> bool:
    return CareTeamMember.objects.filter(
        client=client, membership=actor.membership, ended_on__isnull=True
    ).exists()


def can_view_clinical(actor: Actor, client: Client) -> bool:
    return client_access(actor, client) >= Access.CLINICAL


def can_edit_demographics(actor: Actor, client: Client) -> bool:
    return client_access(actor, client) >= Access.DEMOGRAPHICS and actor.role != Role.RESEARCHER


def _is_owner_or_primary(actor: Actor, client: Client) -> bool:
    if client.practice_id != actor.practice.pk or not actor.membership.is_active:
        return False
    return actor.role == Role.OWNER or CareTeamMember.objects.filter(
        client=client, membership=actor.membership, role="primary", ended_on__isnull=True
    ).exists()


def can_manage_care_team(actor: Actor, client: Client) -> bool:
    """The practice owner, or the client's primary clinician."""
    return _is_owner_or_primary(actor, client)


def can_view_access_report(actor: Actor, client: Client) -> bool:
    """Who looked at this record: the same people who manage the care team."""
    return _is_owner_or_primary(actor, client)


def can_create_client(actor: Actor) -> bool:
    return actor.role in (Role.OWNER, Role.FRONT_DESK, Role.CLINICIAN, Role.SUPERVISOR)


def can_manage_practice(actor: Actor) -> bool:
    return actor.role == Role.OWNER and actor.membership.is_active


def can_edit_profile(actor: Actor, membership: Membership) -> bool:
    """A member edits their own practitioner profile; the owner, anyone's in the practice."""
    if not actor.membership.is_active or membership.practice_id != actor.practice.pk:
        return False
    return membership.user_id == actor.user.pk or can_manage_practice(actor)


def can_edit_credentials(actor: Actor, practitioner: PractitionerProfile) -> bool:
    """A practitioner edits their own licences and CE; the owner, those of the practice."""
    if not actor.membership.is_active:
        return False
    if practitioner.user_id == actor.user.pk:
        return True
    return can_manage_practice(actor) and Membership.objects.filter(
        practice=actor.practice, user_id=practitioner.user_id
    ).exists()
