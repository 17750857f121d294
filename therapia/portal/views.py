"""What a client sees: a questionnaire through a private link, and the thank-you page.

No account and no session are needed: the token in the path is the key. The request has
no practice until the token is resolved (administrations.administration_for_token, through
a SECURITY DEFINER function), so row-level security shows nothing else. Every page is
rate-limited by address, never cached, kept out of search engines and sends no Referer to
another site (the token is in the path). Audit rows have no user and are labelled
system:portal.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from therapia.audit.context import current_origin, origin
from therapia.core import idempotency
from therapia.core.ratelimit import Limit, rate_limited
from therapia.measures import administrations
from therapia.measures.administrations import LinkClosed
from therapia.measures.forms import item_views
from therapia.measures.models import Administration
from therapia.portal.crisis import resources_for
from therapia.security.crypto import key_cache

LINK_LIMIT = Limit("portal.link", rate=120, per=600)  # per address: pages, saves and submits

View = Callable[..., HttpResponse]


def portal_view(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with origin(dataclasses.replace(current_origin(), job="portal")), key_cache():
            response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return never_cache(rate_limited(LINK_LIMIT)(wrapper))


PROBLEMS = {
    # state: (status, heading, text)
    "unknown": (404, "This link does not work",
                ("Please check that you copied the whole link, or ask your therapist for "
                 "a new one.")),
    "expired": (410, "This link has expired",
                "Please ask your therapist for a new link if they still need your answers."),
    "cancelled": (410, "This form is no longer needed",
                  "Your therapist has withdrawn it. There is nothing more to do."),
    "paper_only": (200, "This form is filled in on paper", administrations.PAPER_ONLY_REASON),
}


def _problem(request: HttpRequest, state: str) -> HttpResponse:
    status, heading, text = PROBLEMS[state]
    return render(request, "portal/link_problem.html",
                  {"heading": heading, "text": text, "state": state}, status=status)


def _page(request: HttpRequest, administration: Administration, token: str, *,
          values: Any, errors: dict[str, str], saved: bool = False,
          submission_id: str = "", status: int = 200) -> HttpResponse:
    definition = administrations.instrument_for(administration)
    recall = definition.recall
    intro = (f"Over the {recall}, how often have you been bothered by the following? "
             if recall else "") + "Choose one answer for each question."
    return render(request, "portal/questionnaire.html", {
        "administration": administration, "definition": definition, "token": token,
        "items": item_views(definition, values, errors, with_text=True), "errors": errors,
        "intro": intro, "saved": saved, "now": timezone.now(),
        "submission_id": submission_id or str(uuid.uuid4()),
        "practice": administration.practice}, status=status)


def _resolve(request: HttpRequest, token: str) -> tuple[Administration | None,
                                                      HttpResponse | None]:
    """The open administration behind the link, or the page to show instead."""
    administration = administrations.administration_for_token(token)
    if administration is None:
        return None, _problem(request, "unknown")
    state = administrations.link_state(administration)
    if state == "completed":
        return None, redirect("portal:done", token=token)
    if state != "open":
        return None, _problem(request, state)
    return administration, None


@portal_view
@require_http_methods(["GET", "HEAD", "POST"])
def questionnaire(request: HttpRequest, token: str) -> HttpResponse:
    administration, instead = _resolve(request, token)
    if administration is None:
        return instead or _problem(request, "unknown")
    if request.method != "POST":
        saved = administrations.answers_plaintext(administration)
        administrations.record_link_opened(administration)
        return _page(request, administration, token, values=saved.items if saved else [],
                     errors={})
    try:
        return _answer(request, administration, token)
    except LinkClosed as closed:
        if closed.state == "completed":
            return redirect("portal:done", token=token)
        return _problem(request, closed.state)
    except ValidationError as error:
        found = {key: " ".join(m for e in value for m in e.messages)
                 for key, value in getattr(error, "error_dict", {}).items()}
        return _page(request, administration, token, values=request.POST,
                     errors=found or {"item_1": " ".join(error.messages)},
                     submission_id=request.POST.get("submission_id", ""), status=422)


def _answer(request: HttpRequest, administration: Administration, token: str) -> HttpResponse:
    """Save progress (a button, or HTMX on each change), or submit."""
    definition = administrations.instrument_for(administration)
    submitting = request.POST.get("action") == "submit"
    items, errors = administrations.parse_answers(definition, request.POST, require=submitting)
    submission_id = request.POST.get("submission_id", "")
    if submitting and not errors:
        administrations.administration_submit(
            administration=administration, items=items,
            submission_id=idempotency.parse_token(submission_id))
        return redirect("portal:done", token=token)
    if not submitting:
        administrations.administration_save_progress(administration=administration,
                                                     items=items)
        if request.htmx:  # type: ignore[attr-defined]
            return render(request, "portal/questionnaire.html#save-status",
                          {"saved": True, "now": timezone.now()})
    return _page(request, administration, token, values=request.POST, errors=errors,
                 saved=not submitting, submission_id=submission_id,
                 status=422 if errors else 200)


@portal_view
@require_GET
def done(request: HttpRequest, token: str) -> HttpResponse:
    administration = administrations.administration_for_token(token)
    if administration is None:
        return _problem(request, "unknown")
    state = administrations.link_state(administration)
    if state != "completed":
        return redirect("portal:questionnaire", token=token) if state == "open" \
            else _problem(request, state)
    if administration.expires_at and administration.expires_at <= timezone.now():
        return _problem(request, "expired")
    return render(request, "portal/done.html", {
        "risk": bool(administration.risk_flag_ids), "practice": administration.practice,
        "resources": resources_for(administration.practice.jurisdiction)})
