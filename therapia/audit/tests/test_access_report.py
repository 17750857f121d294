"""'Who looked at my record' (T-28): the primary clinician and the practice owner see it;
everyone else gets a 404, and asking is audited."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from therapia.audit.context import Origin, origin
from therapia.audit.models import Action, AuditEvent, Purpose
from therapia.audit.services import audit_record
from therapia.clients import selectors, services
from therapia.clients.models import CareRole
from therapia.core import factories
from therapia.core.testing import Personas


def report_url(client) -> str:  # type: ignore[no-untyped-def]
    return reverse("audit:client_access", args=[client.public_id])


def test_t28_the_report_lists_every_access_to_this_client_only(personas: Personas,
                                                                as_user) -> None:
    selectors.client_get_for(actor=personas.actor("trainee"), public_id=personas.dana.public_id)
    selectors.client_get_for(actor=personas.actor("front_desk"),
                             public_id=personas.dana.public_id)
    selectors.client_get_for(actor=personas.actor("outsider"),
                             public_id=personas.outsider_client.public_id)
    with origin(Origin(job="reminders")):
        audit_record(actor=None, action=Action.READ, purpose=Purpose.SCHEDULING,
                     client=personas.dana, object_type="scheduling.Appointment")
    response = as_user(personas.owner.user).get(report_url(personas.dana))
    assert response.status_code == 200
    rows = response.context["report"].rows
    assert [(r.who, r.role, r.action, r.record_kind) for r in rows] == [
        ("Alice", "Owner", "Read", "Access report"),  # this very view
        ("System (reminders)", "", "Read", "Appointment"),
        ("Erin", "Front desk", "Read", "Client"),
        ("Tara", "Trainee", "Read", "Client"),
    ]
    body = response.content.decode()
    assert "Charlie" not in body and "Olive" not in body
    assert "Who accessed Dana" in body


def test_the_primary_clinician_who_is_not_the_owner_sees_it(personas: Personas,
                                                           as_user) -> None:
    client = factories.ClientFactory.create(practice=personas.practice)
    factories.CareTeamFactory.create(client=client, membership=personas.colleague,
                                     role=CareRole.PRIMARY)
    http = as_user(personas.colleague.user)
    assert http.get(report_url(client)).status_code == 200
    assert http.get(report_url(personas.dana)).status_code == 404  # not Bob's client


@pytest.mark.parametrize("who", ["colleague", "front_desk", "trainee", "supervisor",
                                 "researcher", "outsider"])
def test_everyone_else_gets_404_and_the_attempt_is_audited(personas: Personas, as_user,
                                                           who: str) -> None:
    user = getattr(personas, who).user
    response = as_user(user).get(report_url(personas.dana))
    assert response.status_code == 404
    assert "Dana" not in response.content.decode()
    denied = AuditEvent.objects.get(actor_user_id=user.pk, action=Action.DENIED)
    assert denied.object_type == "audit.AccessReport"
    assert denied.object_id == str(personas.dana.public_id)
    assert not AuditEvent.objects.filter(actor_user_id=user.pk, action=Action.READ,
                                         object_type="audit.AccessReport").exists()


def test_the_outsider_gets_404_for_an_unknown_id_too(personas: Personas, as_user) -> None:
    http = as_user(personas.outsider.user)
    assert http.get("/audit/clients/00000000-0000-4000-8000-000000000000/access/"
                    ).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(personas: Personas, client) -> None:
    response = client.get(report_url(personas.dana))
    assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"]


def test_viewing_the_report_is_audited(personas: Personas, as_user) -> None:
    as_user(personas.owner.user).get(report_url(personas.dana))
    row = AuditEvent.objects.get(action=Action.READ, object_type="audit.AccessReport")
    assert row.client_id == personas.dana.pk and row.actor_user_id == personas.owner.user.pk
    assert row.actor_role == "owner"


def test_the_report_query_count_does_not_grow(personas: Personas, as_user,
                                              django_assert_num_queries) -> None:
    http = as_user(personas.owner.user)
    http.get(report_url(personas.dana))  # warm the session
    # session, user, device, actor; client; audit row; count; page; session save (3).
    # (audit_record's lock and chain-head queries run on a psycopg cursor of their own,
    # which this counter does not see: two more round trips, constant per audit row.)
    with django_assert_num_queries(14) as first:
        http.get(report_url(personas.dana))
    for _ in range(70):  # more than a page, several actors
        selectors.client_get_for(actor=personas.actor("trainee"),
                                 public_id=personas.dana.public_id)
        selectors.client_get_for(actor=personas.actor("supervisor"),
                                 public_id=personas.dana.public_id)
    with django_assert_num_queries(len(first.captured_queries)):
        response = http.get(report_url(personas.dana))
    assert len(response.context["report"].rows) == 50
    second = http.get(report_url(personas.dana) + "?page=2")
    assert second.status_code == 200 and second.context["report"].page.number == 2


def test_t23_audit_rows_hold_no_client_text(personas: Personas) -> None:
    canary = "Canary-7f3a"
    client = services.client_create(actor=personas.actor("owner"), data={
        "legal_given_name": canary, "legal_family_name": f"{canary}-family",
        "date_of_birth": "1990-01-01", "email": "canary@example.net"})
    services.client_update(actor=personas.actor("owner"), client=client,
                           data={"preferred_name": f"{canary}-preferred"})
    selectors.client_get_for(actor=personas.actor("owner"), public_id=client.public_id)
    selectors.client_list_for(actor=personas.actor("owner"), search=canary)
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(a)::text FROM audit_auditevent AS a")
        rows = [row[0] for row in cursor.fetchall()]
    assert len(rows) >= 4
    assert not [row for row in rows if "canary" in row.lower()]


def test_the_operator_command_lists_accesses_and_is_audited(personas: Personas,
                                                            capsys) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    selectors.client_get_for(actor=personas.actor("trainee"), public_id=personas.dana.public_id)
    call_command("audit", "access", str(personas.dana.public_id))
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2  # the command's own read, then Tara's
    assert "System (audit access)" in out[0] and "Access report" in out[0]
    assert "Tara" in out[1] and "Trainee" in out[1]
    with pytest.raises(CommandError, match="no such client"):
        call_command("audit", "access", "00000000-0000-4000-8000-000000000000")
