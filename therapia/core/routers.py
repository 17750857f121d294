"""Migrations run as the table owner (alias "owner"); the app runs as a role that owns nothing."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_owner_only = contextvars.ContextVar("owner_only", default=False)


@contextmanager
def all_queries_as_owner() -> Iterator[None]:
    """Route every query to the owner's connection while migrating.

    Data migrations (RunPython) in third-party apps often query through the default alias;
    on a second connection they would wait on the migration's own locks for ever.
    """
    token = _owner_only.set(True)
    try:
        yield
    finally:
        _owner_only.reset(token)


class OwnerMigratesRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return "owner" if _owner_only.get() else None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return "owner" if _owner_only.get() else None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "owner"
