"""A clinician opens a client's outcome page in Chromium on a phone-sized screen: the chart
is drawn, the table alternative is there for screen readers and shows on demand, the client
version reads in plain words, and both pages pass axe-core's WCAG 2.1 A/AA rules."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from therapia.accounts.models import Role
from therapia.e2e.helpers import accessibility_violations, make_clinic, sign_in
from therapia.measures.tests.outcome_data import make_episode, weekly_course

pytestmark = pytest.mark.urls("therapia.measures.tests.outcomes_urls")


def test_clinician_sees_the_chart_and_its_table(live_url: str, page: Page) -> None:
    clinic = make_clinic(role=Role.CLINICIAN)
    # Demo-like: a course of weekly sessions with a PHQ-9 and a GAD-7 before each; the
    # PHQ-9 stalls (not on track), the GAD-7 improves.
    episode = make_episode(clinic.client, opened_on=dt.date(2026, 1, 2))
    weekly_course(episode, clinic.membership, [19, 18, 19, 18, 19, 18],
                  [14, 12, 11, 9, 8, 7])
    sign_in(page, live_url, clinic)
    page.goto(f"{live_url}/measures/clients/{clinic.client.public_id}/outcomes/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Outcomes: Zora")
    chart = page.get_by_role("img", name="PHQ-9 scores over time")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] <= 390  # type: ignore[index]  # fits the phone
    expect(page.get_by_text("Not on track", exact=True)).to_be_visible()
    table = page.get_by_role("table", name="PHQ-9 scores in this episode")
    expect(table).to_be_attached()  # read by screen readers, visually hidden until asked
    holder = page.locator("#chart-1-clinician-table")
    assert holder.bounding_box()["width"] <= 1  # type: ignore[index]
    page.get_by_role("link", name="Show the PHQ-9 scores as a table").click()
    expect(table).to_be_visible()
    assert holder.bounding_box()["width"] > 300  # type: ignore[index]
    expect(table.get_by_role("row")).to_have_count(7)
    expect(table).to_contain_text("Worse than expected")
    found = {"outcomes": accessibility_violations(page)}
    page.get_by_role("link", name="Open the client version").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your progress")
    expect(page.locator("figcaption", has_text="Your scores have gone down from 14 to 7")
           ).to_be_visible()
    expect(page.get_by_role("img", name="Your GAD-7 scores")).to_be_visible()
    found["client version"] = accessibility_violations(page)
    assert {name: v for name, v in found.items() if v} == {}
    assert page.problems == [], page.problems  # type: ignore[attr-defined]
