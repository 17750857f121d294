"""Audit rows: written with the change, in its transaction; append-only in the database."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, connections, transaction

from therapia.audit.models import Action, AuditEvent, Purpose
from therapia.audit.services import audit_record
from therapia.clients import services
from therapia.clients.models import Client
from therapia.core.testing import Personas

NEW_CLIENT = {"legal_given_name": "Ife", "legal_family_name": "Adeyemi",
              "date_of_birth": "1979-09-30"}


class Interrupted(Exception):
    pass


def test_an_interrupted_write_leaves_neither_record_nor_audit_row(personas: Personas) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(Interrupted), transaction.atomic():
        services.client_create(actor=personas.actor("owner"), data=NEW_CLIENT)
        raise Interrupted  # e.g. the request dies after the service returned
    assert not Client.objects.filter(legal_family_name="Adeyemi").exists()
    assert AuditEvent.objects.count() == before


def test_a_write_and_its_audit_row_commit_together(personas: Personas) -> None:
    client = services.client_create(actor=personas.actor("owner"), data=NEW_CLIENT)
    row = AuditEvent.objects.get(client_id=client.pk, action=Action.CREATE)
    assert row.actor_user_id == personas.owner.user.pk
    assert row.practice_id == personas.practice.pk
    assert row.purpose == Purpose.OPERATIONS
    assert row.object_id == str(client.public_id)
    assert "Adeyemi" not in str(row.fields) and "legal_family_name" in row.fields


def test_t22_application_role_cannot_change_or_delete_audit_rows(personas: Personas) -> None:
    row = audit_record(actor=personas.actor("owner"), action=Action.READ,
                       purpose=Purpose.TREATMENT, client=personas.dana, object_type="test")
    for statement in ("UPDATE audit_auditevent SET action = 'read' WHERE id = %s",
                      "DELETE FROM audit_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(statement, [row.pk])
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent")


@pytest.mark.django_db(databases=["default", "owner"], transaction=False)
def test_t22_even_the_owner_is_stopped_by_the_trigger(personas: Personas) -> None:
    owner = connections["owner"]
    row_id = audit_record(actor=None, action=Action.READ, purpose=Purpose.SYSTEM,
                          object_type="test", using="owner").pk
    for statement in ("UPDATE audit_auditevent SET action = 'list' WHERE id = %s",
                      "DELETE FROM audit_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), \
                transaction.atomic(using="owner"), owner.cursor() as cursor:
            cursor.execute(statement, [row_id])
    with pytest.raises(DatabaseError, match="append-only"), \
            transaction.atomic(using="owner"), owner.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent")
