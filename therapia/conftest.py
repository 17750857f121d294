"""Test database on PostgreSQL, created and migrated by the owner role; tests run as the
application role, exactly as the app does. Personas live in therapia/core/testing.py.

Migrating takes seconds, so the migrated database is kept as a template named after a
fingerprint of the migrations and the lock file; each test process clones it (CREATE
DATABASE ... TEMPLATE), which takes a fraction of a second.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connections
from psycopg import sql

from therapia import dbserver
from therapia.core.testing import *  # noqa: F403 (persona fixtures)

TEMPLATE_PREFIX = "test_therapia_tpl_"


def template_database() -> str:
    """The migrated database each test process clones; tests may clone it too."""
    return f"{TEMPLATE_PREFIX}{migrations_fingerprint()}"


def migrations_fingerprint() -> str:
    digest = hashlib.sha256((dbserver.ROOT / "uv.lock").read_bytes())
    built_by = [dbserver.ROOT / "therapia" / "core" / "grants.py"]  # privileges in the template
    for path in [*built_by, *sorted(dbserver.ROOT.glob("therapia/*/migrations/*.py"))]:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _maintenance(owner: Any) -> psycopg.Connection[Any]:
    params = owner.get_connection_params()
    params["dbname"] = "postgres"
    return psycopg.connect(**params, autocommit=True)


def _ensure_template(owner: Any, template: str) -> None:
    with _maintenance(owner) as conn:
        names = [row[0] for row in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{TEMPLATE_PREFIX}%"])]
    if template in names:
        return
    building = f"{template}_building_{os.getpid()}"
    owner.settings_dict.setdefault("TEST", {})["NAME"] = building
    owner.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    owner.close()
    with _maintenance(owner) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
            sql.Identifier(building), sql.Identifier(template)))
        for stale in names:  # templates of older migrations
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(stale)))


def _use_database(name: str) -> None:
    for alias in ("owner", "default"):
        connections[alias].close()
        connections[alias].settings_dict["NAME"] = name
        settings.DATABASES[alias]["NAME"] = name


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment: Any, django_db_blocker: Any) -> Iterator[None]:
    owner = connections["owner"]
    template = template_database()
    name = f"test_therapia_{os.getpid()}"
    lock_path = dbserver.data_dir() / "test-template.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with django_db_blocker.unblock():
        with lock_path.open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one process builds, the others wait
            _ensure_template(owner, template)
            with _maintenance(owner) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
                conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)))
        _use_database(name)
    yield
    with django_db_blocker.unblock():
        connections.close_all()
        with _maintenance(owner) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
