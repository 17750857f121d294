"""Disclosure pages: who may open what (404 otherwise), bad input beside its field (422,
nothing saved), uploads, downloads, the accounting (AD-2, T-27), audit rows, query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from therapia.audit.models import Action, AuditEvent
from therapia.clients.contributions import client_links, timeline_events
from therapia.clients.models import Client, Episode, EpisodeStatus
from therapia.core import factories
from therapia.core.testing import Personas
from therapia.disclosures import documents, selectors, services
from therapia.disclosures.bases import Basis, Category
from therapia.disclosures.models import (
    Authorisation,
    Disclosure,
    SupportingDocument,
    six_years_before,
)
from therapia.disclosures.tests.helpers import (
    PDF,
    PURPOSE,
    authorise,
    disclosure_input,
    on_authorisation,
    pdf_file,
    pdf_upload,
)

OUTSIDERS = ["colleague", "outsider", "front_desk", "researcher"]


def form_data(**changes: Any) -> dict[str, Any]:
    data = {
        "basis": Basis.DUTY_TO_PROTECT, "jurisdiction": "US-CA",
        "recipient_name": "Jordan Reyes", "recipient_organisation": "",
        "recipient_address": "12 Elm Street", "recipient_contact": "",
        "categories": [Category.DEMOGRAPHICS, Category.ASSESSMENTS], "purpose": PURPOSE,
        "description": "", "disclosed_at": (timezone.localtime() - dt.timedelta(hours=1))
        .strftime("%Y-%m-%dT%H:%M"),
        "client_informed": "", "accounting_suspended_until": "", "shared_record": "",
        "form_token": "6f1b8c3e-8a43-4d0f-9a57-0d3c7b8e1f20",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def new_url(client: Client) -> str:
    return reverse("disclosures:disclosure_new", args=[client.public_id])


@pytest.fixture
def recorded(personas: Personas) -> Disclosure:
    return services.disclosure_record(actor=personas.actor("owner"), client=personas.dana,
                                      data=disclosure_input(document=pdf_upload()))


def test_lc1_a_clinician_records_a_disclosure_with_a_document(personas: Personas,
                                                              as_user) -> None:
    http = as_user(personas.owner.user)
    assert b"Tarasoff" in http.get(new_url(personas.dana)).content
    response = http.post(new_url(personas.dana), form_data(document=pdf_file()))
    disclosure = Disclosure.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("disclosures:disclosure",
                                           args=[disclosure.public_id])
    assert disclosure.documents.get().size == len(PDF)
    page = http.get(response["Location"])
    assert PURPOSE.encode() in page.content and b"Download the document" in page.content


def test_a_retried_submission_is_stored_once(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    first = http.post(new_url(personas.dana), form_data())
    second = http.post(new_url(personas.dana), form_data())
    assert first["Location"] == second["Location"]
    assert Disclosure.objects.count() == 1


@pytest.mark.parametrize(("changes", "field_id", "text"), [
    ({"basis": ""}, "id_basis", "Choose the legal basis"),
    ({"recipient_name": "", "recipient_organisation": ""}, "id_recipient_name",
     "Name the recipient"),
    ({"categories": None}, "id_categories", "Tick at least one"),
    ({"categories": ["genome"]}, "id_categories", "listed parts"),
    ({"purpose": ""}, "id_purpose", "State the purpose"),
    ({"basis": Basis.COURT_ORDER}, "id_document", "Attach the order"),
    ({"document": "text"}, "id_document", "PDF, PNG or JPEG"),
    ({"document": "big"}, "id_document", "the limit is 10 MB"),
])
def test_bad_input_shows_beside_its_field_and_saves_nothing(
        personas: Personas, as_user, changes: dict[str, Any], field_id: str, text: str) -> None:
    if changes.get("document") == "text":
        changes["document"] = pdf_file("notes.pdf", b"just text, not a PDF")
    elif changes.get("document") == "big":
        changes["document"] = pdf_file("big.pdf", PDF + b"0" * documents.MAX_BYTES)
    response = as_user(personas.owner.user).post(new_url(personas.dana), form_data(**changes))
    assert response.status_code == 422
    body = response.content.decode()
    assert text in body
    assert f'id="{field_id}_error"' in body
    assert not Disclosure.objects.exists() and not SupportingDocument.objects.exists()


def test_t07_a_refusal_for_want_of_authorisation_is_shown_and_audited(personas: Personas,
                                                                      as_user) -> None:
    data = form_data(basis=Basis.CLIENT_AUTHORISATION, recipient_name="Dr Lee",
                     recipient_organisation="Northside GP", categories=[Category.DIAGNOSES])
    response = as_user(personas.owner.user).post(new_url(personas.dana), data)
    assert response.status_code == 422
    assert b"No valid authorisation from Dana Whitfield" in response.content
    assert b'role="alert"' in response.content
    denied = AuditEvent.objects.get(action=Action.DENIED, client_id=personas.dana.pk)
    assert "basis:CLIENT_AUTHORISATION" in denied.fields
    assert not Disclosure.objects.exists()


def test_t08_revocation_through_the_page_is_immediate(personas: Personas, as_user) -> None:
    authorisation = authorise(personas.actor("owner"), personas.dana,
                              signed_on=timezone.localdate() - dt.timedelta(days=5))
    http = as_user(personas.owner.user)
    prefilled = http.get(new_url(personas.dana) + f"?from={authorisation.public_id}")
    assert b'value="Northside GP"' in prefilled.content
    revoke = reverse("disclosures:authorisation_revoke", args=[authorisation.public_id])
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    assert http.post(revoke, {"revoked_on": future}).status_code == 422
    assert http.post(revoke, {"revoked_on": timezone.localdate().isoformat()}).status_code == 302
    data = form_data(basis=Basis.CLIENT_AUTHORISATION, recipient_name="Dr Lee",
                     recipient_organisation="Northside GP", categories=[Category.DIAGNOSES])
    response = http.post(new_url(personas.dana), data)
    assert response.status_code == 422 and b"was revoked on" in response.content


def test_an_authorisation_is_recorded_through_its_form(personas: Personas, as_user) -> None:
    url = reverse("disclosures:authorisation_new", args=[personas.dana.public_id])
    http = as_user(personas.owner.user)
    base = {"kind": "general", "recipient_name": "Dr Lee", "recipient_organisation": "",
            "recipient_address": "", "recipient_contact": "",
            "categories": [Category.DIAGNOSES], "purpose": "Continuity of care",
            "signed_on": timezone.localdate().isoformat(),
            "witnessed_by": str(personas.front_desk.public_id), "expires_on": "",
            "expiry_event": "", "shared_record": ""}
    refused = http.post(url, base)
    assert refused.status_code == 422 and b"expiry date or an expiry event" in refused.content
    done = http.post(url, {**base, "expires_on": "2027-06-30", "document": pdf_file("form.pdf")})
    authorisation = Authorisation.objects.get()
    assert done["Location"] == reverse("disclosures:authorisation",
                                       args=[authorisation.public_id])
    assert authorisation.witnessed_by == personas.front_desk
    assert authorisation.documents.count() == 1


def test_the_correction_form_adds_an_entry(personas: Personas, as_user,
                                           recorded: Disclosure) -> None:
    http = as_user(personas.owner.user)
    url = reverse("disclosures:disclosure_correct", args=[recorded.public_id])
    assert b"Jordan Reyes" in http.get(url).content  # prefilled from the original
    response = http.post(url, form_data(recipient_name="Jordan Reyes-Ortiz",
                                        correction_reason="Surname incomplete"))
    assert response.status_code == 302
    assert Disclosure.objects.get(corrects=recorded).recipient_name == "Jordan Reyes-Ortiz"
    assert http.get(url).status_code == 200  # still readable, but cannot be corrected twice
    again = http.post(url, form_data(correction_reason="again", form_token=""))
    assert again.status_code == 422 and b"already been corrected" in again.content


# --- Who may open what ----------------------------------------------------------------


def record_urls(disclosure: Disclosure, authorisation: Authorisation) -> dict[str, str]:
    document = disclosure.documents.get()
    return {
        "disclosure": reverse("disclosures:disclosure", args=[disclosure.public_id]),
        "correct": reverse("disclosures:disclosure_correct", args=[disclosure.public_id]),
        "document": reverse("disclosures:document", args=[document.public_id]),
        "authorisation": reverse("disclosures:authorisation", args=[authorisation.public_id]),
    }


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_record_urls_are_404_outside_the_care_team(personas: Personas, as_user,
                                                   recorded: Disclosure, persona: str) -> None:
    authorisation = authorise(personas.actor("owner"), personas.dana)
    http = as_user(getattr(personas, persona).user)
    for name, url in record_urls(recorded, authorisation).items():
        assert http.get(url).status_code == 404, name
    revoke = reverse("disclosures:authorisation_revoke", args=[authorisation.public_id])
    assert http.post(revoke, {"revoked_on": timezone.localdate().isoformat()}).status_code == 404
    assert http.post(reverse("disclosures:disclosure_correct", args=[recorded.public_id]),
                     form_data(correction_reason="x")).status_code == 404
    assert Disclosure.objects.count() == 1 and not hasattr(authorisation, "revocation")
    assert AuditEvent.objects.filter(actor_user_id=getattr(personas, persona).user.pk,
                                     action=Action.DENIED).count() >= 4


def test_unknown_record_ids_are_404(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    missing = "00000000-0000-4000-8000-000000000000"
    for name in ("disclosure", "disclosure_correct", "document", "authorisation"):
        assert http.get(reverse(f"disclosures:{name}", args=[missing])).status_code == 404


@pytest.mark.parametrize("persona", ["owner", "trainee", "supervisor"])
def test_the_care_team_opens_every_record_url(personas: Personas, as_user,
                                              recorded: Disclosure, persona: str) -> None:
    authorisation = authorise(personas.actor("owner"), personas.dana)
    http = as_user(getattr(personas, persona).user)
    for name, url in record_urls(recorded, authorisation).items():
        assert http.get(url).status_code == 200, name


def test_the_privacy_officer_sees_every_disclosure_but_not_documents(personas: Personas,
                                                                     as_user) -> None:
    """Pat is Bob's client: Alice is not on her team, but as owner she is privacy officer."""
    pat = factories.ClientFactory.create(practice=personas.practice, legal_given_name="Pat")
    factories.CareTeamFactory.create(client=pat, membership=personas.colleague)
    disclosure = services.disclosure_record(actor=personas.actor("colleague"), client=pat,
                                            data=disclosure_input(document=pdf_upload()))
    http = as_user(personas.owner.user)
    assert http.get(reverse("disclosures:client_disclosures",
                            args=[pat.public_id])).status_code == 200
    assert http.get(reverse("disclosures:accounting", args=[pat.public_id])).status_code == 200
    detail = http.get(reverse("disclosures:disclosure", args=[disclosure.public_id]))
    assert detail.status_code == 200 and b"Download the document" not in detail.content
    document = disclosure.documents.get()
    assert http.get(reverse("disclosures:document",
                            args=[document.public_id])).status_code == 404
    assert http.get(new_url(pat)).status_code == 404  # recording needs the care team
    log = http.get(reverse("disclosures:practice_log"))
    assert log.status_code == 200 and b"Jordan Reyes" in log.content
    for persona in ("colleague", "front_desk", "trainee"):
        response = as_user(getattr(personas, persona).user).get(
            reverse("disclosures:practice_log"))
        assert response.status_code == 404


def test_a_download_is_the_file_and_is_audited(personas: Personas, as_user,
                                               recorded: Disclosure) -> None:
    document = recorded.documents.get()
    response = as_user(personas.trainee.user).get(
        reverse("disclosures:document", args=[document.public_id]))
    assert response.status_code == 200 and response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert "no-store" in response["Cache-Control"]
    row = AuditEvent.objects.get(object_id=str(document.public_id), action=Action.READ)
    assert row.actor_user_id == personas.trainee.user.pk and "content" in row.fields


def test_reading_pages_is_audited(personas: Personas, as_user, recorded: Disclosure) -> None:
    http = as_user(personas.owner.user)
    http.get(reverse("disclosures:client_disclosures", args=[personas.dana.public_id]))
    http.get(reverse("disclosures:disclosure", args=[recorded.public_id]))
    http.get(reverse("disclosures:accounting", args=[personas.dana.public_id]))
    rows = AuditEvent.objects.filter(actor_user_id=personas.owner.user.pk,
                                     client_id=personas.dana.pk)
    assert rows.filter(action=Action.LIST, object_type="disclosures.Disclosure").exists()
    assert rows.filter(action=Action.READ, object_id=str(recorded.public_id)).exists()
    assert rows.filter(action=Action.READ, object_type="disclosures.Accounting").exists()
    assert not any(PURPOSE in str(row.fields) for row in rows)


# --- Accounting of disclosures (164.528; AD-2, T-27) -------------------------------------


def test_ad2_the_accounting_covers_six_years_and_skips_exempt_entries(personas: Personas,
                                                                      as_user) -> None:
    alice = personas.actor("owner")
    today = timezone.localdate()
    start = six_years_before(today)

    def noon(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))

    services.disclosure_record(actor=alice, client=personas.dana, data=disclosure_input(
        recipient_name="Inside the window", disclosed_at=noon(start)))
    services.disclosure_record(actor=alice, client=personas.dana, data=disclosure_input(
        recipient_name="Too long ago", disclosed_at=noon(start - dt.timedelta(days=1))))
    services.disclosure_record(actor=alice, client=personas.dana, data=disclosure_input(
        basis=Basis.EMERGENCY, recipient_name="Ambulance crew"))
    authorise(alice, personas.dana, signed_on=today - dt.timedelta(days=1))
    services.disclosure_record(actor=alice, client=personas.dana, data=on_authorisation())
    services.disclosure_record(actor=alice, client=personas.dana, data=disclosure_input(
        recipient_name="Suspended agency", basis=Basis.OVERSIGHT,
        accounting_suspended_until=today + dt.timedelta(days=30)))
    original = services.disclosure_record(actor=alice, client=personas.dana,
                                          data=disclosure_input(recipient_name="Misspelt"))
    services.disclosure_record(actor=alice, client=personas.dana, corrects=original,
                               data=disclosure_input(recipient_name="Spelt right",
                                                     correction_reason="Typo"))
    report = selectors.accounting_for(actor=alice, public_id=personas.dana.public_id)
    assert [row.recipient for row in report.rows] == ["Spelt right", "Inside the window"]
    right = report.rows[0]
    assert right.purpose == PURPOSE and right.corrects is not None
    assert right.released == ["Identity and contact details",
                              "Assessments and risk assessments"]
    assert "164.512(j)(1)(i)" in right.citation
    printable = as_user(personas.owner.user).get(
        reverse("disclosures:accounting_print", args=[personas.dana.public_id]))
    assert printable.status_code == 200
    body = printable.content.decode()
    assert "Spelt right" in body and "Ambulance crew" not in body and "Dr Lee" not in body
    assert "12 Elm Street, Springfield" in body


def test_ad2_a_unit_record_disclosure_is_in_each_members_accounting(personas: Personas) -> None:
    from therapia.clients.models import ClientUnit, UnitMember

    alice = personas.actor("owner")
    unit = ClientUnit.objects.create(practice=personas.practice, kind="couple",
                                     name="Whitfield and Rao")
    ravi = factories.ClientFactory.create(practice=personas.practice, legal_given_name="Ravi")
    factories.CareTeamFactory.create(client=ravi, membership=personas.owner)
    for client in (personas.dana, ravi):
        UnitMember.objects.create(unit=unit, client=client, role="partner")
    services.disclosure_record(actor=alice, client=personas.dana,
                               data=disclosure_input(unit=unit, basis=Basis.COURT_ORDER,
                                                     document=pdf_upload()))
    report = selectors.accounting_for(actor=alice, public_id=ravi.public_id)
    assert [row.record for row in report.rows] == ["Whitfield and Rao"]
    assert report.rows[0].purpose == PURPOSE  # decrypted under Dana's key


# --- Lists: query counts; overview link; timeline ------------------------------------


def test_the_disclosures_page_runs_a_fixed_number_of_queries(
        personas: Personas, as_user, django_assert_max_num_queries) -> None:
    alice = personas.actor("owner")
    http = as_user(personas.owner.user)
    url = reverse("disclosures:client_disclosures", args=[personas.dana.public_id])
    for n in range(3):
        services.disclosure_record(actor=alice, client=personas.dana,
                                   data=disclosure_input(recipient_name=f"R{n}"))
        authorise(alice, personas.dana, recipient_name=f"A{n}")
    http.get(url)
    with django_assert_max_num_queries(40) as few:
        http.get(url)
    for n in range(5):
        services.disclosure_record(actor=alice, client=personas.dana,
                                   data=disclosure_input(recipient_name=f"S{n}"))
        authorise(alice, personas.dana, recipient_name=f"B{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = http.get(url)
    assert response.content.count(b"<tr>") == 1 + 8 + 1 + 8


def test_the_practice_log_runs_a_fixed_number_of_queries(
        personas: Personas, as_user, django_assert_max_num_queries) -> None:
    alice = personas.actor("owner")
    http = as_user(personas.owner.user)
    services.disclosure_record(actor=alice, client=personas.dana, data=disclosure_input())
    http.get(reverse("disclosures:practice_log"))
    with django_assert_max_num_queries(40) as few:
        http.get(reverse("disclosures:practice_log"))
    for _ in range(6):
        services.disclosure_record(actor=alice, client=personas.dana, data=disclosure_input())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert http.get(reverse("disclosures:practice_log")).content.count(b"<tr>") == 8


def test_the_overview_link_counts_and_respects_the_policy(personas: Personas) -> None:
    alice = personas.actor("owner")
    services.disclosure_record(actor=alice, client=personas.dana, data=disclosure_input())
    links = [link for link in client_links(alice, personas.dana) if link.label == "Disclosures"]
    assert len(links) == 1 and links[0].note == "1 recorded"
    for persona in ("front_desk", "colleague", "outsider", "researcher"):
        found = client_links(personas.actor(persona), personas.dana)
        assert not [link for link in found if link.label == "Disclosures"]


def test_the_timeline_shows_disclosures_and_authorisations(personas: Personas) -> None:
    alice = personas.actor("owner")
    today = timezone.localdate()
    episode = Episode.objects.create(practice=personas.practice, client=personas.dana,
                                     opened_on=today - dt.timedelta(days=30),
                                     status=EpisodeStatus.IN_TREATMENT)
    authorisation = authorise(alice, personas.dana, signed_on=today - dt.timedelta(days=3))
    services.disclosure_record(actor=alice, client=personas.dana, data=disclosure_input())
    services.authorisation_revoke(actor=alice, authorisation=authorisation)
    titles = {e.title for e in timeline_events(alice, episode) if e.kind == "disclosure"}
    assert titles == {"Disclosure made: Duty to protect or warn (serious threat to another)",
                      "Authorisation signed: Release of information", "Authorisation revoked"}
    assert not [e for e in timeline_events(personas.actor("front_desk"), episode)
                if e.kind == "disclosure"]
