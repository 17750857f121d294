"""Licences and continuing education: expiry in words, CE progress per renewal cycle,
prescribing authority, who may add and edit, and bad input."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from therapia.accounts import selectors, services
from therapia.accounts.models import (
    ContinuingEducation,
    Licence,
    LicenceStatus,
    Membership,
    PractitionerProfile,
    Profession,
)
from therapia.audit.models import Action, AuditEvent
from therapia.core import factories
from therapia.core.testing import Personas

TODAY = dt.date(2026, 3, 2)
PEOPLE = reverse("practice:people")
VALID = {
    "regulator": "HCPC", "jurisdiction": "gb", "number": "PYL77001", "status": "active",
    "issued_on": "2024-01-15", "expires_on": "2027-01-14", "cycle_starts_on": "2025-01-15",
    "ce_hours_required": "20",
}


@pytest.fixture(autouse=True)
def frozen_today() -> Iterator[None]:
    """Noon in London on TODAY, so 'today' is the same date in UTC and in the practice."""
    with time_machine.travel(dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC), tick=False):
        yield


def profile_for(membership: Membership,
                profession: Profession = Profession.CLINICAL_PSYCHOLOGIST) -> PractitionerProfile:
    return factories.PractitionerFactory.create(user=membership.user, profession=profession)


def person_url(membership: Membership) -> str:
    return reverse("practice:person", args=[membership.public_id])


def row_html(body: str, membership: Membership) -> str:
    start = body.index(f'<tr id="member-{membership.public_id}"')
    return body[start:body.index("</tr>", start)]


# --- Expiry ---------------------------------------------------------------------------------


def test_licence_expiring_in_30_days_says_so(personas: Personas, as_user) -> None:
    profile = profile_for(personas.colleague)
    factories.LicenceFactory.create(practitioner=profile, regulator="HCPC",
                                    expires_on=TODAY + dt.timedelta(days=30))
    http = as_user(personas.owner.user)
    row = row_html(http.get(PEOPLE).content.decode(), personas.colleague)
    assert "HCPC GB: expires in 30 days" in row
    assert "badge-warn" in row
    page = http.get(person_url(personas.colleague)).content.decode()
    assert "Expires in 30 days" in page


def test_expired_and_current_licences_in_words(personas: Personas, as_user) -> None:
    profile = profile_for(personas.colleague)
    factories.LicenceFactory.create(practitioner=profile, regulator="BACP",
                                    expires_on=dt.date(2026, 2, 1))
    factories.LicenceFactory.create(practitioner=profile, regulator="HCPC",
                                    expires_on=dt.date(2027, 6, 30))
    row = row_html(as_user(personas.owner.user).get(PEOPLE).content.decode(),
                   personas.colleague)
    assert "BACP GB: expired on 1 February 2026" in row
    assert "HCPC GB: current until 30 June 2027" in row


@pytest.mark.parametrize(
    ("expires_on", "status", "state", "summary"),
    [
        (TODAY + dt.timedelta(days=61), LicenceStatus.ACTIVE, "ok", "current until 2 May 2026"),
        (TODAY + dt.timedelta(days=60), LicenceStatus.ACTIVE, "expiring", "expires in 60 days"),
        (TODAY + dt.timedelta(days=1), LicenceStatus.ACTIVE, "expiring", "expires in 1 day"),
        (TODAY, LicenceStatus.ACTIVE, "expiring", "expires today"),
        (TODAY - dt.timedelta(days=1), LicenceStatus.ACTIVE, "expired",
         "expired on 1 March 2026"),
        (None, LicenceStatus.ACTIVE, "ok", "current, no expiry date"),
        (TODAY + dt.timedelta(days=300), LicenceStatus.SUSPENDED, "not_current", "suspended"),
    ],
)
def test_licence_standing(expires_on: dt.date | None, status: str, state: str,
                          summary: str) -> None:
    licence = Licence(regulator="HCPC", jurisdiction="GB", number="1", status=status,
                      expires_on=expires_on)
    standing = selectors.licence_standing(licence, TODAY)
    assert (standing.state, standing.summary) == (state, summary)


def test_licence_warnings_for_lists_only_what_needs_attention(personas: Personas) -> None:
    profile = profile_for(personas.colleague)
    factories.LicenceFactory.create(practitioner=profile, number="OK1",
                                    expires_on=TODAY + dt.timedelta(days=200))
    factories.LicenceFactory.create(practitioner=profile, number="SOON",
                                    expires_on=TODAY + dt.timedelta(days=10))
    factories.LicenceFactory.create(practitioner=profile, number="GONE",
                                    expires_on=TODAY - dt.timedelta(days=10))
    warnings = selectors.licence_warnings_for(user=personas.colleague.user, today=TODAY)
    assert sorted(w.licence.number for w in warnings) == ["GONE", "SOON"]
    assert selectors.licence_warnings_for(user=personas.front_desk.user, today=TODAY) == []


# --- Continuing education -------------------------------------------------------------------


def log_ce(profile: PractitionerProfile, day: dt.date, hours: str) -> ContinuingEducation:
    return ContinuingEducation.objects.create(practitioner=profile, title=f"Course {day}",
                                              completed_on=day, hours=Decimal(hours))


def test_ce_progress_counts_only_the_current_cycle(personas: Personas, as_user) -> None:
    profile = profile_for(personas.colleague)
    licence = factories.LicenceFactory.create(
        practitioner=profile, cycle_starts_on=dt.date(2025, 1, 15),
        expires_on=dt.date(2027, 1, 14), ce_hours_required=Decimal(20))
    log_ce(profile, dt.date(2025, 1, 14), "6")  # the day before the cycle began
    log_ce(profile, dt.date(2025, 1, 15), "10")
    log_ce(profile, dt.date(2026, 2, 20), "2.5")
    progress = selectors.ce_progress(licence, TODAY)
    assert progress.logged == Decimal("12.5")
    assert progress.summary == "12.5 of 20 hours"
    assert not progress.complete
    body = as_user(personas.colleague.user).get(person_url(personas.colleague)).content.decode()
    assert "12.5 of 20 hours" in body
    assert '<progress class="settings-progress" max="20" value="12.5"' in body
    assert "Outside any current renewal cycle" in body  # the 6 hours from before
    assert ' style="' not in body  # the CSP forbids inline styles
    assert "!!INVALID" not in body


def test_ce_progress_stops_at_expiry_and_needs_a_cycle_start(personas: Personas) -> None:
    profile = profile_for(personas.colleague)
    lapsed = factories.LicenceFactory.create(
        practitioner=profile, cycle_starts_on=dt.date(2024, 1, 1),
        expires_on=dt.date(2025, 12, 31), ce_hours_required=Decimal(10))
    no_cycle = factories.LicenceFactory.create(practitioner=profile, cycle_starts_on=None)
    log_ce(profile, dt.date(2025, 6, 1), "4")
    log_ce(profile, dt.date(2026, 1, 5), "3")  # after the lapsed licence expired
    assert selectors.ce_progress(lapsed, TODAY).summary == "4 of 10 hours"
    assert not selectors.ce_progress(no_cycle, TODAY).has_cycle
    assert selectors.ce_progress(no_cycle, TODAY).logged == 0


def test_practitioner_logs_their_own_ce(personas: Personas, as_user) -> None:
    profile_for(personas.colleague)
    url = reverse("practice:ce_add", args=[personas.colleague.public_id])
    response = as_user(personas.colleague.user).post(url, {
        "title": "Supervision skills", "provider": "BPS", "completed_on": "2026-02-27",
        "hours": "3.5"})
    assert response.status_code == 302
    assert response["Location"] == person_url(personas.colleague)
    entry = ContinuingEducation.objects.get()
    assert entry.hours == Decimal("3.5")
    row = AuditEvent.objects.get(action=Action.CREATE, object_type="accounts.ContinuingEducation")
    assert set(row.fields) == {"title", "provider", "completed_on", "hours"}
    assert "Supervision" not in str(row.__dict__)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("completed_on", "2026-03-03", "cannot be in the future"),
        ("completed_on", "2026-02-30", "Enter a real date"),
        ("hours", "0", "Enter more than 0 hours"),
        ("title", "", "This field is required"),
    ],
)
def test_bad_ce_entry_is_refused_beside_the_field(personas: Personas, as_user, field: str,
                                                  value: str, message: str) -> None:
    profile_for(personas.colleague)
    url = reverse("practice:ce_add", args=[personas.colleague.public_id])
    data = {"title": "Ethics", "provider": "", "completed_on": "2026-02-01", "hours": "2",
            field: value}
    response = as_user(personas.colleague.user).post(url, data)
    assert response.status_code == 422
    body = response.content.decode()
    assert f'id="id_{field}_error"' in body and message in body
    assert not ContinuingEducation.objects.exists()


def test_ce_entry_edit_is_audited_with_changed_fields(personas: Personas, as_user) -> None:
    profile = profile_for(personas.colleague)
    entry = log_ce(profile, dt.date(2026, 1, 10), "2")
    url = reverse("practice:ce_edit", args=[entry.public_id])
    response = as_user(personas.owner.user).post(url, {
        "title": entry.title, "provider": "", "completed_on": "2026-01-10", "hours": "2.5"})
    assert response.status_code == 302
    assert AuditEvent.objects.get(action=Action.UPDATE).fields == ["hours"]


# --- Prescribing ----------------------------------------------------------------------------


def test_prescribing_needs_the_profession_and_a_current_licence(personas: Personas,
                                                                as_user) -> None:
    psychiatrist = profile_for(personas.colleague, Profession.PSYCHIATRIST)
    factories.LicenceFactory.create(practitioner=psychiatrist, grants_prescribing=True)
    counsellor = profile_for(personas.supervisor, Profession.COUNSELLOR)
    # The counsellor's licence row wrongly says it allows prescribing.
    factories.LicenceFactory.create(practitioner=counsellor, grants_prescribing=True)
    lapsed = profile_for(personas.trainee, Profession.PSYCHIATRIST)
    factories.LicenceFactory.create(practitioner=lapsed, grants_prescribing=True,
                                    expires_on=TODAY - dt.timedelta(days=1))
    unlicensed = profile_for(personas.owner, Profession.PSYCHIATRIST)
    factories.LicenceFactory.create(practitioner=unlicensed, grants_prescribing=False)
    body = as_user(personas.front_desk.user).get(PEOPLE).content.decode()
    assert "Can prescribe\">Yes</td>" in row_html(body, personas.colleague)
    for member in (personas.supervisor, personas.trainee, personas.owner, personas.researcher):
        assert "Can prescribe\">No</td>" in row_html(body, member)
    assert body.count("Can prescribe\">Yes</td>") == 1


# --- Adding and editing licences ------------------------------------------------------------


def test_owner_adds_a_licence_and_it_is_audited(personas: Personas, as_user) -> None:
    profile_for(personas.colleague)
    url = reverse("practice:licence_add", args=[personas.colleague.public_id])
    response = as_user(personas.owner.user).post(url, {**VALID, "grants_prescribing": "on"})
    assert response.status_code == 302
    licence = Licence.objects.get(number="PYL77001")
    assert licence.jurisdiction == "GB"
    assert licence.practitioner.user == personas.colleague.user
    row = AuditEvent.objects.get(action=Action.CREATE, object_type="accounts.Licence")
    assert {"regulator", "number", "expires_on", "grants_prescribing"} <= set(row.fields)
    assert "PYL77001" not in str(row.__dict__)


def test_practitioner_adds_and_edits_their_own_licence(personas: Personas, as_user) -> None:
    profile_for(personas.colleague)
    http = as_user(personas.colleague.user)
    add = reverse("practice:licence_add", args=[personas.colleague.public_id])
    form = http.get(add)
    assert form.status_code == 200
    assert "!!INVALID" not in form.content.decode()
    assert http.post(add, VALID).status_code == 302
    licence = Licence.objects.get()
    edit = reverse("practice:licence_edit", args=[licence.public_id])
    assert http.post(edit, {**VALID, "status": "provisional"}).status_code == 302
    assert AuditEvent.objects.get(action=Action.UPDATE).fields == ["status"]
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.PROVISIONAL


def test_colleague_cannot_touch_someone_elses_licences(personas: Personas, as_user) -> None:
    profile = profile_for(personas.owner)
    licence = factories.LicenceFactory.create(practitioner=profile)
    profile_for(personas.colleague)
    http = as_user(personas.colleague.user)
    for url in (reverse("practice:licence_add", args=[personas.owner.public_id]),
                reverse("practice:ce_add", args=[personas.owner.public_id]),
                reverse("practice:licence_edit", args=[licence.public_id])):
        assert http.get(url).status_code == 404
        assert http.post(url, VALID).status_code == 404
    assert Licence.objects.count() == 1
    with pytest.raises(PermissionDenied):
        services.licence_create(actor=personas.actor("colleague"), practitioner=profile,
                                data={"regulator": "HCPC", "jurisdiction": "GB",
                                      "number": "X1", "status": "active"})


def test_licence_add_is_404_for_a_member_without_a_practitioner_profile(personas: Personas,
                                                                        as_user) -> None:
    url = reverse("practice:licence_add", args=[personas.front_desk.public_id])
    assert as_user(personas.owner.user).get(url).status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("expires_on", "2023-12-31", "must be after the date of issue"),
        ("issued_on", "2024-02-30", "Enter a real date"),
        ("expires_on", "next year", "Enter a real date"),
        ("number", "TAKEN-1", "already recorded for this regulator and jurisdiction"),
        ("cycle_starts_on", "2027-02-01", "must start before the expiry date"),
        ("ce_hours_required", "-1", "Enter 0 or more hours"),
        ("regulator", "", "This field is required"),
    ],
)
def test_invalid_licence_is_refused_beside_the_field(personas: Personas, as_user, field: str,
                                                     value: str, message: str) -> None:
    factories.LicenceFactory.create(regulator="HCPC", jurisdiction="GB", number="TAKEN-1")
    profile_for(personas.colleague)
    url = reverse("practice:licence_add", args=[personas.colleague.public_id])
    response = as_user(personas.owner.user).post(url, {**VALID, field: value})
    assert response.status_code == 422
    body = response.content.decode()
    assert f'id="id_{field}_error"' in body and message in body
    assert 'aria-invalid="true"' in body
    assert Licence.objects.count() == 1  # only the one made above
    assert not AuditEvent.objects.filter(object_type="accounts.Licence").exists()


def test_editing_a_licence_keeps_its_own_number(personas: Personas, as_user) -> None:
    profile = profile_for(personas.colleague)
    licence = factories.LicenceFactory.create(
        practitioner=profile, regulator="HCPC", jurisdiction="GB", number="PYL77001")
    url = reverse("practice:licence_edit", args=[licence.public_id])
    response = as_user(personas.owner.user).post(url, {**VALID, "ce_hours_required": "30"})
    assert response.status_code == 302
    assert set(AuditEvent.objects.get(action=Action.UPDATE).fields) == {
        "ce_hours_required", "cycle_starts_on", "expires_on", "issued_on"}


def test_service_refuses_expiry_before_issue(personas: Personas) -> None:
    profile = profile_for(personas.colleague)
    with pytest.raises(ValidationError) as refused:
        services.licence_create(actor=personas.actor("colleague"), practitioner=profile, data={
            "regulator": "HCPC", "jurisdiction": "GB", "number": "Z9", "status": "active",
            "issued_on": dt.date(2026, 1, 1), "expires_on": dt.date(2025, 1, 1)})
    assert "expires_on" in refused.value.message_dict
    assert not Licence.objects.exists()
