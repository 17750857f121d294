"""Psychotherapy-note pages. Never cached by the browser or a proxy (no-store)."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from therapia.core import idempotency
from therapia.core.decorators import staff_view
from therapia.core.http import AuthedRequest
from therapia.records import selectors, services
from therapia.records.forms import PsychotherapyNoteForm


@never_cache
@staff_view
@require_http_methods(["GET", "POST"])
def psychotherapy_notes(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    """The actor's own notes for a client, and the form to add one (PN-2 banner)."""
    earlier = idempotency.earlier_result(request)
    if earlier:  # a retried submission: it was stored the first time
        return redirect("records:psychotherapy_note", public_id=earlier)
    page = selectors.psychotherapy_notes_page(actor=request.actor, client_public_id=public_id)
    if request.method == "POST" and not page.can_write:
        raise Http404("No such client")
    sessions = selectors.sessions_for_note(actor=request.actor, client=page.client)
    # "?session=<id>" comes from a progress note's "attach to this session" link.
    initial = {"appointment": request.GET.get("session", "")}
    form = PsychotherapyNoteForm(request.POST or None, sessions=sessions, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                note = services.psychotherapy_note_create(
                    actor=request.actor, client=page.client, body=form.cleaned_data["body"],
                    appointment=form.cleaned_data["appointment"])
                idempotency.remember_submission(request, result_public_id=note.public_id)
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied as error:
            raise Http404("No such client") from error
        except idempotency.DuplicateSubmission:
            earlier = idempotency.earlier_result(request)
            return redirect("records:psychotherapy_note", public_id=earlier)
        else:
            return redirect("records:psychotherapy_note", public_id=note.public_id)
    status = 422 if form.errors else 200
    form_token = idempotency.form_token(request)
    context = {"page": page, "client": page.client, "form": form, "form_token": form_token,
               "nav": "clients"}
    return render(request, "records/psychotherapy_notes.html", context, status=status)


@never_cache
@staff_view
@require_GET
def psychotherapy_note(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    reading = selectors.psychotherapy_note_read(actor=request.actor, public_id=public_id)
    return render(request, "records/psychotherapy_note.html",
                  {"r": reading, "note": reading.note, "nav": "clients"})
