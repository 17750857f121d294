"""Progress-note pages: a client's notes, writing and signing, addenda, history, the
supervisor's co-signature queue and the group-session form. Never cached (no-store)."""

from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from therapia.clients.selectors import client_get_for
from therapia.core import idempotency
from therapia.core.decorators import staff_view
from therapia.core.http import AuthedRequest
from therapia.records import note_policy, note_selectors, note_services
from therapia.records.forms import AddendumForm, GroupNoteForm, NoteForm, NoteStartForm
from therapia.records.note_templates import GROUP_SUMMARY, TEMPLATES, Template
from therapia.scheduling.models import Appointment, SessionKind
from therapia.security.policy import Access


def add_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's errors beside the fields they name, the rest at the top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


@never_cache
@staff_view
@require_GET
def notes(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    page = note_selectors.client_notes_page(actor=request.actor, client_public_id=public_id)
    start = NoteStartForm(sessions=page.sessions, initial={"template": Template.SOAP})
    return render(request, "records/notes.html",
                  {"page": page, "client": page.client, "start": start, "nav": "clients"})


@never_cache
@staff_view
@require_http_methods(["GET", "POST"])
def note_new(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    earlier = idempotency.earlier_result(request)
    if earlier:
        return redirect("records:note", public_id=earlier)
    client = client_get_for(actor=request.actor, public_id=public_id, need=Access.CLINICAL,
                            fields=note_selectors.NAME_FIELDS)
    if not note_policy.can_write_note(request.actor, client):
        raise Http404("No such client")
    params = request.POST if request.method == "POST" else request.GET
    template_key = params.get("template") or Template.SOAP
    if template_key not in TEMPLATES:
        template_key = Template.SOAP
    session = note_selectors.session_for_note(actor=request.actor, client=client,
                                              public_id=_uuid(params.get("session")))
    if session is not None and session.kind == SessionKind.GROUP:
        return redirect("records:group_note", public_id=session.public_id)
    template = TEMPLATES[template_key]
    form = NoteForm(request.POST or None, template=template)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                note = note_services.progress_note_create(
                    actor=request.actor, client=client, template=template_key,
                    sections=form.cleaned_data, appointment=session)
                idempotency.remember_submission(request, result_public_id=note.public_id)
        except ValidationError as error:
            add_errors(form, error)
        except PermissionDenied as error:
            raise Http404("No such client") from error
        except idempotency.DuplicateSubmission:
            earlier = idempotency.earlier_result(request)
            return redirect("records:note", public_id=earlier)
        else:
            return redirect("records:note", public_id=note.public_id)
    status = 422 if form.errors else 200
    context = {"client": client, "form": form, "template": template, "session": session,
               "form_token": idempotency.form_token(request),
               "nav": "clients"}
    return render(request, "records/note_new.html", context, status=status)


def _detail(request: AuthedRequest, public_id: uuid.UUID, addendum: AddendumForm | None = None,
            status: int = 200) -> HttpResponse:
    reading = note_selectors.note_read(actor=request.actor, public_id=public_id)
    context = {"r": reading, "note": reading.note, "client": reading.note.client,
               "addendum_form": addendum or AddendumForm(), "nav": "clients"}
    return render(request, "records/note.html", context, status=status)


@never_cache
@staff_view
@require_GET
def note(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    return _detail(request, public_id)


@never_cache
@staff_view
@require_http_methods(["GET", "POST"])
def note_edit(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    """Edit a draft; "Save and sign" signs the version just saved."""
    reading = note_selectors.note_read(actor=request.actor, public_id=public_id)
    found = reading.note
    if not reading.can_edit:
        if found.is_final or found.status != "draft":
            return render(request, "records/note_refused.html",
                          {"note": found, "client": found.client, "nav": "clients",
                           "message": note_services.SIGNED_MESSAGE if found.is_final else
                           "This note is waiting for co-signature: it can change only if "
                           "the supervisor returns it to you."}, status=409)
        raise Http404("No such note")
    revision = request.POST.get("revision") or str(found.revision)
    form = NoteForm(request.POST or None, template=reading.template, initial=reading.raw)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = note_services.progress_note_update(
                    actor=request.actor, note=found, sections=form.cleaned_data,
                    seen_revision=int(revision) if revision.isdigit() else -1)
                if request.POST.get("action") == "sign":
                    note_services.progress_note_sign(actor=request.actor, note=saved,
                                                     seen_revision=saved.revision)
        except note_services.EditConflict:
            form.add_error(None, note_services.CONFLICT_MESSAGE)
            revision = str(note_selectors.note_get_for(actor=request.actor,
                                                       public_id=public_id).revision)
        except ValidationError as error:
            add_errors(form, error)
        except PermissionDenied as error:
            raise Http404("No such note") from error
        else:
            return redirect("records:note", public_id=found.public_id)
    status = 422 if form.errors else 200
    context = {"note": found, "client": found.client, "form": form, "revision": revision,
               "template": reading.template, "needs_cosign":
               note_policy.needs_cosignature(found.author), "nav": "clients"}
    return render(request, "records/note_edit.html", context, status=status)


@never_cache
@staff_view
@require_POST
def note_cosign(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    found = note_selectors.note_get_for(actor=request.actor, public_id=public_id)
    action = (note_services.progress_note_return if request.POST.get("action") == "return"
              else note_services.progress_note_cosign)
    try:
        action(actor=request.actor, note=found)
    except (ValidationError, PermissionDenied):
        return render(request, "records/note_refused.html",
                      {"note": found, "client": found.client, "nav": "clients",
                       "message": "This note is not waiting for your co-signature."},
                      status=409)
    return redirect("records:cosign_queue")


@never_cache
@staff_view
@require_POST
def note_addendum(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    found = note_selectors.note_get_for(actor=request.actor, public_id=public_id)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            note_services.progress_note_addendum_add(actor=request.actor, note=found,
                                                     body=form.cleaned_data["body"])
        except ValidationError as error:
            add_errors(form, error)
        except PermissionDenied as error:
            raise Http404("No such note") from error
        else:
            return redirect("records:note", public_id=public_id)
    return _detail(request, public_id, addendum=form, status=422)


@never_cache
@staff_view
@require_GET
def note_history(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    found, versions = note_selectors.note_history(actor=request.actor, public_id=public_id)
    return render(request, "records/note_history.html",
                  {"note": found, "client": found.client, "versions": versions,
                   "nav": "clients"})


@never_cache
@staff_view
@require_GET
def cosign_queue(request: AuthedRequest) -> HttpResponse:
    waiting = note_selectors.cosign_queue(actor=request.actor)
    return render(request, "records/cosign_queue.html", {"waiting": waiting, "nav": "clients"})


@never_cache
@staff_view
@require_http_methods(["GET", "POST"])
def group_note(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    """The facilitator writes the group summary once and each member's own part."""
    session = (Appointment.objects.filter(public_id=public_id, practice=request.actor.practice,
                                          kind=SessionKind.GROUP,
                                          clinicians=request.actor.membership)
               .select_related("group").first())
    if session is None:
        raise Http404("No such session")
    members = [m for m in session.clients.order_by("legal_family_name")
               if note_policy.can_write_note(request.actor, m)]
    written = set(session.progress_notes.values_list("client_id", flat=True))
    open_members = [m for m in members if m.pk not in written]
    form = GroupNoteForm(request.POST or None, members=open_members)
    if request.method == "POST" and form.is_valid():
        parts = {m.pk: {"participation": form.cleaned_data[f"m{m.pk}"]} for m in open_members}
        try:
            note_services.group_notes_save(actor=request.actor, appointment=session,
                                           summary=form.cleaned_data[GROUP_SUMMARY],
                                           parts=parts)
        except ValidationError as error:
            add_errors(form, error)
        except PermissionDenied as error:
            raise Http404("No such session") from error
        else:
            return redirect("records:group_note", public_id=public_id)
    notes = list(session.progress_notes.select_related("client").order_by(
        "client__legal_family_name"))
    status = 422 if form.errors else 200
    return render(request, "records/group_note.html",
                  {"session": session, "form": form, "notes": notes, "nav": "clients"},
                  status=status)
