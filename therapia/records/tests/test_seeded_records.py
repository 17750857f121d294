"""The demo practice's progress notes and treatment plans: realistic, encrypted like real
ones, readable through the selectors, and group notes that name no one."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.core.management import call_command

from therapia.accounts.models import Practice, Role
from therapia.clients.models import Client
from therapia.records import note_selectors, plan_selectors
from therapia.records.models import (
    NoteStatus,
    PlanSignOff,
    ProgressNote,
    TreatmentPlan,
)
from therapia.records.note_services import names_in, sections_plaintext
from therapia.records.note_templates import GROUP_SUMMARY, Template
from therapia.security.actor import Actor

TODAY = dt.date(2026, 3, 10)


def test_the_seeded_practice_has_notes_and_plans(db: None) -> None:
    call_command("seed", "--clients", "14", "--seed", "7", "--practice-name", "Notes seed",
                 "--today", TODAY.isoformat())
    practice = Practice.objects.get(name="Notes seed")
    notes = ProgressNote.objects.filter(practice=practice).select_related("author", "client")
    states = Counter(notes.values_list("status", flat=True))
    templates = Counter(notes.values_list("template", flat=True))
    assert states[NoteStatus.LOCKED] > states[NoteStatus.DRAFT] > 0
    assert states[NoteStatus.PENDING_COSIGN] >= 1
    assert {Template.SOAP, Template.GROUP, Template.COUPLE_FAMILY} <= set(templates)
    pending = notes.filter(status=NoteStatus.PENDING_COSIGN).first()
    assert pending is not None and pending.author.role == Role.TRAINEE

    # Readable through the selector by the author, like a note written in the app.
    note = notes.filter(status=NoteStatus.LOCKED, template=Template.SOAP).first()
    assert note is not None
    author = Actor(user=note.author.user, membership=note.author)
    reading = note_selectors.note_read(actor=author, public_id=note.public_id)
    assert reading.raw["subjective"].startswith("Reported")

    # Group notes: one summary per session, no member named anywhere.
    group_notes = list(notes.filter(template=Template.GROUP).select_related("appointment"))
    roster = list(Client.objects.filter(practice=practice))
    for group_note in group_notes:
        sections = sections_plaintext(client=group_note.client,
                                      version=group_note.versions.get(number=1))
        assert not names_in(" ".join(sections.values()), roster)
    summaries: dict[int, set[str]] = {}
    for group_note in group_notes:
        text = sections_plaintext(client=group_note.client,
                                  version=group_note.versions.get())[GROUP_SUMMARY]
        summaries.setdefault(group_note.appointment_id or 0, set()).add(text)
    assert all(len(texts) == 1 for texts in summaries.values())

    plans = TreatmentPlan.objects.filter(practice=practice).select_related("client")
    assert plans.exists()
    assert plans.filter(current_number__gte=2).exists()
    assert PlanSignOff.objects.filter(version__plan__practice=practice).count() == plans.count()
    plan = plans.first()
    assert plan is not None
    primary = plan.client.care_team.get(role="primary").membership
    page = plan_selectors.plan_page(actor=Actor(user=primary.user, membership=primary),
                                    client_public_id=plan.client.public_id)
    assert page.content is not None and page.content.goal_count >= 2
