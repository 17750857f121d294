"""Diagnoses: code lists offline, the search, one active primary per episode, status
transitions, dates, history, audit rows and 404s."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from therapia.audit.models import AuditEvent
from therapia.clinical import icd, services
from therapia.clinical.models import Diagnosis, DiagnosisChange, IcdCode
from therapia.clinical.tests.conftest import Clinical

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def add(c: Clinical, code: str = "F32.A", rank: str = "primary", **extra: object) -> Diagnosis:
    values: dict[str, object] = {"system": "icd10cm", "status": "confirmed",
                                 "diagnosed_on": TODAY()}
    values.update(extra)
    return services.diagnosis_add(actor=c.actor("owner"), episode=c.episode, code=code,
                                  rank=rank, **values)  # type: ignore[arg-type]


def test_both_code_lists_are_loaded() -> None:
    cm = IcdCode.objects.filter(system="icd10cm")
    assert cm.count() > 1000 and cm.filter(selectable=True).count() > 800
    assert cm.get(code="F32.A").title == "Depression, unspecified"
    assert not cm.get(code="F32").selectable
    assert IcdCode.objects.filter(system="icd11").count() == 860
    assert IcdCode.objects.get(system="icd11", code="6B40").title.startswith("Post")


@pytest.mark.parametrize(("query", "system", "expected"), [
    ("F32.A", "icd10cm", "F32.A"),
    ("f32a", "icd10cm", "F32.A"),
    ("f43.1", "icd10cm", "F43.10"),
    ("panic", "icd10cm", "F41.0"),
    ("generalized anxiety", "icd10cm", "F41.1"),
    ("6B40", "icd11", "6B40"),
    ("post traumatic", "icd11", "6B40"),
    ("single episode depress", "icd11", "6A70"),
])
def test_search_by_code_prefix_or_title_words(query: str, system: str, expected: str) -> None:
    codes = [c.code for c in icd.search(query, system=system)]
    assert expected in codes


def test_search_puts_code_matches_first_and_is_bounded() -> None:
    found = list(icd.search("F4", system="icd10cm"))
    assert len(found) == icd.MAX_RESULTS and all(c.code.startswith("F4") for c in found)
    assert list(icd.search("", system="icd10cm")) == []
    assert list(icd.search("zzzz qqqq")) == []


def test_add_a_primary_then_a_secondary(clinical: Clinical) -> None:
    primary = add(clinical)
    secondary = add(clinical, "F41.1", "secondary", onset_on=TODAY() - dt.timedelta(days=400))
    assert primary.title == "Depression, unspecified" and secondary.rank == "secondary"
    assert DiagnosisChange.objects.filter(diagnosis=primary, revision=1).exists()


def test_icd11_codes_are_recorded(clinical: Clinical) -> None:
    diagnosis = add(clinical, "6B40", system="icd11")
    assert diagnosis.system == "icd11" and "stress" in diagnosis.title.lower()


def test_unknown_and_category_codes_are_refused_by_name(clinical: Clinical) -> None:
    with pytest.raises(ValidationError) as unknown:
        add(clinical, "F99.99X")
    assert "F99.99X is not a code of ICD-10-CM" in unknown.value.message_dict["code"][0]
    with pytest.raises(ValidationError) as category:
        add(clinical, "F32")
    assert "F32 is a category" in category.value.message_dict["code"][0]
    with pytest.raises(ValidationError):
        add(clinical, "F32.A", system="icd11")  # a code of the other list
    assert not Diagnosis.objects.exists()


def test_one_active_primary_per_episode(clinical: Clinical) -> None:
    first = add(clinical)
    with pytest.raises(ValidationError) as refused:
        add(clinical, "F41.1")
    assert "F32.A" in refused.value.message_dict["rank"][0]
    with pytest.raises(IntegrityError), transaction.atomic():  # the database agrees
        Diagnosis.objects.create(practice=clinical.p.practice, client=clinical.p.dana,
                                 episode=clinical.episode, system="icd10cm", code="F41.1",
                                 title="x", rank="primary", status="confirmed",
                                 diagnosed_on=TODAY(), recorded_by=clinical.p.owner)
    services.diagnosis_update(actor=clinical.actor("owner"), diagnosis=first,
                              data={"status": "resolved"}, seen_revision=1)
    assert add(clinical, "F41.1").rank == "primary"  # a resolved primary frees the place


def test_dates_are_checked(clinical: Clinical) -> None:
    with pytest.raises(ValidationError) as future:
        add(clinical, diagnosed_on=TODAY() + dt.timedelta(days=1))
    assert "diagnosed_on" in future.value.message_dict
    with pytest.raises(ValidationError) as order:
        add(clinical, onset_on=TODAY(), diagnosed_on=TODAY() - dt.timedelta(days=3))
    assert "onset_on" in order.value.message_dict


def test_status_follows_the_transition_table(clinical: Clinical) -> None:
    owner = clinical.actor("owner")
    diagnosis = add(clinical, status="provisional")
    with pytest.raises(ValidationError) as refused:
        services.diagnosis_update(actor=owner, diagnosis=diagnosis,
                                  data={"status": "in_remission"}, seen_revision=1)
    assert "can become" in refused.value.message_dict["status"][0]
    updated, changed = services.diagnosis_update(actor=owner, diagnosis=diagnosis,
                                                 data={"status": "entered_in_error"},
                                                 seen_revision=1)
    assert changed == ["status"] and updated.revision == 2
    with pytest.raises(PermissionDenied):  # entered in error is final
        services.diagnosis_update(actor=owner, diagnosis=updated,
                                  data={"status": "confirmed"}, seen_revision=2)


def test_a_stale_edit_is_refused(clinical: Clinical) -> None:
    diagnosis = add(clinical)
    services.diagnosis_update(actor=clinical.actor("trainee"), diagnosis=diagnosis,
                              data={"rank": "secondary"}, seen_revision=1)
    with pytest.raises(services.EditConflict):
        services.diagnosis_update(actor=clinical.actor("owner"), diagnosis=diagnosis,
                                  data={"status": "resolved"}, seen_revision=1)


@pytest.mark.parametrize("who", ["colleague", "front_desk", "researcher", "outsider"])
def test_only_the_care_team_adds(clinical: Clinical, who: str) -> None:
    with pytest.raises(PermissionDenied):
        services.diagnosis_add(actor=clinical.actor(who), episode=clinical.episode,
                               system="icd10cm", code="F32.A", rank="primary",
                               diagnosed_on=TODAY())


def test_audit_rows(clinical: Clinical) -> None:
    diagnosis = add(clinical)
    services.diagnosis_update(actor=clinical.actor("owner"), diagnosis=diagnosis,
                              data={"status": "in_remission"}, seen_revision=1)
    rows = list(AuditEvent.objects.filter(object_id=str(diagnosis.public_id))
                .order_by("seq").values_list("action", "fields"))
    assert rows[0][0] == "create" and "code" in rows[0][1]
    assert rows[1] == ("update", ["status"])


# ------------------------------------------------------------------------------ the pages

def test_the_page_searches_then_adds(clinical: Clinical, as_user) -> None:
    http = as_user(clinical.p.owner.user)
    url = reverse("clinical:diagnoses", args=[clinical.p.dana.public_id])
    found = http.post(url, {"action": "search", "q": "panic", "system": "icd10cm"})
    assert found.status_code == 200 and b'value="icd10cm:F41.0"' in found.content
    added = http.post(url, {"action": "add", "system": "icd10cm", "code": "icd10cm:F41.0",
                            "rank": "primary", "status": "provisional",
                            "diagnosed_on": TODAY().isoformat(), "form_token": "t1"})
    assert added.status_code == 302
    assert Diagnosis.objects.get().code == "F41.0"
    page = http.get(url)
    assert b"F41.0" in page.content and b"Panic disorder" in page.content


def test_the_page_refuses_an_unknown_code_beside_the_field(clinical: Clinical,
                                                         as_user) -> None:
    http = as_user(clinical.p.owner.user)
    response = http.post(reverse("clinical:diagnoses", args=[clinical.p.dana.public_id]),
                         {"action": "add", "system": "icd10cm", "code": "Q99.9",
                          "rank": "primary", "status": "provisional",
                          "diagnosed_on": TODAY().isoformat()})
    assert response.status_code == 422
    assert b"Q99.9 is not a code of ICD-10-CM" in response.content
    assert not Diagnosis.objects.exists()


def test_the_type_ahead_answers_a_partial(clinical: Clinical, as_user) -> None:
    http = as_user(clinical.p.owner.user)
    response = http.get(reverse("clinical:icd_search"), {"q": "6B4", "system": "icd11"},
                        headers={"HX-Request": "true"})
    assert response.status_code == 200 and b"icd11:6B40" in response.content
    assert b"<html" not in response.content
    desk = as_user(clinical.p.front_desk.user)
    assert desk.get(reverse("clinical:icd_search"), {"q": "F3"}).status_code == 404


def test_the_diagnosis_page_edits_and_keeps_history(clinical: Clinical, as_user) -> None:
    diagnosis = add(clinical)
    http = as_user(clinical.p.owner.user)
    url = reverse("clinical:diagnosis", args=[diagnosis.public_id])
    response = http.post(url, {"revision": "1", "rank": "primary", "status": "in_remission",
                               "diagnosed_on": TODAY().isoformat()})
    assert response.status_code == 302
    assert DiagnosisChange.objects.filter(diagnosis=diagnosis).count() == 2
    bad = http.post(url, {"revision": "2", "rank": "primary", "status": "in_remission",
                          "diagnosed_on": "2026-02-31"})
    assert bad.status_code == 422 and b"Enter a real date" in bad.content


@pytest.mark.parametrize("who", ["colleague", "outsider", "front_desk", "researcher"])
def test_a_diagnosis_is_404_for_those_off_the_care_team(clinical: Clinical, as_user,
                                                         who: str) -> None:
    diagnosis = add(clinical)
    http = as_user(clinical.member(who).user)
    url = reverse("clinical:diagnosis", args=[diagnosis.public_id])
    assert http.get(url).status_code == 404
    assert http.post(url, {"revision": "1", "rank": "secondary", "status": "confirmed",
                           "diagnosed_on": TODAY().isoformat()}).status_code == 404
    diagnosis.refresh_from_db()
    assert diagnosis.rank == "primary"


def test_the_list_page_pins_its_queries(clinical: Clinical, as_user,
                                        django_assert_max_num_queries) -> None:
    for code, rank in (("F32.A", "primary"), ("F41.1", "secondary"), ("F40.10", "secondary")):
        add(clinical, code, rank)
    http = as_user(clinical.p.owner.user)
    url = reverse("clinical:diagnoses", args=[clinical.p.dana.public_id])
    http.get(url)
    with django_assert_max_num_queries(24):
        http.get(url)
