"""Audit pages: a client's "who looked at my record" report."""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from django.shortcuts import render

from therapia.audit import selectors
from therapia.core.decorators import staff_view
from therapia.core.http import AuthedRequest


@staff_view
def client_access_report(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    report = selectors.access_report_for(actor=request.actor, public_id=public_id,
                                         page=request.GET.get("page"))
    return render(request, "audit/client_access_report.html",
                  {"report": report, "client": report.client, "nav": "clients"})
