"""Row-level security: the database itself keeps practices apart (issue #3, item 9)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection, connections
from django.urls import reverse

from therapia.core import factories
from therapia.core.testing import Personas
from therapia.records.services import psychotherapy_note_create
from therapia.security import rls

pytestmark = pytest.mark.django_db(transaction=False)

PRACTICE_TABLES = ("clients_client", "clients_careteammember", "scheduling_appointment",
                   "accounts_membership", "records_psychotherapynote")


def count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed table names)
        return int(cursor.fetchone()[0])


def test_every_practice_table_has_row_level_security() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relrowsecurity AND relkind = 'r'")
        protected = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT DISTINCT table_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name IN ('practice_id', 'client_id') "
            "AND table_name NOT LIKE 'audit_%'")
        owned_by_a_practice = {row[0] for row in cursor.fetchall()}
    assert owned_by_a_practice <= protected


def test_a_query_without_the_practice_context_returns_nothing(personas: Personas) -> None:
    """The rows exist (the test's system scope sees them); with no scope and no practice,
    as on a web worker's fresh connection, the same connection sees none of them."""
    factories.AppointmentFactory.create(practice=personas.practice,
                                       clinicians=[personas.owner], clients=[personas.dana])
    psychotherapy_note_create(actor=personas.actor("owner"), client=personas.dana, body="…")
    assert all(count(table) > 0 for table in PRACTICE_TABLES)
    with connection.cursor() as cursor:  # local to this test's transaction
        cursor.execute("SELECT set_config('therapia.scope', '', true), "
                       "set_config('therapia.practice_id', '', true)")
    assert [count(table) for table in PRACTICE_TABLES] == [0] * len(PRACTICE_TABLES)


def test_a_fresh_connection_has_no_default_scope(personas: Personas) -> None:
    """No role or database default (ALTER ROLE ... SET) puts the application role in the
    system scope: only a process marked THERAPIA_DB_SCOPE=system gets there."""
    params = connections["default"].get_connection_params()
    with psycopg.connect(**params) as fresh:  # as a gunicorn worker connects
        row = fresh.execute("SELECT current_setting('therapia.scope', true)").fetchone()
    assert row is not None and row[0] in (None, "")


def test_the_request_scope_shows_only_the_actors_practice(personas: Personas) -> None:
    with rls.request_scope(personas.owner.user.pk):
        assert count("clients_client") == 0  # signed in, practice not chosen yet
        assert count("accounts_membership") == 1  # but their own membership
        rls.set_practice(personas.practice.pk)
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM clients_client")
            visible = {row[0] for row in cursor.fetchall()}
        assert personas.dana.pk in visible
        assert personas.outsider_client.pk not in visible
        assert count("clients_careteammember") == personas.dana.care_team.count() + 0
    assert count("clients_client") >= 2  # back to the system scope afterwards


def test_writes_into_another_practice_are_refused(personas: Personas) -> None:
    with rls.request_scope(personas.owner.user.pk):
        rls.set_practice(personas.practice.pk)
        with pytest.raises(Exception, match="row-level security"), \
                connection.cursor() as cursor:
            cursor.execute("SAVEPOINT s")
            try:
                cursor.execute(
                    "UPDATE clients_client SET practice_id = %s WHERE id = %s",
                    [personas.other_practice.pk, personas.dana.pk])
            finally:
                cursor.execute("ROLLBACK TO SAVEPOINT s")


def test_a_request_sees_the_other_practice_as_absent(personas: Personas, as_user) -> None:
    """Even a view that forgot the policy could not read the other practice's client."""
    response = as_user(personas.outsider.user).get(
        reverse("clients:overview", args=[personas.dana.public_id]))
    assert response.status_code == 404
    assert count("clients_client") >= 2  # the request restored the system scope
