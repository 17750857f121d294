"""Done when (issue 6): a client with a risk answer produces an alert that a clinician
acknowledges in the browser. The client answers a PHQ-9 on a phone through their private
link (item 9 = "Several days"), sees crisis resources at once; the clinician signs in, sees
the alert, and acknowledges it with an action. axe-core WCAG 2.1 AA on every page."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Browser, Page, expect

from therapia.accounts.models import Role
from therapia.clients.models import Episode, EpisodeStatus
from therapia.e2e.helpers import accessibility_violations, make_clinic, sign_in
from therapia.measures import administrations
from therapia.measures.models import AlertAction, AlertStatus, RiskAlert
from therapia.security.actor import Actor

pytestmark = pytest.mark.urls("therapia.measures.tests.measures_urls")

# PHQ-9 answers by item: 0 Not at all, 1 Several days, 2 More than half the days.
ANSWERS = {1: 2, 2: 2, 3: 1, 4: 2, 5: 1, 6: 1, 7: 1, 8: 0, 9: 1}


def test_a_risk_answer_reaches_the_clinician_who_acknowledges_it(
        live_url: str, page: Page, browser: Browser) -> None:
    clinic = make_clinic(role=Role.OWNER)
    episode = Episode.objects.create(practice=clinic.membership.practice, client=clinic.client,
                                     opened_on=dt.date(2026, 1, 5),
                                     status=EpisodeStatus.IN_TREATMENT)
    issued = administrations.administration_create(
        actor=Actor(user=clinic.membership.user, membership=clinic.membership),
        episode=episode, instrument="phq9", with_link=True)
    found: dict[str, object] = {}

    # The client, on a phone (the page fixture is 390 x 844), no account.
    page.goto(f"{live_url}/portal/q/{issued.token}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("PHQ-9")
    found["questionnaire"] = accessibility_violations(page)
    page.get_by_role("button", name="Send my answers").click()  # nothing answered yet
    expect(page.get_by_role("alert")).to_contain_text("Question 1: please choose an answer.")
    found["questionnaire with errors"] = accessibility_violations(page)
    for item, value in ANSWERS.items():
        page.locator(f"#item_{item}_{value}").check()
    expect(page.locator("#save-status")).to_contain_text("Saved at")  # HTMX, as they go
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="If you are struggling right now")).to_be_visible()
    expect(page.get_by_role("link", name="116 123")).to_have_attribute("href", "tel:116123")
    found["thank you with crisis lines"] = accessibility_violations(page)

    alert = RiskAlert.objects.get(client=clinic.client)
    assert alert.status == AlertStatus.OPEN and alert.assigned_to == clinic.membership

    # The clinician, on their own device.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    desk = context.new_page()
    sign_in(desk, live_url, clinic)
    desk.goto(f"{live_url}/measures/alerts/")
    found["alerts"] = accessibility_violations(desk)
    desk.get_by_role("link", name=f"Zora Quill{clinic.tag}").click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("Risk alert")
    expect(desk.get_by_text("Item 9 (thoughts of death or self-harm)")).to_be_visible()
    found["alert"] = accessibility_violations(desk)
    desk.get_by_role("button", name="Acknowledge the alert").click()  # no action chosen
    expect(desk.get_by_role("alert")).to_be_visible()
    found["alert with errors"] = accessibility_violations(desk)
    desk.get_by_label("Contacted the client").check()
    desk.get_by_label("Note", exact=True).fill("Phoned at once; safe, seeing her tomorrow.")
    desk.get_by_role("button", name="Acknowledge the alert").click()
    expect(desk.get_by_text("Acknowledged by Eve Tester")).to_be_visible()
    context.close()

    alert.refresh_from_db()
    assert (alert.status, alert.action) == (AlertStatus.ACKNOWLEDGED,
                                            AlertAction.CONTACTED_CLIENT)
    failures = {name: v for name, v in found.items() if v}
    assert failures == {}, failures
    assert page.problems == [], page.problems  # type: ignore[attr-defined]
