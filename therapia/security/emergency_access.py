"""Access beyond the normal policy, for one client, for a while (BG-1..4, ON-1).

Two kinds, one request: a licensed clinician outside the care team breaks the glass with a
reason from a closed list; anyone a client's consent directive blocks may set it aside only
on a listed legal basis. Either way the grant expires (default 4 hours), the primary
clinician and the privacy officer are told, and a review item stays open until the privacy
officer records a verdict. A request without a reason is refused, and the refusal is
audited. Psychotherapy notes never open this way (therapia/records/pn_policy.py).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from therapia.accounts.models import Membership, Role
from therapia.accounts.notifications import notify
from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import CareRole, Client
from therapia.security import crypto, policy
from therapia.security.actor import Actor
from therapia.security.models import (
    AccessOverride,
    BreakGlassReason,
    ConsentDirective,
    DirectiveOverrideBasis,
    OverrideKind,
    ReviewVerdict,
)

REASON_MIN_CHARS = 20
REASON_MAX_CHARS = 2000
BREAK_GLASS_BASIS = "BREAK_GLASS"  # the audit rows' legal basis for reads under a grant
SESSION_KEY = "emergency_access"  # client pk -> expiry, to label this session's audit rows
OVERRIDE_LABEL = AccessOverride._meta.label


def reason_ciphertext(override: AccessOverride, text: str) -> bytes:
    return crypto.seal(override, "reason_text", text, client=override.client)


def reason_plaintext(override: AccessOverride) -> str:
    return crypto.unseal(override, "reason_text", client=override.client)


def blocking_directives(actor: Actor, client: Client) -> list[ConsentDirective]:
    return list(policy.active_directives(actor).filter(client=client))


def _refuse(actor: Actor, client: Client | None, message: str, field: str) -> ValidationError:
    """Audit the refusal in its own transaction (it must outlive the caller's rollback)."""
    with transaction.atomic():
        audit_record(actor=actor, action=Action.DENIED, purpose=Purpose.EMERGENCY,
                     object_type=OVERRIDE_LABEL, client=client, fields=[field])
    return ValidationError({field: message})


def _check_reason(actor: Actor, client: Client, *, blocked: bool, code: str, text: str) -> None:
    allowed = DirectiveOverrideBasis.values if blocked else BreakGlassReason.values
    if code not in allowed:
        message = ("This client has asked that their record be withheld from you. Choose one "
                   "of the legal bases that allow setting that aside." if blocked else
                   "Choose the reason for emergency access.")
        raise _refuse(actor, client, message, "reason_code")
    if len(text) < REASON_MIN_CHARS:
        raise _refuse(actor, client, f"Describe the situation in at least {REASON_MIN_CHARS} "
                      "characters; the privacy officer will read it.", "reason_text")
    if len(text) > REASON_MAX_CHARS:
        raise _refuse(actor, client, f"Keep it under {REASON_MAX_CHARS} characters.",
                      "reason_text")


def emergency_access_request(*, actor: Actor, client: Client, reason_code: str,
                             reason_text: str) -> list[AccessOverride]:
    """Grant what this actor needs to see `client` now: emergency access if they are not on
    the care team, an override of each directive blocking them. Refused and audited when
    the reason is missing or not on the list."""
    if client.practice_id != actor.practice.pk or not policy.can_break_glass(actor):
        raise PermissionDenied("Emergency access is for licensed clinicians of this practice.")
    directives = blocking_directives(actor, client)
    text = reason_text.strip()
    _check_reason(actor, client, blocked=bool(directives), code=reason_code, text=text)
    return _grant(actor, client, directives, reason_code, text)


@transaction.atomic
def _grant(actor: Actor, client: Client, directives: list[ConsentDirective], code: str,
           text: str) -> list[AccessOverride]:
    now = timezone.now()
    until = now + dt.timedelta(hours=settings.BREAK_GLASS_HOURS)
    plan: list[tuple[OverrideKind, ConsentDirective | None]] = [
        (OverrideKind.DIRECTIVE, directive) for directive in directives]
    if not policy.is_on_care_team(actor, client):
        plan.append((OverrideKind.BREAK_GLASS, None))
    grants = []
    for kind, directive in plan:
        grant = AccessOverride(practice=actor.practice, client=client,
                               membership=actor.membership, kind=kind, reason_code=code,
                               directive=directive, granted_at=now, expires_at=until)
        grant.reason_text = reason_ciphertext(grant, text)
        grant.save()
        audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.EMERGENCY, obj=grant,
                     client=client, fields=["reason_code", "reason_text"],
                     legal_basis=BREAK_GLASS_BASIS if directive is None else code)
        grants.append(grant)
    if grants:
        _tell_reviewers(actor, client)
    return grants


def _tell_reviewers(actor: Actor, client: Client) -> None:
    primary = Membership.objects.filter(
        care_assignments__client=client, care_assignments__role=CareRole.PRIMARY,
        care_assignments__ended_on__isnull=True)
    officers = list(Membership.objects.filter(practice=actor.practice, role=Role.OWNER,
                                              is_active=True))
    notify(recipients=officers, url=reverse("security:reviews"),
           title="Emergency access to a client's record was used: please review it")
    # The primary clinician sees who looked, in the client's access report.
    notify(recipients=[m for m in primary if m not in officers],
           url=reverse("audit:client_access", args=[client.public_id]),
           title="Someone used emergency access to your client's record")


def remember(session: SessionBase, grants: list[AccessOverride]) -> None:
    """Label this session's reads of the client (audit rows get the BREAK_GLASS basis)."""
    held = dict(session.get(SESSION_KEY, {}))
    for grant in grants:
        held[str(grant.client_id)] = grant.expires_at.isoformat()
    session[SESSION_KEY] = held


def session_clients(session: SessionBase) -> frozenset[int]:
    now = timezone.now()
    held = session.get(SESSION_KEY) or {}
    return frozenset(int(pk) for pk, until in held.items()
                     if dt.datetime.fromisoformat(until) > now)


def unreviewed_for(actor: Actor) -> list[AccessOverride]:
    if not policy.is_privacy_officer(actor):
        return []
    return list(AccessOverride.objects.filter(practice=actor.practice, reviewed_at__isnull=True)
                .select_related("client", "membership__user").order_by("granted_at"))


def override_get_for_review(actor: Actor, public_id: uuid.UUID) -> AccessOverride | None:
    if not policy.is_privacy_officer(actor):
        return None
    return (AccessOverride.objects.filter(practice=actor.practice, public_id=public_id)
            .select_related("client", "membership__user").first())


@transaction.atomic
def override_review(*, actor: Actor, override: AccessOverride, verdict: str,
                    note: str) -> AccessOverride:
    """The privacy officer's verdict closes the review item (BG-3); it cannot be reopened."""
    if not policy.is_privacy_officer(actor) or override.practice_id != actor.practice.pk:
        raise PermissionDenied("Only the privacy officer reviews emergency access.")
    if verdict not in ReviewVerdict.values:
        raise ValidationError({"verdict": "Choose a verdict."})
    if override.membership_id == actor.membership.pk:
        raise ValidationError({"verdict": "Someone else must review your own emergency access."})
    updated = AccessOverride.objects.filter(pk=override.pk, reviewed_at__isnull=True).update(
        reviewed_at=timezone.now(), reviewed_by=actor.membership, verdict=verdict,
        review_note=note.strip()[:1000])
    if not updated:
        raise ValidationError({"verdict": "This access has already been reviewed."})
    override.refresh_from_db()
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.SECURITY, obj=override,
                 client=override.client, fields=["verdict", "review_note"])
    return override


def client_by_identity(actor: Actor, *, given: str, family: str,
                       born: dt.date) -> Client | None:
    """The one client of this practice with exactly this legal name and date of birth. The
    person asking must already know who the client is: nothing is searchable here."""
    matches = list(Client.objects.filter(
        practice=actor.practice, legal_given_name__iexact=given.strip(),
        legal_family_name__iexact=family.strip(), date_of_birth=born)[:2])
    return matches[0] if len(matches) == 1 else None


def reason_for_reviewer(*, actor: Actor, override: AccessOverride) -> str:
    """The requester's own words, for the privacy officer; the read is audited."""
    if not policy.is_privacy_officer(actor):
        raise PermissionDenied("Only the privacy officer reviews emergency access.")
    audit_record(actor=actor, action=Action.READ, purpose=Purpose.SECURITY, obj=override,
                 client=override.client, fields=["reason_text"])
    return reason_plaintext(override)
