"""Safety plans: immutable versions, the latest is current, conflicts refused, sharing
recorded, crisis lines by jurisdiction, print page, audit rows and 404s."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from therapia.audit.models import AuditEvent
from therapia.clinical import services
from therapia.clinical.crisis_lines import crisis_lines_for
from therapia.clinical.models import SafetyPlanShare, SafetyPlanVersion
from therapia.clinical.sealing import unseal
from therapia.clinical.tests.conftest import Clinical

pytestmark = pytest.mark.django_db
TOKEN = "5b0e7f1c-2d3a-4b5c-8d6e-7f8091a2b3c5"

SECTIONS = {
    "warning_signs": "Not sleeping\nStaying in my room",
    "coping_strategies": "Walk the dog\nCold shower",
    "distraction": "Café on Mill Street",
    "help_people": "Sister Amy 07700 900123",
    "professionals": "Dr Whitfield's practice 020 7946 0000",
    "means_safety": "Tablets kept by Amy",
    "reasons_for_living": "",
}


def save(c: Clinical, based_on: int = 0, **changes: str) -> SafetyPlanVersion:
    return services.safety_plan_save(actor=c.actor("owner"), client=c.p.dana,
                                     sections={**SECTIONS, **changes}, based_on=based_on)


def test_every_save_is_a_new_encrypted_version(clinical: Clinical) -> None:
    first = save(clinical)
    second = save(clinical, based_on=1, warning_signs="Not eating")
    assert (first.number, second.number) == (1, 2)
    assert unseal(SafetyPlanVersion.objects.get(pk=first.pk), "warning_signs").startswith("Not s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT warning_signs FROM clinical_safetyplanversion")
        assert all(b"sleeping" not in bytes(row[0]) for row in cursor.fetchall())


def test_a_plan_written_from_an_old_version_is_refused(clinical: Clinical) -> None:
    save(clinical)
    save(clinical, based_on=1)
    with pytest.raises(services.EditConflict):
        save(clinical, based_on=1)
    assert SafetyPlanVersion.objects.count() == 2


def test_required_steps_are_named(clinical: Clinical) -> None:
    with pytest.raises(ValidationError) as refused:
        save(clinical, warning_signs="  ", means_safety="")
    assert set(refused.value.message_dict) == {"warning_signs", "means_safety"}
    assert not SafetyPlanVersion.objects.exists()


@pytest.mark.parametrize("who", ["colleague", "front_desk", "researcher", "outsider"])
def test_only_the_care_team_writes(clinical: Clinical, who: str) -> None:
    with pytest.raises(PermissionDenied):
        services.safety_plan_save(actor=clinical.actor(who), client=clinical.p.dana,
                                  sections=SECTIONS, based_on=0)


def test_sharing_is_recorded_for_the_current_version_only(clinical: Clinical) -> None:
    old = save(clinical)
    current = save(clinical, based_on=1)
    with pytest.raises(ValidationError):
        services.safety_plan_share(actor=clinical.actor("owner"), version=old)
    share = services.safety_plan_share(actor=clinical.actor("trainee"), version=current)
    assert share.shared_by == clinical.p.trainee
    row = AuditEvent.objects.get(object_id=str(share.public_id))
    assert row.action == "create" and row.fields == ["channel", "version"]


def test_audit_row_names_the_sections(clinical: Clinical) -> None:
    version = save(clinical)
    row = AuditEvent.objects.get(object_id=str(version.public_id), action="create")
    assert "warning_signs" in row.fields and "reasons_for_living" not in row.fields


def test_crisis_lines_by_jurisdiction() -> None:
    assert any(line.contact == "116 123" for line in crisis_lines_for("GB-ENG"))
    assert any("988" in line.contact for line in crisis_lines_for("US-CA"))
    assert crisis_lines_for("ZZ") == ()
    assert all(line.source.startswith("https://") for line in crisis_lines_for("GB"))


# ------------------------------------------------------------------------------ the pages

def test_write_print_and_share_from_the_pages(clinical: Clinical, as_user) -> None:
    http = as_user(clinical.p.owner.user)
    url = reverse("clinical:safety_plan", args=[clinical.p.dana.public_id])
    assert http.get(url).status_code == 200
    response = http.post(url, {**SECTIONS, "based_on": "0", "form_token": TOKEN})
    assert response.status_code == 302
    retried = http.post(url, {**SECTIONS, "based_on": "0", "form_token": TOKEN})
    assert retried.status_code == 302 and SafetyPlanVersion.objects.count() == 1
    version = SafetyPlanVersion.objects.get()
    printable = http.get(reverse("clinical:safety_plan_print", args=[version.public_id]))
    assert printable.status_code == 200
    assert b"Samaritans" in printable.content and b"Walk the dog" in printable.content
    assert b"safety_plan_print.css" in printable.content
    shared = http.post(reverse("clinical:safety_plan_share", args=[version.public_id]))
    assert shared.status_code == 302 and SafetyPlanShare.objects.count() == 1


def test_a_stale_plan_form_is_refused(clinical: Clinical, as_user) -> None:
    save(clinical)
    http = as_user(clinical.p.owner.user)
    url = reverse("clinical:safety_plan", args=[clinical.p.dana.public_id])
    response = http.post(url, {**SECTIONS, "based_on": "0"})
    assert response.status_code == 409 and b"newer version" in response.content
    missing = http.post(url, {**SECTIONS, "based_on": "1", "help_people": ""})
    assert missing.status_code == 422 and b"write at least one line" in missing.content
    assert SafetyPlanVersion.objects.count() == 1


@pytest.mark.parametrize("who", ["colleague", "outsider", "front_desk", "researcher"])
def test_a_version_is_404_for_those_off_the_care_team(clinical: Clinical, as_user,
                                                       who: str) -> None:
    version = save(clinical)
    http = as_user(clinical.member(who).user)
    for name in ("clinical:safety_plan_version", "clinical:safety_plan_print"):
        assert http.get(reverse(name, args=[version.public_id])).status_code == 404
    assert http.post(reverse("clinical:safety_plan_share",
                             args=[version.public_id])).status_code == 404
    assert not SafetyPlanShare.objects.exists()
