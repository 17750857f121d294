"""Load the ICD-10-CM chapter 5 and ICD-11 chapter 6 code lists (therapia/clinical/icd.py)."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def load(apps: Any, schema_editor: Any) -> None:
    from therapia.clinical.icd import load_codes  # noqa: PLC0415

    load_codes(apps.get_model("clinical", "IcdCode"))


def unload(apps: Any, schema_editor: Any) -> None:
    apps.get_model("clinical", "IcdCode").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("clinical", "0002_row_level_security")]

    operations = [migrations.RunPython(load, unload)]
