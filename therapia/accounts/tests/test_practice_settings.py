"""The people page, roles and memberships: who sees what, owner-only actions, audit, HTMX rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from therapia.accounts import selectors, services
from therapia.accounts.models import Membership, Profession, Role
from therapia.audit.models import Action, AuditEvent
from therapia.core import factories
from therapia.core.testing import Personas

PEOPLE = reverse("practice:people")
TODAY = dt.date(2026, 3, 2)


def role_url(membership: Membership) -> str:
    return reverse("practice:member_role", args=[membership.public_id])


def active_url(membership: Membership) -> str:
    return reverse("practice:member_active", args=[membership.public_id])


def row_html(body: str, membership: Membership) -> str:
    start = body.index(f'<tr id="member-{membership.public_id}"')
    return body[start:body.index("</tr>", start)]


@pytest.mark.parametrize("persona", ["owner", "colleague", "front_desk", "researcher"])
def test_every_member_sees_their_practice_and_no_other(personas: Personas, as_user,
                                                       persona: str) -> None:
    response = as_user(getattr(personas, persona).user).get(PEOPLE)
    assert response.status_code == 200
    body = response.content.decode()
    for name in ("Alice", "Bob", "Erin", "Tara", "Sam", "Rhea"):
        assert name in body
    assert "Charlie" not in body
    assert "charlie@example.org" not in body
    assert "!!INVALID" not in body
    can_change = 'name="role"' in body
    assert can_change is (persona == "owner")


def test_outsider_sees_only_their_own_practice(personas: Personas, as_user) -> None:
    body = as_user(personas.outsider.user).get(PEOPLE).content.decode()
    assert "Charlie" in body
    assert "Alice" not in body


def test_people_page_query_count_does_not_grow(personas: Personas, as_user,
                                               django_assert_num_queries) -> None:
    def add_practitioner() -> None:
        member = factories.MembershipFactory.create(practice=personas.practice)
        profile = factories.PractitionerFactory.create(user=member.user)
        factories.LicenceFactory.create_batch(2, practitioner=profile)

    add_practitioner()
    http = as_user(personas.owner.user)
    http.get(PEOPLE)  # warm the session
    with django_assert_num_queries(12) as first:  # 4 for the session, user, device, actor;
        # 3 for the row-level-security context; 2 for the members and their licences;
        # 3 to save the session
        http.get(PEOPLE)
    for _ in range(10):
        add_practitioner()
    with django_assert_num_queries(len(first.captured_queries)):
        response = http.get(PEOPLE)
    assert response.content.decode().count('<tr id="member-') == 6 + 11


def test_people_selector_is_two_queries(personas: Personas, django_assert_num_queries) -> None:
    for _ in range(5):
        member = factories.MembershipFactory.create(practice=personas.practice)
        factories.LicenceFactory.create(practitioner=factories.PractitionerFactory.create(user=member.user))
    with django_assert_num_queries(2):
        rows = selectors.people_for(actor=personas.actor("colleague"), today=TODAY)
        for row in rows:  # everything the template touches
            assert row.membership.user.display_name
            assert isinstance(row.can_prescribe, bool)
            assert all(s.summary for s in row.licences)


@pytest.mark.parametrize("name", ["person", "member_role", "member_active", "licence_add",
                                  "ce_add"])
def test_outsider_gets_404_for_a_member_of_another_practice(personas: Personas, as_user,
                                                            name: str) -> None:
    factories.PractitionerFactory.create(user=personas.colleague.user)
    http = as_user(personas.outsider.user)  # Charlie owns his own practice
    url = reverse(f"practice:{name}", args=[personas.colleague.public_id])
    assert http.get(url).status_code == 404
    assert http.post(url, {"role": Role.OWNER, "is_active": "false"}).status_code == 404
    personas.colleague.refresh_from_db()
    assert personas.colleague.role == Role.CLINICIAN and personas.colleague.is_active


def test_outsider_gets_404_for_a_licence_or_ce_entry_of_another_practice(personas: Personas,
                                                                         as_user) -> None:
    profile = factories.PractitionerFactory.create(user=personas.owner.user)
    licence = factories.LicenceFactory.create(practitioner=profile)
    entry = services.ce_entry_create(actor=personas.actor("owner"), practitioner=profile, data={
        "title": "Trauma-focused CBT", "provider": "", "completed_on": dt.date(2025, 5, 1),
        "hours": 3})
    http = as_user(personas.outsider.user)
    for url in (reverse("practice:licence_edit", args=[licence.public_id]),
                reverse("practice:ce_edit", args=[entry.public_id])):
        assert http.get(url).status_code == 404
        assert http.post(url, {}).status_code == 404


@pytest.mark.parametrize("persona", ["colleague", "front_desk", "supervisor", "trainee"])
def test_non_owner_gets_404_on_owner_only_actions(personas: Personas, as_user,
                                                  persona: str) -> None:
    http = as_user(getattr(personas, persona).user)
    target = personas.researcher
    assert http.get(role_url(target)).status_code == 404
    assert http.post(role_url(target), {"role": Role.OWNER}).status_code == 404
    assert http.get(active_url(target)).status_code == 404
    assert http.post(active_url(target), {"is_active": "false"}).status_code == 404
    target.refresh_from_db()
    assert target.role == Role.RESEARCHER and target.is_active
    assert not AuditEvent.objects.filter(action=Action.UPDATE).exists()


def test_service_refuses_a_non_owner(personas: Personas) -> None:
    with pytest.raises(PermissionDenied):
        services.membership_change_role(actor=personas.actor("colleague"),
                                        membership=personas.researcher, role=Role.OWNER)
    with pytest.raises(PermissionDenied):  # an owner, but of another practice
        services.membership_set_active(actor=personas.actor("outsider"),
                                       membership=personas.researcher, is_active=False)


def test_role_change_is_audited_with_the_field_name_only(personas: Personas, as_user) -> None:
    response = as_user(personas.owner.user).post(role_url(personas.colleague),
                                                 {"role": Role.SUPERVISOR})
    assert response.status_code == 302
    assert response["Location"] == PEOPLE
    personas.colleague.refresh_from_db()
    assert personas.colleague.role == Role.SUPERVISOR
    row = AuditEvent.objects.get(action=Action.UPDATE)
    assert row.fields == ["role"]
    assert row.object_type == "accounts.Membership"
    assert row.object_id == str(personas.colleague.public_id)
    assert row.actor_user_id == personas.owner.user.pk
    assert row.practice_id == personas.practice.pk
    assert "supervisor" not in str(row.__dict__).lower()  # names, never values
    assert "clinician" not in str(row.__dict__).lower()


def test_role_page_works_without_javascript(personas: Personas, as_user) -> None:
    response = as_user(personas.owner.user).get(role_url(personas.colleague))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<select name="role"' in body and "Change role of Bob" in body


def test_last_owner_cannot_be_demoted(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    response = http.post(role_url(personas.owner), {"role": Role.CLINICIAN})
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_role_error"' in body
    assert "at least one active owner" in body
    personas.owner.refresh_from_db()
    assert personas.owner.role == Role.OWNER
    assert not AuditEvent.objects.filter(action=Action.UPDATE).exists()


def test_last_owner_refusal_over_htmx_returns_the_row_with_the_error(personas: Personas,
                                                                     as_user) -> None:
    response = as_user(personas.owner.user).post(
        role_url(personas.owner), {"role": Role.CLINICIAN}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="member-{personas.owner.public_id}"')
    assert "at least one active owner" in body
    assert 'aria-invalid="true"' in body


def test_an_owner_can_step_down_once_there_is_another(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    assert http.post(role_url(personas.colleague), {"role": Role.OWNER}).status_code == 302
    assert http.post(role_url(personas.owner), {"role": Role.CLINICIAN}).status_code == 302
    personas.owner.refresh_from_db()
    assert personas.owner.role == Role.CLINICIAN


def test_an_inactive_owner_does_not_count_as_another_owner(personas: Personas) -> None:
    factories.MembershipFactory.create(practice=personas.practice, role=Role.OWNER, is_active=False)
    with pytest.raises(ValidationError):
        services.membership_change_role(actor=personas.actor("owner"),
                                        membership=personas.owner, role=Role.CLINICIAN)


def test_unknown_role_is_refused(personas: Personas, as_user) -> None:
    response = as_user(personas.owner.user).post(role_url(personas.colleague),
                                                 {"role": "superuser"})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    personas.colleague.refresh_from_db()
    assert personas.colleague.role == Role.CLINICIAN


def test_htmx_role_change_returns_only_that_row(personas: Personas, as_user) -> None:
    response = as_user(personas.owner.user).post(
        role_url(personas.colleague), {"role": Role.SUPERVISOR}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode().strip()
    assert body.startswith(f'<tr id="member-{personas.colleague.public_id}"')
    assert body.endswith("</tr>")
    assert body.count("<tr") == 1
    assert "<html" not in body and "Alice" not in body
    assert '<option value="supervisor" selected>' in body


def test_deactivate_and_reactivate_a_member(personas: Personas, as_user, client) -> None:
    http = as_user(personas.owner.user)
    assert http.post(active_url(personas.colleague), {"is_active": "false"}).status_code == 302
    personas.colleague.refresh_from_db()
    assert not personas.colleague.is_active
    body = http.get(PEOPLE).content.decode()
    assert "Inactive" in row_html(body, personas.colleague)
    assert "Reactivate" in row_html(body, personas.colleague)
    assert http.post(active_url(personas.colleague), {"is_active": "true"}).status_code == 302
    assert Membership.objects.get(pk=personas.colleague.pk).is_active
    rows = AuditEvent.objects.filter(action=Action.UPDATE, object_type="accounts.Membership")
    assert [r.fields for r in rows] == [["is_active"], ["is_active"]]


def test_a_deactivated_member_can_no_longer_open_the_practice(personas: Personas,
                                                              as_user) -> None:
    services.membership_set_active(actor=personas.actor("owner"), membership=personas.colleague,
                                   is_active=False)
    assert as_user(personas.colleague.user).get(PEOPLE).status_code == 404


def test_last_owner_cannot_deactivate_themselves(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    response = http.post(active_url(personas.owner), {"is_active": "false"})
    assert response.status_code == 422
    assert "at least one active owner" in response.content.decode()
    htmx = http.post(active_url(personas.owner), {"is_active": "false"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 422
    assert htmx.content.decode().lstrip().startswith("<tr")
    personas.owner.refresh_from_db()
    assert personas.owner.is_active


def test_htmx_deactivation_swaps_the_row(personas: Personas, as_user) -> None:
    response = as_user(personas.owner.user).post(
        active_url(personas.front_desk), {"is_active": "false"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="member-{personas.front_desk.public_id}"')
    assert "Reactivate" in body


def test_person_page_is_read_only_for_colleagues(personas: Personas, as_user) -> None:
    profile = factories.PractitionerFactory.create(
        user=personas.owner.user, profession=Profession.CLINICAL_PSYCHOLOGIST,
        credentials="DClinPsy")
    licence = factories.LicenceFactory.create(practitioner=profile)
    url = reverse("practice:person", args=[personas.owner.public_id])
    body = as_user(personas.colleague.user).get(url).content.decode()
    assert "Clinical psychologist" in body and "DClinPsy" in body and licence.number in body
    assert reverse("practice:licence_edit", args=[licence.public_id]) not in body
    assert reverse("practice:licence_add", args=[personas.owner.public_id]) not in body


def test_every_settings_page_renders_cleanly(personas: Personas, as_user) -> None:
    profile = factories.PractitionerFactory.create(user=personas.colleague.user)
    licence = factories.LicenceFactory.create(
        practitioner=profile, cycle_starts_on=dt.date(2025, 1, 1), ce_hours_required=20)
    entry = services.ce_entry_create(actor=personas.actor("colleague"), practitioner=profile,
                                     data={"title": "Ethics", "provider": "BPS",
                                           "completed_on": dt.date(2025, 6, 1), "hours": 2})
    urls = [
        PEOPLE,
        reverse("practice:person", args=[personas.colleague.public_id]),
        reverse("practice:person", args=[personas.front_desk.public_id]),  # no profile
        role_url(personas.colleague), active_url(personas.colleague),
        reverse("practice:licence_add", args=[personas.colleague.public_id]),
        reverse("practice:licence_edit", args=[licence.public_id]),
        reverse("practice:ce_add", args=[personas.colleague.public_id]),
        reverse("practice:ce_edit", args=[entry.public_id]),
    ]
    http = as_user(personas.owner.user)
    for url in urls:
        response = http.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "!!INVALID" not in body, url
        assert ' style="' not in body, url


def test_changing_a_role_needs_a_recent_confirmation(personas: Personas, as_user) -> None:
    import time

    from therapia.accounts.step_up import STEP_UP_AT

    http = as_user(personas.owner.user)
    session = http.session
    session[STEP_UP_AT] = int(time.time()) - 3600  # confirmed an hour ago
    session.save()
    url = reverse("practice:member_role", args=[personas.colleague.public_id])
    response = http.post(url, {"role": "supervisor"})
    assert response.status_code == 303
    assert response["Location"].startswith(reverse("accounts:confirm"))
    personas.colleague.refresh_from_db()
    assert personas.colleague.role == "clinician"
