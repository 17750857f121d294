"""Password reset by e-mail: one message with a link, no client data in it, the same answer
for an unknown e-mail, and a link that works once."""

from __future__ import annotations

import re

from django.conf import settings
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse

from therapia.accounts.tests.test_sign_in import (
    ENROL,
    assert_accessible_and_csp_clean,
    is_signed_in,
    password_step,
)
from therapia.audit.models import Action, AuditEvent
from therapia.core.factories import TEST_PASSWORD
from therapia.core.testing import Personas

RESET = "/accounts/password-reset/"
SENT = "/accounts/password-reset/sent/"
NEW_PASSWORD = "plum orchard lantern 1987"


def _link_path(body: str) -> str:
    site = settings.SITE_URL.rstrip("/")
    found = re.search(re.escape(site) + r"(/accounts/password-reset/[^/\s]+/[^/\s]+/)", body)
    assert found is not None, body
    return found.group(1)


def test_reset_page_is_accessible(db: None, client: HttpClient) -> None:
    response = client.get(RESET)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="narrow card"' in html
    assert_accessible_and_csp_clean(html)


def test_reset_sends_one_message_with_a_link_and_no_client_data(
    personas: Personas, client: HttpClient
) -> None:
    response = client.post(RESET, {"email": "alice@example.org"})
    assert response.status_code == 302
    assert response["Location"] == SENT
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"]
    assert "\n" not in message.subject
    text = f"{message.subject}\n{message.body}"
    _link_path(str(message.body))
    # no client data: not Alice's clients, nor any other practice's
    for name in ("Dana", "Whitfield", "Olive", "Outis", "Riverside", "Hilltop"):
        assert name not in text
    assert personas.dana.email not in text
    assert "alice@example.org" not in message.body  # the address is on the envelope only
    sent = client.get(SENT)
    assert b"Check your e-mail" in sent.content


def test_link_sets_a_new_password_once(personas: Personas, client: HttpClient) -> None:
    client.post(RESET, {"email": "alice@example.org"})
    path = _link_path(str(mail.outbox[0].body))

    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    assert b"Set a new password" in form_page.content
    assert_accessible_and_csp_clean(form_page.content.decode())
    set_url = form_page.redirect_chain[-1][0]
    assert "set-password" in set_url  # the token has left the address bar

    mismatch = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": "other"})
    assert mismatch.status_code == 200
    assert re.search(r'<p class="error" id="id_new_password2_error">', mismatch.content.decode())

    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:password_reset_complete")
    assert b"Password changed" in client.get(done["Location"]).content
    assert AuditEvent.objects.filter(action=Action.UPDATE, object_type="password",
                                     actor_user_id=personas.owner.user.pk).count() == 1
    assert not is_signed_in(client)  # the reset does not sign in; both factors are still needed

    # the new password works (on to the second factor), the old one does not
    assert password_step(client, "alice@example.org", TEST_PASSWORD).status_code == 200
    response = password_step(client, "alice@example.org", NEW_PASSWORD)
    assert response["Location"] == ENROL

    # and the link cannot be used a second time
    again = HttpClient().get(path, follow=True)
    assert b"This link no longer works" in again.content


def test_weak_new_password_is_refused_beside_the_field(
    personas: Personas, client: HttpClient
) -> None:
    client.post(RESET, {"email": "alice@example.org"})
    set_url = client.get(_link_path(str(mail.outbox[0].body)), follow=True).redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "short", "new_password2": "short"})
    assert response.status_code == 200
    assert re.search(r'<p class="error" id="id_new_password2_error">[^<]+</p>',
                     response.content.decode())


def test_unknown_email_gets_the_same_page_and_nothing_is_sent(
    db: None, client: HttpClient
) -> None:
    response = client.post(RESET, {"email": "nobody@example.org"}, follow=True)
    assert response.redirect_chain == [(SENT, 302)]
    assert b"Check your e-mail" in response.content
    assert mail.outbox == []


def test_reset_lifts_a_lock_out(personas: Personas, client: HttpClient) -> None:
    for n in range(5):
        password_step(client, "alice@example.org", f"wrong {n}")
    assert password_step(client, "alice@example.org").status_code == 429

    client.post(RESET, {"email": "alice@example.org"})
    set_url = client.get(_link_path(str(mail.outbox[0].body)), follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert password_step(client, "alice@example.org", NEW_PASSWORD).status_code == 302
