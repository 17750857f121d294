"""A clinician records a duty-to-warn disclosure with its document in Chromium, and the
client's accounting of disclosures shows it; the disclosure pages pass axe-core's WCAG 2.1
A and AA rules on a phone-sized screen, including the form showing its errors."""

from __future__ import annotations

from playwright.sync_api import FilePayload, Page

from therapia.disclosures.models import Disclosure
from therapia.e2e.helpers import accessibility_violations, make_clinic, sign_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_lc1_duty_to_warn_with_a_document_reaches_the_accounting(live_url: str,
                                                                  page: Page) -> None:
    clinic = make_clinic()
    sign_in(page, live_url, clinic)
    base = f"{live_url}/disclosures/clients/{clinic.client.public_id}/"
    found = {}
    page.goto(base)
    found["disclosures"] = accessibility_violations(page)
    page.get_by_role("link", name="Record a disclosure").click()
    found["form"] = accessibility_violations(page)
    page.get_by_role("button", name="Record the disclosure").click()  # nothing chosen yet
    page.get_by_text("Choose the legal basis for this disclosure.").first.wait_for()
    found["form with errors"] = accessibility_violations(page)

    page.get_by_label("Legal basis").select_option("DUTY_TO_PROTECT")
    page.get_by_label("Recipient's name").fill("Jordan Reyes")
    page.get_by_label("Address").fill("12 Elm Street, Springfield")
    page.get_by_label("Identity and contact details").check()
    page.get_by_label("Assessments and risk assessments").check()
    page.locator("#id_purpose").fill("Warned the named person of a serious threat")
    letter: FilePayload = {"name": "warning-letter.pdf", "mimeType": "application/pdf",
                           "buffer": PDF}
    page.get_by_label("Supporting document").set_input_files(files=[letter])
    page.get_by_role("button", name="Record the disclosure").click()
    page.get_by_role("heading", name="What went where, and why").wait_for()
    found["disclosure"] = accessibility_violations(page)
    assert page.get_by_text("45 CFR 164.512(j)(1)(i)").count() >= 1
    assert page.get_by_role("link", name="Download the document").count() == 1
    disclosure = Disclosure.objects.get(client=clinic.client)
    assert disclosure.documents.get().size == len(PDF)

    page.goto(f"{base}accounting/")
    found["accounting"] = accessibility_violations(page)
    table = page.locator("table.accounting")
    assert "Jordan Reyes" in table.inner_text()
    assert "Warned the named person of a serious threat" in table.inner_text()
    page.get_by_role("link", name="Printable report").click()
    page.get_by_role("heading", name="Accounting of disclosures").wait_for()
    found["printable accounting"] = accessibility_violations(page)
    assert "Jordan Reyes" in page.locator("table.accounting").inner_text()

    page.goto(f"{base}authorisations/new/")
    found["authorisation form"] = accessibility_violations(page)
    failures = {name: v for name, v in found.items() if v}
    assert failures == {}, failures
    assert page.problems == [], page.problems  # type: ignore[attr-defined]
