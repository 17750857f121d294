from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from therapia.security.actor import actor_for


class ActorMiddleware:
    """Sets request.actor: the signed-in user's membership in the current practice."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            chosen = request.session.get("practice")
            request.actor = actor_for(user, chosen)  # type: ignore[attr-defined]
        return self.get_response(request)
