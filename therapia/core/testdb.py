"""Databases for tests and benchmarks: a migrated template, and clones of it.

Migrating takes seconds, so the migrated database is kept as a template named after a
fingerprint of the migrations, the lock file and the grants; a test process or benchmark
clones it (CREATE DATABASE ... TEMPLATE), which takes a fraction of a second.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from django.conf import settings
from django.db import connections
from psycopg import sql

from therapia import dbserver

TEMPLATE_PREFIX = "test_therapia_tpl_"
ALIASES = ("owner", "default")


def migrations_fingerprint() -> str:
    digest = hashlib.sha256((dbserver.ROOT / "uv.lock").read_bytes())
    built_by = [dbserver.ROOT / "therapia" / "core" / "grants.py"]  # privileges in the template
    for path in [*built_by, *sorted(dbserver.ROOT.glob("therapia/*/migrations/*.py"))]:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def template_database() -> str:
    return f"{TEMPLATE_PREFIX}{migrations_fingerprint()}"


def maintenance() -> psycopg.Connection[Any]:
    """An autocommit connection as the owner to the `postgres` database."""
    params = connections["owner"].get_connection_params()
    params["dbname"] = "postgres"
    return psycopg.connect(**params, autocommit=True)


def ensure_template() -> str:
    """Build the template once (under a file lock, so parallel processes wait for it)."""
    template = template_database()
    lock_path = dbserver.data_dir() / "test-template.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with maintenance() as conn:
            names = [row[0] for row in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s",
                [f"{TEMPLATE_PREFIX}%"])]
        if template not in names:
            _build(template, stale=names)
    return template


def _build(template: str, stale: list[str]) -> None:
    owner = connections["owner"]
    building = f"{template}_building_{os.getpid()}"
    owner.settings_dict.setdefault("TEST", {})["NAME"] = building
    owner.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    owner.close()
    with maintenance() as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
            sql.Identifier(building), sql.Identifier(template)))
        for old in stale:  # templates of older migrations, unless another run still uses one
            with contextlib.suppress(psycopg.errors.ObjectInUse):
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(old)))


def clone(name: str) -> None:
    with maintenance() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(ensure_template())))


def drop(name: str) -> None:
    with maintenance() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


def use(name: str) -> None:
    """Point both aliases (and the settings) at `name`."""
    for alias in ALIASES:
        connections[alias].close()
        connections[alias].settings_dict["NAME"] = name
        settings.DATABASES[alias]["NAME"] = name


@contextmanager
def scratch_database(prefix: str, *, keep: bool = False) -> Iterator[str]:
    """A fresh clone of the template, used by both aliases for the duration."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    previous = connections["default"].settings_dict["NAME"]
    connections.close_all()
    clone(name)
    use(name)
    try:
        yield name
    finally:
        connections.close_all()
        use(previous)
        if not keep:
            drop(name)
