"""The second factor: TOTP codes, backup codes and first-time enrolment (django-otp).

Codes are computed the way an authenticator app does, from the device's own key."""

from __future__ import annotations

import base64
import datetime as dt
import re

import time_machine
from django.test import Client as HttpClient
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from therapia.accounts import two_factor
from therapia.accounts.tests.test_sign_in import (
    ENROL,
    STAFF_PAGE,
    TWO_FACTOR,
    assert_accessible_and_csp_clean,
    confirmed_device,
    is_signed_in,
    password_step,
    totp_code,
    wrong_code,
)
from therapia.audit.models import Action, AuditEvent
from therapia.core.testing import Personas

BACKUP_CODES = "/accounts/two-factor/backup-codes/"
CODE_ERROR = re.compile(r'<p class="error" id="id_code_error">([^<]+)</p>')
CODE_ITEM = re.compile(r"<li><code>([0-9a-f]{10})</code></li>")


def _is_verified(http: HttpClient) -> bool:
    return http.get(STAFF_PAGE).status_code == 200


# --- verifying at sign-in ---------------------------------------------------------------------


def test_two_factor_page_is_accessible(personas: Personas, client: HttpClient) -> None:
    confirmed_device(personas.owner.user)
    password_step(client, "alice@example.org")
    response = client.get(TWO_FACTOR)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="narrow card"' in html
    assert 'autocomplete="one-time-code"' in html
    assert "Whitfield" not in html
    assert 'class="topbar"' not in html  # no navigation before the second factor
    assert_accessible_and_csp_clean(html)


def test_wrong_code_re_renders_with_error_beside_the_field(
    personas: Personas, client: HttpClient
) -> None:
    device = confirmed_device(personas.owner.user)
    password_step(client, "alice@example.org")
    response = client.post(TWO_FACTOR, {"code": wrong_code(device), "next": "/"})
    assert response.status_code == 200
    found = CODE_ERROR.search(response.content.decode())
    assert found is not None
    assert "not right" in found.group(1)
    assert client.get(STAFF_PAGE).status_code == 302
    assert AuditEvent.objects.filter(action=Action.TWO_FACTOR_FAILED).count() == 1


def test_right_code_verifies_the_session(personas: Personas, client: HttpClient) -> None:
    device = confirmed_device(personas.owner.user)
    password_step(client, "alice@example.org")
    response = client.post(TWO_FACTOR, {"code": totp_code(device), "next": "/clients/"})
    assert response.status_code == 302
    assert response["Location"] == "/clients/"
    page = client.get(STAFF_PAGE)
    assert page.status_code == 200
    assert b"Dana" in page.content  # now the real page, with her client on it


def test_a_code_cannot_be_replayed(personas: Personas, client: HttpClient) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, 10, tzinfo=dt.UTC), tick=False):
        device = confirmed_device(personas.owner.user)
        code = totp_code(device)
        password_step(client, "alice@example.org")
        assert client.post(TWO_FACTOR, {"code": code}).status_code == 302
        client.post("/accounts/sign-out/")

        password_step(client, "alice@example.org")
        response = client.post(TWO_FACTOR, {"code": code})
    assert response.status_code == 200
    assert CODE_ERROR.search(response.content.decode())


def test_repeated_wrong_codes_are_throttled(personas: Personas, client: HttpClient) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, 10, tzinfo=dt.UTC), tick=False) as t:
        device = confirmed_device(personas.owner.user)
        password_step(client, "alice@example.org")
        client.post(TWO_FACTOR, {"code": wrong_code(device)})
        # straight after a failure even the right code is refused, with a clear message
        response = client.post(TWO_FACTOR, {"code": totp_code(device)})
        assert b"Too many wrong codes" in response.content
        assert client.get(STAFF_PAGE).status_code == 302
        t.shift(dt.timedelta(seconds=5))
        assert client.post(TWO_FACTOR, {"code": totp_code(device)}).status_code == 302
        assert _is_verified(client)


def test_a_backup_code_works_once(personas: Personas, client: HttpClient) -> None:
    user = personas.owner.user
    confirmed_device(user)
    first, second, *_ = two_factor.backup_codes_regenerate(user=user)

    with time_machine.travel(dt.datetime.now(tz=dt.UTC), tick=False) as t:
        password_step(client, "alice@example.org")
        assert client.post(TWO_FACTOR, {"code": first.upper()}).status_code == 302
        assert _is_verified(client)
        client.post("/accounts/sign-out/")

        password_step(client, "alice@example.org")
        response = client.post(TWO_FACTOR, {"code": first})
        assert response.status_code == 200
        assert CODE_ERROR.search(response.content.decode())
        assert client.get(STAFF_PAGE).status_code == 302

        # after the short pause django-otp imposes after a failure, another unused code works
        t.shift(dt.timedelta(seconds=2))
        assert client.post(TWO_FACTOR, {"code": second}).status_code == 302
        assert _is_verified(client)
    assert StaticToken.objects.filter(device__user=user).count() == 8
    # backup codes are checked against the backup device only: the app's throttle is untouched
    assert TOTPDevice.objects.get(user=user).throttling_failure_count == 0


# --- enrolment ------------------------------------------------------------


def test_first_sign_in_shows_qr_code_and_secret(personas: Personas, client: HttpClient) -> None:
    response = password_step(client, "alice@example.org")
    assert response["Location"] == ENROL
    response = client.get(ENROL)
    assert response.status_code == 200
    html = response.content.decode()
    device = TOTPDevice.objects.get(user=personas.owner.user)
    assert not device.confirmed
    assert "<svg" in html
    assert 'id="qr-path"' in html
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', html)
    assert secret is not None
    assert base64.b32decode(secret.group(1).replace(" ", "")) == device.bin_key
    assert html.count("<li>") >= 3
    assert_accessible_and_csp_clean(html)
    # visiting again shows the same device, not a new one
    client.get(ENROL)
    assert TOTPDevice.objects.filter(user=personas.owner.user).count() == 1


def test_qr_svg_has_no_style_attribute(personas: Personas) -> None:
    device = two_factor.pending_totp(personas.owner.user)
    svg = two_factor.qr_svg(device)
    assert svg.startswith("<svg ")
    assert "style" not in svg
    assert "<script" not in svg


def test_enrolment_with_right_code_confirms_and_shows_ten_backup_codes(
    personas: Personas, client: HttpClient
) -> None:
    user = personas.owner.user
    password_step(client, "alice@example.org")
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=user)

    response = client.post(ENROL, {"code": totp_code(device)})
    assert response.status_code == 302
    assert response["Location"] == BACKUP_CODES
    device.refresh_from_db()
    assert device.confirmed

    page = client.get(BACKUP_CODES)
    assert page.status_code == 200
    codes = CODE_ITEM.findall(page.content.decode())
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert b"store" in page.content
    stored = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert stored == set(codes)
    assert _is_verified(client)
    assert AuditEvent.objects.filter(object_type="two_factor.totp_device",
                                     actor_user_id=user.pk).count() == 1

    # shown once only
    again = client.get(BACKUP_CODES)
    assert CODE_ITEM.findall(again.content.decode()) == []
    assert b"Make a new set" in again.content


def test_enrolment_with_wrong_code_keeps_device_unconfirmed(
    personas: Personas, client: HttpClient
) -> None:
    password_step(client, "alice@example.org")
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=personas.owner.user)

    response = client.post(ENROL, {"code": wrong_code(device)})
    assert response.status_code == 200
    assert CODE_ERROR.search(response.content.decode())
    assert "<svg" in response.content.decode()  # the QR code is still there to scan
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticDevice.objects.filter(user=personas.owner.user).exists()
    assert client.get(STAFF_PAGE).status_code == 302


def test_enrolled_user_cannot_enrol_again(personas: Personas, client: HttpClient) -> None:
    confirmed_device(personas.owner.user)
    password_step(client, "alice@example.org")
    response = client.get(ENROL)
    assert response["Location"] == TWO_FACTOR


def test_new_set_of_backup_codes_replaces_the_old(personas: Personas, client: HttpClient) -> None:
    user = personas.owner.user
    device = confirmed_device(user)
    old = two_factor.backup_codes_regenerate(user=user)
    password_step(client, "alice@example.org")
    client.post(TWO_FACTOR, {"code": totp_code(device)})

    response = client.post(BACKUP_CODES)
    assert response["Location"] == BACKUP_CODES
    new = CODE_ITEM.findall(client.get(BACKUP_CODES).content.decode())
    assert len(new) == 10
    assert not set(new) & set(old)
    assert AuditEvent.objects.filter(object_type="two_factor.backup_codes").count() == 2

    client.post("/accounts/sign-out/")
    password_step(client, "alice@example.org")
    assert client.post(TWO_FACTOR, {"code": old[0]}).status_code == 200
    assert is_signed_in(client)
    assert client.get(STAFF_PAGE).status_code == 302  # password only: not through


def test_backup_codes_page_needs_the_second_factor(personas: Personas, client: HttpClient) -> None:
    confirmed_device(personas.owner.user)
    password_step(client, "alice@example.org")
    response = client.post(BACKUP_CODES)
    assert response.status_code == 302
    assert response["Location"] == TWO_FACTOR
    assert not StaticDevice.objects.filter(user=personas.owner.user).exists()
