"""Sign-in with e-mail and password: hashing, the route to the second factor, lock-out,
sign-out and where we go next. Real requests through the test client; nothing mocked."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from html.parser import HTMLParser
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from therapia import settings as production_settings
from therapia.accounts.models import User
from therapia.audit.models import Action, AuditEvent
from therapia.core.factories import TEST_PASSWORD
from therapia.core.testing import Personas

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

SignInAs = Callable[[User], HttpClient]
SIGN_IN = "/accounts/sign-in/"
TWO_FACTOR = "/accounts/two-factor/"
ENROL = "/accounts/two-factor/set-up/"
STAFF_PAGE = "/clients/"


# --- helpers shared by the other sign-in test modules ---------------------------------


def totp_code(device: TOTPDevice, at: float | None = None) -> str:
    """The code an authenticator app shows now, computed from the device's own key."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    """A code that is not valid in any step the device accepts (now, one before, one after)."""
    now = time.time()
    valid = {totp_code(device, now + offset * device.step) for offset in (-1, 0, 1)}
    return next(c for c in (f"{n:06d}" for n in range(123456, 999999, 7)) if c not in valid)


def password_step(
    http: HttpClient, email: str, password: str = TEST_PASSWORD, **extra: str
) -> TestResponse:
    return http.post(SIGN_IN, {"username": email, "password": password, **extra})


def confirmed_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def is_signed_in(http: HttpClient) -> bool:
    return "_auth_user_id" in http.session


class _FormAudit(HTMLParser):
    """Collects the inputs that need a label, the labels, and anything CSP would refuse."""

    def __init__(self) -> None:
        super().__init__()
        self.input_ids: list[str] = []
        self.label_fors: set[str] = set()
        self.styled: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "style" in values or tag == "style":
            self.styled.append(tag)
        if tag == "script" and not values.get("src"):
            self.inline_scripts += 1
        if any(name.startswith("on") for name in values):
            self.inline_scripts += 1
        if tag == "input" and values.get("type") not in ("hidden", "submit"):
            self.input_ids.append(values.get("id") or "")
        if tag == "label" and values.get("for"):
            self.label_fors.add(values["for"] or "")


def assert_accessible_and_csp_clean(html: str) -> None:
    audit = _FormAudit()
    audit.feed(html)
    assert audit.input_ids, "expected a form"
    assert all(i and i in audit.label_fors for i in audit.input_ids), audit.input_ids
    assert audit.styled == []
    assert audit.inline_scripts == 0


# --- hashing ---------------------------------------------------------------------------


def test_passwords_are_stored_with_argon2id(personas: Personas) -> None:
    user = personas.owner.user
    assert user.password.startswith("argon2$argon2id$")


def test_production_hasher_is_argon2id_and_signs_in(personas: Personas, client: HttpClient) -> None:
    user = personas.owner.user
    with override_settings(PASSWORD_HASHERS=production_settings.PASSWORD_HASHERS):
        user.set_password("a new long passphrase 42")
        user.save(update_fields=["password"])
        user.refresh_from_db()
        assert user.password.startswith("argon2$argon2id$")
        response = password_step(client, user.email, "a new long passphrase 42")
    assert response.status_code == 302
    assert is_signed_in(client)


# --- the page itself -----------------------------------------------------------------------


def test_sign_in_page_has_labels_and_reset_link(db: None, client: HttpClient) -> None:
    response = client.get(SIGN_IN)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="narrow card"' in html
    assert "Forgot your password?" in html
    assert reverse("accounts:password_reset") in html
    assert_accessible_and_csp_clean(html)


def test_wrong_password_re_renders_with_error_and_is_audited(
    personas: Personas, client: HttpClient
) -> None:
    response = password_step(client, "alice@example.org", "not the password")
    assert response.status_code == 200
    assert b"That e-mail and password do not match an account." in response.content
    assert b'value="alice@example.org"' in response.content  # what was typed stays
    assert not is_signed_in(client)
    row = AuditEvent.objects.get(action=Action.SIGN_IN_FAILED)
    assert row.actor_user_id == personas.owner.user.pk
    assert row.object_type == "session"


def test_unknown_email_gets_the_same_message(db: None, client: HttpClient) -> None:
    response = password_step(client, "nobody@example.org", "whatever it is")
    assert response.status_code == 200
    assert b"That e-mail and password do not match an account." in response.content
    assert AuditEvent.objects.get(action=Action.SIGN_IN_FAILED).actor_user_id is None


def test_malformed_email_shows_error_beside_the_field(db: None, client: HttpClient) -> None:
    response = password_step(client, "not-an-email", "whatever")
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<p class="error" id="id_username_error">[^<]+</p>', html)
    assert 'aria-invalid="true"' in html


def test_email_is_case_insensitive(personas: Personas, client: HttpClient) -> None:
    response = password_step(client, "Alice@Example.org")
    assert response.status_code == 302
    assert is_signed_in(client)


# --- the route to the second factor ----------------------------------------------------------


def test_right_password_goes_to_two_factor_when_enrolled(
    personas: Personas, client: HttpClient
) -> None:
    confirmed_device(personas.owner.user)
    response = password_step(client, "alice@example.org")
    assert response.status_code == 302
    assert response["Location"] == f"{TWO_FACTOR}?next=/"
    assert is_signed_in(client)
    assert AuditEvent.objects.filter(action=Action.SIGN_IN,
                                     actor_user_id=personas.owner.user.pk).count() == 1


def test_right_password_goes_to_enrolment_without_a_device(
    personas: Personas, client: HttpClient
) -> None:
    response = password_step(client, "alice@example.org")
    assert response.status_code == 302
    assert response["Location"] == ENROL


def test_staff_page_before_second_factor_redirects_to_two_factor(
    personas: Personas, client: HttpClient
) -> None:
    confirmed_device(personas.owner.user)
    password_step(client, "alice@example.org")
    response = client.get(STAFF_PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"{TWO_FACTOR}?next=/clients/"
    # the record pages are closed too, and nothing about a client is shown
    overview = client.get(reverse("clients:overview", args=[personas.dana.public_id]))
    assert overview.status_code == 302
    assert overview["Location"].startswith(TWO_FACTOR)


def test_htmx_request_before_second_factor_gets_hx_redirect(
    personas: Personas, client: HttpClient
) -> None:
    confirmed_device(personas.owner.user)
    password_step(client, "alice@example.org")
    response = client.get(STAFF_PAGE, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == TWO_FACTOR
    assert b"Whitfield" not in response.content


def test_signed_out_staff_page_goes_to_sign_in(db: None, client: HttpClient) -> None:
    response = client.get(STAFF_PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)


# --- lock-out ----------------------------------------------------------------------------------


def test_lock_out_after_repeated_failures(personas: Personas, client: HttpClient) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    confirmed_device(personas.owner.user)
    statuses = [password_step(client, "alice@example.org", f"wrong {n}").status_code
                for n in range(limit)]
    # the first four re-render the form; the fifth failure locks the account
    assert statuses == [200] * (limit - 1) + [429]

    response = password_step(client, "alice@example.org")  # the right password
    assert response.status_code == 429
    assert b"Sign-in paused" in response.content
    assert b"15 minutes" in response.content
    assert not is_signed_in(client)
    assert client.get(STAFF_PAGE).status_code == 302

    failed = AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED)
    assert [row.object_type for row in failed] == ["session"] * (limit - 1) + ["lockout"] * 2
    assert {row.actor_user_id for row in failed} == {personas.owner.user.pk}
    assert not AuditEvent.objects.filter(action=Action.SIGN_IN).exists()


def test_lock_out_is_per_account_and_address(personas: Personas, client: HttpClient) -> None:
    for n in range(5):
        password_step(client, "alice@example.org", f"wrong {n}")
    # Bob, from the same address, is not locked out by Alice's failures
    response = password_step(client, "bob@example.org")
    assert response.status_code == 302
    assert is_signed_in(client)


def test_success_before_the_limit_resets_the_count(personas: Personas, client: HttpClient) -> None:
    for n in range(4):
        password_step(client, "alice@example.org", f"wrong {n}")
    assert password_step(client, "alice@example.org").status_code == 302
    client.post(reverse("accounts:sign_out"))
    for n in range(4):
        assert password_step(client, "alice@example.org", f"wrong {n}").status_code == 200


# --- sign-out ------------------------------------------------------------------------------------


def test_sign_out_is_post_only_and_audited(personas: Personas, as_user: SignInAs) -> None:
    http = as_user(personas.owner.user)
    assert http.get(reverse("accounts:sign_out")).status_code == 405
    assert is_signed_in(http)

    response = http.post(reverse("accounts:sign_out"))
    assert response.status_code == 302
    assert response["Location"] == SIGN_IN
    assert not is_signed_in(http)
    assert http.get(STAFF_PAGE).status_code == 302
    row = AuditEvent.objects.get(action=Action.SIGN_OUT)
    assert row.actor_user_id == personas.owner.user.pk
    page = http.get(SIGN_IN)
    assert b"You have signed out." in page.content


# --- where we go next ------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "https:/evil.example", "javascript:alert(1)"],
)
def test_off_site_next_is_refused(personas: Personas, client: HttpClient, target: str) -> None:
    device = confirmed_device(personas.owner.user)
    response = password_step(client, "alice@example.org", next=target)
    assert response["Location"] == f"{TWO_FACTOR}?next=/"

    response = client.post(f"{TWO_FACTOR}?next={target}",
                           {"code": totp_code(device), "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_on_site_next_is_kept_through_both_steps(personas: Personas, client: HttpClient) -> None:
    device = confirmed_device(personas.owner.user)
    page = client.get(f"{SIGN_IN}?next=/clients/")
    assert b'name="next" value="/clients/"' in page.content
    response = password_step(client, "alice@example.org", next="/clients/")
    assert response["Location"] == f"{TWO_FACTOR}?next=/clients/"

    page = client.get(response["Location"])
    assert b'name="next" value="/clients/"' in page.content
    response = client.post(TWO_FACTOR, {"code": totp_code(device), "next": "/clients/"})
    assert response["Location"] == "/clients/"
    assert client.get("/clients/").status_code == 200
