"""Row-level security statements for a new table, the same rules as migration
security/0002: a practice sees its own rows, the system scope sees all. Apps' migrations
call these so every practice-owned table gets the same policy."""

from __future__ import annotations

from django.db import migrations


def _policy(table: str, condition: str) -> migrations.RunSQL:
    return migrations.RunSQL(
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;\n"
        f"CREATE POLICY tenant ON {table} USING ({condition}) WITH CHECK ({condition});",
        f"DROP POLICY tenant ON {table}; ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;",
    )


def by_practice(table: str) -> migrations.RunSQL:
    """For a table with a practice_id column."""
    return _policy(table, "therapia_practice_visible(practice_id)")


def by_client(table: str) -> migrations.RunSQL:
    """For a table with a client_id column (and no practice_id)."""
    return _policy(table, "therapia_client_visible(client_id)")


def by_parent(table: str, column: str, parent: str) -> migrations.RunSQL:
    """For a child table: visible when its parent row is (the parent's own policy decides)."""
    exists = f"EXISTS (SELECT 1 FROM {parent} p WHERE p.id = {column})"  # noqa: S608 (names from migrations)
    return _policy(table, f"therapia_system_scope() OR {exists}")
