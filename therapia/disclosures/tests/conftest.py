"""The disclosure rules compare calendar days (signed on, revoked on, disclosed on). The
tests describe "an hour ago" and "today", which are different days in the first hour
after midnight; they run at noon of the real day, so they mean what they say whenever
the suite runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine


@pytest.fixture(autouse=True)
def _at_noon() -> Iterator[None]:
    noon = dt.datetime.combine(dt.datetime.now(dt.UTC).date(), dt.time(12), tzinfo=dt.UTC)
    with time_machine.travel(noon, tick=True):
        yield
