"""Browser tests: Debian's Chromium driven by Playwright against a live Therapia server.

These tests commit real rows (the server runs in another thread with its own connection),
so they build their own uniquely named practice and never rely on an empty table. The test
database is dropped at the end of the session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections
from django.test.testcases import LiveServerThread, _StaticFilesHandler
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from therapia.browser import find_chromium

# Playwright's sync API keeps an event loop on the main thread; the ORM calls made by the
# test itself are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no Chromium is installed: browser tests cannot run")
        pytest.skip("NO CHROMIUM FOUND: browser test skipped (install Debian's 'chromium')")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def committed_db(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Database access without a wrapping transaction, so the live server sees the rows."""
    with django_db_blocker.unblock():
        yield
        connections.close_all()  # or the test database cannot be dropped at the end


@pytest.fixture
def live_url(committed_db: None) -> Iterator[str]:
    server = LiveServerThread("localhost", _StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    yield f"http://localhost:{server.port}"
    server.terminate()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    opened = context.new_page()
    problems: list[str] = []

    def note(message: ConsoleMessage) -> None:
        # A 422 is how a form with errors comes back: expected, not a problem.
        if message.type == "error" and "status of 422" not in message.text:
            problems.append(message.text)

    opened.on("console", note)
    opened.problems = problems  # type: ignore[attr-defined]
    yield opened
    context.close()
