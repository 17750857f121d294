"""Medications: only prescribers on the care team change the list, others read it; every
change kept; dates validated; audit rows; 404s."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from therapia.accounts.models import Licence
from therapia.audit.models import AuditEvent
from therapia.clinical import policy, services
from therapia.clinical.models import Medication, MedicationChange
from therapia.clinical.tests.conftest import Clinical

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
TOKEN = "5b0e7f1c-2d3a-4b5c-8d6e-7f8091a2b3c4"


def data(c: Clinical, **changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "name": "Sertraline", "dose": "50 mg", "route": "oral", "frequency": "once daily",
        "started_on": TODAY() - dt.timedelta(days=20), "stopped_on": None,
        "prescriber": c.prescriber, "external_prescriber": "", "notes": "Review in 4 weeks"}
    values.update(changes)
    return values


def add(c: Clinical, **changes: object) -> Medication:
    return services.medication_add(actor=c.actor("prescriber"), client=c.p.dana,
                                   data=data(c, **changes))


def test_a_prescriber_adds_changes_and_stops(clinical: Clinical) -> None:
    med = add(clinical)
    actor = clinical.actor("prescriber")
    med, changed = services.medication_update(actor=actor, medication=med,
                                              data={"dose": "100 mg"}, seen_revision=1)
    assert changed == ["dose"]
    med, _ = services.medication_update(actor=actor, medication=med,
                                        data={"stopped_on": TODAY()}, seen_revision=2)
    kinds = list(MedicationChange.objects.filter(medication=med).order_by("revision")
                 .values_list("kind", "dose"))
    assert kinds == [("started", "50 mg"), ("changed", "100 mg"), ("stopped", "100 mg")]
    assert not med.is_current


def test_an_external_prescriber_is_named(clinical: Clinical) -> None:
    med = add(clinical, prescriber=None, external_prescriber="Dr Lee, Mill Road GP")
    assert med.prescriber_name == "Dr Lee, Mill Road GP"
    with pytest.raises(ValidationError) as both:
        add(clinical, external_prescriber="Dr Lee")
    assert "external_prescriber" in both.value.message_dict
    with pytest.raises(ValidationError) as neither:
        add(clinical, prescriber=None)
    assert "prescriber" in neither.value.message_dict


def test_stop_before_start_is_refused(clinical: Clinical) -> None:
    with pytest.raises(ValidationError) as refused:
        add(clinical, stopped_on=TODAY() - dt.timedelta(days=30))
    assert "cannot be before the start date" in refused.value.message_dict["stopped_on"][0]
    med = add(clinical)
    with pytest.raises(ValidationError):
        services.medication_update(actor=clinical.actor("prescriber"), medication=med,
                                   data={"stopped_on": TODAY() - dt.timedelta(days=40)},
                                   seen_revision=1)
    assert Medication.objects.get().stopped_on is None


@pytest.mark.parametrize("who", ["owner", "trainee", "supervisor", "colleague", "front_desk",
                                 "outsider"])
def test_non_prescribers_cannot_change_the_list(clinical: Clinical, who: str) -> None:
    with pytest.raises(PermissionDenied):
        services.medication_add(actor=clinical.actor(who), client=clinical.p.dana,
                                data=data(clinical))


def test_prescribing_needs_a_current_licence_that_grants_it(clinical: Clinical) -> None:
    assert policy.can_change_medications(clinical.actor("prescriber"), clinical.p.dana)
    Licence.objects.filter(practitioner__user=clinical.prescriber.user).update(
        expires_on=TODAY() - dt.timedelta(days=1))
    assert not policy.can_change_medications(clinical.actor("prescriber"), clinical.p.dana)


def test_a_stale_edit_is_refused(clinical: Clinical) -> None:
    med = add(clinical)
    services.medication_update(actor=clinical.actor("prescriber"), medication=med,
                               data={"dose": "75 mg"}, seen_revision=1)
    with pytest.raises(services.EditConflict):
        services.medication_update(actor=clinical.actor("prescriber"), medication=med,
                                   data={"dose": "25 mg"}, seen_revision=1)


def test_audit_rows_name_fields_only(clinical: Clinical) -> None:
    med = add(clinical)
    services.medication_update(actor=clinical.actor("prescriber"), medication=med,
                               data={"frequency": "twice daily"}, seen_revision=1)
    rows = list(AuditEvent.objects.filter(object_id=str(med.public_id)).order_by("seq")
                .values_list("action", "fields"))
    assert rows[0][0] == "create" and "notes" in rows[0][1] and "name" in rows[0][1]
    assert rows[1] == ("update", ["frequency"])
    assert not AuditEvent.objects.filter(fields__icontains="Sertraline").exists()


# ------------------------------------------------------------------------------ the pages

def form(c: Clinical, **changes: str) -> dict[str, str]:
    values = {"name": "Mirtazapine", "dose": "15 mg", "route": "oral",
              "frequency": "at night", "started_on": TODAY().isoformat(),
              "prescriber": str(c.prescriber.public_id), "notes": ""}
    values.update(changes)
    return values


def test_the_prescriber_adds_on_the_page(clinical: Clinical, as_user) -> None:
    http = as_user(clinical.prescriber.user)
    url = reverse("clinical:medications", args=[clinical.p.dana.public_id])
    assert b"Add a medication" in http.get(url).content
    assert http.post(url, {**form(clinical), "form_token": TOKEN}).status_code == 302
    assert http.post(url, {**form(clinical), "form_token": TOKEN}).status_code == 302
    assert Medication.objects.get().name == "Mirtazapine"


def test_bad_dates_on_the_page_are_shown_beside_the_field(clinical: Clinical, as_user) -> None:
    http = as_user(clinical.prescriber.user)
    url = reverse("clinical:medications", args=[clinical.p.dana.public_id])
    response = http.post(url, form(clinical, stopped_on=(TODAY() - dt.timedelta(days=3))
                                   .isoformat()))
    assert response.status_code == 422 and b"cannot be before the start date" in response.content
    assert b'aria-invalid="true"' in response.content
    assert not Medication.objects.exists()


@pytest.mark.parametrize("who", ["owner", "trainee", "supervisor"])
def test_the_rest_of_the_care_team_reads_only(clinical: Clinical, as_user, who: str) -> None:
    med = add(clinical)
    http = as_user(clinical.member(who).user)
    page = http.get(reverse("clinical:medications", args=[clinical.p.dana.public_id]))
    assert page.status_code == 200 and b"Sertraline" in page.content
    assert b"Add a medication" not in page.content and b"Read only" in page.content
    refused = http.post(reverse("clinical:medications", args=[clinical.p.dana.public_id]),
                        form(clinical))
    assert refused.status_code == 403
    one = reverse("clinical:medication", args=[med.public_id])
    assert b"Save the change" not in http.get(one).content
    assert http.post(one, {**form(clinical), "revision": "1"}).status_code == 403
    assert Medication.objects.get().dose == "50 mg"


@pytest.mark.parametrize("who", ["colleague", "outsider", "front_desk", "researcher"])
def test_a_medication_is_404_for_those_off_the_care_team(clinical: Clinical, as_user,
                                                          who: str) -> None:
    med = add(clinical)
    http = as_user(clinical.member(who).user)
    url = reverse("clinical:medication", args=[med.public_id])
    assert http.get(url).status_code == 404
    assert http.post(url, {**form(clinical), "revision": "1"}).status_code == 404


def test_the_list_page_pins_its_queries(clinical: Clinical, as_user,
                                        django_assert_max_num_queries) -> None:
    for name in ("Sertraline", "Quetiapine", "Melatonin"):
        add(clinical, name=name)
    http = as_user(clinical.p.trainee.user)
    url = reverse("clinical:medications", args=[clinical.p.dana.public_id])
    http.get(url)
    with django_assert_max_num_queries(24):
        http.get(url)
