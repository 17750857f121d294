"""Writes to client records (house rule 1): atomic, audited, policy-checked."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from therapia.accounts.models import Membership
from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients import episode_policy
from therapia.clients.models import (
    EPISODE_TRANSITIONS,
    CareRole,
    CareTeamMember,
    Client,
    DischargeReason,
    Episode,
    EpisodeStatus,
    Referral,
    RelatedPerson,
    Urgency,
)
from therapia.core.model_update import model_update
from therapia.security import crypto, policy
from therapia.security.actor import Actor


@transaction.atomic
def client_create(*, actor: Actor, data: dict[str, Any]) -> Client:
    if not policy.can_create_client(actor):
        raise PermissionDenied("Your role cannot register clients.")
    client = Client(practice=actor.practice, **data)
    client.full_clean()
    client.save()
    if actor.is_clinical:  # a clinician registering a client becomes their primary clinician
        CareTeamMember.objects.create(client=client, membership=actor.membership,
                                      role=CareRole.PRIMARY, started_on=timezone.localdate())
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.OPERATIONS, obj=client,
                 client=client, fields=data.keys())
    return client


class EditConflict(Exception):
    """Someone else saved the record after this edit began."""


@transaction.atomic
def client_update(
    *, actor: Actor, client: Client, data: dict[str, Any], seen_version: str | None = None
) -> Client:
    """Change demographics. `seen_version` is the version the editor started from."""
    if not policy.can_edit_demographics(actor, client):
        raise PermissionDenied("Your role cannot change this client's details.")
    stored = Client.objects.select_for_update().get(pk=client.pk)
    if seen_version is not None and seen_version != stored.version:
        raise EditConflict
    changed = [name for name, value in data.items() if getattr(stored, name) != value]
    if not changed:
        return stored
    client = stored
    for name in changed:
        setattr(client, name, data[name])
    client.full_clean()
    client.save(update_fields=[*changed, "updated_at"])
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.OPERATIONS, obj=client,
                 client=client, fields=changed)
    return client


@transaction.atomic
def care_team_assign(
    *, actor: Actor, client: Client, membership: Membership, role: CareRole
) -> CareTeamMember:
    """Put a clinician of the same practice on the client's care team. A new primary
    clinician replaces the current one, who stays on as secondary."""
    if not policy.can_manage_care_team(actor, client):
        raise PermissionDenied("Only the practice owner or the primary clinician can do this.")
    if membership.practice_id != client.practice_id or not membership.is_clinical:
        raise ValidationError({"membership": "Choose a clinician of this practice."})
    today = timezone.localdate()
    current = CareTeamMember.objects.select_for_update().filter(client=client,
                                                                ended_on__isnull=True)
    if current.filter(membership=membership).exists():
        raise ValidationError({"membership": "This clinician is already on the care team."})
    if role == CareRole.PRIMARY:
        current.filter(role=CareRole.PRIMARY).update(role=CareRole.SECONDARY)
    member = CareTeamMember(client=client, membership=membership, role=role, started_on=today)
    member.full_clean()
    member.save()
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.OPERATIONS, obj=member,
                 client=client, fields=["membership", "role"])
    return member


@transaction.atomic
def care_team_end(*, actor: Actor, member: CareTeamMember) -> None:
    client = member.client
    if not policy.can_manage_care_team(actor, client):
        raise PermissionDenied("Only the practice owner or the primary clinician can do this.")
    member.ended_on = timezone.localdate()
    member.full_clean()
    member.save(update_fields=["ended_on", "updated_at"])
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.OPERATIONS, obj=member,
                 client=client, fields=["ended_on"])


@transaction.atomic
def related_person_add(*, actor: Actor, client: Client, data: dict[str, Any]) -> RelatedPerson:
    if not policy.can_edit_demographics(actor, client):
        raise PermissionDenied("Your role cannot change this client's details.")
    person = RelatedPerson(client=client, **data)
    person.full_clean()
    person.save()
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.OPERATIONS, obj=person,
                 client=client, fields=[name for name, value in data.items() if value])
    return person


# --- Referrals and episodes of care (issue 4, items 1 and 2) ---------------------------

REASON_MAX_CHARS = 5000
EARLIEST_DATE = dt.date(1990, 1, 1)


def referral_reason_ciphertext(*, referral: Referral, client: Client, text: str) -> bytes:
    return crypto.seal(referral, "reason", text, client=client)


def referral_reason_plaintext(referral: Referral) -> str:
    return crypto.unseal(referral, "reason", client=referral.client)


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


@transaction.atomic
def referral_register(
    *, actor: Actor, client: Client, source: str, received_on: dt.date,
    urgency: str = Urgency.ROUTINE, referrer: str = "", reason: str = "",
) -> Referral:
    """Record a referral and open an episode of care, status waiting, from the day it was
    received. A client has one open episode at a time: discharge it first."""
    if not episode_policy.can_register_referral(actor, client):
        raise PermissionDenied("Your role cannot register referrals for this client.")
    Client.objects.select_for_update().filter(pk=client.pk).first()  # one referral at a time
    text = reason.strip()
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if received_on > today:
        errors["received_on"] = "The referral cannot have been received in the future."
    elif received_on < max(client.date_of_birth, EARLIEST_DATE):
        errors["received_on"] = "Please check the date: it is before the client was born."
    if len(text) > REASON_MAX_CHARS:
        errors["reason"] = f"The reason can be at most {REASON_MAX_CHARS} characters."
    episodes = Episode.objects.filter(client=client)
    current = episodes.exclude(status=EpisodeStatus.DISCHARGED).first()
    if current is not None:
        errors[NON_FIELD_ERRORS] = (
            f"This client already has an open episode of care ({current.get_status_display()}"
            f" since {_day(current.opened_on)}). Discharge it before registering a new "
            "referral.")
    else:
        last = episodes.filter(discharged_on__isnull=False).order_by("-discharged_on").first()
        if last is not None and last.discharged_on and received_on < last.discharged_on:
            errors.setdefault(
                "received_on", "The referral date is before the client's previous episode "
                f"ended (discharged {_day(last.discharged_on)}).")
    if errors:
        raise ValidationError(errors)
    referral = Referral(practice=client.practice, client=client, source=source,
                        referrer=referrer.strip(), urgency=urgency, received_on=received_on,
                        created_by=actor.membership)
    if text:
        referral.reason = referral_reason_ciphertext(referral=referral, client=client, text=text)
    referral.full_clean()
    referral.save()
    episode = Episode(practice=client.practice, client=client, referral=referral,
                      status=EpisodeStatus.WAITING, opened_on=received_on)
    episode.full_clean()
    episode.save()
    written = ["source", "urgency", "received_on"]
    written += [name for name, value in (("referrer", referrer), ("reason", text)) if value]
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.OPERATIONS, obj=referral,
                 client=client, fields=written)
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.OPERATIONS, obj=episode,
                 client=client, fields=["status", "opened_on", "referral"])
    return referral


def _transition_errors(episode: Episode, to: EpisodeStatus, on: dt.date,
                       reason: str | None) -> dict[str, str]:
    """Why the move is refused (empty: allowed). Dates must keep the episode's order:
    opened ≤ assessed ≤ first treatment ≤ discharged, none in the future."""
    current = EpisodeStatus(episode.status)
    allowed = EPISODE_TRANSITIONS[current]
    if to not in allowed:
        if not allowed:
            return {"to": "This episode is discharged and closed. Register a new referral to "
                          "open another episode."}
        names = " or ".join(f"“{EpisodeStatus(s).label}”" for s in sorted(allowed))
        return {"to": f"An episode in “{current.label}” cannot move to “{to.label}”. "
                      f"From here it can move to {names}."}
    errors: dict[str, str] = {}
    if on > timezone.localdate():
        errors["on"] = "The date cannot be in the future."
    elif on < episode.opened_on:
        errors["on"] = (f"The date is before the episode opened (referral received "
                        f"{_day(episode.opened_on)}).")
    elif to == EpisodeStatus.IN_TREATMENT and episode.assessed_on and on < episode.assessed_on:
        errors["on"] = ("The first treatment session cannot be before the assessment "
                        f"({_day(episode.assessed_on)}).")
    elif to == EpisodeStatus.DISCHARGED:
        latest = max(d for d in (episode.opened_on, episode.assessed_on,
                                 episode.first_treatment_on) if d is not None)
        if on < latest:
            errors["on"] = f"Discharge cannot be before {_day(latest)}, the last recorded date."
    if to == EpisodeStatus.DISCHARGED and reason not in DischargeReason.values:
        errors["reason"] = "Choose the reason for discharge."
    return errors


@transaction.atomic
def episode_transition(*, actor: Actor, episode: Episode, to: str, on: dt.date,
                       reason: str | None = None) -> Episode:
    """Move an episode along EPISODE_TRANSITIONS, recording the date of the step:
    assessment → assessed_on, in treatment → first_treatment_on (the first treatment
    session), discharged → discharged_on and the discharge reason."""
    stored = Episode.objects.select_for_update().select_related("client").get(pk=episode.pk)
    if not (actor.is_clinical and policy.can_view_clinical(actor, stored.client)):
        raise PermissionDenied("Only a clinician on this client's care team can do this.")
    if to not in EpisodeStatus.values:
        raise ValidationError({"to": "Choose a status from the list."})
    target = EpisodeStatus(to)
    errors = _transition_errors(stored, target, on, reason)
    if errors:
        raise ValidationError(errors)
    data: dict[str, Any] = {"status": target}
    if target == EpisodeStatus.ASSESSMENT:
        data["assessed_on"] = on
    elif target == EpisodeStatus.IN_TREATMENT:
        data["first_treatment_on"] = on
    else:
        data["discharged_on"], data["discharge_reason"] = on, reason
    stored, changed = model_update(instance=stored, data=data)
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.TREATMENT, obj=stored,
                 client=stored.client, fields=changed)
    return stored


class AttendedSession(StrEnum):
    INTAKE = "intake"
    TREATMENT = "treatment"


@transaction.atomic
def episode_session_attended(*, actor: Actor, client: Client, session: AttendedSession | str,
                             on: dt.date) -> Episode | None:
    """For other apps (scheduling): a session of `client` on `on` was attended. The first
    attended intake records the assessment; the first attended treatment session records
    the first treatment (and the assessment, if none was recorded), moving the open episode
    along EPISODE_TRANSITIONS. Dates already recorded are kept. Returns the episode when it
    changed, else None (no open episode, a date out of order, nothing new).

    The caller has already been allowed to mark the attendance; this needs only that the
    actor may see the client (the front desk marks attendance too)."""
    if not episode_policy.can_view_episode(actor, client):
        raise PermissionDenied("You cannot see this client.")
    kind = AttendedSession(session)
    episode = (Episode.objects.select_for_update().filter(client=client)
               .exclude(status=EpisodeStatus.DISCHARGED).first())
    if episode is None or not episode.opened_on <= on <= timezone.localdate():
        return None
    data: dict[str, Any] = {}
    status = EpisodeStatus(episode.status)
    if status == EpisodeStatus.WAITING:
        status = EpisodeStatus.ASSESSMENT
        data.update(status=status, assessed_on=on)
    assessed = data.get("assessed_on", episode.assessed_on)
    if (kind == AttendedSession.TREATMENT and status == EpisodeStatus.ASSESSMENT
            and (assessed is None or assessed <= on)):
        data.update(status=EpisodeStatus.IN_TREATMENT, first_treatment_on=on)
    if not data:
        return None
    episode, changed = model_update(instance=episode, data=data)
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.OPERATIONS, obj=episode,
                 client=client, fields=changed)
    return episode
