"""Rate limits (core/ratelimit.py): the sliding-window arithmetic, the shared PostgreSQL
counter, the decorator for pages reached without signing in, and the limits on sign-in,
the second factor and password reset."""

from __future__ import annotations

import math
import threading
import uuid

import pytest
from django.core import mail
from django.db import connection, connections
from django.http import HttpRequest, HttpResponse
from django.test import Client as HttpClient
from django.test import RequestFactory

from therapia.accounts import views as account_views
from therapia.accounts.tests.test_sign_in import (
    SIGN_IN,
    TWO_FACTOR,
    confirmed_device,
    is_signed_in,
    password_step,
    wrong_code,
)
from therapia.audit.models import Action, AuditEvent
from therapia.core import ratelimit
from therapia.core.models import RateLimitCounter
from therapia.core.ratelimit import Limit, estimate, seconds_until_allowed
from therapia.core.testing import Personas

T0 = 1_800_000_000.0  # a moment exactly at the start of a 60 s window


def fresh_scope(rate: int = 5, per: int = 60) -> Limit:
    """A scope of its own, so no other test's hits count."""
    return Limit(f"test.{uuid.uuid4().hex[:12]}", rate=rate, per=per)


# --- the arithmetic ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "current", "elapsed", "expected"),
    [
        (0, 3, 10, 3.0),
        (10, 0, 0, 10.0),  # the whole previous window still overlaps
        (10, 2, 30, 7.0),  # half of it does
        (10, 2, 60, 2.0),  # none of it does
        (4, 1, 45, 2.0),
    ],
)
def test_estimate_weights_the_previous_window(previous, current, elapsed, expected) -> None:
    assert estimate(previous=previous, current=current, elapsed=elapsed, per=60) == expected


@pytest.mark.parametrize(
    ("previous", "current", "elapsed", "expected"),
    [
        (0, 4, 10, 0),  # one more fits now
        (6, 0, 30, 0),  # half of 6 still counts: 3 + 1 fits
        (8, 2, 0, 45),  # later in this window, once 8 * (1 - t/60) <= 2
        (0, 5, 10, 62),  # full: into the next window, until 5 * (1 - s/60) + 1 <= 5
        (0, 6, 0, 80),  # 6 hits: the next window, plus 20 s while they decay
    ],
)
def test_seconds_until_allowed_table(previous, current, elapsed, expected) -> None:
    """Limit 5 per 60 s; the brute-force test below checks every other case."""
    assert seconds_until_allowed(previous=previous, current=current, elapsed=elapsed, per=60,
                                 rate=5) == expected


def _allowed_after(wait: float, *, previous: int, current: int, elapsed: float, per: int,
                   rate: int) -> bool:
    """Would one more hit, `wait` seconds from now, be within the limit?"""
    at = elapsed + wait
    if at < per:
        count = estimate(previous=previous, current=current + 1, elapsed=at, per=per)
    elif at < 2 * per:
        count = estimate(previous=current, current=1, elapsed=at - per, per=per)
    else:
        count = 1
    return count <= rate + 1e-9  # the same float slack as ratelimit.hit


@pytest.mark.parametrize("rate", [1, 3, 5, 30])
@pytest.mark.parametrize("per", [60, 900])
def test_seconds_until_allowed_is_the_first_whole_second_that_works(rate: int, per: int) -> None:
    for previous in range(2 * rate + 3):
        for current in range(2 * rate + 3):
            for elapsed in (0, 1, per / 3, per / 2, per - 1):
                state = {"previous": previous, "current": current, "elapsed": elapsed}
                wait = seconds_until_allowed(previous=previous, current=current,
                                             elapsed=elapsed, per=per, rate=rate)
                assert _allowed_after(wait, previous=previous, current=current,
                                      elapsed=elapsed, per=per, rate=rate), state
                if wait > 0:
                    assert not _allowed_after(wait - 1, previous=previous, current=current,
                                              elapsed=elapsed, per=per, rate=rate), state


def test_bad_limits_are_refused() -> None:
    for rate, per, scope in [(0, 60, "x"), (5, 0, "x"), (5, 60, ""), (5, 60, "x" * 65)]:
        with pytest.raises(ValueError, match="bad limit"):
            Limit(scope, rate=rate, per=per)


# --- the shared counter ----------------------------------------------------------------------


def test_within_the_limit_then_refused_with_retry_after(db: None) -> None:
    limit = fresh_scope()
    decisions = [ratelimit.hit(limit, "10.0.0.1", now=T0 + 10) for _ in range(6)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    # the refused hit counts too: 50 s to the next window, then 20 s while the 6 decay
    assert decisions[-1].retry_after == 70
    assert decisions[-1].first_refusal
    again = ratelimit.hit(limit, "10.0.0.1", now=T0 + 11)
    assert not again.allowed
    assert not again.first_refusal  # one audit row per crossing, not per request


def test_scopes_and_keys_are_counted_apart(db: None) -> None:
    limit, other = fresh_scope(rate=1), fresh_scope(rate=1)
    assert ratelimit.hit(limit, "a", now=T0).allowed
    assert not ratelimit.hit(limit, "a", now=T0).allowed
    assert ratelimit.hit(limit, "b", now=T0).allowed
    assert ratelimit.hit(other, "a", now=T0).allowed


def test_the_previous_window_fades_out(db: None) -> None:
    limit = fresh_scope()
    for _ in range(5):
        ratelimit.hit(limit, "k", now=T0 + 50)
    # 10 s into the next window, 5/6 of the old hits still count: 4.17 + 1 > 5
    assert not ratelimit.hit(limit, "k", now=T0 + 70).allowed
    # 45 s in: the previous window now holds 6 hits, a quarter of them count: 1.5 + 2
    assert ratelimit.hit(limit, "k", now=T0 + 105).allowed


def test_two_windows_later_everything_is_forgotten(db: None) -> None:
    limit = fresh_scope(rate=2)
    for _ in range(10):
        ratelimit.hit(limit, "k", now=T0)
    assert ratelimit.hit(limit, "k", now=T0 + 120).allowed
    row = RateLimitCounter.objects.get(scope=limit.scope)
    assert (row.previous, row.current) == (0, 1)


def test_a_clock_behind_counts_in_the_newer_window(db: None) -> None:
    limit = fresh_scope(rate=2)
    ratelimit.hit(limit, "k", now=T0 + 61)
    ratelimit.hit(limit, "k", now=T0 + 59)  # another worker, its clock two seconds behind
    assert not ratelimit.hit(limit, "k", now=T0 + 62).allowed
    row = RateLimitCounter.objects.get(scope=limit.scope)
    assert row.current == 3
    assert row.window_index == int((T0 + 60) // 60)


def test_keys_are_stored_as_an_hmac(db: None) -> None:
    limit = fresh_scope()
    ratelimit.hit(limit, "alice@example.org", now=T0)
    row = RateLimitCounter.objects.get(scope=limit.scope)
    assert "alice" not in row.key_digest
    assert len(row.key_digest) == 64
    assert row.key_digest == ratelimit.key_digest(limit.scope, "alice@example.org")


def test_the_table_is_unlogged(db: None) -> None:
    assert RateLimitCounter._meta.db_table == ratelimit.TABLE
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = %s",
                       [ratelimit.TABLE])
        assert cursor.fetchone() == ("u",)


def test_expired_counters_are_purged(db: None) -> None:
    limit = fresh_scope()
    ratelimit.hit(limit, "old", now=T0)
    ratelimit.hit(limit, "new", now=T0 + 110)
    assert ratelimit.purge_expired(now=T0 + 121) == 1  # "old": both its windows are over
    keys = set(RateLimitCounter.objects.filter(scope=limit.scope).values_list("key_digest",
                                                                              flat=True))
    assert keys == {ratelimit.key_digest(limit.scope, "new")}


def test_concurrent_workers_lose_no_hit(db: None) -> None:
    """Eight threads, each with its own database connection (as gunicorn workers have),
    hit one key at once; every hit is counted exactly once."""
    limit = fresh_scope(rate=1000)
    threads, per_thread = 8, 25
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(per_thread):
                ratelimit.hit(limit, "shared", now=T0 + 1)
        except BaseException as error:  # noqa: BLE001 (reported by the test below)
            errors.append(error)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []
    # the threads committed on their own connections; this one reads what they wrote
    row = RateLimitCounter.objects.get(scope=limit.scope)
    assert row.current == threads * per_thread
    RateLimitCounter.objects.filter(scope=limit.scope).delete()


# --- the decorator -------------------------------------------------------------------------


def test_decorator_answers_429_with_retry_after_and_a_plain_page(db: None) -> None:
    limit = fresh_scope(rate=2, per=600)

    @ratelimit.rate_limited(limit)
    def client_link(request: HttpRequest) -> HttpResponse:
        return HttpResponse("welcome")

    factory = RequestFactory()
    statuses = [client_link(factory.get("/c/abc/", REMOTE_ADDR="192.0.2.7")).status_code
                for _ in range(2)]
    assert statuses == [200, 200]
    refused = client_link(factory.get("/c/abc/", REMOTE_ADDR="192.0.2.7"))
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 1200
    assert "no-store" in refused["Cache-Control"]
    html = refused.content.decode()
    assert "Too many attempts" in html
    minutes = math.ceil(int(refused["Retry-After"]) / 60)
    assert f"try again in {minutes} minute" in html
    # another address is not affected
    assert client_link(factory.get("/c/abc/", REMOTE_ADDR="192.0.2.8")).status_code == 200


def test_decorator_can_count_only_some_methods(db: None) -> None:
    limit = fresh_scope(rate=1)

    @ratelimit.rate_limited(limit, methods=("POST",))
    def page(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    factory = RequestFactory()
    assert [page(factory.get("/")).status_code for _ in range(3)] == [200] * 3
    assert [page(factory.post("/")).status_code for _ in range(2)] == [200, 429]


# --- applied: sign-in, second factor, password reset ----------------------------------------


def test_sign_in_is_limited_per_address(personas: Personas, client: HttpClient) -> None:
    """One address trying many e-mails (password spraying) is stopped, which django-axes,
    counting per e-mail and address, would not do."""
    limit = account_views.SIGN_IN_PER_ADDRESS
    for n in range(limit.rate):
        assert password_step(client, f"someone{n}@example.org", "a guess").status_code == 200
    refused = password_step(client, "alice@example.org")  # even the right password
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert b"Too many attempts" in refused.content
    assert not is_signed_in(client)
    row = AuditEvent.objects.get(action=Action.SIGN_IN_FAILED, object_type="rate_limit")
    assert row.actor_user_id == personas.owner.user.pk
    password_step(client, "bob@example.org")  # refused again: no second audit row
    assert AuditEvent.objects.filter(object_type="rate_limit").count() == 1

    elsewhere = HttpClient(REMOTE_ADDR="198.51.100.4")
    assert password_step(elsewhere, "alice@example.org").status_code == 302
    assert client.get(SIGN_IN).status_code == 200  # the page itself stays open


def test_second_factor_is_limited_per_user(personas: Personas, client: HttpClient) -> None:
    device = confirmed_device(personas.owner.user)
    password_step(client, "alice@example.org")
    for _ in range(account_views.TWO_FACTOR_PER_USER.rate):
        assert client.post(TWO_FACTOR, {"code": wrong_code(device)}).status_code == 200
    refused = client.post(TWO_FACTOR, {"code": wrong_code(device)})
    assert refused.status_code == 429
    assert "Retry-After" in refused
    row = AuditEvent.objects.get(action=Action.TWO_FACTOR_FAILED, object_type="rate_limit")
    assert row.actor_user_id == personas.owner.user.pk


def test_password_reset_is_limited_per_email(personas: Personas, client: HttpClient) -> None:
    reset = "/accounts/password-reset/"
    for _ in range(account_views.RESET_PER_EMAIL.rate):
        assert client.post(reset, {"email": "alice@example.org"}).status_code == 302
    refused = client.post(reset, {"email": "Alice@example.org"})
    assert refused.status_code == 429
    assert len(mail.outbox) == account_views.RESET_PER_EMAIL.rate
    row = AuditEvent.objects.get(action=Action.DENIED, object_type="rate_limit")
    assert row.actor_user_id == personas.owner.user.pk
    assert client.post(reset, {"email": "bob@example.org"}).status_code == 302


def test_password_reset_is_limited_per_address(db: None, client: HttpClient) -> None:
    reset = "/accounts/password-reset/"
    for n in range(account_views.RESET_PER_ADDRESS.rate):
        assert client.post(reset, {"email": f"x{n}@example.org"}).status_code == 302
    assert client.post(reset, {"email": "y@example.org"}).status_code == 429
