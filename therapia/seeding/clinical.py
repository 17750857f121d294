"""Synthetic clinical records for the demo practice: an intake assessment for each episode
past the waiting list, one or two diagnoses that fit the assessment, safety plans for the
clients assessed at moderate or high suicide risk, and a medication list for the clients
who see the psychiatrist.

Rows are bulk-inserted (a 5,000-client practice has thousands), but narrative text is
sealed exactly as the services seal it (therapia/clinical/sealing.py): the same key class,
model label, record id and field. Every draw comes from the random stream passed in.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.utils import timezone

from therapia.accounts.models import Membership, Practice, PractitionerProfile, Profession
from therapia.clients.models import CareTeamMember, Client, Episode, EpisodeStatus
from therapia.clinical.models import (
    MSE_DOMAINS,
    RISK_AREAS,
    Assessment,
    AssessmentStatus,
    CodeSystem,
    Diagnosis,
    DiagnosisChange,
    DiagnosisRank,
    DiagnosisStatus,
    IcdCode,
    Medication,
    MedicationChange,
    MedicationChangeKind,
    MseFinding,
    RiskLevel,
    Route,
    SafetyPlanVersion,
)
from therapia.clinical.sealing import seal, seal_json
from therapia.security import crypto
from therapia.seeding.bulk import BATCH_SIZE

ICD11_SHARE = 0.15  # clinicians who code in ICD-11
SECONDARY_SHARE = 0.35


@dataclass(frozen=True)
class Presentation:
    """A common reason to come to therapy, with what an assessment of it says."""

    key: str
    problem: str
    history: str
    mse: dict[str, str]  # the exceptions to within-normal-limits
    formulation: str
    treatment: str
    icd10cm: str
    icd11: str
    secondary: tuple[tuple[str, str], ...] = ()  # (ICD-10-CM, ICD-11) comorbidities
    suicide_risk: tuple[str, ...] = ("none", "none", "low")
    medicines: tuple[tuple[str, str, str], ...] = ()  # (name, dose, frequency)
    minors: bool = False


PRESENTATIONS = (
    Presentation(
        "depression", "Low mood, loss of interest and poor sleep for about five months; "
        "stopped seeing friends; struggling at work.",
        "A first depressive episode at university, treated by the GP with sertraline.",
        {"mood": "Low, 3 out of 10 in their words.", "affect": "Restricted, tearful at times."},
        "Redundancy and a break-up removed routine and sources of reward; withdrawal and "
        "rumination keep the low mood going.",
        "Behavioural activation, 12-16 weekly sessions; PHQ-9 at every session.",
        "F33.1", "6A71.1", (("F41.1", "6B00"),), ("none", "low", "low", "moderate", "high"),
        (("Sertraline", "100 mg", "once daily, morning"),
         ("Mirtazapine", "15 mg", "at night"))),
    Presentation(
        "gad", "Constant worry about health, money and family; tense, tired, cannot switch "
        "off at night.", "Anxious since childhood; no previous treatment.",
        {"behaviour": "Restless, fidgeting throughout.", "affect": "Anxious."},
        "Worry used as a way to feel prepared; intolerance of uncertainty; avoidance of "
        "situations that cannot be controlled.",
        "CBT for generalised anxiety, 12 sessions; GAD-7 at every session.",
        "F41.1", "6B00", (("F32.A", "6A70.5"),), ("none", "none", "low"),
        (("Sertraline", "50 mg", "once daily"),)),
    Presentation(
        "panic", "Panic attacks on public transport two or three times a week; now avoids "
        "the Underground.", "One panic attack at 19; otherwise well.",
        {"affect": "Anxious when describing the attacks."},
        "Catastrophic misreading of palpitations as a heart attack; escape and safety "
        "behaviours prevent disconfirmation.",
        "CBT for panic disorder (Clark), 10 sessions, with behavioural experiments.",
        "F41.0", "6B01", (("F40.00", "6B02"),), ("none", "none", "low"),
        (("Sertraline", "50 mg", "once daily"),)),
    Presentation(
        "ptsd", "Nightmares, flashbacks and startle after a serious road traffic collision "
        "eight months ago.", "No previous mental-health history.",
        {"behaviour": "Hypervigilant, sat facing the door.", "mood": "Low and irritable.",
         "thought_content": "Preoccupied with the collision."},
        "Trauma memory poorly elaborated; appraisals of ongoing threat; avoidance of "
        "reminders maintains the symptoms.",
        "Trauma-focused CBT or EMDR, 12 sessions; PCL-5 monthly.",
        "F43.10", "6B40", (("F32.A", "6A70.5"),), ("none", "low", "low", "moderate"),
        (("Sertraline", "100 mg", "once daily"), ("Prazosin", "1 mg", "at night"))),
    Presentation(
        "social", "Fear of being judged at work meetings and social events; avoids speaking "
        "up; leaves parties early.", "Shy at school; bullied at 13.",
        {"affect": "Anxious, little eye contact at first."},
        "Self-focused attention and negative self-image in social situations; safety "
        "behaviours prevent learning that others are not judging.",
        "CBT for social anxiety (Clark and Wells), 14 sessions.",
        "F40.10", "6B04", (), ("none", "none", "low"),
        (("Sertraline", "50 mg", "once daily"),)),
    Presentation(
        "ocd", "Intrusive thoughts of harming the baby and hours of checking each day.",
        "Checking rituals in adolescence that eased without treatment.",
        {"thought_content": "Ego-dystonic intrusive thoughts; no intent.",
         "mood": "Anxious and guilty."},
        "Inflated responsibility appraisals of intrusions; checking and reassurance keep "
        "the fear going.", "CBT with exposure and response prevention, 14 sessions.",
        "F42.2", "6B20.0", (), ("none", "none", "low"),
        (("Fluoxetine", "20 mg", "once daily"),)),
    Presentation(
        "adjustment", "Struggling since a move for work: tearful, not sleeping, arguing "
        "with their partner.", "No previous mental-health history.",
        {"mood": "Low."}, "A big change without the usual supports; coping by overworking.",
        "Brief solution-focused and problem-solving therapy, 6-8 sessions.",
        "F43.23", "6B43", (), ("none", "none", "low")),
    Presentation(
        "child_anxiety", "Will not go to school on Mondays; stomach aches; clings to parent "
        "at the gate.", "Developmental milestones met; anxious temperament.",
        {"behaviour": "Quiet, stayed close to parent at first.", "affect": "Anxious."},
        "Anxiety about separation maintained by avoidance and parental accommodation.",
        "Parent-led CBT and graded return to school, 8 sessions.",
        "F93.0", "6B05", (), ("none", "none", "low"), minors=True),
)
MEDICAL = ("Asthma, well controlled.", "No significant medical history.",
           "Hypothyroidism on levothyroxine.")
FAMILY = ("Mother treated for depression.", "No known family history.",
          "Father drank heavily.")
SOCIAL = ("Lives with partner; works full time.", "Lives alone; between jobs.",
          "Lives with parents and a sibling.")
SUBSTANCES = ("Alcohol about 10 units a week; no drugs.", "Does not drink.",
              "Cannabis at weekends.")
RISK_PLANS = {
    "low": "Discussed; protective factors named (family, work, pets). Review at each session.",
    "moderate": "Safety plan written together; means safety discussed; GP informed with "
                "consent; review weekly.",
    "high": "Safety plan written; crisis team contacted the same day; daily contact until "
            "reviewed.",
}
SAFETY_PLAN = {
    "warning_signs": "Staying in bed all day\nNot answering the phone\nThinking everyone "
                     "would be better off without me",
    "coping_strategies": "Walk round the park\nShower and change clothes\nListen to the "
                         "playlist my sister made",
    "distraction": "Sit in the café on the high street\nCall my friend from work",
    "help_people": "My sister\nMy partner",
    "professionals": "My therapist at the practice (weekdays)\nMy GP surgery",
    "means_safety": "Partner keeps the medication and gives me a week at a time",
    "reasons_for_living": "My children",
}


def _codes() -> dict[tuple[str, str], str]:
    wanted = {code for p in PRESENTATIONS for code in (p.icd10cm, p.icd11)}
    wanted |= {code for p in PRESENTATIONS for pair in p.secondary for code in pair}
    return {(c.system, c.code): c.title for c in IcdCode.objects.filter(code__in=wanted)}


def _presentation(rng: random.Random, client: Client, today: dt.date) -> Presentation:
    minor = client.age_on(today) < 18
    options = [p for p in PRESENTATIONS if p.minors == minor]
    return rng.choice(options)


def _assessment(rng: random.Random, episode: Episode, p: Presentation,
                author: Membership) -> Assessment:
    day = episode.assessed_on or episode.opened_on
    done = timezone.make_aware(dt.datetime.combine(day, dt.time(16, 30)))
    assessment = Assessment(
        practice_id=episode.practice_id, client=episode.client, episode=episode,
        status=AssessmentStatus.COMPLETED, author=author, assessed_on=day, completed_at=done,
        completed_by=author, mse={d: (MseFinding.EXCEPTION if d in p.mse else MseFinding.WNL)
                                  for d, _ in MSE_DOMAINS})
    risks = {"suicide": rng.choice(p.suicide_risk), "self_harm": rng.choice(p.suicide_risk),
             "harm_to_others": RiskLevel.NONE, "safeguarding": rng.choice(
                 ("none", "none", "none", "low"))}
    texts = {
        "presenting_problems": p.problem, "history_psychiatric": p.history,
        "history_medical": rng.choice(MEDICAL),
        "history_family": rng.choice(FAMILY),
        "history_social": rng.choice(SOCIAL),
        "history_substance_use": rng.choice(SUBSTANCES),
        "formulation": p.formulation, "recommended_treatment": p.treatment,
    }
    for name, text in texts.items():
        setattr(assessment, name, seal(assessment, name, text))
    assessment.mse_notes = seal_json(assessment, "mse_notes", dict(p.mse))
    for area, _ in RISK_AREAS:
        level = risks[area]
        setattr(assessment, f"risk_{area}", level)
        if level != RiskLevel.NONE:
            setattr(assessment, f"risk_{area}_plan",
                    seal(assessment, f"risk_{area}_plan", RISK_PLANS[level]))
    return assessment


def _diagnoses(rng: random.Random, episode: Episode, p: Presentation, author: Membership,
               titles: dict[tuple[str, str], str]) -> list[Diagnosis]:
    system = CodeSystem.ICD11 if rng.random() < ICD11_SHARE else CodeSystem.ICD10CM
    pick = 1 if system == CodeSystem.ICD11 else 0
    day = episode.assessed_on or episode.opened_on
    status = (DiagnosisStatus.RESOLVED if episode.status == EpisodeStatus.DISCHARGED
              else DiagnosisStatus.CONFIRMED)
    codes = [(p.icd11 if pick else p.icd10cm, DiagnosisRank.PRIMARY)]
    if p.secondary and rng.random() < SECONDARY_SHARE:
        codes.append((p.secondary[0][pick], DiagnosisRank.SECONDARY))
    return [
        Diagnosis(practice_id=episode.practice_id, client=episode.client, episode=episode,
                  system=system, code=code, title=titles[(system, code)], rank=rank,
                  status=status, diagnosed_on=day, recorded_by=author,
                  onset_on=day - dt.timedelta(days=rng.randint(60, 900)))
        for code, rank in codes if (system, code) in titles
    ]


def _psychiatrist(practice: Practice) -> Membership | None:
    users = PractitionerProfile.objects.filter(profession=Profession.PSYCHIATRIST).values(
        "user_id")
    return (Membership.objects.filter(practice=practice, user_id__in=users, is_active=True)
            .select_related("user").first())


def seed_clinical(practice: Practice, *, rng: random.Random, today: dt.date) -> int:
    """Assessments and diagnoses for assessed episodes, safety plans for clients at
    moderate or high risk, medications for the psychiatrist's clients. Clients without an
    episode get no assessment or diagnosis. Returns how many records were written."""
    titles = _codes()
    primaries = dict(CareTeamMember.objects.filter(
        client__practice=practice, role="primary", ended_on__isnull=True,
    ).values_list("client_id", "membership_id"))
    members = {m.pk: m for m in Membership.objects.filter(practice=practice)}
    episodes = list(Episode.objects.filter(practice=practice)
                    .exclude(status=EpisodeStatus.WAITING)
                    .select_related("client").order_by("client_id", "opened_on"))
    assessments: list[Assessment] = []
    diagnoses: list[Diagnosis] = []
    plans: list[SafetyPlanVersion] = []
    shown: dict[int, Presentation] = {}
    with crypto.key_cache():
        crypto.preload_keys(list({e.client_id: e.client for e in episodes}.values()),
                            crypto.KeyClass.CLINICAL)
        for episode in episodes:
            client = episode.client
            author = members.get(primaries.get(client.pk, 0))
            if author is None:
                continue
            p = shown.setdefault(client.pk, _presentation(rng, client, today))
            assessment = _assessment(rng, episode, p, author)
            assessments.append(assessment)
            diagnoses.extend(_diagnoses(rng, episode, p, author, titles))
            at_risk = assessment.risk_suicide in (RiskLevel.MODERATE, RiskLevel.HIGH)
            if at_risk and episode.is_open:
                plans.append(_safety_plan(client, author, assessment.completed_at, practice))
        medications = _medications(practice, rng, shown, today)
    Assessment.objects.bulk_create(assessments, batch_size=BATCH_SIZE)
    Diagnosis.objects.bulk_create(diagnoses, batch_size=BATCH_SIZE)
    DiagnosisChange.objects.bulk_create(
        [DiagnosisChange(practice_id=d.practice_id, diagnosis=d, changed_by=d.recorded_by,
                         changed_at=timezone.make_aware(dt.datetime.combine(
                             d.diagnosed_on, dt.time(17))),
                         revision=1, rank=d.rank, status=d.status, onset_on=d.onset_on,
                         diagnosed_on=d.diagnosed_on) for d in diagnoses],
        batch_size=BATCH_SIZE)
    SafetyPlanVersion.objects.bulk_create(plans, batch_size=BATCH_SIZE)
    Medication.objects.bulk_create(medications, batch_size=BATCH_SIZE)
    MedicationChange.objects.bulk_create(
        [MedicationChange(practice_id=m.practice_id, medication=m,
                          kind=MedicationChangeKind.STARTED, changed_by=m.recorded_by,
                          changed_at=timezone.make_aware(dt.datetime.combine(
                              m.started_on, dt.time(11))),
                          revision=1, name=m.name, dose=m.dose, route=m.route,
                          frequency=m.frequency, started_on=m.started_on,
                          stopped_on=m.stopped_on,
                          fields=["dose", "frequency", "name", "prescriber", "route",
                                  "started_on"]) for m in medications],
        batch_size=BATCH_SIZE)
    return len(assessments) + len(diagnoses) + len(plans) + len(medications)


def _safety_plan(client: Client, author: Membership, when: dt.datetime | None,
                 practice: Practice) -> SafetyPlanVersion:
    version = SafetyPlanVersion(practice_id=practice.pk, client=client, number=1,
                                written_by=author, written_at=when or timezone.now(),
                                jurisdiction=practice.jurisdiction)
    for name, text in SAFETY_PLAN.items():
        setattr(version, name, seal(version, name, text))
    return version


def _medications(practice: Practice, rng: random.Random, shown: dict[int, Presentation],
                 today: dt.date) -> list[Medication]:
    psychiatrist = _psychiatrist(practice)
    if psychiatrist is None:
        return []
    clients = Client.objects.filter(
        care_team__membership=psychiatrist, care_team__ended_on__isnull=True,
    ).order_by("pk")
    rows: list[Medication] = []
    for client in clients:
        p = shown.get(client.pk) or _presentation(rng, client, today)
        choices = p.medicines or (("Sertraline", "50 mg", "once daily"),)
        name, dose, frequency = choices[0] if rng.random() < 0.7 else rng.choice(choices)
        started = today - dt.timedelta(days=rng.randint(20, 400))
        medication = Medication(
            practice_id=practice.pk, client=client, name=name, dose=dose, route=Route.ORAL,
            frequency=frequency, started_on=started, prescriber=psychiatrist,
            recorded_by=psychiatrist)
        medication.notes = seal(medication, "notes", rng.choice((
            "Tolerating well.", "Mild nausea in the first fortnight, settled.",
            "Review dose at the next appointment.")))
        rows.append(medication)
    return rows
