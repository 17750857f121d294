"""The practice's staff: the demo personas, extra clinicians for large practices, their
licences and continuing education. Planning is pure; `insert_staff` writes the rows."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password

from therapia.accounts.models import (
    ContinuingEducation,
    Licence,
    LicenceStatus,
    Membership,
    Practice,
    PractitionerProfile,
    Profession,
    Role,
    User,
)
from therapia.seeding.bulk import BATCH_SIZE
from therapia.seeding.contacts import years_before
from therapia.seeding.names import ascii_slug, person_name


@dataclass(frozen=True)
class Regulator:
    """How one regulator's register looks: number format and renewal rules."""

    name: str
    jurisdiction: str
    prefix: str
    digits: int
    cycle_years: int
    ce_hours: Decimal


GMC = Regulator("General Medical Council", "GB", "", 7, 1, Decimal(50))
HCPC_PSY = Regulator("HCPC", "GB", "PYL", 5, 2, Decimal(30))
HCPC_ARTS = Regulator("HCPC", "GB", "AS", 5, 2, Decimal(30))
UKCP = Regulator("UKCP", "GB", "UKCP-", 6, 1, Decimal(50))
SWE = Regulator("Social Work England", "GB-ENG", "SW", 6, 1, Decimal(20))
BACP = Regulator("BACP", "GB", "", 6, 1, Decimal(30))
BACP_STUDENT = Regulator("BACP", "GB", "S", 6, 1, Decimal(10))
NMC = Regulator("Nursing and Midwifery Council", "GB", "", 0, 3, Decimal(35))
CA_BBS = Regulator("California Board of Behavioral Sciences", "US-CA", "LMFT ", 6, 2,
                   Decimal(36))


@dataclass(frozen=True)
class LicencePlan:
    regulator: Regulator
    expires_in_days: int  # from today; negative when already expired
    status: LicenceStatus = LicenceStatus.ACTIVE
    grants_prescribing: bool = False


@dataclass(frozen=True)
class CoursePlan:
    title: str
    provider: str
    completed_on: dt.date
    hours: Decimal


@dataclass(frozen=True)
class StaffPlan:
    key: str
    email: str
    first_name: str
    last_name: str
    display_name: str
    role: Role
    profession: Profession | None = None
    credentials: str = ""
    licences: tuple[LicencePlan, ...] = ()
    caseload_weight: float = 1.0
    sees_minors: bool = True
    is_persona: bool = False
    courses: tuple[CoursePlan, ...] = field(default=())

    @property
    def is_clinical(self) -> bool:
        return self.profession is not None


@dataclass(frozen=True)
class Persona:
    key: str
    local_part: str
    title: str
    first_name: str
    last_name: str
    role: Role
    profession: Profession | None = None
    credentials: str = ""
    licences: tuple[LicencePlan, ...] = ()
    caseload_weight: float = 1.0
    sees_minors: bool = True


# One account per persona. Exactly one licence expires within the warning window (the
# counsellor's BACP membership) and exactly one has already expired (the MFT's Californian
# licence), so the licence warnings have something to show.
PERSONAS: tuple[Persona, ...] = (
    Persona("owner", "owner", "Dr", "Helen", "Okoro", Role.OWNER, Profession.PSYCHOTHERAPIST,
            "DPsych, UKCP", (LicencePlan(UKCP, 300),), caseload_weight=0.8),
    Persona("psychiatrist", "psychiatrist", "Dr", "Arjun", "Mehta", Role.CLINICIAN,
            Profession.PSYCHIATRIST, "MBBS, MRCPsych",
            (LicencePlan(GMC, 250, grants_prescribing=True),), caseload_weight=0.6,
            sees_minors=False),
    Persona("psychologist", "psychologist", "Dr", "Sofia", "Lindqvist", Role.CLINICIAN,
            Profession.CLINICAL_PSYCHOLOGIST, "DClinPsy", (LicencePlan(HCPC_PSY, 420),),
            caseload_weight=1.2),
    Persona("social_worker", "socialworker", "", "Marcus", "Bell", Role.CLINICIAN,
            Profession.CLINICAL_SOCIAL_WORKER, "MA, LCSW", (LicencePlan(SWE, 180),)),
    Persona("mft", "mft", "", "Elena", "Petrova", Role.CLINICIAN, Profession.MFT,
            "MSc, LMFT", (LicencePlan(UKCP, 510), LicencePlan(CA_BBS, -23)),
            caseload_weight=0.6),
    Persona("counsellor", "counsellor", "", "Aisha", "Rahman", Role.CLINICIAN,
            Profession.COUNSELLOR, "MBACP (Accred)", (LicencePlan(BACP, 41),)),
    Persona("nurse", "nurse", "", "Grace", "Mensah", Role.CLINICIAN, Profession.MH_NURSE,
            "RMN, V300", (LicencePlan(NMC, 640, grants_prescribing=True),),
            caseload_weight=0.8, sees_minors=False),
    Persona("arts_therapist", "artstherapist", "", "Sasha", "Ellery", Role.CLINICIAN,
            Profession.CREATIVE_ARTS, "MA Art Psychotherapy", (LicencePlan(HCPC_ARTS, 330),),
            caseload_weight=0.8),
    Persona("trainee", "trainee", "", "Jamie", "Osei", Role.TRAINEE, Profession.TRAINEE,
            "PGDip Counselling (in training)",
            (LicencePlan(BACP_STUDENT, 200, status=LicenceStatus.PROVISIONAL),),
            caseload_weight=0.5, sees_minors=False),
    Persona("supervisor", "supervisor", "Dr", "Margaret", "Doyle", Role.SUPERVISOR,
            Profession.COUNSELLING_PSYCHOLOGIST, "CPsychol", (LicencePlan(HCPC_PSY, 150),),
            caseload_weight=0.8),
    Persona("front_desk", "frontdesk", "", "Tom", "Brennan", Role.FRONT_DESK),
    Persona("researcher", "researcher", "Dr", "Yuki", "Tanaka", Role.RESEARCHER),
)

# Professions of the extra clinicians a large practice needs, with their regulator.
EXTRA_PROFESSIONS: tuple[tuple[Profession, Regulator, float], ...] = (
    (Profession.PSYCHOTHERAPIST, UKCP, 3),
    (Profession.COUNSELLOR, BACP, 4),
    (Profession.CLINICAL_PSYCHOLOGIST, HCPC_PSY, 2),
    (Profession.COUNSELLING_PSYCHOLOGIST, HCPC_PSY, 2),
    (Profession.CLINICAL_SOCIAL_WORKER, SWE, 1.5),
    (Profession.MFT, UKCP, 1),
    (Profession.CREATIVE_ARTS, HCPC_ARTS, 0.7),
    (Profession.MH_NURSE, NMC, 0.8),
)
ADULT_ONLY = frozenset({Profession.PSYCHIATRIST, Profession.MH_NURSE, Profession.TRAINEE})

COURSES: tuple[tuple[str, str], ...] = (
    ("Safeguarding adults, level 3", "NHS Health Education England"),
    ("Safeguarding children, level 3", "NHS Health Education England"),
    ("Suicide risk assessment and safety planning", "Zero Suicide Alliance"),
    ("Trauma-focused CBT refresher", "British Psychological Society"),
    ("EMDR part 1", "EMDR UK"),
    ("Emotionally focused couple therapy: externship", "Tavistock Relationships"),
    ("Motivational interviewing", "MINT"),
    ("Working with interpreters", "British Psychological Society"),
    ("Cultural humility in the consulting room", "BAATN"),
    ("Data protection and confidentiality in practice", "Information Commissioner's Office"),
    ("Clinical supervision skills", "BACP"),
    ("Group facilitation: DBT skills", "British Isles DBT Training"),
    ("Perinatal mental health", "Royal College of Psychiatrists"),
    ("Measurement-based care in routine practice", "CORC"),
)

CLINICIANS_PER_CLIENTS = 30  # caseload of an extra clinician in a large practice


def staff_domain(practice_name: str, demo_name: str, demo_domain: str) -> str:
    if practice_name == demo_name:
        return demo_domain
    return f"{ascii_slug(practice_name) or 'practice'}.therapia.example"


def plan_staff(rng: random.Random, *, client_count: int, domain: str,
               today: dt.date) -> list[StaffPlan]:
    """The personas, then as many extra clinicians as the caseload needs."""
    staff = [_persona_plan(rng, persona, domain, today) for persona in PERSONAS]
    clinical = sum(1 for plan in staff if plan.is_clinical)
    extra = max(0, math.ceil(client_count / CLINICIANS_PER_CLIENTS) - clinical)
    taken = {plan.email for plan in staff}
    staff.extend(_extra_clinician(rng, number, domain, today, taken) for number in range(extra))
    return staff


def _persona_plan(rng: random.Random, persona: Persona, domain: str,
                  today: dt.date) -> StaffPlan:
    display = f"{persona.title} {persona.first_name} {persona.last_name}".strip()
    courses = _courses(rng, today) if persona.profession else ()
    return StaffPlan(
        key=persona.key, email=f"{persona.local_part}@{domain}", first_name=persona.first_name,
        last_name=persona.last_name, display_name=display, role=persona.role,
        profession=persona.profession, credentials=persona.credentials,
        licences=persona.licences, caseload_weight=persona.caseload_weight,
        sees_minors=persona.sees_minors, is_persona=True, courses=courses,
    )


def _extra_clinician(rng: random.Random, number: int, domain: str, today: dt.date,
                     taken: set[str]) -> StaffPlan:
    profession, regulator, _ = rng.choices(
        EXTRA_PROFESSIONS, weights=[weight for *_, weight in EXTRA_PROFESSIONS]
    )[0]
    name = person_name(rng)
    local = f"{ascii_slug(name.given)}.{ascii_slug(name.family)}"
    email, suffix = f"{local}@{domain}", 1
    while email in taken:
        suffix += 1
        email = f"{local}{suffix}@{domain}"
    taken.add(email)
    title = "Dr " if profession.endswith("psychologist") else ""
    # Well clear of the warning window: the personas hold the one expiring licence.
    licence = LicencePlan(regulator, rng.randint(90, 900),
                          grants_prescribing=profession == Profession.MH_NURSE)
    return StaffPlan(
        key=f"clinician-{number:04d}", email=email, first_name=name.given,
        last_name=name.family, display_name=f"{title}{name.given} {name.family}",
        role=Role.CLINICIAN, profession=profession, licences=(licence,),
        sees_minors=profession not in ADULT_ONLY, courses=_courses(rng, today),
    )


def _courses(rng: random.Random, today: dt.date) -> tuple[CoursePlan, ...]:
    chosen = rng.sample(COURSES, rng.randint(3, 5))
    return tuple(
        CoursePlan(title=title, provider=provider,
                   completed_on=today - dt.timedelta(days=rng.randint(10, 600)),
                   hours=Decimal(rng.choice((2, 3, 3.5, 6, 7, 12, 14))).quantize(Decimal("0.1")))
        for title, provider in chosen
    )


def licence_number(rng: random.Random, regulator: Regulator) -> str:
    if regulator is NMC:  # an NMC PIN: two digits, a letter, four digits, a letter
        letters = "ABCDEFGHJKLMNPRSTUVWXY"
        return (f"{rng.randrange(100):02d}{rng.choice(letters)}{rng.randrange(10000):04d}"
                f"{rng.choice('EOS')}")
    return f"{regulator.prefix}{rng.randrange(10 ** regulator.digits):0{regulator.digits}d}"


def insert_staff(
    practice: Practice, plans: list[StaffPlan], *, rng: random.Random, today: dt.date,
    password: str,
) -> dict[str, Membership]:
    """Users, memberships, practitioner profiles, licences and CE. Returns memberships by key.

    Personas get `password`, hashed once and shared: argon2id takes most of a second per
    hash by design, and this password is published anyway. Extra clinicians get an unusable
    password (they never sign in).
    """
    persona_hash = make_password(password)
    users = User.objects.bulk_create(
        [
            User(email=plan.email, display_name=plan.display_name, first_name=plan.first_name,
                 last_name=plan.last_name,
                 password=persona_hash if plan.is_persona else make_password(None))
            for plan in plans
        ],
        batch_size=BATCH_SIZE,
    )
    memberships = Membership.objects.bulk_create(
        [Membership(user=user, practice=practice, role=plan.role)
         for plan, user in zip(plans, users, strict=True)],
        batch_size=BATCH_SIZE,
    )
    clinical = [(plan, user) for plan, user in zip(plans, users, strict=True) if plan.is_clinical]
    profiles = PractitionerProfile.objects.bulk_create(
        [PractitionerProfile(user=user, profession=plan.profession or "",
                             credentials=plan.credentials)
         for plan, user in clinical],
        batch_size=BATCH_SIZE,
    )
    pairs = list(zip((plan for plan, _ in clinical), profiles, strict=True))
    _insert_licences(pairs, rng=rng, today=today)
    ContinuingEducation.objects.bulk_create(
        [ContinuingEducation(practitioner=profile, title=course.title, provider=course.provider,
                             completed_on=course.completed_on, hours=course.hours)
         for plan, profile in pairs for course in plan.courses],
        batch_size=BATCH_SIZE,
    )
    for membership, user in zip(memberships, users, strict=True):
        membership.user = user
    return {plan.key: membership for plan, membership in zip(plans, memberships, strict=True)}


def _insert_licences(pairs: list[tuple[StaffPlan, PractitionerProfile]], *, rng: random.Random,
                     today: dt.date) -> None:
    taken = set(Licence.objects.values_list("regulator", "jurisdiction", "number"))
    rows = []
    for plan, profile in pairs:
        for licence in plan.licences:
            regulator = licence.regulator
            number = licence_number(rng, regulator)
            while (regulator.name, regulator.jurisdiction, number) in taken:
                number = licence_number(rng, regulator)
            taken.add((regulator.name, regulator.jurisdiction, number))
            expires = today + dt.timedelta(days=licence.expires_in_days)
            cycle_start = years_before(expires, regulator.cycle_years)
            rows.append(Licence(
                practitioner=profile, regulator=regulator.name,
                jurisdiction=regulator.jurisdiction, number=number, status=licence.status,
                issued_on=years_before(cycle_start, rng.randint(1, 12)), expires_on=expires,
                grants_prescribing=licence.grants_prescribing, cycle_starts_on=cycle_start,
                ce_hours_required=regulator.ce_hours,
            ))
    Licence.objects.bulk_create(rows, batch_size=BATCH_SIZE)

