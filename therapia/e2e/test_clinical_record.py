"""In Chromium, on a phone-sized screen: a clinician completes an intake assessment (mental
status all within normal limits except mood), records an ICD-10-CM primary diagnosis found
through the type-ahead search, writes and prints a safety plan; the psychiatrist adds a
medication that the (non-prescribing) clinician then sees read-only. Every page passes
axe-core's WCAG 2.1 A/AA rules, including forms showing their errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Locator, Page, expect

from therapia.accounts.models import Profession, Role
from therapia.clients.models import CareRole, Episode
from therapia.clinical.models import Assessment, Diagnosis, Medication, SafetyPlanVersion
from therapia.core import factories
from therapia.e2e.helpers import Clinic, accessibility_violations, make_clinic, sign_in


def add_psychiatrist(clinic: Clinic) -> Clinic:
    user = factories.UserFactory.create(email=f"e2e-psy-{clinic.tag}@example.org",
                                        display_name="Dr Ravi Psych")
    profile = factories.PractitionerFactory.create(user=user, profession=Profession.PSYCHIATRIST)
    factories.LicenceFactory.create(practitioner=profile, regulator="GMC",
                                    number=f"GMC{clinic.tag}", grants_prescribing=True)
    member = factories.MembershipFactory.create(user=user, practice=clinic.membership.practice,
                                                role=Role.CLINICIAN)
    factories.CareTeamFactory.create(client=clinic.client, membership=member,
                                     role=CareRole.SECONDARY)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return Clinic(membership=member, client=clinic.client, device=device, tag=clinic.tag)


def textbox(page: Page, name: str) -> Locator:
    return page.get_by_role("textbox", name=name, exact=True)


def test_from_assessment_to_medication(  # noqa: PLR0915 (one story, step by step)
        live_url: str, page: Page, browser: Browser) -> None:
    clinic = make_clinic()
    client = clinic.client
    today = timezone.localdate()
    Episode.objects.create(practice=client.practice, client=client,
                           opened_on=today - dt.timedelta(days=21))
    psychiatrist = add_psychiatrist(clinic)
    found: dict[str, list[dict[str, Any]]] = {}
    base = f"{live_url}/clinical/clients/{client.public_id}"
    sign_in(page, live_url, clinic)

    # The intake assessment: a draft, then completed with the all-WNL shortcut.
    page.goto(f"{base}/assessments/")
    found["assessments"] = accessibility_violations(page)
    page.get_by_role("button", name="Start the intake assessment").click()
    textbox(page, "Presenting problems").fill("Low mood and poor sleep since redundancy.")
    page.get_by_role("button", name="Complete and sign").click()  # too early: errors shown
    expect(page.get_by_text("Formulation must be written")).to_be_visible()
    found["assessment with errors"] = accessibility_violations(page)
    page.get_by_label("All within normal limits, except the exceptions marked below").check()
    page.get_by_role("group", name="Mood", exact=True).get_by_label(
        "Exception (describe)").check()
    page.get_by_label("Mood: describe the exception").fill("Low, 3 out of 10.")
    for area in ("Suicide", "Self-harm", "Harm to others", "Safeguarding"):
        page.get_by_label(f"{area}: level").select_option("none")
    textbox(page, "Formulation").fill("Loss of routine; withdrawal maintains low mood.")
    textbox(page, "Recommended treatment").fill("Behavioural activation, 12 sessions.")
    page.get_by_role("button", name="Complete and sign").click()
    expect(page.get_by_text("Assessment completed and signed.")).to_be_visible()
    expect(page.get_by_text("Within normal limits").first).to_be_visible()
    found["assessment completed"] = accessibility_violations(page)
    assessment = Assessment.objects.get(client=client)
    assert assessment.status == "completed" and assessment.mse["mood"] == "exception"
    assert assessment.mse["speech"] == "wnl"

    # A primary diagnosis found through the type-ahead.
    page.goto(f"{base}/diagnoses/")
    page.get_by_role("button", name="Add the diagnosis").click()  # nothing chosen: errors
    expect(page.get_by_text("Find the code and choose it.")).to_be_visible()
    found["diagnoses with errors"] = accessibility_violations(page)
    page.get_by_label("Find a code").fill("recurrent moderate")
    option = page.locator("input[value='icd10cm:F33.1']")
    option.wait_for()
    option.check()
    page.get_by_label("Date of diagnosis").fill(today.isoformat())
    found["diagnoses"] = accessibility_violations(page)
    page.get_by_role("button", name="Add the diagnosis").click()
    expect(page.get_by_role("link", name="F33.1")).to_be_visible()
    assert Diagnosis.objects.get(client=client).rank == "primary"

    # The safety plan, written, then printed.
    page.goto(f"{base}/safety-plan/")
    found["safety plan"] = accessibility_violations(page)
    steps = {"Step 1": "Staying in bed all day", "Step 2": "Walk round the park",
             "Step 3": "The café on the high street", "Step 4": "My sister, 07700 900123",
             "Step 5": "My therapist at the practice", "Step 6": "Partner keeps the tablets"}
    for step, text in steps.items():
        page.get_by_role("textbox", name=step).fill(text)
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_text("Safety plan saved as a new version.")).to_be_visible()
    page.get_by_role("link", name="Printable version").click()
    expect(page.get_by_role("heading", name="My safety plan")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_text("Walk round the park")).to_be_visible()
    expect(page.get_by_text("116 123")).to_be_visible()  # the practice is in England
    expect(page.get_by_text("Back to the safety plan")).to_be_hidden()
    page.emulate_media(media="screen")
    found["printable plan"] = accessibility_violations(page)
    assert SafetyPlanVersion.objects.filter(client=client).count() == 1

    # The psychiatrist adds a medication.
    context = browser.new_context(viewport={"width": 390, "height": 844})
    psy_page = context.new_page()
    sign_in(psy_page, live_url, psychiatrist)
    psy_page.goto(f"{base}/medications/")
    psy_page.get_by_role("button", name="Add the medication").click()  # empty: errors
    expect(psy_page.get_by_text("Write the medicine's name.")).to_be_visible()
    found["medications with errors"] = accessibility_violations(psy_page)
    psy_page.get_by_label("Medicine").fill("Sertraline")
    psy_page.get_by_label("Dose").fill("50 mg")
    psy_page.get_by_label("How often").fill("once daily")
    psy_page.get_by_label("Started on").fill(today.isoformat())
    psy_page.get_by_role("button", name="Add the medication").click()
    expect(psy_page.get_by_text("Medication added.")).to_be_visible()
    found["medications (prescriber)"] = accessibility_violations(psy_page)
    context.close()
    assert Medication.objects.get(client=client).prescriber == psychiatrist.membership

    # The clinician, who cannot prescribe, sees it read-only.
    page.goto(f"{base}/medications/")
    expect(page.get_by_role("link", name="Sertraline")).to_be_visible()
    expect(page.get_by_text("Read only")).to_be_visible()
    expect(page.get_by_role("button", name="Add the medication")).to_have_count(0)
    found["medications (read only)"] = accessibility_violations(page)

    failures = {name: v for name, v in found.items() if v}
    assert failures == {}, failures
    assert page.problems == [], page.problems  # type: ignore[attr-defined]
