"""Re-authentication before sensitive actions (step-up, ASVS 5.0 7.5.3): password and a
second factor again, recorded in the session for a few minutes, audited.

No real view is decorated yet (break-the-glass and owner actions will be), so this module
is its own URLconf: two decorated test views in front of the project's URLs."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
import time_machine
from django.conf import settings
from django.http import HttpResponse
from django.test import Client as HttpClient
from django.urls import path
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from therapia import urls as project_urls
from therapia.accounts import step_up, two_factor
from therapia.accounts.tests.test_sign_in import (
    SIGN_IN,
    TWO_FACTOR,
    assert_accessible_and_csp_clean,
    confirmed_device,
    is_signed_in,
    password_step,
    totp_code,
    wrong_code,
)
from therapia.accounts.views import CONFIRM_ERROR
from therapia.audit.models import Action, AuditEvent, Purpose
from therapia.audit.services import audit_record
from therapia.core.decorators import staff_view
from therapia.core.factories import TEST_PASSWORD
from therapia.core.http import AuthedRequest
from therapia.core.testing import Personas

CONFIRM = "/accounts/confirm/"
SENSITIVE = "/sensitive/"
QUICK = "/quick/"
BACKUP_CODES = "/accounts/two-factor/backup-codes/"
DONE = "test.sensitive_action"


@pytest.fixture
def as_user(as_user):  # type: ignore[no-untyped-def]
    """Signed in with both factors, but not just now: no recent confirmation."""

    def _sign_in(user):  # type: ignore[no-untyped-def]
        http = as_user(user)
        session = http.session
        session.pop(step_up.STEP_UP_AT, None)
        session.save()
        return http

    return _sign_in


@staff_view
@step_up.requires_recent_auth(minutes=5)
@require_http_methods(["GET", "POST"])
def sensitive(request: AuthedRequest) -> HttpResponse:
    if request.method == "POST":
        audit_record(actor=request.actor, action=Action.UPDATE, purpose=Purpose.OPERATIONS,
                     object_type=DONE)
        return HttpResponse("done")
    return HttpResponse("the form")


@staff_view
@step_up.requires_recent_auth(minutes=1)
def quick(request: AuthedRequest) -> HttpResponse:
    return HttpResponse("quick")


urlpatterns = [path("sensitive/", sensitive), path("quick/", quick), *project_urls.urlpatterns]
pytestmark = pytest.mark.urls(__name__)


def confirm_location(next_path: str) -> str:
    return f"{CONFIRM}?next={quote(next_path, safe='/')}"


def device_of(personas: Personas) -> TOTPDevice:
    return TOTPDevice.objects.get(user=personas.owner.user, confirmed=True)


def confirm(http: HttpClient, code: str, password: str = TEST_PASSWORD, next_path: str = ""):
    return http.post(CONFIRM, {"password": password, "code": code, "next": next_path})


def session_id(http: HttpClient) -> str:
    return http.cookies[settings.SESSION_COOKIE_NAME].value


def test_decorator_says_how_recent(personas: Personas) -> None:
    assert sensitive.requires_recent_auth_minutes == 5  # type: ignore[attr-defined]
    assert quick.requires_recent_auth_minutes == 1  # type: ignore[attr-defined]


def test_get_asks_to_confirm_then_returns_to_the_page(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)  # signed in with both factors, but not just now
    response = http.get(f"{SENSITIVE}?tab=2")
    assert response.status_code == 302
    assert response["Location"] == confirm_location("/sensitive/?tab=2")

    page = http.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'autocomplete="current-password"' in html
    assert 'autocomplete="one-time-code"' in html
    assert 'name="next" value="/sensitive/?tab=2"' in html
    assert_accessible_and_csp_clean(html)

    done = confirm(http, totp_code(device_of(personas)), next_path="/sensitive/?tab=2")
    assert done.status_code == 302
    assert done["Location"] == "/sensitive/?tab=2"
    assert http.get(SENSITIVE).content == b"the form"
    row = AuditEvent.objects.get(object_type=step_up.OBJECT_TYPE)
    assert row.action == Action.SIGN_IN
    assert row.actor_user_id == personas.owner.user.pk
    assert row.practice_id == personas.practice.pk


def test_confirming_gives_a_new_session_id(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    before = session_id(http)
    confirm(http, totp_code(device_of(personas)))
    assert session_id(http) != before
    assert is_signed_in(http)


def test_confirmation_lasts_as_long_as_the_view_allows(personas: Personas, as_user) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        http = as_user(personas.owner.user)
        confirm(http, totp_code(device_of(personas)))
        clock.shift(dt.timedelta(minutes=4, seconds=59))
        assert http.get(SENSITIVE).status_code == 200
        assert http.get(QUICK)["Location"] == confirm_location(QUICK)  # 1 minute only
        clock.shift(dt.timedelta(seconds=2))
        assert http.get(SENSITIVE)["Location"] == confirm_location(SENSITIVE)


def test_wrong_password_is_refused_audited_and_spends_no_backup_code(
    personas: Personas, as_user
) -> None:
    user = personas.owner.user
    http = as_user(user)
    codes = two_factor.backup_codes_regenerate(user=user)
    response = confirm(http, codes[0], password="not my password")
    assert response.status_code == 200
    assert CONFIRM_ERROR in response.content.decode()
    assert StaticToken.objects.filter(device__user=user).count() == 10  # not used up
    assert AuditEvent.objects.get(object_type=step_up.OBJECT_TYPE).action == Action.SIGN_IN_FAILED
    assert http.get(SENSITIVE).status_code == 302

    assert confirm(http, codes[0]).status_code == 302  # the right password and that code
    assert StaticToken.objects.filter(device__user=user).count() == 9
    assert http.get(SENSITIVE).status_code == 200


def test_wrong_code_is_refused_and_audited(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    response = confirm(http, wrong_code(device_of(personas)))
    assert response.status_code == 200
    assert CONFIRM_ERROR in response.content.decode()
    row = AuditEvent.objects.get(object_type=step_up.OBJECT_TYPE)
    assert row.action == Action.TWO_FACTOR_FAILED
    assert http.get(SENSITIVE).status_code == 302


def test_a_submitted_form_is_not_acted_on_and_the_user_is_told(
    personas: Personas, as_user
) -> None:
    http = as_user(personas.owner.user)
    response = http.post(SENSITIVE, HTTP_REFERER="http://testserver/sensitive/?tab=2")
    assert response.status_code == 303
    assert response["Location"] == confirm_location("/sensitive/?tab=2")
    assert not AuditEvent.objects.filter(object_type=DONE).exists()
    page = http.get(response["Location"])
    assert step_up.NOT_DONE_MESSAGE in page.content.decode()

    confirm(http, totp_code(device_of(personas)), next_path="/sensitive/?tab=2")
    assert http.post(SENSITIVE).content == b"done"  # submitted again, within the window
    assert AuditEvent.objects.filter(object_type=DONE).count() == 1


def test_a_referer_from_another_site_is_not_followed(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    response = http.post(SENSITIVE, HTTP_REFERER="https://evil.example/sensitive/")
    assert response["Location"] == confirm_location("/")


def test_htmx_requests_move_the_whole_page(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    response = http.get(SENSITIVE, HTTP_HX_REQUEST="true",
                        HTTP_HX_CURRENT_URL="http://testserver/clients/")
    assert response["HX-Redirect"] == confirm_location("/clients/")
    response = http.post(SENSITIVE, HTTP_HX_REQUEST="true",
                         HTTP_HX_CURRENT_URL="http://testserver/clients/")
    assert response["HX-Redirect"] == confirm_location("/clients/")
    assert not AuditEvent.objects.filter(object_type=DONE).exists()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/"])
def test_off_site_next_is_refused(personas: Personas, as_user, target: str) -> None:
    http = as_user(personas.owner.user)
    response = confirm(http, totp_code(device_of(personas)), next_path=target)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_second_factor_comes_first(personas: Personas, client: HttpClient) -> None:
    confirmed_device(personas.owner.user)
    password_step(client, "alice@example.org")  # password only
    response = client.get(f"{CONFIRM}?next=/sensitive/")
    assert response.status_code == 302
    assert response["Location"] == f"{TWO_FACTOR}?next=/sensitive/"
    assert client.get(SENSITIVE)["Location"].startswith(TWO_FACTOR)
    assert not AuditEvent.objects.filter(object_type=step_up.OBJECT_TYPE).exists()


def test_signed_out_users_go_to_sign_in(db: None, client: HttpClient) -> None:
    assert client.get(CONFIRM)["Location"] == SIGN_IN
    assert client.get(SENSITIVE)["Location"].startswith(SIGN_IN)


def test_signing_in_with_both_factors_counts_as_recent(
    personas: Personas, client: HttpClient
) -> None:
    device = confirmed_device(personas.owner.user)
    password_step(client, "alice@example.org")
    client.post(TWO_FACTOR, {"code": totp_code(device)})
    assert client.get(SENSITIVE).status_code == 200


def test_too_many_attempts_end_the_session(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    for _ in range(step_up.CONFIRM_LIMIT.rate):
        assert confirm(http, "123456", password="guess").status_code == 200
    response = confirm(http, "123456", password="guess")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert not is_signed_in(http)
    refused = AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED, object_type="rate_limit")
    assert refused.get().actor_user_id == personas.owner.user.pk


def test_new_backup_codes_need_a_recent_confirmation(personas: Personas, as_user) -> None:
    user = personas.owner.user
    http = as_user(user)
    old = set(two_factor.backup_codes_regenerate(user=user))
    response = http.post(BACKUP_CODES, HTTP_REFERER=f"http://testserver{BACKUP_CODES}")
    assert response.status_code == 303
    assert response["Location"] == confirm_location(BACKUP_CODES)
    stored = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert stored == old  # nothing made

    confirm(http, totp_code(device_of(personas)))
    assert http.post(BACKUP_CODES)["Location"] == BACKUP_CODES
    stored = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert stored and not stored & old
