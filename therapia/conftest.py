"""Test database on PostgreSQL, created and migrated by the owner role; tests run as the
application role, exactly as the app does. Personas live in therapia/core/testing.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections

from therapia.core.testing import *  # noqa: F403 (persona fixtures)


@pytest.fixture(scope="session")
def django_db_setup(
    django_test_environment: Any,
    django_db_blocker: Any,
    django_db_modify_db_settings: Any,
) -> Iterator[None]:
    with django_db_blocker.unblock():
        owner = connections["owner"]
        # One database per test process, so parallel runs never clobber each other.
        owner.settings_dict.setdefault("TEST", {})["NAME"] = f"test_therapia_{os.getpid()}"
        original = owner.settings_dict["NAME"]
        name = owner.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        default = connections["default"]
        default.close()
        default.settings_dict["NAME"] = name
    yield
    with django_db_blocker.unblock():
        default.close()
        owner.creation.destroy_test_db(original, verbosity=0)
