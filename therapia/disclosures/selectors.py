"""Reads of disclosures and authorisations: through disclosure_policy, each audited. What
the actor may not see does not exist for them (404)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client, ClientUnit
from therapia.disclosures import disclosure_policy, documents, rules
from therapia.disclosures.bases import ACCOUNTABLE_BASES, Basis, citation_text
from therapia.disclosures.models import (
    Authorisation,
    AuthorisationRevocation,
    Disclosure,
    SupportingDocument,
    six_years_before,
)
from therapia.disclosures.services import unseal
from therapia.scheduling.models import GroupMember, TherapyGroup
from therapia.security import crypto
from therapia.security.actor import Actor

NAME_FIELDS = ("legal_given_name", "legal_family_name", "preferred_name")
ACCOUNTING = "disclosures.Accounting"
LOG_PAGE_SIZE = 50


def _client_for(actor: Actor, public_id: uuid.UUID, *, record: bool = False) -> Client:
    """The client, when the actor may read (or, with `record`, record) disclosures."""
    client = (Client.objects.select_related("practice")
              .filter(public_id=public_id, practice=actor.practice).first())
    allowed = client is not None and (
        disclosure_policy.can_record_disclosure(actor, client) if record
        else disclosure_policy.can_view_disclosures(actor, client))
    if client is None or not allowed:
        audit_record(actor=actor, action=Action.DENIED, purpose=Purpose.DISCLOSURE,
                     object_type=Disclosure._meta.label, object_id=str(public_id),
                     client=client)
        raise Http404("No such client")
    return client


def client_for_recording(*, actor: Actor, public_id: uuid.UUID) -> Client:
    client = _client_for(actor, public_id, record=True)
    audit_record(actor=actor, action=Action.READ, purpose=Purpose.DISCLOSURE, obj=client,
                 client=client, fields=NAME_FIELDS)
    return client


def disclosures_involving(client: Client) -> QuerySet[Disclosure]:
    """Disclosures of the client's record, or of a unit's or group's record they are in."""
    units = ClientUnit.objects.filter(memberships__client=client).values("pk")
    groups = GroupMember.objects.filter(client=client).values("group_id")
    return (Disclosure.objects.filter(practice_id=client.practice_id)
            .filter(Q(client=client) | Q(unit__in=units) | Q(group__in=groups)))


def with_corrected(entries: QuerySet[Disclosure]) -> QuerySet[Disclosure]:
    """Each entry knows whether a later entry corrects it (`corrected`)."""
    return entries.annotate(corrected=Exists(Disclosure.objects.filter(corrects=OuterRef("pk"))))


@dataclass(frozen=True)
class AuthorisationRow:
    authorisation: Authorisation
    state: str  # "" when valid today, else why not


@dataclass(frozen=True)
class ClientDisclosures:
    client: Client
    disclosures: list[Disclosure]
    authorisations: list[AuthorisationRow]
    can_record: bool


def client_disclosures(*, actor: Actor, public_id: uuid.UUID) -> ClientDisclosures:
    client = _client_for(actor, public_id)
    found = list(with_corrected(disclosures_involving(client))
                 .select_related("disclosed_by__user", "unit", "group"))
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.DISCLOSURE,
                 object_type=Disclosure._meta.label, client=client,
                 fields=["basis", "recipient_name", "recipient_organisation", "categories",
                         "disclosed_at"])
    today = timezone.localdate()
    signed = (Authorisation.objects.filter(client=client).select_related("revocation",
                                                                          "unit", "group"))
    rows = [AuthorisationRow(a, rules.lapse_reason(a, today)) for a in signed]
    if rows:
        audit_record(actor=actor, action=Action.LIST, purpose=Purpose.DISCLOSURE,
                     object_type=Authorisation._meta.label, client=client,
                     fields=["recipient_name", "recipient_organisation", "categories",
                             "signed_on", "expires_on"])
    return ClientDisclosures(client=client, disclosures=found, authorisations=rows,
                             can_record=disclosure_policy.can_record_disclosure(actor, client))


@dataclass(frozen=True)
class DisclosureView:
    disclosure: Disclosure
    purpose: str
    description: str
    correction_reason: str
    citation: str
    cited: list[Authorisation]
    documents: list[SupportingDocument]
    can_download: bool
    can_correct: bool
    correction: Disclosure | None
    gone: str = ""  # the client's key was destroyed


def _disclosure_for(actor: Actor, public_id: uuid.UUID) -> Disclosure:
    disclosure = (Disclosure.objects
                  .select_related("client__practice", "disclosed_by__user", "corrects",
                                  "correction", "unit", "group")
                  .filter(public_id=public_id, practice=actor.practice).first())
    if disclosure is None or not disclosure_policy.can_view_disclosures(actor,
                                                                        disclosure.client):
        audit_record(actor=actor, action=Action.DENIED, purpose=Purpose.DISCLOSURE,
                     object_type=Disclosure._meta.label, object_id=str(public_id),
                     client=disclosure.client if disclosure else None)
        raise Http404("No such disclosure")
    return disclosure


def disclosure_read(*, actor: Actor, public_id: uuid.UUID) -> DisclosureView:
    disclosure = _disclosure_for(actor, public_id)
    client = disclosure.client
    texts = {"purpose": "", "description": "", "correction_reason": ""}
    gone = ""
    try:
        with crypto.key_cache():
            texts = {name: unseal(obj=disclosure, client=client, field_name=name)
                     for name in texts}
    except crypto.DataKeyDestroyed as error:
        gone = str(error)
    audit_record(actor=actor, action=Action.READ, purpose=Purpose.DISCLOSURE, obj=disclosure,
                 client=client, fields=list(texts), legal_basis=disclosure.basis)
    return DisclosureView(
        disclosure=disclosure, citation=citation_text(disclosure.basis),
        cited=list(disclosure.authorisations.select_related("client")),
        documents=list(disclosure.documents.all()),
        can_download=disclosure_policy.can_download_document(actor, client),
        can_correct=(disclosure_policy.can_record_disclosure(actor, client)
                     and not hasattr(disclosure, "correction")),
        correction=getattr(disclosure, "correction", None), gone=gone, **texts)


def disclosure_to_correct(*, actor: Actor, public_id: uuid.UUID) -> DisclosureView:
    view = disclosure_read(actor=actor, public_id=public_id)
    if not disclosure_policy.can_record_disclosure(actor, view.disclosure.client):
        raise Http404("No such disclosure")
    return view


@dataclass(frozen=True)
class AccountingRow:
    disclosed_at: dt.datetime
    recipient: str
    address: str
    basis: str
    citation: str
    released: list[str]
    purpose: str
    record: str  # "Own record", or the unit's or group's name
    corrects: dt.datetime | None


@dataclass(frozen=True)
class Accounting:
    client: Client
    since: dt.date
    until: dt.date
    rows: list[AccountingRow]


def accounting_entries(client: Client, today: dt.date) -> QuerySet[Disclosure]:
    """164.528: the last six years; not the exempt bases; the latest version of corrected
    entries; not entries whose accounting an agency has suspended (164.528(a)(2))."""
    since = six_years_before(today)
    return (disclosures_involving(client)
            .filter(basis__in=sorted(ACCOUNTABLE_BASES), disclosed_at__date__gte=since,
                    correction__isnull=True)
            .exclude(accounting_suspended_until__gte=today)
            .select_related("client", "corrects", "unit", "group"))


def accounting_for(*, actor: Actor, public_id: uuid.UUID) -> Accounting:
    client = _client_for(actor, public_id)
    today = timezone.localdate()
    entries = list(accounting_entries(client, today))
    audit_record(actor=actor, action=Action.READ, purpose=Purpose.DISCLOSURE,
                 object_type=ACCOUNTING, object_id=str(client.public_id), client=client,
                 fields=[*NAME_FIELDS, "disclosures"])
    labels = dict(Basis.choices)
    rows = []
    with crypto.key_cache():
        for entry in entries:
            try:
                purpose = unseal(obj=entry, client=entry.client, field_name="purpose")
            except crypto.DataKeyDestroyed:
                purpose = "(no longer readable: the record's key was destroyed)"
            shared = entry.unit or entry.group
            rows.append(AccountingRow(
                disclosed_at=entry.disclosed_at, recipient=entry.recipient,
                address=", ".join(p for p in (entry.recipient_address,
                                              entry.recipient_contact) if p),
                basis=str(labels.get(entry.basis, entry.basis)),
                citation=citation_text(entry.basis), released=entry.category_labels(),
                purpose=purpose, record=shared.name if shared else "Own record",
                corrects=entry.corrects.disclosed_at if entry.corrects else None))
    return Accounting(client=client, since=six_years_before(today), until=today, rows=rows)


@dataclass(frozen=True)
class Download:
    name: str
    content_type: str
    data: bytes


def document_download(*, actor: Actor, public_id: uuid.UUID) -> Download:
    """The decrypted file, for the client's care team only; every download audited."""
    document = (SupportingDocument.objects.select_related("client__practice")
                .filter(public_id=public_id, practice=actor.practice).first())
    if document is None or not disclosure_policy.can_download_document(actor, document.client):
        audit_record(actor=actor, action=Action.DENIED, purpose=Purpose.DISCLOSURE,
                     object_type=SupportingDocument._meta.label, object_id=str(public_id),
                     client=document.client if document else None)
        raise Http404("No such document")
    try:
        upload = documents.decrypt(document, client=document.client)
    except crypto.DecryptionFailed as error:
        raise Http404("This document can no longer be read") from error
    audit_record(actor=actor, action=Action.READ, purpose=Purpose.DISCLOSURE, obj=document,
                 client=document.client, fields=["content", "name"])
    return Download(name=upload.name, content_type=upload.content_type, data=upload.data)


@dataclass(frozen=True)
class AuthorisationView:
    authorisation: Authorisation
    revocation: AuthorisationRevocation | None
    purpose: str
    state: str
    documents: list[SupportingDocument]
    disclosures: list[Disclosure]
    can_revoke: bool
    can_download: bool


def authorisation_read(*, actor: Actor, public_id: uuid.UUID) -> AuthorisationView:
    authorisation = (Authorisation.objects
                     .select_related("client__practice", "revocation", "witnessed_by__user",
                                     "recorded_by__user", "unit", "group")
                     .filter(public_id=public_id, practice=actor.practice).first())
    if authorisation is None or not disclosure_policy.can_view_disclosures(
            actor, authorisation.client):
        audit_record(actor=actor, action=Action.DENIED, purpose=Purpose.DISCLOSURE,
                     object_type=Authorisation._meta.label, object_id=str(public_id),
                     client=authorisation.client if authorisation else None)
        raise Http404("No such authorisation")
    client = authorisation.client
    try:
        purpose = unseal(obj=authorisation, client=client, field_name="purpose")
    except crypto.DataKeyDestroyed as error:
        purpose = str(error)
    audit_record(actor=actor, action=Action.READ, purpose=Purpose.DISCLOSURE,
                 obj=authorisation, client=client, fields=["purpose", "recipient_name"])
    can_record = disclosure_policy.can_record_authorisation(actor, client)
    return AuthorisationView(
        authorisation=authorisation, purpose=purpose,
        revocation=getattr(authorisation, "revocation", None),
        state=rules.lapse_reason(authorisation, timezone.localdate()),
        documents=list(authorisation.documents.all()),
        disclosures=list(authorisation.disclosures.all()),
        can_revoke=can_record and not hasattr(authorisation, "revocation"),
        can_download=disclosure_policy.can_download_document(actor, client))


def practice_log(*, actor: Actor, page: str | None) -> Page[Disclosure]:
    """Every disclosure of the practice, for the privacy officer."""
    if not disclosure_policy.can_view_practice_log(actor):
        audit_record(actor=actor, action=Action.DENIED, purpose=Purpose.DISCLOSURE,
                     object_type=Disclosure._meta.label)
        raise Http404("No such page")
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.DISCLOSURE,
                 object_type=Disclosure._meta.label,
                 fields=["client", "basis", "recipient_name", "recipient_organisation",
                         "disclosed_at"])
    entries = (with_corrected(Disclosure.objects.filter(practice=actor.practice))
               .select_related("client", "disclosed_by__user")
               .order_by("-disclosed_at", "-pk"))
    return Paginator(entries, LOG_PAGE_SIZE).get_page(page)


def shared_records(client: Client) -> tuple[list[ClientUnit], list[TherapyGroup]]:
    """The couple/family units and groups whose records could be disclosed with the
    client's (choices for the forms)."""
    units = list(ClientUnit.objects.filter(memberships__client=client).distinct())
    groups = list(TherapyGroup.objects.filter(memberships__client=client).distinct())
    return units, groups
