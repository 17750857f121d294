"""Privileges of the application role, re-applied after every migration.

The application role may read and write ordinary tables. Tables listed in
APPEND_ONLY_TABLES are INSERT/SELECT only, so even a compromised web process cannot
rewrite history there; READ_ONLY_TABLES are SELECT only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connections
from psycopg import sql

APPEND_ONLY_TABLES = (
    "audit_auditevent",
    # The disclosure log and what it rests on (AD-1): corrections are new rows.
    "disclosures_authorisation", "disclosures_authorisationrevocation",
    "disclosures_disclosure", "disclosures_disclosureauthorisation",
    "disclosures_supportingdocument",
)
# Tables the application only reads.
READ_ONLY_TABLES = ("django_migrations",)


def application_role() -> str:
    return str(settings.DATABASES["default"]["USER"])


def grant_statements(role: str, present: set[str] | None = None) -> list[sql.Composed]:
    """`present`: the tables that exist (a partial migrate may not have made them all)."""
    ident = sql.Identifier(role)
    statements = [
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(
            ident
        ),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(ident),
    ]
    revoke = sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}")
    statements.extend(revoke.format(sql.Identifier(t), ident) for t in APPEND_ONLY_TABLES
                      if present is None or t in present)
    read_only = sql.SQL("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {} FROM {}")
    statements.extend(read_only.format(sql.Identifier(t), ident) for t in READ_ONLY_TABLES)
    return statements


def grant_application_role(*, using: str = "owner", **kwargs: Any) -> None:
    if using != "owner":
        return
    role = application_role()
    owner = settings.DATABASES["owner"]["USER"]
    if not role or role == owner:
        return
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        present = {row[0] for row in cursor.fetchall()}
        for statement in grant_statements(role, present):
            cursor.execute(statement.as_string(cursor.connection))
