"""Links on the client overview: progress notes and the treatment plan, with a short state.
Only for an actor who may read them; nothing clinical in the words."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from therapia.clients.contributions import ClientLink
from therapia.clients.models import Client
from therapia.records.models import NoteStatus, ProgressNote
from therapia.records.note_policy import can_read_notes_of, can_view_plan
from therapia.records.plan_services import plan_for
from therapia.security.actor import Actor


def _notes_link(client: Client) -> ClientLink:
    notes = ProgressNote.objects.filter(client=client)
    drafts = notes.filter(status=NoteStatus.DRAFT).count()
    waiting = notes.filter(status=NoteStatus.PENDING_COSIGN).count()
    last = notes.filter(signed_at__isnull=False).order_by("-signed_at").first()
    states = []
    if drafts:
        states.append(f"{drafts} draft{'s' if drafts != 1 else ''}")
    if waiting:
        states.append(f"{waiting} waiting for co-signature")
    if last and last.signed_at:
        states.append(f"last signed {timezone.localtime(last.signed_at):%-d %B}")
    return ClientLink(label="Notes", url=reverse("records:notes", args=[client.public_id]),
                      note=", ".join(states) or "none yet", order=20)


def _plan_link(client: Client) -> ClientLink:
    plan = plan_for(client)
    if plan is None:
        state = "none yet"
    elif plan.review_on <= timezone.localdate():
        state = f"review overdue since {plan.review_on:%-d %B}"
    else:
        state = f"review due {plan.review_on:%-d %B}"
    return ClientLink(label="Treatment plan", note=state, order=21,
                      url=reverse("records:plan", args=[client.public_id]))


def links(actor: Actor, client: Client) -> list[ClientLink]:
    found = []
    if can_read_notes_of(actor, client):
        found.append(_notes_link(client))
    if can_view_plan(actor, client):
        found.append(_plan_link(client))
    return found
