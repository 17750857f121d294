"""Rate limits shared by every web worker, counted in PostgreSQL.

A sliding-window counter: each (scope, key) keeps the hits of the current fixed window and
of the window before it, and the estimate for the last `per` seconds weights the previous
window by the part of it that still overlaps them:

    estimate = previous * (1 - elapsed / per) + current

Unlike a plain fixed window, this does not let a client spend the limit twice across a
window boundary. One `INSERT … ON CONFLICT DO UPDATE … RETURNING` counts the hit and reads
both windows in a single statement, so concurrent workers never lose a hit and need no
lock of their own.

Every attempt counts, refused ones too: a client that keeps hammering stays refused, and
Retry-After says how long to wait if it stops. Call `hit` in autocommit, outside any
transaction that may roll back, or the hit is rolled back with it.

Keys are stored as an HMAC (keyed by SECRET_KEY), never as the address or e-mail itself.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.crypto import salted_hmac

from therapia.core.client_ip import client_ip
from therapia.core.models import RateLimitCounter

View = TypeVar("View", bound=Callable[..., HttpResponse])

TABLE = "core_ratelimitcounter"
PURGE_ONE_IN = 200  # hits; each purge deletes counters whose two windows are over
_EPSILON = 1e-9  # float slack when comparing an estimate with a whole number

# All columns come from the old row (c) or the new one (EXCLUDED); PostgreSQL evaluates
# every SET expression against the row as it was. A window index that went backwards
# (another worker's clock a little ahead) counts as the same window.
_UPSERT = f"""
INSERT INTO {TABLE} AS c (scope, key_digest, window_index, current, previous, expires_at)
VALUES (%(scope)s, %(key)s, %(window)s, 1, 0, %(expires)s)
ON CONFLICT (scope, key_digest) DO UPDATE SET
    previous = CASE
        WHEN c.window_index >= EXCLUDED.window_index THEN c.previous
        WHEN c.window_index = EXCLUDED.window_index - 1 THEN c.current
        ELSE 0 END,
    current = CASE
        WHEN c.window_index >= EXCLUDED.window_index THEN c.current + 1
        ELSE 1 END,
    window_index = GREATEST(c.window_index, EXCLUDED.window_index),
    expires_at = GREATEST(c.expires_at, EXCLUDED.expires_at)
RETURNING previous, current, window_index
"""  # noqa: S608 (the table name is a constant; values are parameters)


@dataclass(frozen=True)
class Limit:
    """At most `rate` hits per `per` seconds for each key within `scope`."""

    scope: str
    rate: int
    per: int

    def __post_init__(self) -> None:
        if self.rate < 1 or self.per < 1 or not 0 < len(self.scope) <= 64:
            raise ValueError(f"bad limit {self!r}")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds until one more hit would be allowed
    first_refusal: bool = False  # this hit crossed the limit: worth one audit row

    @property
    def retry_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


def estimate(*, previous: int, current: int, elapsed: float, per: int) -> float:
    """Hits in the last `per` seconds, `elapsed` seconds into the current window."""
    overlap = min(1.0, max(0.0, 1.0 - elapsed / per))
    return previous * overlap + current


def seconds_until_allowed(
    *, previous: int, current: int, elapsed: float, per: int, rate: int
) -> int:
    """How long until one more hit would be allowed, if no other hit arrives meanwhile."""
    room = rate - 1 - current  # what the previous window's share must shrink to
    if room >= 0:
        if previous * max(0.0, 1.0 - elapsed / per) <= room + _EPSILON:
            return 0
        # still in this window, once the previous window's share is small enough
        wait = per * (1.0 - room / previous) - elapsed
        if elapsed + wait < per:
            return math.ceil(wait - _EPSILON)
    # in the next window, where this window's hits become the decaying `previous`
    into_next = per * (1.0 - (rate - 1) / current) if current > rate - 1 else 0.0
    return math.ceil(per - elapsed + into_next - _EPSILON)


def key_digest(scope: str, key: str) -> str:
    value = f"{scope}\x00{key}"
    return salted_hmac("therapia.core.ratelimit", value, algorithm="sha256").hexdigest()


def hit(limit: Limit, key: str, *, now: float | None = None) -> Decision:
    """Count one hit for `key` and say whether it is within the limit."""
    moment = time.time() if now is None else now
    window = int(moment // limit.per)
    expires = dt.datetime.fromtimestamp((window + 2) * limit.per, tz=dt.UTC)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, {"scope": limit.scope, "key": key_digest(limit.scope, key),
                                 "window": window, "expires": expires})
        previous, current, stored_window = cursor.fetchone()
    if secrets.randbelow(PURGE_ONE_IN) == 0:
        purge_expired(now=moment)
    elapsed = max(0.0, moment - stored_window * limit.per)
    count = estimate(previous=previous, current=current, elapsed=elapsed, per=limit.per)
    if count <= limit.rate + _EPSILON:
        return Decision(allowed=True)
    wait = seconds_until_allowed(previous=previous, current=current, elapsed=elapsed,
                                 per=limit.per, rate=limit.rate)
    return Decision(allowed=False, retry_after=max(1, wait),
                    first_refusal=count - 1 <= limit.rate + _EPSILON)


def purge_expired(*, now: float | None = None) -> int:
    """Delete counters whose windows are both over; returns how many."""
    moment = dt.datetime.fromtimestamp(time.time() if now is None else now, tz=dt.UTC)
    deleted, _ = RateLimitCounter.objects.filter(expires_at__lt=moment).delete()
    return deleted


def address_key(request: HttpRequest) -> str:
    """The client's address (through trusted proxies only, core/client_ip.py)."""
    return client_ip(request) or "unknown"


def too_many_requests(request: HttpRequest, decision: Decision) -> HttpResponse:
    """429 with a plain page and Retry-After; nothing about the account or the client."""
    response = render(request, "429.html", {"minutes": decision.retry_minutes, "actor": None},
                      status=429)
    response["Retry-After"] = str(decision.retry_after)
    add_never_cache_headers(response)
    return response


def rate_limited(
    limit: Limit,
    *,
    key: Callable[[HttpRequest], str] = address_key,
    methods: Collection[str] | None = None,
) -> Callable[[View], View]:
    """Refuse a view with 429 once `key(request)` is over `limit`.

    `methods`: only these HTTP methods count (default: all). Meant for pages reached
    without signing in, such as a client's single-use link: `@rate_limited(Limit(
    "client_link.address", rate=20, per=600))`.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if methods is None or request.method in methods:
                decision = hit(limit, key(request))
                if not decision.allowed:
                    return too_many_requests(request, decision)
            return view(request, *args, **kwargs)

        return cast(View, wrapper)

    return decorator
