"""Idle timeout (default 15 minutes) and absolute session lifetime (default 12 hours), both
from settings. The clock is moved with time_machine; the sign-in is the real two-step one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.conf import settings
from django.test import Client as HttpClient
from django.test import override_settings

from therapia.accounts.middleware import TIMED_OUT_MESSAGE
from therapia.accounts.tests.test_sign_in import (
    SIGN_IN,
    STAFF_PAGE,
    TWO_FACTOR,
    confirmed_device,
    is_signed_in,
    password_step,
    totp_code,
)
from therapia.core.testing import Personas

START = dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def signed_in(
    personas: Personas, client: HttpClient, clock: time_machine.Traveller
) -> HttpClient:
    """Alice, through both steps of sign-in, at START."""
    device = confirmed_device(personas.owner.user)
    password_step(client, "alice@example.org")
    assert client.post(TWO_FACTOR, {"code": totp_code(device)}).status_code == 302
    assert client.get(STAFF_PAGE).status_code == 200
    return client


def _assert_signed_out(http: HttpClient, path: str = STAFF_PAGE) -> None:
    response = http.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"{SIGN_IN}?next={path}"
    assert not is_signed_in(http)
    page = http.get(response["Location"])
    assert page.status_code == 200
    assert TIMED_OUT_MESSAGE in page.content.decode()
    # and staying signed out: the next staff page also goes to sign-in
    assert http.get(path)["Location"].startswith(SIGN_IN)


def test_defaults_are_15_minutes_and_12_hours() -> None:
    assert settings.SESSION_IDLE_TIMEOUT_MINUTES == 15
    assert settings.SESSION_MAX_AGE_HOURS == 12


def test_idle_for_16_minutes_signs_out(
    signed_in: HttpClient, clock: time_machine.Traveller
) -> None:
    clock.shift(dt.timedelta(minutes=16))
    _assert_signed_out(signed_in)


def test_idle_for_14_minutes_stays_signed_in(
    signed_in: HttpClient, clock: time_machine.Traveller
) -> None:
    clock.shift(dt.timedelta(minutes=14))
    assert signed_in.get(STAFF_PAGE).status_code == 200
    # activity restarts the idle clock: another 14 minutes is still fine
    clock.shift(dt.timedelta(minutes=14))
    assert signed_in.get(STAFF_PAGE).status_code == 200


def test_activity_does_not_extend_past_12_hours(
    signed_in: HttpClient, clock: time_machine.Traveller
) -> None:
    for _ in range(12 * 6):  # every 10 minutes, for exactly 12 hours
        clock.shift(dt.timedelta(minutes=10))
        assert signed_in.get(STAFF_PAGE).status_code == 200
    clock.shift(dt.timedelta(minutes=10))
    _assert_signed_out(signed_in)


def test_htmx_request_after_timeout_gets_hx_redirect(
    signed_in: HttpClient, clock: time_machine.Traveller
) -> None:
    clock.shift(dt.timedelta(minutes=16))
    response = signed_in.get(STAFF_PAGE, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == SIGN_IN
    assert b"Dana" not in response.content
    assert not is_signed_in(signed_in)


@override_settings(SESSION_IDLE_TIMEOUT_MINUTES=5)
def test_idle_timeout_is_configurable(
    signed_in: HttpClient, clock: time_machine.Traveller
) -> None:
    clock.shift(dt.timedelta(minutes=4))
    assert signed_in.get(STAFF_PAGE).status_code == 200
    clock.shift(dt.timedelta(minutes=6))
    _assert_signed_out(signed_in)


@override_settings(SESSION_MAX_AGE_HOURS=1)
def test_absolute_lifetime_is_configurable(
    signed_in: HttpClient, clock: time_machine.Traveller
) -> None:
    for _ in range(6):
        clock.shift(dt.timedelta(minutes=10))
        assert signed_in.get(STAFF_PAGE).status_code == 200
    clock.shift(dt.timedelta(minutes=10))
    _assert_signed_out(signed_in)


def test_timeout_also_applies_before_the_second_factor(
    personas: Personas, client: HttpClient, clock: time_machine.Traveller
) -> None:
    confirmed_device(personas.owner.user)
    password_step(client, "alice@example.org")
    clock.shift(dt.timedelta(minutes=16))
    response = client.get(TWO_FACTOR)
    assert response["Location"].startswith(SIGN_IN)
    assert not is_signed_in(client)
