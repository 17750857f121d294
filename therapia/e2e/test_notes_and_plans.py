"""In Chromium: a clinician writes a SOAP note for a session, signs it and adds an addendum;
a trainee's note waits in the supervisor's queue and is co-signed; a treatment plan with a
goal naming PHQ-9 below 10 and a CBT intervention is written and revised (two versions).
Every page on the way passes axe-core's WCAG 2.1 A/AA rules on a phone-sized screen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from playwright.sync_api import Page, expect

from therapia.accounts.models import Role
from therapia.clients.models import CareRole
from therapia.core import factories
from therapia.e2e.helpers import Clinic, accessibility_violations, make_clinic, sign_in
from therapia.records import note_services
from therapia.records.models import NoteStatus, ProgressNote, TreatmentPlan
from therapia.records.note_templates import Template
from therapia.security.actor import Actor
from therapia.security.models import SupervisionRecord


def test_notes_co_signature_and_plans(live_url: str, page: Page) -> None:
    clinic = make_clinic(role=Role.SUPERVISOR)  # Eve: a supervisor, who also sees clients
    found: dict[str, list[dict[str, Any]]] = {}

    def check(name: str) -> None:
        found[name] = accessibility_violations(page)

    sign_in(page, live_url, clinic)
    write_sign_and_amend(page, live_url, clinic, check)
    co_sign(page, live_url, clinic, check)
    plan_and_revise(page, live_url, clinic, check)
    page.goto(f"{live_url}/records/plans/due/")
    check("plans due")
    failures = {name: v for name, v in found.items() if v}
    assert failures == {}, failures
    assert page.problems == [], page.problems  # type: ignore[attr-defined]


def write_sign_and_amend(page: Page, live_url: str, clinic: Clinic,
                         check: Callable[[str], None]) -> None:
    practice, client = clinic.membership.practice, clinic.client
    session = factories.AppointmentFactory.create(
        practice=practice, clinicians=[clinic.membership], clients=[client],
        starts_at=timezone.now() - dt.timedelta(hours=3))
    notes = f"{live_url}/records/clients/{client.public_id}/notes/"

    # A SOAP note for the session: draft, then signed.
    page.goto(notes)
    check("notes")
    page.get_by_label("Session").select_option(str(session.public_id))
    page.get_by_label("Template").select_option("soap")
    page.get_by_role("button", name="Start the note").click()
    page.get_by_label("Subjective").fill("Reports a calmer week at work.")
    page.get_by_label("Objective").fill("Relaxed, good eye contact.")
    check("new note")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator(".badge", has_text="Draft")).to_be_visible()
    page.get_by_role("link", name="Edit the draft").click()
    page.get_by_role("button", name="Save and sign").click()  # assessment, risk, plan missing
    expect(page.get_by_text("Fill in “Assessment” before signing.")).to_be_visible()
    check("edit with errors")
    page.get_by_label("Assessment").fill("Progressing; cognitive restructuring used.")
    page.get_by_label("Risk").fill("No risk issues.")
    page.get_by_label("Plan", exact=True).fill("Continue the thought record.")
    page.get_by_role("button", name="Save and sign").click()
    expect(page.locator(".badge", has_text="Locked")).to_be_visible()
    page.get_by_label("Addendum").fill("Late entry: the client called to confirm homework.")
    page.get_by_role("button", name="Add the addendum").click()
    expect(page.get_by_text("Late entry: the client called to confirm homework.")).to_be_visible()
    check("signed note")
    note = ProgressNote.objects.get(client=client, author=clinic.membership)
    assert note.status == NoteStatus.LOCKED and note.addenda.count() == 1


def co_sign(page: Page, live_url: str, clinic: Clinic, check: Callable[[str], None]) -> None:
    """A trainee's note waits for Eve, the supervisor of record, who co-signs it."""
    practice, client = clinic.membership.practice, clinic.client
    trainee = factories.MembershipFactory.create(practice=practice, role=Role.TRAINEE)
    factories.CareTeamFactory.create(client=client, membership=trainee, role=CareRole.SECONDARY)
    SupervisionRecord.objects.create(practice=practice, supervisor=clinic.membership,
                                     supervisee=trainee,
                                     starts_on=timezone.localdate() - dt.timedelta(days=30))
    their_session = factories.AppointmentFactory.create(
        practice=practice, clinicians=[trainee], clients=[client],
        starts_at=timezone.now() - dt.timedelta(days=1))
    actor = Actor(user=trainee.user, membership=trainee)
    waiting = note_services.progress_note_create(
        actor=actor, client=client, template=Template.DAP, appointment=their_session,
        sections={"data": "Reported poor sleep.", "assessment": "Sleep hygiene discussed.",
                  "risk": "No risk issues.", "plan": "Sleep diary."})
    note_services.progress_note_sign(actor=actor, note=waiting, seen_revision=1)
    page.goto(f"{live_url}/records/co-signature/")
    check("co-signature queue")
    page.get_by_role("link", name=client.display_name).click()
    page.get_by_role("button", name="Co-sign the note").click()
    expect(page.get_by_text("Nothing is waiting for you.")).to_be_visible()
    waiting.refresh_from_db()
    assert waiting.status == NoteStatus.LOCKED and waiting.cosigned_by == clinic.membership


def plan_and_revise(page: Page, live_url: str, clinic: Clinic,
                    check: Callable[[str], None]) -> None:
    """A treatment plan: PHQ-9 below 10 with CBT, then revised."""
    client = clinic.client
    page.goto(f"{live_url}/records/clients/{client.public_id}/plan/")
    check("no plan yet")
    page.get_by_role("link", name="Write the treatment plan").click()
    page.locator("#id_goal-0-problem").fill("Low mood")
    page.locator("#id_goal-0-goal").fill("Back to seeing friends every week")
    page.locator("#id_goal-0-measure").select_option("phq9")
    page.locator("#id_goal-0-direction").select_option("below")
    page.locator("#id_goal-0-target").fill("10")
    page.locator("#id_goal-0-interventions").select_option(["cbt"])
    review = timezone.localdate() + dt.timedelta(days=60)
    page.get_by_label("Review by").fill(review.isoformat())
    check("plan form")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_text("PHQ-9 below 10")).to_be_visible()
    page.get_by_role("link", name="Back to the plan").click()
    check("plan")
    page.get_by_role("link", name="Revise the plan").click()
    page.locator("#id_goal-0-target").fill("8")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_text("What changed since version 1")).to_be_visible()
    expect(page.get_by_text("PHQ-9 below 8").first).to_be_visible()
    check("plan version with changes")
    plan = TreatmentPlan.objects.get(client=client)
    assert plan.current_number == 2 and plan.versions.count() == 2
