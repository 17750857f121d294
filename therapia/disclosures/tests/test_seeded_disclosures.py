"""The demo's disclosures are written through the services: encrypted, audited, and in the
clients' accounting where the law says they belong."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command

from therapia.accounts.models import Practice
from therapia.audit.models import Action, AuditEvent
from therapia.disclosures.bases import Basis
from therapia.disclosures.models import (
    Authorisation,
    AuthorisationRevocation,
    Disclosure,
    SupportingDocument,
)
from therapia.disclosures.selectors import accounting_entries

TODAY = dt.date(2026, 3, 10)


def test_the_demo_has_disclosures_and_authorisations(db: None) -> None:
    call_command("seed", "--clients", "12", "--seed", "7", "--practice-name", "Seeded",
                 "--today", TODAY.isoformat())
    practice = Practice.objects.get(name="Seeded")
    disclosures = Disclosure.objects.filter(practice=practice)
    assert sorted(disclosures.values_list("basis", flat=True)) == sorted(
        [Basis.CLIENT_AUTHORISATION, Basis.CHILD_PROTECTION, Basis.COURT_ORDER])
    assert Authorisation.objects.filter(practice=practice).count() == 2
    assert AuthorisationRevocation.objects.filter(authorisation__practice=practice).count() == 1
    assert SupportingDocument.objects.filter(practice=practice).count() == 1
    court = disclosures.get(basis=Basis.COURT_ORDER)
    assert list(accounting_entries(court.client, TODAY)) == [court]
    gp = disclosures.get(basis=Basis.CLIENT_AUTHORISATION)
    assert not accounting_entries(gp.client, TODAY).exists()  # authorised: exempt
    assert AuditEvent.objects.filter(object_id=str(court.public_id),
                                     action=Action.CREATE).count() == 1
