"""The session settings that row-level security reads (migration security/0002).

A web request runs in the `request` scope with the actor's practice; background jobs,
management commands and the tests run in the `system` scope, chosen for the whole process
by THERAPIA_DB_SCOPE=system (set by the `therapia` command and manage.py, never by the
WSGI entry point, so a web worker can never start in it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

SYSTEM = "system"
REQUEST = "request"


def system_scope_on_connect(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """connection_created handler: a process marked as a system process starts system-wide."""
    if connection.alias == "default" and os.environ.get("THERAPIA_DB_SCOPE") == SYSTEM:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('therapia.scope', %s, false)", [SYSTEM])


@contextmanager
def request_scope(user_id: int | None) -> Iterator[None]:
    """Only the rows of the practice later chosen by `set_practice`; restores the previous
    scope afterwards (a system process handling requests, as in the tests)."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('therapia.scope', true), "
            "set_config('therapia.scope', %s, false), set_config('therapia.user_id', %s, false),"
            " set_config('therapia.practice_id', '', false)",
            [REQUEST, str(user_id or "")])
        previous = cursor.fetchone()[0] or ""
    try:
        yield
    finally:
        with connections["default"].cursor() as cursor:
            cursor.execute(
                "SELECT set_config('therapia.scope', %s, false), "
                "set_config('therapia.user_id', '', false), "
                "set_config('therapia.practice_id', '', false)", [previous])


def set_practice(practice_id: int) -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT set_config('therapia.practice_id', %s, false)", [str(practice_id)])
