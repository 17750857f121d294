"""Row-level security on the practice-owned measures tables (therapia/security/rls_sql.py):
a practice sees only its own imported instruments; the system scope sees all."""

from __future__ import annotations

from django.db import migrations

from therapia.security import rls_sql

TABLES = ("measures_custominstrument",)


class Migration(migrations.Migration):
    dependencies = [
        ("measures", "0001_initial"),
        ("security", "0002_row_level_security"),  # defines therapia_practice_visible()
    ]

    operations = [rls_sql.by_practice(table) for table in TABLES]
