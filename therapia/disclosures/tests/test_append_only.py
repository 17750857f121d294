"""T-22 / AD-1: the disclosure log and the authorisations cannot be rewritten. The
application role lacks UPDATE, DELETE and TRUNCATE; for every role, a trigger refuses them.
No URL deletes or edits an entry (T-27)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from therapia.accounts.models import Membership, Practice, Role, User
from therapia.clients.models import Client
from therapia.core.grants import APPEND_ONLY_TABLES as ALL_APPEND_ONLY
from therapia.core.testing import Personas
from therapia.disclosures import services
from therapia.disclosures.bases import Basis
from therapia.disclosures.models import (
    Authorisation,
    AuthorisationRevocation,
    Disclosure,
    DisclosureAuthorisation,
    SupportingDocument,
)
from therapia.disclosures.tests.helpers import authorise, on_authorisation, pdf_upload

APPEND_ONLY_TABLES = tuple(t for t in ALL_APPEND_ONLY if t.startswith("disclosures_"))


def test_every_disclosures_table_is_append_only() -> None:
    models = (Authorisation, AuthorisationRevocation, Disclosure, DisclosureAuthorisation,
              SupportingDocument)
    assert {model._meta.db_table for model in models} == set(APPEND_ONLY_TABLES)


@pytest.fixture
def one_of_each(personas: Personas) -> dict[str, int]:
    alice = personas.actor("owner")
    authorisation = authorise(alice, personas.dana, document=pdf_upload(),
                              signed_on=timezone.localdate() - dt.timedelta(days=3))
    disclosure = services.disclosure_record(actor=alice, client=personas.dana,
                                            data=on_authorisation())
    services.authorisation_revoke(actor=alice, authorisation=authorisation)
    return {
        "disclosures_authorisation": authorisation.pk,
        "disclosures_authorisationrevocation": authorisation.revocation.pk,
        "disclosures_disclosure": disclosure.pk,
        "disclosures_disclosureauthorisation": DisclosureAuthorisation.objects.get().pk,
        "disclosures_supportingdocument": SupportingDocument.objects.get().pk,
    }


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_t22_the_application_role_cannot_change_delete_or_truncate(
        one_of_each: dict[str, int], table: str) -> None:
    row_id = one_of_each[table]
    for statement in (f"UPDATE {table} SET id = id WHERE id = %s",  # noqa: S608 (fixed names)
                      f"DELETE FROM {table} WHERE id = %s"):  # noqa: S608
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(statement, [row_id])
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} CASCADE")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE id = %s", [row_id])  # noqa: S608
        assert cursor.fetchone()[0] == 1


@pytest.mark.django_db(databases=["default", "owner"], transaction=False)
def test_t22_even_the_owner_is_stopped_by_the_trigger() -> None:
    practice = Practice.objects.using("owner").create(name="Owner-side practice")
    user = User.objects.db_manager("owner").create_user("o@example.org", "x")
    member = Membership.objects.using("owner").create(user=user, practice=practice,
                                                      role=Role.CLINICIAN)
    client = Client.objects.using("owner").create(
        practice=practice, legal_given_name="A", legal_family_name="B",
        date_of_birth=dt.date(1980, 1, 1))
    row = Disclosure.objects.using("owner").create(
        practice=practice, client=client, basis=Basis.REQUIRED_BY_LAW, jurisdiction="US",
        recipient_organisation="Registry", categories=["demographics"], purpose=b"x" * 40,
        disclosed_at=timezone.now(), disclosed_by=member)
    owner = connections["owner"]
    for statement in ("UPDATE disclosures_disclosure SET basis = 'CORONER' WHERE id = %s",
                      "DELETE FROM disclosures_disclosure WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), \
                transaction.atomic(using="owner"), owner.cursor() as cursor:
            cursor.execute(statement, [row.pk])
    with owner.cursor() as cursor:  # check the insert's deferred foreign keys now
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for table in APPEND_ONLY_TABLES:
        with pytest.raises(DatabaseError, match="append-only"), \
                transaction.atomic(using="owner"), owner.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table} CASCADE")


def test_t27_no_url_deletes_or_edits_an_entry() -> None:
    tops = [top for top in get_resolver().url_patterns
            if isinstance(top, URLResolver) and top.namespace == "disclosures"]
    names = [str(p.name) for top in tops for p in top.url_patterns if isinstance(p, URLPattern)]
    assert len(names) == 11
    for name in names:
        assert not {"delete", "edit", "update", "remove"} & set(name.split("_")), name


def test_t27_an_entry_answers_delete_and_put_with_405(personas: Personas, as_user) -> None:
    disclosure = services.disclosure_record(actor=personas.actor("owner"), client=personas.dana,
                                            data=on_authorisation(basis=Basis.REQUIRED_BY_LAW))
    http = as_user(personas.owner.user)
    url = reverse("disclosures:disclosure", args=[disclosure.public_id])
    assert http.delete(url).status_code == 405
    assert http.put(url).status_code == 405
    assert http.post(url).status_code == 405
    assert Disclosure.objects.filter(pk=disclosure.pk).exists()
