from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse


def staff_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A signed-in, two-factor-verified member of a practice (middleware checks 2FA)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request, "actor", None) is None:
            raise Http404("No practice membership")
        return view(request, *args, **kwargs)

    return wrapper
