"""Progress notes and treatment plans for the demo practice.

Notes: one per client for each attended past session — mostly signed (locked) SOAP, DAP or
BIRP notes in the author's preferred template, an intake note for intake sessions, a
couple/family note for joint sessions and a group note (shared de-identified summary, the
member's own part) for group sessions; the last week's notes are partly still drafts; a
trainee's most recent note waits for co-signature, earlier ones are co-signed by their
supervisor; a few notes have an addendum.

Plans: a treatment plan with one to three versions for each client in treatment (an open
episode in treatment, or, before episodes are seeded, a client seen in the last four weeks),
the first version signed by the client on paper.

Rows are written with COPY (seeding/bulk.py); clinical text is encrypted exactly as the
services encrypt it (same key class, model label, record id and field). Full notes are
written for the first FULL_NOTE_CLIENTS clients only: the rest of a large practice gets
plans but no notes (see docs/benchmarks.md for the cost per note).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone

from therapia.accounts.models import Membership, Practice, Role
from therapia.clients.models import CareTeamMember, Client, Episode, EpisodeStatus
from therapia.records.models import (
    NoteStatus,
    PlanSignOff,
    ProgressNote,
    ProgressNoteAddendum,
    ProgressNoteVersion,
    TreatmentPlan,
    TreatmentPlanVersion,
)
from therapia.records.note_services import addendum_ciphertext, sections_ciphertext
from therapia.records.note_templates import GROUP_SUMMARY, Template
from therapia.records.plan_services import (
    Goal,
    PlanContent,
    Problem,
    content_ciphertext,
)
from therapia.scheduling.models import Appointment, Purpose, SessionKind, Status
from therapia.security import crypto
from therapia.security.models import SupervisionRecord
from therapia.seeding.bulk import base_columns, insert_rows, reserve_ids

FULL_NOTE_CLIENTS = 600
DRAFT_WITHIN_DAYS = 7
DRAFT_SHARE = 0.5
ADDENDUM_SHARE = 0.03
INDIVIDUAL_TEMPLATES = (Template.SOAP, Template.DAP, Template.BIRP)

MOODS = ("a difficult week", "a steadier week", "a mixed week", "a better week than expected",
         "a tiring week at work", "a week with more energy")
FOCUS = ("avoidance of social plans", "worry about work", "sleep and routine",
         "self-critical thinking", "a conflict with a family member", "panic in crowded places",
         "low motivation in the mornings", "reminders of a past event")
OBSERVED = ("Engaged and reflective; affect congruent.", ("Tired, slowed speech, good eye "
            "contact."), "Anxious at first, settled during the session.", ("Bright, talkative, "
            "laughed at times."), "Tearful when discussing the week; able to re-focus.")
INTERVENTIONS = ("Reviewed the activity diary and planned three valued activities.",
                 "Cognitive restructuring of a recent automatic thought.",
                 "Graded exposure: agreed the next step on the hierarchy.",
                 "Practised paced breathing and grounding.",
                 "Worked on a behavioural experiment to test a prediction.",
                 "Validation and chain analysis of a recent urge.",
                 "Values clarification and committed action.")
RESPONSES = ("Engaged well and could name an alternative view.", ("Found the exercise hard "
             "but completed it."), "Reported feeling calmer by the end.", ("Agreed the plan "
             "and suggested a first step."))
PLANS = ("Continue the diary; review next week.", ("Try the behavioural experiment before "
         "the next session."), "Practise the skill daily; repeat PHQ-9 next session.",
         "Next step on the exposure hierarchy.")
RISKS = ("No risk issues.", "No risk issues.", "No risk issues.", ("Passive thoughts of "
         "not wanting to be here, no plan or intent; safety plan reviewed."))
GROUP_TOPICS = ("Skills session on noticing and naming emotions; practice in pairs.",
                "Behavioural activation: planning rewarding activities, shared examples.",
                "Distress tolerance skills; group practised a grounding exercise.",
                "Review of the week's home practice and problem-solving in small groups.")
PARTICIPATION = ("Took an active part and shared a recent example of their own.",
                 "Quiet at first; contributed in the small-group exercise.",
                 "Reported completing the home practice most days.",
                 "Said the skill helped on one difficult evening.")
ADDENDA = ("Late entry: the client phoned after the session to confirm the homework plan.",
           "Correction: the questionnaire was completed before, not after, the session.")


@dataclass(frozen=True)
class Presenting:
    problem: str
    goal: str
    measure: str
    target: int
    interventions: tuple[str, ...]


PROBLEMS = (
    Presenting("Low mood and withdrawal", "Back to seeing friends every week", "phq9", 10,
             ("cbt", "ba")),
    Presenting("Worry that is hard to control", "Worry no longer stops sleep or work", "gad7", 8,
             ("cbt", "psychoeducation")),
    Presenting("Intrusive memories of a past event", "Fewer intrusions and less avoidance",
             "pcl5", 33, ("tf_cbt", "emdr")),
    Presenting("Panic attacks in busy places", "Travel by bus alone", "gad7", 8,
             ("cbt", "exposure")),
    Presenting("Intense emotions and urges", "Use skills instead of acting on urges", "core10",
             11, ("dbt",)),
    Presenting("Difficulties at work and at home", "Manage the week without feeling "
             "overwhelmed", "wsas", 10, ("act", "problem_solving")),
)


def _soap(rng: random.Random) -> dict[str, str]:
    return {"subjective": f"Reported {rng.choice(MOODS)}; focus on {rng.choice(FOCUS)}.",
            "objective": rng.choice(OBSERVED),
            "assessment": f"{rng.choice(INTERVENTIONS)} {rng.choice(RESPONSES)}",
            "risk": rng.choice(RISKS), "plan": rng.choice(PLANS)}


def _sections(rng: random.Random, template: str, group_summary: str) -> dict[str, str]:
    if template == Template.SOAP:
        return _soap(rng)
    if template == Template.DAP:
        soap = _soap(rng)
        return {"data": f"{soap['subjective']} {soap['objective']}",
                "assessment": soap["assessment"], "risk": soap["risk"], "plan": soap["plan"]}
    if template == Template.BIRP:
        return {"behaviour": f"Reported {rng.choice(MOODS)}. {rng.choice(OBSERVED)}",
                "intervention": rng.choice(INTERVENTIONS), "response": rng.choice(RESPONSES),
                "risk": rng.choice(RISKS), "plan": rng.choice(PLANS)}
    if template == Template.INTAKE:
        return {"presenting": f"Came about {rng.choice(FOCUS)}, worse over recent months.",
                "background": "No previous therapy. Works full time; lives with a partner.",
                "mental_state": rng.choice(OBSERVED), "risk": rng.choice(RISKS),
                "formulation": "Avoidance maintains low mood and worry.",
                "plan": "Offered 12 sessions of CBT; PHQ-9 and GAD-7 each session."}
    if template == Template.COUPLE_FAMILY:
        return {"present": "Both partners" if rng.random() < 0.5 else "Parent and child",
                "focus": "Communication during disagreements.",
                "client_part": rng.choice(PARTICIPATION),
                "intervention": "Practised speaker-listener turns.",
                "risk": "No risk issues.", "plan": "Practise one calm check-in a week."}
    return {GROUP_SUMMARY: group_summary, "participation": rng.choice(PARTICIPATION),
            "risk": "No risk issues.", "plan": rng.choice(PLANS)}


def _template(appointment: Mapping[str, Any], author_pk: int, first: bool) -> str:
    kind = appointment["kind"]
    if kind == SessionKind.GROUP:
        return Template.GROUP
    if kind in (SessionKind.COUPLE, SessionKind.FAMILY):
        return Template.COUPLE_FAMILY
    if first or appointment["purpose"] == Purpose.INTAKE:
        return Template.INTAKE
    return INDIVIDUAL_TEMPLATES[author_pk % len(INDIVIDUAL_TEMPLATES)]


NOTE_FIELDS = ("id", "public_id", "created_at", "updated_at", "practice_id", "client_id",
               "episode_id", "appointment_id", "author_id", "template", "status", "revision",
               "submitted_at", "signed_at", "cosigned_by_id", "cosigned_at", "locked_at")
VERSION_FIELDS = ("id", "public_id", "created_at", "updated_at", "note_id", "number",
                  "sections", "saved_by_id")
ADDENDUM_FIELDS = ("id", "public_id", "created_at", "updated_at", "note_id", "author_id",
                   "written_at", "body")


def end_of(day: dt.date) -> dt.datetime:
    """The seeded history runs up to `day` (the demo's today, or a test's)."""
    return min(timezone.now(), timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59))))


class _Episodes:
    def __init__(self, practice: Practice) -> None:
        self.by_client: dict[int, list[Episode]] = defaultdict(list)
        for episode in Episode.objects.filter(practice=practice).order_by("opened_on"):
            self.by_client[episode.client_id].append(episode)

    def on(self, client_id: int, day: dt.date) -> int | None:
        for episode in reversed(self.by_client.get(client_id, [])):
            if episode.opened_on <= day and (episode.discharged_on is None
                                             or episode.discharged_on >= day):
                return episode.pk
        return None


def seed_progress_notes(practice: Practice, *, rng: random.Random, today: dt.date,
                        full_note_clients: int = FULL_NOTE_CLIENTS) -> int:
    """Notes for the attended past sessions of the first clients; returns how many."""
    now = end_of(today)
    clients = {c.pk: c for c in Client.objects.filter(practice=practice).order_by("pk")
               .only("pk", "public_id", "practice_id")[:full_note_clients]}
    members = {m.pk: m for m in Membership.objects.filter(practice=practice)}
    team = set(CareTeamMember.objects.filter(client_id__in=clients, ended_on__isnull=True)
               .values_list("client_id", "membership_id"))
    supervisor_of = dict(SupervisionRecord.objects.filter(practice=practice)
                         .values_list("supervisee_id", "supervisor_id"))
    sessions = {a["pk"]: a for a in Appointment.objects.filter(
        practice=practice, status=Status.ATTENDED, starts_at__lt=now,
        clients__in=clients).values("pk", "kind", "purpose", "starts_at").distinct()}
    clinicians: dict[int, list[int]] = defaultdict(list)
    for appointment_id, membership_id in Appointment.clinicians.through.objects.filter(
            appointment_id__in=sessions).values_list("appointment_id", "membership_id"):
        clinicians[appointment_id].append(membership_id)
    pairs = sorted(Appointment.clients.through.objects.filter(
        appointment_id__in=sessions, client_id__in=clients)
        .values_list("appointment_id", "client_id"),
        key=lambda pair: (pair[1], sessions[pair[0]]["starts_at"]))
    episodes = _Episodes(practice)
    group_summary = {pk: rng.choice(GROUP_TOPICS) for pk, a in sessions.items()
                     if a["kind"] == SessionKind.GROUP}

    note_rows: list[list[object]] = []
    version_rows: list[tuple[object, ...]] = []
    addendum_rows: list[tuple[object, ...]] = []
    ids = iter(reserve_ids(ProgressNote, len(pairs)))
    seen_client: set[int] = set()
    latest_pending: dict[int, int] = {}  # trainee -> index of their latest note in note_rows
    with crypto.key_cache():
        for appointment_id, client_id in pairs:
            appointment, client = sessions[appointment_id], clients[client_id]
            authors = clinicians[appointment_id]
            author_id = next((m for m in authors if (client_id, m) in team), authors[0])
            author = members[author_id]
            when: dt.datetime = appointment["starts_at"]
            template = _template(appointment, author_id, client_id not in seen_client)
            seen_client.add(client_id)
            written = when + dt.timedelta(hours=2)
            recent = (now - when).days < DRAFT_WITHIN_DAYS
            status = (NoteStatus.DRAFT if recent and rng.random() < DRAFT_SHARE
                      else NoteStatus.LOCKED)
            signed, submitted, cosigner, cosigned = _signatures(
                rng, status, written, supervisor_of.get(author_id)
                if author.role == Role.TRAINEE else None)
            pk = next(ids)
            episode_id = episodes.on(client_id, timezone.localdate(when))
            note_rows.append([pk, uuid.uuid4(), written, signed or written, practice.pk,
                              client_id, episode_id, appointment_id, author_id, template,
                              status, 1, submitted, signed, cosigner, cosigned, signed])
            if author.role == Role.TRAINEE and author_id in supervisor_of:
                latest_pending[author_id] = len(note_rows) - 1
            version = ProgressNoteVersion(note_id=pk, number=1, saved_by_id=author_id)
            sections = _sections(rng, template, group_summary.get(appointment_id, ""))
            version_rows.append((None, version.public_id, written, written, pk, 1,
                                 sections_ciphertext(client=client, version=version,
                                                     sections=sections), author_id))
            if signed and rng.random() < ADDENDUM_SHARE:
                addendum = ProgressNoteAddendum(note_id=pk, author_id=author_id)
                at = signed + dt.timedelta(days=1)
                addendum_rows.append((None, addendum.public_id, at, at, pk, author_id, at,
                                      addendum_ciphertext(client=client, addendum=addendum,
                                                          text=rng.choice(ADDENDA))))
    for index in latest_pending.values():  # the trainee's latest note waits for Sam
        _pending(note_rows[index])
    if note_rows and not any(row[10] == NoteStatus.DRAFT for row in note_rows):
        latest = max((row for row in note_rows if row[10] == NoteStatus.LOCKED),
                     key=lambda row: row[2], default=None)  # type: ignore[arg-type,return-value]
        if latest is not None:  # someone is always still writing up a session
            latest[10] = NoteStatus.DRAFT
            latest[13] = latest[14] = latest[15] = latest[16] = None
    _write_notes(note_rows, version_rows, addendum_rows)
    return len(note_rows)


def _signatures(rng: random.Random, status: str, written: dt.datetime, supervisor: int | None
                ) -> tuple[dt.datetime | None, dt.datetime | None, int | None,
                           dt.datetime | None]:
    """signed_at, submitted_at, cosigned_by and cosigned_at of a note (a trainee's note is
    signed when its supervisor co-signs it)."""
    if status != NoteStatus.LOCKED:
        return None, None, None, None
    signed = written + dt.timedelta(hours=rng.randint(0, 30))
    if supervisor is None:
        return signed, None, None, None
    cosigned = signed + dt.timedelta(hours=rng.randint(4, 60))
    return cosigned, signed, supervisor, cosigned


def _pending(row: list[object]) -> None:
    """Turn a note row into one waiting for co-signature since it was signed or written."""
    row[10], row[12] = NoteStatus.PENDING_COSIGN, row[13] or row[2]
    row[13] = row[14] = row[15] = row[16] = None


def _write_notes(note_rows: list[list[object]], version_rows: list[tuple[object, ...]],
                 addendum_rows: list[tuple[object, ...]]) -> None:
    version_ids = reserve_ids(ProgressNoteVersion, len(version_rows))
    addendum_ids = reserve_ids(ProgressNoteAddendum, len(addendum_rows))
    insert_rows(ProgressNote, NOTE_FIELDS, note_rows)
    insert_rows(ProgressNoteVersion, VERSION_FIELDS,
                ((pk, *row[1:]) for pk, row in zip(version_ids, version_rows, strict=True)))
    insert_rows(ProgressNoteAddendum, ADDENDUM_FIELDS,
                ((pk, *row[1:]) for pk, row in zip(addendum_ids, addendum_rows, strict=True)))


PLAN_FIELDS = ("id", "public_id", "created_at", "updated_at", "practice_id", "client_id",
               "episode_id", "created_by_id", "current_number", "review_on")
PLAN_VERSION_FIELDS = ("id", "public_id", "created_at", "updated_at", "plan_id", "number",
                       "content", "goal_count", "frequency", "session_format", "delivery",
                       "review_on", "created_by_id")
SIGN_OFF_FIELDS = ("id", "public_id", "created_at", "updated_at", "version_id", "signed_on",
                   "method", "witnessed_by_id", "recorded_by_id")
REVIEW_WEEKS = 12


def _plan_content(chosen: list[Presenting], version: int) -> PlanContent:
    problems = []
    for index, p in enumerate(chosen):
        target = max(0, p.target - 2 * (version - 1)) if index == 0 else p.target
        goals = [Goal(text=p.goal, interventions=p.interventions, measure=p.measure,
                      direction="below", target=target)]
        if version > 1 and index == 0:
            goals.append(Goal(text="Keep the gains: a written relapse-prevention plan",
                              interventions=("psychoeducation",)))
        problems.append(Problem(text=p.problem, goals=tuple(goals)))
    return PlanContent(problems=tuple(problems))


def seed_treatment_plans(practice: Practice, *, rng: random.Random, today: dt.date) -> int:
    """A plan with versions for each client in treatment; returns how many plans."""
    primaries = dict(CareTeamMember.objects.filter(
        client__practice=practice, role="primary", ended_on__isnull=True,
    ).values_list("client_id", "membership_id"))
    in_treatment = {e.client_id: e for e in Episode.objects.filter(
        practice=practice, status=EpisodeStatus.IN_TREATMENT)}
    if in_treatment:
        starts = {cid: e.first_treatment_on or e.opened_on for cid, e in in_treatment.items()}
    else:  # before episodes are seeded: clients seen in the last four weeks
        recent = end_of(today) - dt.timedelta(weeks=4)
        seen = Appointment.clients.through.objects.filter(
            Q(appointment__practice=practice), appointment__status=Status.ATTENDED,
            appointment__starts_at__gte=recent).values_list("client_id", flat=True).distinct()
        starts = {cid: today - dt.timedelta(weeks=rng.randint(4, 20)) for cid in sorted(seen)}
    clients = {c.pk: c for c in Client.objects.filter(pk__in=starts)
               .only("pk", "public_id", "practice_id")}
    plan_rows, version_rows, sign_rows = [], [], []
    plan_ids = iter(reserve_ids(TreatmentPlan, len(clients)))
    with crypto.key_cache():
        for client_id in sorted(clients):
            author = primaries.get(client_id)
            if author is None:
                continue
            begun = min(starts[client_id], today)
            count = 1 + min(2, (today - begun).days // (7 * REVIEW_WEEKS // 2))
            plan_id = next(plan_ids)
            chosen = rng.sample(PROBLEMS, 2)
            review = today
            for number in range(1, count + 1):
                day = begun + dt.timedelta(weeks=(number - 1) * REVIEW_WEEKS // 2)
                at = timezone.make_aware(dt.datetime.combine(day, dt.time(16)))
                review = day + dt.timedelta(weeks=REVIEW_WEEKS)
                content = _plan_content(chosen, number)
                version = TreatmentPlanVersion(plan_id=plan_id, number=number)
                version_rows.append([version.public_id, at, at, plan_id, number,
                                     content_ciphertext(client=clients[client_id],
                                                        version=version, content=content),
                                     content.goal_count, "weekly", "individual",
                                     rng.choice(("in_person", "in_person", "video")), review,
                                     author])
                if number == 1:
                    sign_rows.append((len(version_rows) - 1, day, author))
            first = version_rows[-count][1]
            plan_rows.append((plan_id, uuid.uuid4(), first, version_rows[-1][1], practice.pk,
                              client_id, getattr(in_treatment.get(client_id), "pk", None),
                              author, count, review))
    version_ids = reserve_ids(TreatmentPlanVersion, len(version_rows))
    insert_rows(TreatmentPlan, PLAN_FIELDS, plan_rows)
    insert_rows(TreatmentPlanVersion, PLAN_VERSION_FIELDS,
                ((pk, *row) for pk, row in zip(version_ids, version_rows, strict=True)))
    now = timezone.now()
    sign_ids = reserve_ids(PlanSignOff, len(sign_rows))
    insert_rows(PlanSignOff, SIGN_OFF_FIELDS,
                ((pk, *base_columns(now), version_ids[index], day, "paper", author, author)
                 for pk, (index, day, author) in zip(sign_ids, sign_rows, strict=True)))
    return len(plan_rows)


def seed_notes_and_plans(practice: Practice, *, rng: random.Random, today: dt.date) -> int:
    """Both, in order (after the sessions and episodes); returns how many rows of each."""
    return (seed_progress_notes(practice, rng=rng, today=today)
            + seed_treatment_plans(practice, rng=rng, today=today))
