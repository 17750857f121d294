"""The application connects as a role that owns nothing; migrations ran as the owner."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, connections, transaction

pytestmark = pytest.mark.django_db(databases=["default", "owner"])


def scalar(sql: str, params: list[str] | None = None, using: str = "default") -> object:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def test_app_role_is_not_the_owner_of_any_table() -> None:
    app = scalar("SELECT current_user")
    owner = scalar("SELECT current_user", using="owner")
    assert app != owner
    owned = scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s",
                   [str(app)])
    assert owned == 0
    assert scalar("SELECT tableowner FROM pg_tables WHERE tablename = 'clients_client'") == owner


def test_app_role_is_not_privileged() -> None:
    row = scalar("SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls "
                 "FROM pg_roles WHERE rolname = current_user")
    assert row is False


def test_app_role_cannot_create_or_alter_tables() -> None:
    for statement in ("CREATE TABLE intruder (id int)",
                      "ALTER TABLE clients_client ADD COLUMN intruder int",
                      "DROP TABLE clients_client"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)


def test_app_role_cannot_rewrite_the_migration_history() -> None:
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations")
    assert scalar("SELECT count(*) FROM django_migrations") > 0  # type: ignore[operator]
