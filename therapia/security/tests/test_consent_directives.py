"""Consent directives ("lock-box", ON-1; test T-09): a client withholds their record, or a
part of it, from a named member or a role; the policy enforces it everywhere at once; only
a listed legal basis sets it aside, and that is logged and reviewed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from therapia.audit.models import AuditEvent
from therapia.core.testing import Personas, sign_in
from therapia.security import consent_directives, policy
from therapia.security.models import (
    AccessOverride,
    ConsentDirective,
    OverrideKind,
    RecordCategory,
)

pytestmark = pytest.mark.django_db


def withhold(personas: Personas, category: str = RecordCategory.WHOLE_RECORD, *,
             member=None, role: str = ""):  # type: ignore[no-untyped-def]
    return consent_directives.directive_record(
        actor=personas.actor("owner"), client=personas.dana, category=category,
        blocked_membership=member, blocked_role=role, starts_on=timezone.localdate(),
        ends_on=None)


def overview(personas: Personas) -> str:
    return reverse("clients:overview", args=[personas.dana.public_id])


def test_t09_a_directive_against_a_named_clinician_hides_the_record_from_them_only(
        personas: Personas) -> None:
    withhold(personas, member=personas.trainee)
    tara = sign_in(HttpClient(), personas.trainee.user)
    assert tara.get(overview(personas)).status_code == 404
    assert personas.dana not in policy.clients_visible_to(personas.actor("trainee"))
    assert policy.client_access(personas.actor("trainee"), personas.dana) == policy.Access.NONE
    sam = sign_in(HttpClient(), personas.supervisor.user)
    assert sam.get(overview(personas)).status_code == 200


def test_a_directive_against_a_role_hides_the_record_from_everyone_in_it(
        personas: Personas) -> None:
    withhold(personas, role="front_desk")
    erin = sign_in(HttpClient(), personas.front_desk.user)
    assert erin.get(overview(personas)).status_code == 404
    list_page = erin.post(reverse("clients:list"), {"q": "Whitfield"})
    assert b"No clients match" in list_page.content


def test_a_directive_over_one_part_leaves_the_rest_visible(personas: Personas) -> None:
    withhold(personas, RecordCategory.DIAGNOSES, member=personas.trainee)
    tara = personas.actor("trainee")
    assert policy.can_view_clinical(tara, personas.dana)
    assert not policy.can_view_category(tara, personas.dana, RecordCategory.DIAGNOSES)
    assert policy.can_view_category(tara, personas.dana, RecordCategory.NOTES)
    assert policy.can_view_category(personas.actor("owner"), personas.dana,
                                    RecordCategory.DIAGNOSES)


def test_t08_withdrawing_a_directive_takes_effect_at_once(personas: Personas) -> None:
    directive = withhold(personas, member=personas.trainee)
    tara = sign_in(HttpClient(), personas.trainee.user)
    assert tara.get(overview(personas)).status_code == 404
    alice = sign_in(HttpClient(), personas.owner.user)
    url = reverse("security:directive_revoke", args=[personas.dana.public_id,
                                                     directive.public_id])
    assert alice.post(url).status_code == 302
    assert tara.get(overview(personas)).status_code == 200
    directive.refresh_from_db()
    assert directive.revoked_by == personas.owner  # the row stays, marked


def test_a_directive_in_the_future_or_past_is_not_in_force(personas: Personas) -> None:
    today = timezone.localdate()
    consent_directives.directive_record(
        actor=personas.actor("owner"), client=personas.dana, category="whole_record",
        blocked_membership=personas.trainee, blocked_role="",
        starts_on=today + dt.timedelta(days=1), ends_on=None)
    consent_directives.directive_record(
        actor=personas.actor("owner"), client=personas.dana, category="whole_record",
        blocked_membership=personas.trainee, blocked_role="",
        starts_on=today - dt.timedelta(days=9), ends_on=today - dt.timedelta(days=1))
    assert policy.can_view_clinical(personas.actor("trainee"), personas.dana)


def test_t09_override_needs_a_listed_basis_and_is_logged_and_reviewed(
        personas: Personas) -> None:
    withhold(personas, member=personas.colleague)
    bob = sign_in(HttpClient(), personas.colleague.user)
    data = {"legal_given_name": "Dana", "legal_family_name": "Whitfield",
            "date_of_birth": personas.dana.date_of_birth.isoformat(),
            "reason_code": "MEDICAL_EMERGENCY",
            "reason_text": "Client threatening to harm a named person; police on the phone."}
    refused = bob.post(reverse("security:emergency_access"), data)
    assert refused.status_code == 422 and b"legal bases" in refused.content
    assert not AccessOverride.objects.exists()
    data["reason_code"] = "SIGNIFICANT_RISK_SERIOUS_HARM"
    assert bob.post(reverse("security:emergency_access"), data).status_code == 302
    kinds = set(AccessOverride.objects.values_list("kind", flat=True))
    assert kinds == {OverrideKind.DIRECTIVE, OverrideKind.BREAK_GLASS}
    assert bob.get(overview(personas)).status_code == 200
    assert AuditEvent.objects.filter(legal_basis="SIGNIFICANT_RISK_SERIOUS_HARM").exists()
    assert AccessOverride.objects.filter(reviewed_at__isnull=True).count() == 2


def test_the_directive_form_refuses_bad_input_beside_the_field(personas: Personas) -> None:
    alice = sign_in(HttpClient(), personas.owner.user)
    url = reverse("security:directives", args=[personas.dana.public_id])
    both = alice.post(url, {"category": "notes", "blocked_membership": personas.trainee.pk,
                            "blocked_role": "trainee", "starts_on": "2026-01-02"})
    assert both.status_code == 422 and b"not both" in both.content
    backwards = alice.post(url, {"category": "notes", "blocked_role": "trainee",
                                 "starts_on": "2026-01-02", "ends_on": "2026-01-01"})
    assert backwards.status_code == 422 and b"on or after" in backwards.content
    assert not ConsentDirective.objects.exists()
    created = alice.post(url, {"category": "notes", "blocked_role": "trainee",
                               "starts_on": "2026-01-02"})
    assert created.status_code == 302
    assert AuditEvent.objects.filter(object_type="security.ConsentDirective",
                                     action="create").exists()
    assert alice.get(url).status_code == 200
    assert AuditEvent.objects.filter(object_type="security.ConsentDirective", action="list",
                                     client_id=personas.dana.pk).exists()


@pytest.mark.parametrize(("persona", "status"), [
    ("owner", 200), ("trainee", 200), ("supervisor", 200), ("colleague", 404),
    ("front_desk", 404), ("researcher", 404), ("outsider", 404)])
def test_who_may_record_directives(personas: Personas, persona: str, status: int) -> None:
    http = sign_in(HttpClient(), getattr(personas, persona).user)
    url = reverse("security:directives", args=[personas.dana.public_id])
    assert http.get(url).status_code == status


def test_a_withheld_part_is_a_404_on_its_own_pages_only(personas: Personas) -> None:
    withhold(personas, RecordCategory.DIAGNOSES, member=personas.trainee)
    tara = sign_in(HttpClient(), personas.trainee.user)
    alice = sign_in(HttpClient(), personas.owner.user)
    diagnoses = reverse("clinical:diagnoses", args=[personas.dana.public_id])
    medications = reverse("clinical:medications", args=[personas.dana.public_id])
    assert tara.get(diagnoses).status_code == 404
    assert tara.get(medications).status_code == 200
    assert alice.get(diagnoses).status_code == 200
