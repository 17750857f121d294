"""The access policy: the one place that decides who may see which client's data.

Levels, lowest first:
  NONE          the record does not exist for this actor (answer 404);
  DEMOGRAPHICS  name, contact details and the schedule (front desk, practice owner);
  CLINICAL      the clinical record (a clinician on the client's active care team, or a
                licensed clinician with emergency access: break-the-glass, BG-1..4).
A researcher sees no client-level record at all, only de-identified aggregates.

A client's consent directive (lock-box, ON-1) overrides all of these: a member or role it
names does not see the withheld record (404) or the withheld part of it, unless an override
on a listed basis is active for that directive. Psychotherapy notes are decided apart
(therapia/records/pn_policy.py) and never by break-the-glass (BG-2).
"""

from __future__ import annotations

import enum

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from therapia.accounts.models import Membership, PractitionerProfile, Role
from therapia.clients.models import CareTeamMember, Client
from therapia.security.actor import Actor
from therapia.security.models import (
    AccessOverride,
    ConsentDirective,
    OverrideKind,
    RecordCategory,
)


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
# Licensed roles that may ask for emergency access outside the care team (BG-1). Trainees
# act under supervision, so they call their supervisor instead.
BREAK_GLASS_ROLES = frozenset({Role.OWNER, Role.CLINICIAN, Role.SUPERVISOR})


# The Exists(...) below are correlated with the client row of the enclosing query.
def _on_care_team(actor: Actor) -> Exists:
    return Exists(CareTeamMember.objects.filter(
        client=OuterRef("pk"), membership=actor.membership, ended_on__isnull=True))


def _active_override(actor: Actor, kind: OverrideKind) -> QuerySet[AccessOverride]:
    now = timezone.now()
    return AccessOverride.objects.filter(
        membership=actor.membership, kind=kind, granted_at__lte=now, expires_at__gt=now)


def _break_glass(actor: Actor) -> Exists:
    return Exists(_active_override(actor, OverrideKind.BREAK_GLASS).filter(client=OuterRef("pk")))


def active_directives(actor: Actor) -> QuerySet[ConsentDirective]:
    """Directives in force against this actor that no active override sets aside."""
    today = timezone.localdate()
    return ConsentDirective.objects.filter(
        Q(blocked_membership=actor.membership) | Q(blocked_role=actor.role),
        revoked_at__isnull=True, starts_on__lte=today,
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today)).exclude(
        Exists(_active_override(actor, OverrideKind.DIRECTIVE).filter(directive=OuterRef("pk"))))


def _withheld(actor: Actor) -> Exists:
    """A directive withholds the whole record from this actor."""
    return Exists(active_directives(actor).filter(
        client=OuterRef("pk"), category=RecordCategory.WHOLE_RECORD))


def clients_visible_to(actor: Actor, level: Access = Access.DEMOGRAPHICS) -> QuerySet[Client]:
    """Every client the actor may see at `level` or above, as one query."""
    in_practice = Client.objects.filter(practice=actor.practice)
    if not actor.membership.is_active:
        return in_practice.none()
    visible = in_practice.exclude(_withheld(actor))
    baseline = _ROLE_BASELINE.get(Role(actor.role), Access.NONE)
    if baseline >= level:
        return visible
    if actor.role in _CARE_TEAM_ROLES:
        reach = Q(_on_care_team(actor))
        if actor.role in BREAK_GLASS_ROLES:
            reach |= Q(_break_glass(actor))
        return visible.filter(reach)
    return in_practice.none()


def client_access(actor: Actor, client: Client) -> Access:
    """The actor's level for one client, decided in one query."""
    if client.practice_id != actor.practice.pk or not actor.membership.is_active:
        return Access.NONE
    facts = Client.objects.filter(pk=client.pk).annotate(
        team=_on_care_team(actor), glass=_break_glass(actor), withheld=_withheld(actor),
    ).values("team", "glass", "withheld").first()
    if facts is None or facts["withheld"]:
        return Access.NONE
    baseline = _ROLE_BASELINE.get(Role(actor.role), Access.NONE)
    treating = actor.role in _CARE_TEAM_ROLES and facts["team"]
    emergency = actor.role in BREAK_GLASS_ROLES and facts["glass"]
    return Access.CLINICAL if treating or emergency else baseline


def is_withheld(actor: Actor, client: Client, category: RecordCategory) -> bool:
    """A consent directive withholds this part of the client's record from the actor."""
    return active_directives(actor).filter(client=client, category=category).exists()


def can_view_category(actor: Actor, client: Client, category: RecordCategory) -> bool:
    """Clinical access, and no consent directive withholding this part of the record."""
    if client_access(actor, client) < Access.CLINICAL:
        return False
    return not is_withheld(actor, client, category)


def can_break_glass(actor: Actor) -> bool:
    return actor.membership.is_active and actor.role in BREAK_GLASS_ROLES


def is_privacy_officer(actor: Actor) -> bool:
    """Reviews emergency access and directive overrides. The practice owner, until the
    practice can name someone else."""
    return actor.membership.is_active and actor.role == Role.OWNER


def can_manage_directives(actor: Actor, client: Client) -> bool:
    """Recording a client's instruction: their clinicians, or the privacy officer."""
    return can_view_clinical(actor, client) or (
        is_privacy_officer(actor) and client.practice_id == actor.practice.pk)


def is_on_care_team(actor: Actor, client: Client) -> bool:
    return CareTeamMember.objects.filter(
        client=client, membership=actor.membership, ended_on__isnull=True
    ).exists()


def can_view_clinical(actor: Actor, client: Client) -> bool:
    return client_access(actor, client) >= Access.CLINICAL


def is_treating(actor: Actor, client: Client) -> bool:
    """On the active care team with clinical access: emergency access does not count
    (psychotherapy notes, BG-2)."""
    return is_on_care_team(actor, client) and can_view_clinical(actor, client)


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


def can_manage_instruments(actor: Actor) -> bool:
    """Adding a practice's own questionnaire (a FHIR import): licensed clinicians and the
    owner; trainees, the front desk and researchers use what is there."""
    return actor.membership.is_active and actor.role in BREAK_GLASS_ROLES
