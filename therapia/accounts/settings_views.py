from __future__ import annotations

from django.http import HttpResponse

from therapia.core.decorators import staff_view
from therapia.core.http import AuthedRequest


@staff_view
def people(request: AuthedRequest) -> HttpResponse:
    return HttpResponse("todo")
