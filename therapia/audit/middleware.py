from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from therapia.audit.context import Origin, origin
from therapia.core.client_ip import client_ip


class RequestContextMiddleware:
    """Records where each request came from, for the audit rows it writes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        value = Origin(
            ip_address=client_ip(request),
            user_agent=request.headers.get("user-agent", "")[:200],
        )
        with origin(value):
            return self.get_response(request)
