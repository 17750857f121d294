"""A clinician signs in with a password and a TOTP code, finds a client and opens them."""

from __future__ import annotations

import uuid

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from therapia.accounts.models import Role
from therapia.clients.models import CareRole
from therapia.core import factories


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def test_clinician_signs_in_with_two_factor_and_opens_a_client(
    live_url: str, page: Page
) -> None:
    tag = uuid.uuid4().hex[:8]
    user = factories.UserFactory.create(email=f"e2e-{tag}@example.org", display_name="Eve Tester")
    membership = factories.MembershipFactory.create(user=user, role=Role.CLINICIAN)
    client = factories.ClientFactory.create(practice=membership.practice, legal_given_name="Zora",
                                     legal_family_name=f"Quill{tag}")
    factories.CareTeamFactory.create(client=client, membership=membership, role=CareRole.PRIMARY)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)

    page.goto(f"{live_url}/clients/")
    expect(page).to_have_url(f"{live_url}/accounts/sign-in/?next=/clients/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_label("Code from your authenticator app").fill(current_code(device))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Clients", exact=True)).to_be_visible()

    page.get_by_label("Search by name, e-mail or phone").fill(f"quill{tag}")
    result = page.get_by_role("link", name=f"Zora Quill{tag}")
    expect(result).to_be_visible()
    assert f"quill{tag}" not in page.url.lower()  # names never travel in the URL
    result.click()
    expect(page.get_by_role("heading", name=f"Zora Quill{tag}")).to_be_visible()
    expect(page.get_by_role("heading", name="Clinical record")).to_be_visible()
    assert not [p for p in page.problems if "Content Security Policy" in p], page.problems  # type: ignore[attr-defined]
