"""Row-level security on administrations, measurement plans and risk alerts
(therapia/security/rls_sql.py), and the one door through it for a client's link.

A client opens /portal/q/<token>/ without an account, so the request has no practice and
row-level security hides every row. measures_link_practice(digest) is owned by the
migration's (owner) role and runs as it (SECURITY DEFINER; search_path fixed to public,
with pg_temp last so a temporary table cannot shadow ours): it answers
only "which practice does the administration with this token hash belong to?", and the
request then runs in that practice (rls.set_practice). It returns nothing else, so a
guessed hash tells the caller nothing beyond "no such link".
"""

from __future__ import annotations

from django.db import migrations

from therapia.security import rls_sql


class Migration(migrations.Migration):
    dependencies = [
        ("measures", "0003_administrations_plans_alerts"),
        ("security", "0002_row_level_security"),  # defines therapia_practice_visible()
    ]

    operations = [
        rls_sql.by_practice("measures_administration"),
        rls_sql.by_practice("measures_measurementplan"),
        rls_sql.by_parent("measures_planrule", "plan_id", "measures_measurementplan"),
        rls_sql.by_practice("measures_riskalert"),
        migrations.RunSQL(
            "CREATE FUNCTION measures_link_practice(digest bytea) RETURNS bigint "
            "LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ "
            "SELECT practice_id FROM measures_administration WHERE token_hash = digest $$;",
            "DROP FUNCTION measures_link_practice(bytea);",
        ),
    ]
