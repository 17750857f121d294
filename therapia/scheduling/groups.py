"""Therapy groups: members joining and leaving, within the group's capacity. A closed group
admits no one once its first session has taken place; an open group admits anyone while
there is room. Joining adds the member to the group's upcoming sessions; leaving takes them
off. Facilitators and the owner manage the roster (session_policy.can_manage_group)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client
from therapia.scheduling import services, session_policy
from therapia.scheduling.models import (
    Appointment,
    Attendance,
    GroupMember,
    Status,
    TherapyGroup,
)
from therapia.security.actor import Actor


def member_count(group: TherapyGroup) -> int:
    return group.memberships.filter(left_on__isnull=True).count()


def _upcoming(group: TherapyGroup, now: dt.datetime) -> list[Appointment]:
    return list(Appointment.objects.filter(group=group, status=Status.SCHEDULED,
                                           starts_at__gt=now))


@transaction.atomic
def member_join(*, actor: Actor, group: TherapyGroup, client: Client,
                now: dt.datetime | None = None) -> GroupMember:
    if not session_policy.can_manage_group(actor, group) or client.practice_id != group.practice_id:
        raise PermissionDenied("Only the group's facilitators admit members.")
    moment = now or timezone.now()
    locked = TherapyGroup.objects.select_for_update().get(pk=group.pk)  # one admission at a time
    if member_count(locked) >= locked.capacity:
        raise ValidationError(f"The group is full ({locked.capacity} members).")
    started = Appointment.objects.filter(group=locked, status=Status.ATTENDED).exists()
    if not locked.is_open and started:
        raise ValidationError("This is a closed group and it has started: it admits no new "
                              "members.")
    if locked.memberships.filter(client=client, left_on__isnull=True).exists():
        raise ValidationError("This client is already a member.")
    zone = services.zone_of(group.practice.time_zone)
    member = GroupMember.objects.create(group=locked, client=client,
                                        joined_on=moment.astimezone(zone).date())
    upcoming = _upcoming(locked, moment)
    episode = services.open_episode_of(client)
    for session in upcoming:
        session.clients.add(client)
        Attendance.objects.get_or_create(appointment=session, client=client,
                                         defaults={"episode": episode})
    services.sync_slots([session.pk for session in upcoming])
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.SCHEDULING, obj=member,
                 client=client, fields=["group", "joined_on"])
    return member


@transaction.atomic
def member_leave(*, actor: Actor, group: TherapyGroup, member_id: str,
                 now: dt.datetime | None = None) -> GroupMember:
    if not session_policy.can_manage_group(actor, group):
        raise PermissionDenied("Only the group's facilitators manage members.")
    moment = now or timezone.now()
    member = GroupMember.objects.select_for_update().get(group=group, public_id=member_id,
                                                         left_on__isnull=True)
    zone = services.zone_of(group.practice.time_zone)
    member.left_on = max(moment.astimezone(zone).date(), member.joined_on)
    member.save(update_fields=["left_on", "updated_at"])
    upcoming = _upcoming(group, moment)
    for session in upcoming:
        session.clients.remove(member.client)
    Attendance.objects.filter(appointment__in=upcoming, client=member.client).delete()
    services.sync_slots([session.pk for session in upcoming])
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.SCHEDULING, obj=member,
                 client=member.client, fields=["left_on"])
    return member
