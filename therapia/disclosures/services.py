"""Writes (house rule 1): recording disclosures and authorisations, revoking, correcting.

Everything here only ever INSERTs: the tables are append-only. Clinical text is encrypted
before the row is written; audit rows carry field names and the legal basis, never values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from therapia.accounts.models import Membership
from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client, ClientUnit
from therapia.disclosures import disclosure_policy, documents, rules
from therapia.disclosures.bases import PN_BASES, RULES, Basis, Category
from therapia.disclosures.models import (
    Authorisation,
    AuthorisationKind,
    AuthorisationRevocation,
    Disclosure,
    DisclosureAuthorisation,
    SupportingDocument,
)
from therapia.records.models import PsychotherapyNote
from therapia.scheduling.models import GroupMember, TherapyGroup
from therapia.security import crypto
from therapia.security.actor import Actor

PURPOSE_MAX = 2000
DESCRIPTION_MAX = 4000
RECIPIENT_FIELDS = ("recipient_name", "recipient_organisation", "recipient_address",
                    "recipient_contact")


def seal(*, obj: Disclosure | Authorisation, client: Client, field_name: str, text: str
         ) -> bytes:
    return crypto.encrypt_text(client=client, key_class=crypto.KeyClass.CLINICAL,
                               model_label=obj._meta.label, record_id=obj.public_id,
                               field=field_name, plaintext=text)


def unseal(*, obj: Disclosure | Authorisation, client: Client, field_name: str) -> str:
    blob = getattr(obj, field_name)
    if not blob:
        return ""
    return crypto.decrypt_text(client=client, key_class=crypto.KeyClass.CLINICAL,
                               model_label=obj._meta.label, record_id=obj.public_id,
                               field=field_name, ciphertext=blob)


@dataclass
class DisclosureInput:
    basis: str
    recipient_name: str
    recipient_organisation: str
    categories: list[str]
    purpose: str
    disclosed_at: dt.datetime
    recipient_address: str = ""
    recipient_contact: str = ""
    description: str = ""
    jurisdiction: str = ""
    client_informed: str = ""
    unit: ClientUnit | None = None
    group: TherapyGroup | None = None
    accounting_suspended_until: dt.date | None = None
    document: documents.Upload | None = None
    correction_reason: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    def refuse(self, name: str | None, message: str) -> None:
        self.errors.setdefault(name or "__all__", []).append(message)


class AuthorisationMissing(ValidationError):
    """A disclosure on the client's authorisation without one that covers it."""


def _check_common(data: DisclosureInput | AuthorisationInput, *, client: Client) -> None:
    if not (data.recipient_name.strip() or data.recipient_organisation.strip()):
        data.refuse("recipient_name", "Name the recipient: a person, an organisation, or both.")
    known = {value for value, _ in Category.choices}
    if not data.categories:
        data.refuse("categories", "Tick at least one part of the record.")
    elif not set(data.categories) <= known:
        data.refuse("categories", "Choose from the listed parts of the record.")
    if not data.purpose.strip():
        data.refuse("purpose", "State the purpose in a sentence.")
    elif len(data.purpose) > PURPOSE_MAX:
        data.refuse("purpose", f"Keep the purpose under {PURPOSE_MAX} characters.")
    if data.unit is not None and not data.unit.memberships.filter(client=client).exists():
        data.refuse("shared_record", "The client is not a member of that unit.")
    if data.group is not None and not GroupMember.objects.filter(
            group=data.group, client=client).exists():
        data.refuse("shared_record", "The client is not a member of that group.")


def _check_psychotherapy_notes(actor: Actor, client: Client, data: DisclosureInput) -> None:
    if data.basis not in PN_BASES and data.basis != Basis.CLIENT_AUTHORISATION:
        data.refuse("categories", "Psychotherapy notes cannot be released on this basis "
                    "(45 CFR 164.508(a)(2)): untick them, or use the client's separate "
                    "authorisation for psychotherapy notes.")
    elif not PsychotherapyNote.objects.filter(client=client, author=actor.membership).exists():
        data.refuse("categories", "Only the author of psychotherapy notes can release them, "
                    "and you have written none for this client.")


def _check_disclosure(actor: Actor, client: Client, data: DisclosureInput,
                      corrects: Disclosure | None) -> list[Authorisation]:
    if data.basis not in RULES:
        data.refuse("basis", "Choose the legal basis for this disclosure.")
        return []
    rule = RULES[data.basis]
    _check_common(data, client=client)
    if len(data.description) > DESCRIPTION_MAX:
        data.refuse("description", f"Keep this under {DESCRIPTION_MAX} characters.")
    if data.disclosed_at > timezone.now() + dt.timedelta(minutes=5):
        data.refuse("disclosed_at", "The date of the disclosure cannot be in the future.")
    if Category.PSYCHOTHERAPY_NOTES in data.categories:
        _check_psychotherapy_notes(actor, client, data)
    has_document = data.document is not None or (
        corrects is not None and corrects.documents.exists())
    if rule.document_required and not has_document:
        data.refuse("document", "Attach the order or assurance: this basis needs it.")
    if rule.inform_prompt and not data.client_informed:
        data.refuse("client_informed", "Say whether the client was or will be told "
                    "(45 CFR 164.512(c)(2)).")
    if corrects is not None:
        if hasattr(corrects, "correction"):
            data.refuse(None, "This entry has already been corrected: correct the newer one.")
        if not data.correction_reason.strip():
            data.refuse("correction_reason", "Say what was wrong with the entry.")
    if data.errors or data.basis != Basis.CLIENT_AUTHORISATION:
        return []
    day = timezone.localtime(data.disclosed_at).date()
    signers = rules.required_signers(client=client, unit=data.unit, group=data.group, day=day)
    candidates = (Authorisation.objects.filter(client__in=signers, practice=client.practice)
                  .select_related("revocation"))
    found = rules.find_authorisations(
        signers=signers, candidates=candidates, unit=data.unit, group=data.group,
        name=data.recipient_name, organisation=data.recipient_organisation,
        categories=data.categories, day=day)
    for problem in found.problems:
        data.refuse(None, problem)
    return found.cited


def _attach(*, actor: Actor, client: Client, upload: documents.Upload,
            disclosure: Disclosure | None = None,
            authorisation: Authorisation | None = None) -> SupportingDocument:
    document = SupportingDocument(practice=client.practice, client=client,
                                  disclosure=disclosure, authorisation=authorisation,
                                  uploaded_by=actor.membership)
    documents.encrypt_into(document, client=client, upload=upload)
    document.save()
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.DISCLOSURE, obj=document,
                 client=client, fields=["content", "name", "content_type", "size", "sha256"])
    return document


def involved_clients(disclosure: Disclosure) -> list[Client]:
    """Whose record went out: the client's, or every member of the unit or group."""
    if disclosure.unit_id is not None:
        return list(Client.objects.filter(unit_memberships__unit_id=disclosure.unit_id))
    if disclosure.group_id is not None:
        ids = GroupMember.objects.filter(group_id=disclosure.group_id).values("client_id")
        return list(Client.objects.filter(pk__in=ids))
    return [disclosure.client]


@transaction.atomic
def disclosure_record(*, actor: Actor, client: Client, data: DisclosureInput,
                      corrects: Disclosure | None = None) -> Disclosure:
    """Record a disclosure (LC-1/AD-1); with `corrects`, a correction of an earlier entry.
    Raises ValidationError (field -> messages) and saves nothing when a rule is broken."""
    if not disclosure_policy.can_record_disclosure(actor, client):
        raise PermissionDenied("Only a clinician on this client's care team can do this.")
    if corrects is not None and corrects.client_id != client.pk:
        raise PermissionDenied("That entry is about another client.")
    data.errors.clear()  # the input may be submitted again
    cited = _check_disclosure(actor, client, data, corrects)
    if data.errors:
        error_class = AuthorisationMissing if (
            data.basis == Basis.CLIENT_AUTHORISATION and "__all__" in data.errors
        ) else ValidationError
        raise error_class(data.errors)
    disclosure = Disclosure(
        practice=client.practice, client=client, unit=data.unit, group=data.group,
        basis=data.basis, jurisdiction=data.jurisdiction or client.practice.jurisdiction,
        categories=list(dict.fromkeys(data.categories)), disclosed_at=data.disclosed_at,
        disclosed_by=actor.membership, client_informed=data.client_informed,
        accounting_suspended_until=data.accounting_suspended_until, corrects=corrects,
        **{name: getattr(data, name).strip() for name in RECIPIENT_FIELDS},
    )
    disclosure.purpose = seal(obj=disclosure, client=client, field_name="purpose",
                              text=data.purpose.strip())
    if data.description.strip():
        disclosure.description = seal(obj=disclosure, client=client, field_name="description",
                                      text=data.description.strip())
    if corrects is not None:
        disclosure.correction_reason = seal(obj=disclosure, client=client,
                                            field_name="correction_reason",
                                            text=data.correction_reason.strip())
    disclosure.full_clean(exclude=["purpose", "description", "correction_reason"])
    disclosure.save()
    DisclosureAuthorisation.objects.bulk_create(
        DisclosureAuthorisation(disclosure=disclosure, authorisation=a) for a in cited)
    names = ["basis", "categories", "purpose", "disclosed_at", *RECIPIENT_FIELDS]
    if data.description.strip():
        names.append("description")
    if corrects is not None:
        names += ["corrects", "correction_reason"]
    for involved in involved_clients(disclosure):
        audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.DISCLOSURE,
                     obj=disclosure, client=involved, fields=names, legal_basis=data.basis)
    if data.document is not None:
        _attach(actor=actor, client=client, upload=data.document, disclosure=disclosure)
    return disclosure


def disclosure_refusal_audit(*, actor: Actor, client: Client, basis: str) -> None:
    """A refused disclosure on the client's authorisation, for the privacy officer's review
    (written after the refused attempt rolled back)."""
    audit_record(actor=actor, action=Action.DENIED, purpose=Purpose.DISCLOSURE,
                 object_type=Disclosure._meta.label, client=client,
                 fields=["authorisation"], legal_basis=basis)


@dataclass
class AuthorisationInput:
    kind: str
    recipient_name: str
    recipient_organisation: str
    categories: list[str]
    purpose: str
    signed_on: dt.date
    witnessed_by: Membership
    expires_on: dt.date | None = None
    expiry_event: str = ""
    recipient_address: str = ""
    recipient_contact: str = ""
    unit: ClientUnit | None = None
    group: TherapyGroup | None = None
    document: documents.Upload | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    def refuse(self, name: str | None, message: str) -> None:
        self.errors.setdefault(name or "__all__", []).append(message)


def _check_authorisation(actor: Actor, client: Client, data: AuthorisationInput) -> None:
    _check_common(data, client=client)
    pn = Category.PSYCHOTHERAPY_NOTES
    if data.kind == AuthorisationKind.PSYCHOTHERAPY_NOTES and data.categories != [pn]:
        data.refuse("categories", "An authorisation for psychotherapy notes covers "
                    "psychotherapy notes only: record other parts on a separate form.")
    if data.kind == AuthorisationKind.GENERAL and pn in data.categories:
        data.refuse("categories", "Psychotherapy notes need their own, separate "
                    "authorisation (45 CFR 164.508(b)(3)(ii)).")
    if data.signed_on > timezone.localdate():
        data.refuse("signed_on", "The signing date cannot be in the future.")
    if data.expires_on is None and not data.expiry_event:
        data.refuse("expires_on", "Give an expiry date or an expiry event.")
    if data.expires_on is not None and data.expires_on < data.signed_on:
        data.refuse("expires_on", "The expiry date is before the signing date.")
    witness = data.witnessed_by
    if witness.practice_id != client.practice_id or not witness.is_active:
        data.refuse("witnessed_by", "Choose a member of this practice.")


@transaction.atomic
def authorisation_record(*, actor: Actor, client: Client, data: AuthorisationInput
                         ) -> Authorisation:
    """Record a paper authorisation the client signed (witnessed by a practice member)."""
    if not disclosure_policy.can_record_authorisation(actor, client):
        raise PermissionDenied("Only a clinician on this client's care team can do this.")
    data.errors.clear()
    _check_authorisation(actor, client, data)
    if data.errors:
        raise ValidationError(data.errors)
    authorisation = Authorisation(
        practice=client.practice, client=client, kind=data.kind, unit=data.unit,
        group=data.group, categories=list(dict.fromkeys(data.categories)),
        signed_on=data.signed_on, witnessed_by=data.witnessed_by, expires_on=data.expires_on,
        expiry_event=data.expiry_event, recorded_by=actor.membership,
        **{name: getattr(data, name).strip() for name in RECIPIENT_FIELDS},
    )
    authorisation.purpose = seal(obj=authorisation, client=client, field_name="purpose",
                                 text=data.purpose.strip())
    authorisation.full_clean(exclude=["purpose"])
    authorisation.save()
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.DISCLOSURE,
                 obj=authorisation, client=client,
                 fields=["kind", "categories", "purpose", "signed_on", "witnessed_by",
                         "expires_on", "expiry_event", *RECIPIENT_FIELDS])
    if data.document is not None:
        _attach(actor=actor, client=client, upload=data.document, authorisation=authorisation)
    return authorisation


@transaction.atomic
def authorisation_revoke(*, actor: Actor, authorisation: Authorisation,
                         revoked_on: dt.date | None = None) -> AuthorisationRevocation:
    """The client revoked it: disclosures on it from `revoked_on` are refused."""
    client = authorisation.client
    if not disclosure_policy.can_record_authorisation(actor, client):
        raise PermissionDenied("Only a clinician on this client's care team can do this.")
    day = revoked_on or timezone.localdate()
    already = {"revoked_on": "This authorisation is already revoked."}
    if AuthorisationRevocation.objects.filter(authorisation=authorisation).exists():
        raise ValidationError(already)
    if day > timezone.localdate():
        raise ValidationError({"revoked_on": "The revocation date cannot be in the future."})
    if day < authorisation.signed_on:
        raise ValidationError({"revoked_on": "The revocation date is before the signing date."})
    try:  # the one-to-one's unique index settles two revocations racing past the check
        with transaction.atomic():
            revocation = AuthorisationRevocation.objects.create(
                authorisation=authorisation, revoked_on=day, recorded_by=actor.membership)
    except IntegrityError as error:
        raise ValidationError(already) from error
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.DISCLOSURE,
                 obj=revocation, client=client, fields=["authorisation", "revoked_on"])
    return revocation

