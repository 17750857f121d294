from __future__ import annotations

import dataclasses
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from therapia.security import emergency_access, rls
from therapia.security.actor import actor_for


class ActorMiddleware:
    """Sets request.actor (the signed-in user's membership in the current practice) and the
    database's row-level-security context to that practice for the rest of the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        with rls.request_scope(user.pk if signed_in else None):  # type: ignore[union-attr]
            if signed_in:
                actor = actor_for(user, request.session.get("practice"))  # type: ignore[arg-type]
                held = emergency_access.session_clients(request.session)
                if actor is not None and held:
                    actor = dataclasses.replace(actor, emergency_client_ids=held)
                request.actor = actor  # type: ignore[attr-defined]
                if actor is not None:
                    rls.set_practice(actor.practice.pk)
            return self.get_response(request)
