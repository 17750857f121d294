"""No client data in URLs, logs or error pages (house rule 10; ASVS 5.0 14.2.1, 16.2.5,
16.5.1; T-39). Error pages are the generic templates in therapia/templates, which show
nothing of the request; tests run with DEBUG off, as production does."""

from __future__ import annotations

import logging
import re
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, path, reverse
from django.urls.converters import IntConverter, UUIDConverter

from therapia import demo
from therapia import urls as project_urls
from therapia.core.testing import Personas

MODULE = "therapia.core.tests.test_hardening_privacy"
# Routes whose path parameters are not ids, and why they carry no client data.
# Routes whose parameter is a random secret (stored hashed), never client data.
NON_ID_ROUTES = {
    "accounts:password_reset_confirm",  # a staff user's id in base64 + a token
    "scheduling:feed",  # a clinician's private calendar feed
    "portal:questionnaire", "portal:done",  # a client's single-use questionnaire link
}


def canaries(personas: Personas) -> list[str]:
    """What would identify Dana if it leaked."""
    dana = personas.dana
    values = [dana.legal_given_name, dana.legal_family_name, dana.email,
              dana.date_of_birth.isoformat(), dana.phone]
    return [value for value in values if value]


def leaked(text: str, personas: Personas) -> list[str]:
    return [value for value in canaries(personas) if value.lower() in text.lower()]


# --- error pages -----------------------------------------------------------------------------


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("could not save Dana Whitfield, born 1988-04-12")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("Dana Whitfield is not on your caseload")


urlpatterns = [path("boom/", boom), path("forbidden/", forbidden), *project_urls.urlpatterns]


def test_a_404_for_a_clients_id_says_nothing_about_her(personas: Personas, as_user) -> None:
    outsider = as_user(personas.outsider.user)
    dana_id = str(personas.dana.public_id)
    response = outsider.get(f"/clients/{dana_id}/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    assert dana_id not in body
    assert leaked(body, personas) == []
    # word for word the page anyone gets for an id or a path that does not exist at all
    assert outsider.get("/clients/00000000-0000-4000-8000-000000000000/").content == \
        response.content
    assert outsider.get("/no-such-page/").content == response.content


def test_a_404_does_not_echo_the_address(db: None, client: HttpClient) -> None:
    response = client.get("/Dana-Whitfield/<script>/?q=Whitfield")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Whitfield" not in body
    assert "<script>" not in body


@pytest.mark.urls(MODULE)
def test_a_500_shows_a_generic_page(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    http.raise_request_exception = False
    response = http.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    assert leaked(body, personas) == []
    assert "RuntimeError" not in body
    assert "Traceback" not in body
    assert 'href="/"' in body


@pytest.mark.urls(MODULE)
def test_a_403_shows_a_generic_page(personas: Personas, as_user) -> None:
    response = as_user(personas.owner.user).get("/forbidden/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "Not allowed" in body
    assert leaked(body, personas) == []


def test_error_pages_need_no_request_context() -> None:
    """500.html must render even when the database or a context processor is what failed."""
    from django.template import loader

    for name in ("404.html", "403.html", "500.html", "429.html"):
        html = loader.get_template(name).render({"minutes": 2})
        assert 'href="/"' in html
        assert "<script" not in html
        assert "style=" not in html  # strict CSP: nothing inline


# --- logs --------------------------------------------------------------------------------


def test_reading_client_pages_logs_no_client_data(
    personas: Personas, as_user, caplog: pytest.LogCaptureFixture
) -> None:
    """Even with LOG_LEVEL=DEBUG: the records of requests that read Dana's record hold no
    name, e-mail, phone or date of birth (the 404 warning names only the path)."""
    caplog.set_level(logging.DEBUG)
    owner = as_user(personas.owner.user)
    dana = personas.dana.public_id
    pages = [reverse("clients:list"), reverse("clients:overview", args=[dana]),
             reverse("clients:edit", args=[dana]), reverse("clients:care_team", args=[dana]),
             reverse("scheduling:agenda")]
    for url in pages:
        assert owner.get(url).status_code == 200, url
    assert owner.post(reverse("clients:list"), {"q": "Whitfield"}).status_code == 200
    assert as_user(personas.outsider.user).get(f"/clients/{dana}/").status_code == 404

    config: dict[str, Any] = settings.LOGGING
    formatter = logging.Formatter(config["formatters"]["plain"]["format"])
    lines = [formatter.format(record) for record in caplog.records]
    assert [line for line in lines if leaked(line, personas)] == []
    assert any(f"Not Found: /clients/{dana}/" in line for line in lines)


def test_gunicorn_access_log_has_no_query_strings() -> None:
    """`therapia demo` logs the path without its query string (%(U)s), never the request
    line (%(r)s) or the query (%(q)s), which could carry a search term."""
    source = Path(demo.__file__).read_text()
    found = re.search(r'"--access-logformat",\s*\'([^\']*)\'', source)
    assert found is not None, "the access-log format is not where this test expects it"
    log_format = found.group(1)
    assert "%(U)s" in log_format
    for field in ("%(r)s", "%(q)s", "%({query_string}e)s", "%(f)s"):
        assert field not in log_format


# --- URLs --------------------------------------------------------------------------------


def _routes(patterns: list[URLPattern | URLResolver], namespace: str = "") -> list[tuple]:
    found: list[tuple] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found.extend((name, {**pattern.pattern.converters, **converters})
                         for name, converters in _routes(pattern.url_patterns, inner))
        else:
            found.append((f"{namespace}{pattern.name}", pattern.pattern.converters))
    return found


def test_every_path_parameter_is_an_id() -> None:
    """A route that takes a name, a date of birth or any free text would put client data in
    the address bar, the history, proxy logs and Referer headers. Ids only."""
    offenders = [
        name for name, converters in _routes(get_resolver().url_patterns)
        if name not in NON_ID_ROUTES
        and not all(isinstance(c, UUIDConverter | IntConverter) for c in converters.values())
    ]
    assert offenders == []


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "action", "src", "hx-get", "hx-post") and value:
                self.urls.append(value)


def test_no_client_data_in_any_url_a_clinician_can_reach(personas: Personas, as_user) -> None:
    """Follows every same-site link from the start page, as Alice (who sees Dana's record),
    and checks each link, form action and redirect for Dana's details."""
    http = as_user(personas.owner.user)
    seen: set[str] = set()
    queue: deque[str] = deque(["/"])
    every_url: list[str] = []
    while queue and len(seen) < 80:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = http.get(url)
        if response.status_code in (301, 302, 303):
            every_url.append(response["Location"])
            queue.append(response["Location"])
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        parser = _Links()
        parser.feed(response.content.decode())
        every_url.extend(parser.urls)
        for link in parser.urls:
            parts = urlsplit(link)
            if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(
                    ("/static/", "/accounts/sign-out/")):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert len(seen) >= 8, seen  # the crawl reached the record pages
    assert f"/clients/{personas.dana.public_id}/" in seen
    assert [url for url in every_url if leaked(url, personas)] == []
