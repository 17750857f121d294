"""Disclosure pages. Never cached (no-store); uploads stay in memory (documents.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from therapia.accounts.models import Membership
from therapia.clients.models import Client
from therapia.core import idempotency
from therapia.core.decorators import staff_view
from therapia.core.http import AuthedRequest
from therapia.disclosures import documents, selectors, services
from therapia.disclosures.bases import RULES, Basis, citation_text
from therapia.disclosures.forms import AuthorisationForm, CorrectionForm, DisclosureForm, RevokeForm
from therapia.disclosures.models import Authorisation, Disclosure


def in_memory_uploads(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Swap in the capped in-memory upload handler before anything reads the body; the CSRF
    check then runs inside (Django's documented order for custom upload handlers)."""
    protected = csrf_protect(view)

    @wraps(view)
    @csrf_exempt
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.upload_handlers = [documents.CappedMemoryUpload(request)]
        return protected(request, *args, **kwargs)

    return wrapper


def _bases_table() -> list[dict[str, Any]]:
    return [{"label": label, "citation": citation_text(code), "rule": RULES[code]}
            for code, label in Basis.choices]


def _form_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            target = name if name in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        form.add_error(None, error)


def _disclosure_input(form: DisclosureForm) -> services.DisclosureInput:
    data = form.cleaned_data
    return services.DisclosureInput(
        basis=data["basis"], recipient_name=data["recipient_name"],
        recipient_organisation=data["recipient_organisation"],
        recipient_address=data["recipient_address"], recipient_contact=data["recipient_contact"],
        categories=data["categories"], purpose=data["purpose"],
        description=data["description"], disclosed_at=data["disclosed_at"],
        jurisdiction=data["jurisdiction"], client_informed=data["client_informed"],
        unit=data["unit"], group=data["group"],
        accounting_suspended_until=data["accounting_suspended_until"],
        document=data["document"], correction_reason=data.get("correction_reason", ""))


@never_cache
@staff_view
@require_GET
def client_disclosures(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    page = selectors.client_disclosures(actor=request.actor, public_id=public_id)
    return render(request, "disclosures/client_disclosures.html",
                  {"page": page, "client": page.client, "nav": "clients"})


def _save_disclosure(request: AuthedRequest, client: Client, form: DisclosureForm,
                     corrects: Disclosure | None) -> HttpResponse | None:
    data = _disclosure_input(form)
    try:
        with transaction.atomic():
            disclosure = services.disclosure_record(actor=request.actor, client=client,
                                                    data=data, corrects=corrects)
            idempotency.remember_submission(request, result_public_id=disclosure.public_id)
    except services.AuthorisationMissing as error:
        services.disclosure_refusal_audit(actor=request.actor, client=client, basis=data.basis)
        _form_errors(form, error)
    except ValidationError as error:
        _form_errors(form, error)
    except PermissionDenied as error:
        raise Http404("No such client") from error
    except idempotency.DuplicateSubmission:
        earlier = idempotency.earlier_result(request)
        return redirect("disclosures:disclosure", public_id=earlier)
    else:
        return redirect("disclosures:disclosure", public_id=disclosure.public_id)
    return None


def _render_form(request: AuthedRequest, client: Client, form: DisclosureForm,
                 corrects: Disclosure | None = None) -> HttpResponse:
    status = 422 if form.errors else 200
    form_token = idempotency.form_token(request)
    return render(request, "disclosures/disclosure_form.html",
                  {"client": client, "form": form, "form_token": form_token,
                   "bases": _bases_table(), "corrects": corrects, "nav": "clients"},
                  status=status)


def _prefill_from(client: Client, authorisation_id: str | None) -> dict[str, Any]:
    """"Use this authorisation": the recipient and scope of one of the client's own."""
    try:
        wanted = uuid.UUID(str(authorisation_id))
    except ValueError:
        return {}
    found = Authorisation.objects.filter(client=client, public_id=wanted).first()
    if found is None:
        return {}
    return {"basis": Basis.CLIENT_AUTHORISATION, "recipient_name": found.recipient_name,
            "recipient_organisation": found.recipient_organisation,
            "recipient_address": found.recipient_address,
            "recipient_contact": found.recipient_contact, "categories": found.categories}


@never_cache
@staff_view
@in_memory_uploads
@require_http_methods(["GET", "POST"])
def disclosure_new(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    earlier = idempotency.earlier_result(request)
    if earlier:  # a retried submission: it was stored the first time
        return redirect("disclosures:disclosure", public_id=earlier)
    client = selectors.client_for_recording(actor=request.actor, public_id=public_id)
    units, groups = selectors.shared_records(client)
    initial = {"jurisdiction": client.practice.jurisdiction,
               "disclosed_at": timezone.localtime().replace(second=0, microsecond=0),
               **_prefill_from(client, request.GET.get("from"))}
    form = DisclosureForm(request.POST or None, request.FILES or None, initial=initial,
                          units=units, groups=groups)
    if request.method == "POST" and form.is_valid():
        done = _save_disclosure(request, client, form, corrects=None)
        if done is not None:
            return done
    return _render_form(request, client, form)


@never_cache
@staff_view
@require_GET
def disclosure(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    view = selectors.disclosure_read(actor=request.actor, public_id=public_id)
    return render(request, "disclosures/disclosure.html",
                  {"v": view, "d": view.disclosure, "client": view.disclosure.client,
                   "nav": "clients"})


@never_cache
@staff_view
@in_memory_uploads
@require_http_methods(["GET", "POST"])
def disclosure_correct(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    earlier = idempotency.earlier_result(request)
    if earlier:
        return redirect("disclosures:disclosure", public_id=earlier)
    view = selectors.disclosure_to_correct(actor=request.actor, public_id=public_id)
    original = view.disclosure
    client = original.client
    units, groups = selectors.shared_records(client)
    shared = (f"unit:{original.unit.public_id}" if original.unit
              else f"group:{original.group.public_id}" if original.group else "")
    initial = {name: getattr(original, name) for name in (
        "basis", "jurisdiction", "recipient_name", "recipient_organisation",
        "recipient_address", "recipient_contact", "categories", "client_informed",
        "accounting_suspended_until")}
    initial.update(purpose=view.purpose, description=view.description, shared_record=shared,
                   disclosed_at=timezone.localtime(original.disclosed_at))
    form = CorrectionForm(request.POST or None, request.FILES or None, initial=initial,
                          units=units, groups=groups)
    if request.method == "POST" and form.is_valid():
        done = _save_disclosure(request, client, form, corrects=original)
        if done is not None:
            return done
    return _render_form(request, client, form, corrects=original)


@never_cache
@staff_view
@require_GET
def document(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    download = selectors.document_download(actor=request.actor, public_id=public_id)
    response = HttpResponse(download.data, content_type=download.content_type)
    response["Content-Disposition"] = (content_disposition_header(True, download.name)
                                       or "attachment")
    return response


@never_cache
@staff_view
@require_GET
def accounting(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    report = selectors.accounting_for(actor=request.actor, public_id=public_id)
    return render(request, "disclosures/accounting.html",
                  {"report": report, "client": report.client, "nav": "clients"})


@never_cache
@staff_view
@require_GET
def accounting_print(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    report = selectors.accounting_for(actor=request.actor, public_id=public_id)
    return render(request, "disclosures/accounting_print.html",
                  {"report": report, "client": report.client,
                   "practice": report.client.practice, "printed_on": timezone.localdate()})


@never_cache
@staff_view
@in_memory_uploads
@require_http_methods(["GET", "POST"])
def authorisation_new(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    earlier = idempotency.earlier_result(request)
    if earlier:
        return redirect("disclosures:authorisation", public_id=earlier)
    client = selectors.client_for_recording(actor=request.actor, public_id=public_id)
    units, groups = selectors.shared_records(client)
    witnesses = (Membership.objects.filter(practice=client.practice, is_active=True)
                 .select_related("user"))
    form = AuthorisationForm(request.POST or None, request.FILES or None, units=units,
                             groups=groups, witnesses=witnesses,
                             initial={"witnessed_by": request.actor.membership.public_id,
                                      "signed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        entry = services.AuthorisationInput(
            kind=data["kind"], recipient_name=data["recipient_name"],
            recipient_organisation=data["recipient_organisation"],
            recipient_address=data["recipient_address"],
            recipient_contact=data["recipient_contact"], categories=data["categories"],
            purpose=data["purpose"], signed_on=data["signed_on"],
            witnessed_by=data["witnessed_by"], expires_on=data["expires_on"],
            expiry_event=data["expiry_event"], unit=data["unit"], group=data["group"],
            document=data["document"])
        try:
            with transaction.atomic():
                authorisation = services.authorisation_record(actor=request.actor,
                                                              client=client, data=entry)
                idempotency.remember_submission(request, result_public_id=authorisation.public_id)
        except ValidationError as error:
            _form_errors(form, error)
        except PermissionDenied as error:
            raise Http404("No such client") from error
        except idempotency.DuplicateSubmission:
            earlier = idempotency.earlier_result(request)
            return redirect("disclosures:authorisation", public_id=earlier)
        else:
            return redirect("disclosures:authorisation", public_id=authorisation.public_id)
    status = 422 if form.errors else 200
    form_token = idempotency.form_token(request)
    return render(request, "disclosures/authorisation_form.html",
                  {"client": client, "form": form, "form_token": form_token, "nav": "clients"},
                  status=status)


def _authorisation_page(request: AuthedRequest, view: selectors.AuthorisationView,
                        form: RevokeForm, status: int = 200) -> HttpResponse:
    return render(request, "disclosures/authorisation.html",
                  {"v": view, "a": view.authorisation, "client": view.authorisation.client,
                   "form": form, "nav": "clients"}, status=status)


@never_cache
@staff_view
@require_GET
def authorisation(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    view = selectors.authorisation_read(actor=request.actor, public_id=public_id)
    form = RevokeForm(initial={"revoked_on": timezone.localdate()})
    return _authorisation_page(request, view, form)


@never_cache
@staff_view
@require_POST
def authorisation_revoke(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    view = selectors.authorisation_read(actor=request.actor, public_id=public_id)
    if not view.can_revoke and not hasattr(view.authorisation, "revocation"):
        raise Http404("No such authorisation")
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            services.authorisation_revoke(actor=request.actor, authorisation=view.authorisation,
                                          revoked_on=form.cleaned_data["revoked_on"])
        except ValidationError as error:
            _form_errors(form, error)
        except PermissionDenied as error:
            raise Http404("No such authorisation") from error
        else:
            return redirect("disclosures:authorisation", public_id=public_id)
    return _authorisation_page(request, view, form, status=422)


@never_cache
@staff_view
@require_GET
def practice_log(request: AuthedRequest) -> HttpResponse:
    page = selectors.practice_log(actor=request.actor, page=request.GET.get("page"))
    return render(request, "disclosures/practice_log.html", {"page": page, "nav": "clients"})
