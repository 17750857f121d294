from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django_htmx.http import HttpResponseClientRedirect


def staff_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A signed-in member of a practice (the middleware has already required two-factor)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            response = redirect_to_login(request.get_full_path())
            if request.headers.get("HX-Request"):  # swap the whole page, not a fragment
                return HttpResponseClientRedirect(response["Location"])
            return response
        if getattr(request, "actor", None) is None:
            raise Http404("No practice membership")
        return view(request, *args, **kwargs)

    return wrapper
