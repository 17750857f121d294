"""Every page of the shell passes axe-core's WCAG 2.1 A and AA rules, on a phone-sized
screen, including a form showing its errors."""

from __future__ import annotations

from playwright.sync_api import Page

from therapia.accounts.models import Role
from therapia.e2e.helpers import accessibility_violations, make_clinic, sign_in


def test_the_shell_meets_wcag_aa(live_url: str, page: Page) -> None:
    clinic = make_clinic(role=Role.OWNER)
    page.goto(f"{live_url}/accounts/sign-in/")
    found = {"sign-in": accessibility_violations(page)}
    sign_in(page, live_url, clinic)
    overview = f"/clients/{clinic.client.public_id}/"
    for name, path in [("agenda", "/agenda/"), ("clients", "/clients/"),
                       ("overview", overview), ("edit", f"{overview}edit/"),
                       ("care team", f"{overview}care-team/"), ("people", "/settings/")]:
        page.goto(f"{live_url}{path}")
        found[name] = accessibility_violations(page)
    page.goto(f"{live_url}/clients/new/")
    page.get_by_role("button", name="Save").click()  # empty form: errors beside fields
    found["form with errors"] = accessibility_violations(page)
    failures = {name: v for name, v in found.items() if v}
    assert failures == {}, failures
    assert page.problems == [], page.problems  # type: ignore[attr-defined]


def test_keyboard_alone_reaches_a_client(live_url: str, page: Page) -> None:
    clinic = make_clinic()
    sign_in(page, live_url, clinic)
    page.goto(f"{live_url}/clients/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    for _ in range(10):  # onward to the search box, whatever lies between
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "q":
            break
    page.keyboard.type(f"quill{clinic.tag}")
    page.keyboard.press("Enter")
    page.get_by_role("link", name=f"Zora Quill{clinic.tag}").wait_for()
    # Typing also triggers the search-as-you-type request; let it land before tabbing, or
    # its swap can replace the results (and the focus) midway.
    page.wait_for_load_state("networkidle")
    for _ in range(15):  # onward to the result
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == f"Zora Quill{clinic.tag}":
            break
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/clients/{clinic.client.public_id}/")
