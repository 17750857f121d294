"""Row-level security: a backstop under the access policy (issue #3, item 9).

Every table that belongs to a practice shows the application role only the rows of the
practice named in the session setting `therapia.practice_id` (set per request by
therapia.security.middleware.ActorMiddleware), or every row in the `system` scope
(background jobs, management commands, tests: therapia/security/rls.py). Without either,
a query returns nothing. The owner role is not subject to it (migrations).
"""

from __future__ import annotations

from django.db import migrations

# Tables with a practice_id column.
BY_PRACTICE = ("clients_client", "clients_clientunit", "scheduling_room",
               "scheduling_therapygroup", "scheduling_appointment",
               "security_supervisionrecord")
# Tables that belong to a practice through their client.
BY_CLIENT = ("clients_relatedperson", "clients_careteammember", "clients_unitmember",
             "scheduling_groupmember", "records_psychotherapynote", "security_clientdatakey",
             "security_legalhold", "scheduling_appointment_clients")
# Tables that belong to a practice through a parent row: (table, column, parent table).
BY_PARENT = (("scheduling_appointment_clinicians", "appointment_id", "scheduling_appointment"),
             ("scheduling_therapygroup_facilitators", "therapygroup_id",
              "scheduling_therapygroup"))

FUNCTIONS = """
CREATE FUNCTION therapia_system_scope() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('therapia.scope', true), '') = 'system'
$$;
CREATE FUNCTION therapia_practice_visible(practice bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT therapia_system_scope()
        OR practice::text = nullif(current_setting('therapia.practice_id', true), '')
$$;
CREATE FUNCTION therapia_client_visible(client bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT therapia_system_scope() OR EXISTS (
        SELECT 1 FROM clients_client c WHERE c.id = client
        AND c.practice_id::text = nullif(current_setting('therapia.practice_id', true), ''))
$$;
"""


def _policy(table: str, condition: str) -> str:
    return (f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;\n"
            f"CREATE POLICY tenant ON {table} USING ({condition}) WITH CHECK ({condition});\n")


def forward_sql() -> str:
    statements = [FUNCTIONS]
    statements += [_policy(t, "therapia_practice_visible(practice_id)") for t in BY_PRACTICE]
    statements += [_policy(t, "therapia_client_visible(client_id)") for t in BY_CLIENT]
    statements += [
        _policy(t, f"therapia_system_scope() OR EXISTS (SELECT 1 FROM {parent} p "
                   f"WHERE p.id = {column})")  # the parent's own policy decides
        for t, column, parent in BY_PARENT
    ]
    # Members see their own memberships in any practice (to choose one at sign-in).
    statements.append(_policy(
        "accounts_membership",
        "therapia_practice_visible(practice_id) OR user_id::text = "
        "nullif(current_setting('therapia.user_id', true), '')"))
    return "".join(statements)


def backward_sql() -> str:
    tables = [*BY_PRACTICE, *BY_CLIENT, *(t for t, _, _ in BY_PARENT), "accounts_membership"]
    statements = [f"DROP POLICY tenant ON {t}; ALTER TABLE {t} DISABLE ROW LEVEL SECURITY;\n"
                  for t in tables]
    statements.append("DROP FUNCTION therapia_client_visible(bigint); "
                      "DROP FUNCTION therapia_practice_visible(bigint); "
                      "DROP FUNCTION therapia_system_scope();")
    return "".join(statements)


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0001_initial"),
        ("accounts", "0001_initial"),
        ("clients", "0001_initial"),
        ("scheduling", "0001_initial"),
        ("records", "0001_initial"),
    ]
    operations = [migrations.RunSQL(forward_sql(), backward_sql())]
