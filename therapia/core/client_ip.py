"""The address a request came from, for the audit trail and for lock-out.

Behind N trusted reverse proxies (THERAPIA_TRUSTED_PROXIES), the client is the N-th
address from the right of X-Forwarded-For; anything further left was written by the
client and cannot be trusted.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    proxies: int = settings.TRUSTED_PROXIES
    candidate = request.META.get("REMOTE_ADDR") or None
    if proxies:
        forwarded = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate)) if candidate else None
    except ValueError:
        return None
