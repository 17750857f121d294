"""Every disclosures table is append-only for every role (a trigger refuses UPDATE, DELETE
and TRUNCATE; the application role also lacks those privileges: therapia/core/grants.py),
and gets row-level security like every practice table."""

from __future__ import annotations

from django.db import migrations

from therapia.security import rls_sql

TABLES = (
    "disclosures_authorisation",
    "disclosures_authorisationrevocation",
    "disclosures_disclosure",
    "disclosures_disclosureauthorisation",
    "disclosures_supportingdocument",
)

FUNCTION = """
CREATE FUNCTION disclosures_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the disclosure log is append-only (% on % refused)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""


def _triggers(table: str) -> migrations.RunSQL:
    return migrations.RunSQL(
        f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION disclosures_refuse_change();\n"
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION disclosures_refuse_change();",
        f"DROP TRIGGER {table}_no_truncate ON {table};"
        f"DROP TRIGGER {table}_no_update_delete ON {table};",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("disclosures", "0001_initial"),
        ("security", "0002_row_level_security"),
    ]
    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION disclosures_refuse_change();"),
        *(_triggers(table) for table in TABLES),
        rls_sql.by_practice("disclosures_authorisation"),
        rls_sql.by_parent("disclosures_authorisationrevocation", "authorisation_id",
                          "disclosures_authorisation"),
        rls_sql.by_practice("disclosures_disclosure"),
        rls_sql.by_parent("disclosures_disclosureauthorisation", "disclosure_id",
                          "disclosures_disclosure"),
        rls_sql.by_practice("disclosures_supportingdocument"),
    ]
