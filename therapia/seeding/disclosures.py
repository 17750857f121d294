"""A few disclosures and authorisations for the demo, written through the disclosures
services so they are encrypted, audited and access-checked like real ones: a release to a GP
and a disclosure on it, a revoked release, a child-protection report, and a court order with
its document (which appear in those clients' accounting of disclosures)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from therapia.accounts.models import Membership
from therapia.clients.models import CareRole, Client
from therapia.disclosures import documents, services
from therapia.disclosures.bases import Basis, Category
from therapia.security.actor import Actor
from therapia.seeding.clients import ClientPlan

ORDER_PDF = (b"%PDF-1.4\n% Demo: order for production of records (fictitious)\n"
             b"1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def seed_disclosures(plans: list[ClientPlan], clients: list[Client],
                     memberships: dict[str, Membership], *, today: dt.date) -> int:
    """Entries for the first four adult clients with a primary clinician; returns how many."""
    chosen = [(plan, client) for plan, client in zip(plans, clients, strict=True)
              if CareRole.PRIMARY in plan.team.values() and not plan.is_minor(today)][:4]
    written = 0
    for number, (plan, client) in enumerate(chosen):
        author = memberships[plan.primary]
        actor = Actor(user=author.user, membership=author)
        written += _STORIES[number](actor, client, today)
    return written


def _gp_release(actor: Actor, client: Client, today: dt.date) -> int:
    signed = today - dt.timedelta(days=60)
    services.authorisation_record(actor=actor, client=client, data=services.AuthorisationInput(
        kind="general", recipient_name="Dr Amara Okoye", recipient_organisation="Northside GP",
        recipient_address="4 Station Road", categories=[Category.DIAGNOSES,
                                                        Category.TREATMENT_PLAN],
        purpose="Continuity of care: the GP prescribes alongside therapy.", signed_on=signed,
        witnessed_by=actor.membership, expires_on=signed + dt.timedelta(days=365)))
    services.disclosure_record(actor=actor, client=client, data=services.DisclosureInput(
        basis=Basis.CLIENT_AUTHORISATION, recipient_name="Dr Amara Okoye",
        recipient_organisation="Northside GP", recipient_address="4 Station Road",
        categories=[Category.TREATMENT_PLAN], purpose="Treatment summary after assessment.",
        disclosed_at=_at(signed + dt.timedelta(days=7)), jurisdiction="GB-ENG"))
    return 2


def _revoked_release(actor: Actor, client: Client, today: dt.date) -> int:
    signed = today - dt.timedelta(days=120)
    authorisation = services.authorisation_record(
        actor=actor, client=client, data=services.AuthorisationInput(
            kind="general", recipient_name="", recipient_organisation="Acme Employee Assistance",
            categories=[Category.DATES_OF_SERVICE], purpose="Confirm attendance for sick leave.",
            signed_on=signed, witnessed_by=actor.membership,
            expires_on=signed + dt.timedelta(days=180)))
    services.authorisation_revoke(actor=actor, authorisation=authorisation,
                                  revoked_on=today - dt.timedelta(days=30))
    return 2


def _child_protection(actor: Actor, client: Client, today: dt.date) -> int:
    services.disclosure_record(actor=actor, client=client, data=services.DisclosureInput(
        basis=Basis.CHILD_PROTECTION, recipient_name="Duty social worker",
        recipient_organisation="Children's Services, Riverside Council",
        recipient_contact="0300 000 0000", categories=[Category.DEMOGRAPHICS],
        purpose="Report of a concern about a child in the household.",
        disclosed_at=_at(today - dt.timedelta(days=30), 15), jurisdiction="GB-ENG"))
    return 1


def _court_order(actor: Actor, client: Client, today: dt.date) -> int:
    upload = documents.Upload(name="order.pdf", content_type="application/pdf", data=ORDER_PDF)
    services.disclosure_record(actor=actor, client=client, data=services.DisclosureInput(
        basis=Basis.COURT_ORDER, recipient_name="Clerk to the court",
        recipient_organisation="Riverside Family Court", recipient_address="1 Court Square",
        categories=[Category.DATES_OF_SERVICE], purpose="Dates of attendance, as ordered.",
        disclosed_at=_at(today - dt.timedelta(days=90)), jurisdiction="GB-ENG",
        document=upload))
    return 1


_STORIES = (_gp_release, _revoked_release, _child_protection, _court_order)
