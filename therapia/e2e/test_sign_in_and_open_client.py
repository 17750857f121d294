"""A clinician signs in with a password and a TOTP code, finds a client and opens them."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from therapia.core import factories
from therapia.e2e.helpers import current_code, make_clinic


def test_clinician_signs_in_with_two_factor_and_opens_a_client(
    live_url: str, page: Page
) -> None:
    clinic = make_clinic()
    tag = clinic.tag

    page.goto(f"{live_url}/clients/")
    expect(page).to_have_url(f"{live_url}/accounts/sign-in/?next=/clients/")
    page.get_by_label("E-mail").fill(clinic.membership.user.email)
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_label("Code from your authenticator app").fill(current_code(clinic.device))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Clients", exact=True)).to_be_visible()

    page.get_by_label("Search by name, e-mail or phone").fill(f"quill{tag}")
    result = page.get_by_role("link", name=f"Zora Quill{tag}")
    expect(result).to_be_visible()
    assert f"quill{tag}" not in page.url.lower()  # names never travel in the URL
    result.click()
    expect(page.get_by_role("heading", name=f"Zora Quill{tag}")).to_be_visible()
    expect(page.get_by_role("heading", name="Clinical record")).to_be_visible()
    assert page.problems == [], page.problems  # type: ignore[attr-defined]
