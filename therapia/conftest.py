"""Test database on PostgreSQL, created and migrated by the owner role; tests run as the
application role, exactly as the app does. Each test process uses its own clone of the
migrated template (therapia/core/testdb.py). Personas live in therapia/core/testing.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections

from therapia.core import testdb
from therapia.core.testing import *  # noqa: F403 (persona fixtures)


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment: Any, django_db_blocker: Any) -> Iterator[None]:
    name = f"test_therapia_{os.getpid()}"
    with django_db_blocker.unblock():
        testdb.clone(name)
        testdb.use(name)
    yield
    with django_db_blocker.unblock():
        connections.close_all()
        testdb.drop(name)
