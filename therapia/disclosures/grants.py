"""The application role may only INSERT and SELECT the disclosures tables (AD-1, T-22).

therapia/core/grants.py grants every table to the application role after each migrate and
then narrows its APPEND_ONLY_TABLES; this receiver runs after it (this app is later in
INSTALLED_APPS, so its receiver is connected later) and narrows these tables the same way.
(Once core/grants.py lists these tables in APPEND_ONLY_TABLES this module can go.)
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connections
from psycopg import sql

from therapia.core.grants import application_role

APPEND_ONLY_TABLES = (
    "disclosures_authorisation",
    "disclosures_authorisationrevocation",
    "disclosures_disclosure",
    "disclosures_disclosureauthorisation",
    "disclosures_supportingdocument",
)


def restrict_application_role(*, using: str = "owner", **kwargs: Any) -> None:
    if using != "owner":
        return
    role = application_role()
    if not role or role == settings.DATABASES["owner"]["USER"]:
        return
    revoke = sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}")
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        present = {row[0] for row in cursor.fetchall()}
        for table in APPEND_ONLY_TABLES:
            if table in present:  # not yet, while migrating an earlier state
                statement = revoke.format(sql.Identifier(table), sql.Identifier(role))
                cursor.execute(statement.as_string(cursor.connection))
