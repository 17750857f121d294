"""A clinician takes a new client from referral to discharge in the browser, and the pages
on the way pass axe-core's WCAG 2.1 A and AA rules on a phone-sized screen."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from playwright.sync_api import Page, expect

from therapia.accounts.models import Role
from therapia.clients.models import Client, EpisodeStatus
from therapia.e2e.helpers import accessibility_violations, make_clinic, sign_in


def ago(days: int) -> str:
    return (timezone.localdate() - dt.timedelta(days=days)).isoformat()


def register_referral(page: Page, live_url: str, family: str) -> None:
    """A referral for someone new, from the waiting list."""
    page.goto(f"{live_url}/clients/waiting-list/")
    page.get_by_role("link", name="Register a referral").click()
    page.get_by_label("Legal first name").fill("Rowan")
    page.get_by_label("Legal last name").fill(family)
    page.get_by_label("Date of birth").fill("1990-06-15")
    page.get_by_label("Referred by").select_option("primary_care")
    page.get_by_label("Referrer's name").fill("Dr Okafor")
    page.get_by_label("Date received").fill(ago(50))
    page.get_by_label("Urgency").select_option("soon")
    page.get_by_label("Reason for referral").fill("Low mood after losing a job.")
    page.get_by_role("button", name="Register the referral").click()
    expect(page.get_by_role("heading", name=f"Rowan {family}")).to_be_visible()
    expect(page.get_by_text("Referral registered")).to_be_visible()


def test_referral_to_discharge(live_url: str, page: Page) -> None:
    clinic = make_clinic()
    family = f"Marsh{clinic.tag}"
    sign_in(page, live_url, clinic)
    register_referral(page, live_url, family)

    # On the waiting list, with the time waited.
    page.goto(f"{live_url}/clients/waiting-list/")
    row = page.get_by_role("row").filter(has_text=family)
    expect(row).to_contain_text("7 weeks, 1 day")
    expect(row).to_contain_text("Soon")
    row.get_by_role("link", name=f"Rowan {family}").click()

    # The episode: assessment, treatment, discharge.
    page.get_by_role("link", name="Record the next step").click()
    expect(page.get_by_role("heading", name="Status: Waiting")).to_be_visible()
    expect(page.get_by_text("Low mood after losing a job.")).to_be_visible()
    page.get_by_label("Date of the assessment").fill(ago(30))
    page.get_by_role("button", name="Record the assessment").click()
    expect(page.get_by_role("heading", name="Status: Assessment")).to_be_visible()

    page.get_by_label("Date of the first treatment session").fill(ago(21))
    page.get_by_role("button", name="Record the first treatment session").click()
    expect(page.get_by_role("heading", name="Status: In treatment")).to_be_visible()
    expect(page.get_by_text("Waited for treatment")).to_be_visible()

    page.get_by_label("Date of discharge").fill(ago(60))  # before the referral: refused
    page.get_by_label("Reason for discharge").select_option("completed")
    page.get_by_role("button", name="Discharge").click()
    expect(page.get_by_text("before the episode opened")).to_be_visible()
    page.get_by_label("Date of discharge").fill(ago(1))
    page.get_by_role("button", name="Discharge").click()
    expect(page.get_by_role("heading", name="Status: Discharged")).to_be_visible()

    # The timeline shows it all, newest first; a filter narrows it (HTMX).
    page.get_by_role("link", name="Timeline").click()
    events = page.locator("#timeline-events li")
    expect(events).to_have_count(4)
    expect(events.nth(0)).to_contain_text("Discharged: Completed treatment")
    expect(events.nth(1)).to_contain_text("First treatment session")
    expect(events.nth(2)).to_contain_text("Assessment")
    expect(events.nth(3)).to_contain_text("Referral received: GP / primary care (Dr Okafor)")
    page.get_by_label("Referral", exact=True).check()
    expect(events).to_have_count(1)
    expect(events.nth(0)).to_contain_text("Referral received")

    client = Client.objects.get(legal_family_name=family)
    episode = client.episodes.get()
    assert episode.status == EpisodeStatus.DISCHARGED and episode.discharge_reason == "completed"
    assert page.problems == [], page.problems  # type: ignore[attr-defined]


def test_referral_pages_meet_wcag_aa(live_url: str, page: Page) -> None:
    clinic = make_clinic(role=Role.OWNER)
    sign_in(page, live_url, clinic)
    found = {}
    page.goto(f"{live_url}/clients/{clinic.client.public_id}/referrals/new/")
    found["referral form"] = accessibility_violations(page)
    page.get_by_label("Date received").fill("")
    page.get_by_role("button", name="Register the referral").click()
    expect(page.get_by_text("Please correct the fields marked below.")).to_be_visible()
    found["referral form with errors"] = accessibility_violations(page)
    page.get_by_label("Date received").fill(ago(20))
    page.get_by_role("button", name="Register the referral").click()
    expect(page.get_by_role("heading", name="Episode of care")).to_be_visible()
    found["overview with episode"] = accessibility_violations(page)
    for name, path in [("waiting list", "/clients/waiting-list/"),
                       ("waiting times", "/clients/waiting-times/"),
                       ("timeline", f"/clients/{clinic.client.public_id}/timeline/")]:
        page.goto(f"{live_url}{path}")
        found[name] = accessibility_violations(page)
    episode = clinic.client.episodes.get()
    page.goto(f"{live_url}/clients/episodes/{episode.public_id}/")
    found["episode"] = accessibility_violations(page)
    page.get_by_label("Date of the assessment").fill(ago(40))  # before the referral
    page.get_by_role("button", name="Record the assessment").click()
    found["episode step with errors"] = accessibility_violations(page)
    failures = {name: v for name, v in found.items() if v}
    assert failures == {}, failures
    assert page.problems == [], page.problems  # type: ignore[attr-defined]
