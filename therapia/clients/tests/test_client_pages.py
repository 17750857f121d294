"""Client list, overview, registration and editing: access, audit and bad input."""

from __future__ import annotations

import pytest
from django.urls import reverse

from therapia.audit.models import Action, AuditEvent
from therapia.clients.models import Client
from therapia.core import factories
from therapia.core.testing import Personas

VALID = {
    "legal_given_name": "Noor", "legal_family_name": "Haddad", "preferred_name": "",
    "pronouns": "she/her", "date_of_birth": "1991-03-02", "email": "noor@example.net",
    "phone": "+44 7700 900123", "address": "", "language": "en",
    "emergency_contact_name": "", "emergency_contact_phone": "",
    "emergency_contact_relationship": "",
}


def overview_url(personas: Personas) -> str:
    return reverse("clients:overview", args=[personas.dana.public_id])


def test_primary_clinician_sees_overview_and_it_is_audited(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    response = http.get(overview_url(personas))
    assert response.status_code == 200
    assert b"Dana Whitfield" in response.content
    assert b"Clinical record" in response.content
    row = AuditEvent.objects.filter(client_id=personas.dana.pk, action=Action.READ).get()
    assert row.actor_user_id == personas.owner.user.pk
    assert row.ip_address == "127.0.0.1"
    assert "date_of_birth" in row.fields
    assert "Dana" not in str(row.__dict__)  # field names only, never values


def test_front_desk_sees_demographics_not_clinical(personas: Personas, as_user) -> None:
    response = as_user(personas.front_desk.user).get(overview_url(personas))
    assert response.status_code == 200
    assert b"Clinical record" not in response.content


def test_list_shows_only_visible_clients(personas: Personas, as_user) -> None:
    response = as_user(personas.colleague.user).get(reverse("clients:list"))
    assert response.status_code == 200
    assert b"Whitfield" not in response.content
    assert b"Outis" not in response.content
    response = as_user(personas.owner.user).get(reverse("clients:list"))
    assert b"Whitfield" in response.content
    assert b"Outis" not in response.content


def test_search_is_posted_and_htmx_gets_only_the_results(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    response = http.post(reverse("clients:list"), {"q": "whit"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Dana Whitfield" in body
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body
    miss = http.post(reverse("clients:list"), {"q": "nobody-by-this-name"})
    assert "No clients match that search." in miss.content.decode()


def test_list_query_count_does_not_grow(personas: Personas, as_user,
                                        django_assert_num_queries) -> None:
    http = as_user(personas.front_desk.user)
    http.get(reverse("clients:list"))  # warm the session
    with django_assert_num_queries(13) as first:
        http.get(reverse("clients:list"))
    factories.ClientFactory.create_batch(15, practice=personas.practice)
    with django_assert_num_queries(len(first.captured_queries)):
        http.get(reverse("clients:list"))


def test_register_client_is_audited_and_makes_clinician_primary(personas: Personas,
                                                               as_user) -> None:
    http = as_user(personas.colleague.user)
    token = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    response = http.post(reverse("clients:create"), {**VALID, "form_token": token})
    client = Client.objects.get(legal_family_name="Haddad")
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:overview", args=[client.public_id])
    assert client.care_team.get().membership == personas.colleague
    row = AuditEvent.objects.get(client_id=client.pk, action=Action.CREATE)
    assert "date_of_birth" in row.fields and "Haddad" not in str(row.fields)


def test_retried_registration_is_stored_once(personas: Personas, as_user) -> None:
    http = as_user(personas.front_desk.user)
    data = {**VALID, "form_token": "0b1f5a3e-4c55-4f7b-a0f4-6d0c1d9e2b11"}
    first = http.post(reverse("clients:create"), data)
    second = http.post(reverse("clients:create"), data)
    assert Client.objects.filter(legal_family_name="Haddad").count() == 1
    assert first["Location"] == second["Location"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", "2999-01-01", "cannot be in the future"),
        ("date_of_birth", "31/31/2020", "Enter a valid date"),
        ("email", "not-an-email", "Enter a valid email address"),
        ("legal_family_name", "", "This field is required"),
    ],
)
def test_bad_input_rerenders_with_error_beside_field(personas: Personas, as_user, field: str,
                                                     value: str, message: str) -> None:
    http = as_user(personas.owner.user)
    response = http.post(reverse("clients:create"), {**VALID, field: value})
    assert response.status_code == 422
    body = response.content.decode()
    assert f'id="id_{field}_error"' in body and message in body
    assert 'aria-invalid="true"' in body
    assert not Client.objects.filter(email="noor@example.net").exists()


def test_edit_is_audited_with_changed_field_names(personas: Personas, as_user) -> None:
    http = as_user(personas.front_desk.user)
    url = reverse("clients:edit", args=[personas.dana.public_id])
    form = http.get(url)
    version = form.context["version"]
    data = {**VALID, "legal_given_name": "Dana", "legal_family_name": "Whitfield",
            "date_of_birth": "1988-04-12", "email": personas.dana.email, "version": version}
    response = http.post(url, data)
    assert response.status_code == 302
    row = AuditEvent.objects.get(client_id=personas.dana.pk, action=Action.UPDATE)
    assert set(row.fields) == {"phone", "pronouns"}


def test_concurrent_edit_is_refused_not_overwritten(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    url = reverse("clients:edit", args=[personas.dana.public_id])
    stale = http.get(url).context["version"]
    base = {**VALID, "legal_given_name": "Dana", "legal_family_name": "Whitfield",
            "date_of_birth": "1988-04-12", "email": personas.dana.email}
    assert http.post(url, {**base, "phone": "+44 7700 900001", "version": stale}).status_code == 302
    response = http.post(url, {**base, "phone": "+44 7700 900002", "version": stale})
    assert response.status_code == 422
    assert "Someone else changed" in response.content.decode()
    personas.dana.refresh_from_db()
    assert personas.dana.phone == "+44 7700 900001"


def test_researcher_cannot_register_clients(personas: Personas, as_user) -> None:
    response = as_user(personas.researcher.user).post(reverse("clients:create"), VALID)
    assert response.status_code == 403
    assert not Client.objects.filter(legal_family_name="Haddad").exists()


def test_signed_out_htmx_request_is_sent_to_sign_in(personas: Personas, client) -> None:
    response = client.post(reverse("clients:list"), {"q": "x"}, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(reverse("accounts:sign_in"))
    plain = client.get(overview_url(personas))
    assert plain.status_code == 302 and plain["Location"].startswith("/accounts/sign-in/")


def test_access_report_link_only_for_those_who_may_see_it(personas: Personas, as_user) -> None:
    link = reverse("audit:client_access", args=[personas.dana.public_id])
    assert link in as_user(personas.owner.user).get(overview_url(personas)).content.decode()
    assert link not in as_user(personas.front_desk.user).get(
        overview_url(personas)).content.decode()
