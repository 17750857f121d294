from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect

from therapia.core.decorators import staff_view
from therapia.core.http import AuthedRequest


@staff_view
def home(request: AuthedRequest) -> HttpResponse:
    return redirect("scheduling:agenda")
