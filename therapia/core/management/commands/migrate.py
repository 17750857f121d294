"""`migrate` always runs as the table owner (the "owner" alias)."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrate

from therapia.core.routers import all_queries_as_owner


class Command(DjangoMigrate):
    def handle(self, *args: Any, **options: Any) -> None:
        options["database"] = "owner"
        with all_queries_as_owner():
            super().handle(*args, **options)
