"""Row-level security on every clinical table (therapia/security/rls_sql.py): each has a
practice_id, so a practice sees only its own rows."""

from __future__ import annotations

from django.db import migrations

from therapia.security import rls_sql

TABLES = (
    "clinical_assessment", "clinical_assessmentaddendum", "clinical_diagnosis",
    "clinical_diagnosischange", "clinical_safetyplanversion", "clinical_safetyplanshare",
    "clinical_medication", "clinical_medicationchange",
)


class Migration(migrations.Migration):
    dependencies = [("clinical", "0001_initial")]

    operations = [rls_sql.by_practice(table) for table in TABLES]
