"""A new session id whenever the session gains privileges, and none left after sign-out
(ASVS 5.0 7.2.4, 7.4.1): at the password step, again at the second factor (django-otp
alone would keep the id) and at enrolment."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client as HttpClient
from django_otp.plugins.otp_totp.models import TOTPDevice

from therapia.accounts.tests.test_sign_in import (
    ENROL,
    SIGN_IN,
    STAFF_PAGE,
    TWO_FACTOR,
    confirmed_device,
    is_signed_in,
    password_step,
    totp_code,
)
from therapia.core.testing import Personas


def session_id(http: HttpClient) -> str:
    return http.cookies[settings.SESSION_COOKIE_NAME].value


def csrf_token(http: HttpClient) -> str:
    return http.cookies[settings.CSRF_COOKIE_NAME].value


def stored(key: str) -> bool:
    return Session.objects.filter(session_key=key).exists()


def anonymous_session(http: HttpClient) -> str:
    """A session from before signing in, as a visitor would have (e.g. a timed-out one)."""
    session = http.session
    session["seen"] = True
    session.save()
    http.get(SIGN_IN)  # sets the CSRF cookie too
    return session_id(http)


def test_password_step_gives_a_new_session_id(personas: Personas, client: HttpClient) -> None:
    before = anonymous_session(client)
    confirmed_device(personas.owner.user)
    password_step(client, "alice@example.org")
    after = session_id(client)
    assert after != before
    assert not stored(before)
    assert stored(after)


def test_second_factor_gives_another_session_id_and_csrf_token(
    personas: Personas, client: HttpClient
) -> None:
    device = confirmed_device(personas.owner.user)
    anonymous_session(client)
    password_step(client, "alice@example.org")
    password_only, token = session_id(client), csrf_token(client)

    assert client.post(TWO_FACTOR, {"code": totp_code(device)}).status_code == 302
    verified = session_id(client)
    assert verified != password_only
    assert not stored(password_only)
    assert csrf_token(client) != token
    assert client.get(STAFF_PAGE).status_code == 200

    # the password-only session id cannot be replayed to reach the verified session
    replay = HttpClient()
    replay.cookies[settings.SESSION_COOKIE_NAME] = password_only
    assert replay.get(STAFF_PAGE)["Location"].startswith(SIGN_IN)


def test_enrolment_gives_a_new_session_id(personas: Personas, client: HttpClient) -> None:
    password_step(client, "alice@example.org")
    client.get(ENROL)
    before = session_id(client)
    device = TOTPDevice.objects.get(user=personas.owner.user)
    assert client.post(ENROL, {"code": totp_code(device)}).status_code == 302
    assert session_id(client) != before
    assert not stored(before)


def test_sign_out_deletes_the_session_and_the_old_id_is_useless(
    personas: Personas, client: HttpClient
) -> None:
    device = confirmed_device(personas.owner.user)
    password_step(client, "alice@example.org")
    client.post(TWO_FACTOR, {"code": totp_code(device)})
    signed_in = session_id(client)

    client.post("/accounts/sign-out/")
    assert not stored(signed_in)
    assert not is_signed_in(client)

    replay = HttpClient()
    replay.cookies[settings.SESSION_COOKIE_NAME] = signed_in
    response = replay.get(STAFF_PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)
