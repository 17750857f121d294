"""Who may see and change sessions, built on the access policy (security/policy.py).

- The front desk and the practice owner see and manage the whole practice's schedule
  (demographics level: times, names, rooms; never clinical detail).
- A clinician (also a trainee or supervisor) sees and manages the sessions they run and
  those of clients on their care team.
- A researcher sees no session.
A group's roster (who the members are) is seen by its facilitators and the practice owner
only (GR-2): the front desk books and records that a group session took place, never who
was in it.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from therapia.accounts.models import Role
from therapia.clients.models import CareTeamMember, Client
from therapia.scheduling.models import Appointment, TherapyGroup
from therapia.security.actor import Actor
from therapia.security.policy import Access, client_access

PRACTICE_WIDE = frozenset({Role.OWNER, Role.FRONT_DESK})
BOOKING_ROLES = frozenset({Role.OWNER, Role.FRONT_DESK, Role.CLINICIAN, Role.SUPERVISOR,
                           Role.TRAINEE})


def sees_whole_schedule(actor: Actor) -> bool:
    return actor.membership.is_active and actor.role in PRACTICE_WIDE


def can_book(actor: Actor) -> bool:
    return actor.membership.is_active and actor.role in BOOKING_ROLES


def can_book_for(actor: Actor, client: Client) -> bool:
    return can_book(actor) and client_access(actor, client) >= Access.DEMOGRAPHICS


def appointments_visible_to(actor: Actor) -> QuerySet[Appointment]:
    """Every session the actor may open, as one query."""
    sessions = Appointment.objects.filter(practice=actor.practice)
    if not can_book(actor):
        return sessions.none()
    if sees_whole_schedule(actor):
        return sessions
    cared_for = CareTeamMember.objects.filter(membership=actor.membership, ended_on__isnull=True,
                                              client__appointments=OuterRef("pk"))
    runs = Appointment.clinicians.through.objects.filter(appointment=OuterRef("pk"),
                                                         membership=actor.membership)
    return sessions.filter(Q(Exists(runs)) | Q(Exists(cared_for)))


def can_change(actor: Actor, appointment: Appointment) -> bool:
    """Move, cancel or record attendance: whoever may open the session and book."""
    return appointments_visible_to(actor).filter(pk=appointment.pk).exists()


def can_see_roster(actor: Actor, group: TherapyGroup) -> bool:
    if group.practice_id != actor.practice.pk or not actor.membership.is_active:
        return False
    if actor.role == Role.OWNER:
        return True
    return group.facilitators.filter(pk=actor.membership.pk).exists()


def can_manage_group(actor: Actor, group: TherapyGroup) -> bool:
    """Admit and discharge members: the facilitators and the owner."""
    return can_see_roster(actor, group)
