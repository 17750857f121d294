"""Where a request or job came from, carried to the audit trail without passing it around."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Origin:
    ip_address: str | None = None
    user_agent: str = ""
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    job: str = ""  # set for background jobs and commands


_origin: contextvars.ContextVar[Origin | None] = contextvars.ContextVar("origin", default=None)


def current_origin() -> Origin:
    return _origin.get() or Origin(job="unknown")


@contextmanager
def origin(value: Origin) -> Iterator[Origin]:
    token = _origin.set(value)
    try:
        yield value
    finally:
        _origin.reset(token)
