from __future__ import annotations

import datetime as dt
import itertools
import re
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from therapia.accounts.models import (
    Licence,
    Membership,
    Practice,
    PractitionerProfile,
    Profession,
    Role,
    User,
)
from therapia.audit.models import Action, AuditEvent
from therapia.audit.models import Purpose as AuditPurpose
from therapia.clients.models import (
    CareRole,
    CareTeamMember,
    Client,
    ClientUnit,
    GuardianBasis,
    RelatedPerson,
    Relationship,
    UnitKind,
)
from therapia.scheduling.models import Appointment, Format, SessionKind, TherapyGroup
from therapia.scheduling.selectors import day_bounds
from therapia.seeding.calendar import local_today
from therapia.seeding.demo_accounts import (
    DEMO_PASSWORD,
    DEMO_TOTP_KEY_HEX,
    demo_email,
    demo_secret_base32,
    demo_sign_ins,
)

TODAY = dt.date(2026, 3, 10)  # a Tuesday
LONDON = "Europe/London"


def seed(*, name: str, clients: int = 12, seed: int = 7, today: dt.date = TODAY) -> Practice:
    call_command("seed", "--clients", str(clients), "--seed", str(seed), "--practice-name", name,
                 "--today", today.isoformat())
    return Practice.objects.get(name=name)


def people(practice: Practice) -> list[tuple[str, str, dt.date]]:
    return list(Client.objects.filter(practice=practice).order_by("id")
                .values_list("legal_given_name", "legal_family_name", "date_of_birth"))


def timetable(practice: Practice) -> list[tuple[object, ...]]:
    return list(Appointment.objects.filter(practice=practice).order_by("id")
                .values_list("starts_at", "ends_at", "kind", "purpose", "format", "status",
                             "room__name"))


def overlapping(intervals: Iterable[tuple[dt.datetime, dt.datetime]]) -> bool:
    ordered = sorted(intervals)
    return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(ordered))


def assert_no_double_booking(practice: Practice) -> None:
    by_clinician: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    rows = Appointment.clinicians.through.objects.filter(appointment__practice=practice)
    for member, starts, ends in rows.values_list("membership_id", "appointment__starts_at",
                                                 "appointment__ends_at"):
        by_clinician[member].append((starts, ends))
    assert by_clinician
    assert not any(overlapping(times) for times in by_clinician.values())
    by_client: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    attending = Appointment.clients.through.objects.filter(appointment__practice=practice)
    for client, starts, ends in attending.values_list("client_id", "appointment__starts_at",
                                                 "appointment__ends_at"):
        by_client[client].append((starts, ends))
    assert not any(overlapping(times) for times in by_client.values())
    by_room: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    booked = Appointment.objects.filter(practice=practice, room__isnull=False)
    for room, starts, ends in booked.values_list("room_id", "starts_at", "ends_at"):
        by_room[room].append((starts, ends))
    assert not any(overlapping(times) for times in by_room.values())


def test_same_arguments_build_the_same_practice(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    first, again = seed(name="First"), seed(name="Again")
    assert "12 clients" in capsys.readouterr().out
    assert people(first) == people(again)
    assert timetable(first) == timetable(again)
    other = seed(name="Other seed", seed=8)
    assert people(other) != people(first)


def test_history_is_counted_from_today(db: None) -> None:
    """A week later, the same practice has the same sessions a week later (London time)."""
    earlier = seed(name="Earlier", today=TODAY - dt.timedelta(days=7))
    later = seed(name="Later")
    zone = zoneinfo.ZoneInfo(LONDON)

    def local_starts(practice: Practice) -> list[dt.datetime]:
        starts = Appointment.objects.filter(practice=practice).order_by("id")
        return [moment.astimezone(zone).replace(tzinfo=None)
                for moment in starts.values_list("starts_at", flat=True)]

    shift = dt.timedelta(days=7)
    assert [moment + shift for moment in local_starts(earlier)] == local_starts(later)


def test_seeded_practice_has_every_kind_of_person(db: None) -> None:
    practice = seed(name="Composition")
    members = Membership.objects.filter(practice=practice).select_related("user")
    roles = {membership.role for membership in members}
    assert {Role.OWNER, Role.CLINICIAN, Role.SUPERVISOR, Role.TRAINEE, Role.FRONT_DESK,
            Role.RESEARCHER} <= roles
    profiles = PractitionerProfile.objects.filter(user__memberships__practice=practice)
    professions = set(profiles.values_list("profession", flat=True))
    assert {Profession.PSYCHIATRIST, Profession.CLINICAL_PSYCHOLOGIST,
            Profession.CLINICAL_SOCIAL_WORKER, Profession.MFT, Profession.COUNSELLOR,
            Profession.MH_NURSE, Profession.CREATIVE_ARTS, Profession.TRAINEE} <= professions
    owner = members.get(role=Role.OWNER)
    assert PractitionerProfile.objects.filter(user=owner.user).exists()
    trainee = members.get(role=Role.TRAINEE)
    assert trainee.user.practitioner.profession == Profession.TRAINEE
    psychiatrist = profiles.get(profession=Profession.PSYCHIATRIST)
    assert psychiatrist.can_prescribe(TODAY)
    for profile in profiles:
        assert profile.licences.exists()
        assert profile.ce_entries.count() >= 3
    licences = Licence.objects.filter(practitioner__in=profiles)
    states = [licence.expiry_state(TODAY) for licence in licences]
    assert states.count("expiring") == 1
    assert states.count("expired") == 1
    assert all(licence.cycle_starts_on and licence.ce_hours_required >= 0 for licence in licences)


def test_seeded_practice_has_couple_family_and_group(db: None) -> None:
    practice = seed(name="Households")
    couple = ClientUnit.objects.get(practice=practice, kind=UnitKind.COUPLE)
    partners = list(couple.members.all())
    assert len(partners) == 2
    for client, other in (partners, partners[::-1]):
        link = RelatedPerson.objects.get(client=client, relationship=Relationship.PARTNER)
        assert link.linked_client == other
    couple_sessions = Appointment.objects.filter(unit=couple, kind=SessionKind.COUPLE)
    assert couple_sessions.count() > 10
    assert all(session.clients.count() == 2 for session in couple_sessions[:3])

    family = ClientUnit.objects.get(practice=practice, kind=UnitKind.FAMILY)
    child = next(client for client in family.members.all() if client.age_on(TODAY) < 18)
    assert child.age_on(TODAY) == 14
    parent = next(client for client in family.members.all() if client != child)
    guardian = RelatedPerson.objects.get(client=child, linked_client=parent)
    assert guardian.relationship == Relationship.GUARDIAN
    assert guardian.legal_basis == GuardianBasis.PARENTAL_RESPONSIBILITY
    assert guardian.valid_from == child.date_of_birth
    assert guardian.is_current(TODAY)
    assert Appointment.objects.filter(unit=family, kind=SessionKind.FAMILY).exists()

    group = TherapyGroup.objects.get(practice=practice)
    assert not group.is_open
    assert group.capacity == 8
    assert group.memberships.count() == 8
    assert 1 <= group.facilitators.count() <= 2
    group_session = Appointment.objects.filter(group=group, kind=SessionKind.GROUP).first()
    assert group_session is not None
    assert group_session.clients.count() == 8


def test_seeded_schedule_is_clean(db: None) -> None:
    practice = seed(name="Schedule")
    assert_no_double_booking(practice)
    sessions = Appointment.objects.filter(practice=practice)
    assert not sessions.filter(format=Format.IN_PERSON, room__isnull=True).exists()
    assert not sessions.exclude(format=Format.IN_PERSON).filter(room__isnull=False).exists()
    start, _ = day_bounds(TODAY, LONDON)
    assert sessions.filter(starts_at__lt=start - dt.timedelta(weeks=25)).exists()
    assert sessions.filter(starts_at__gte=start + dt.timedelta(weeks=1)).exists()
    primaries = CareTeamMember.objects.filter(client__practice=practice, role=CareRole.PRIMARY)
    assert primaries.count() == Client.objects.filter(practice=practice).count()


def test_seed_is_audited_and_personas_can_sign_in(db: None) -> None:
    practice = seed(name="Audit")
    row = AuditEvent.objects.get(practice_id=practice.pk, object_type="seed")
    assert row.action == Action.CREATE
    assert row.purpose == AuditPurpose.SYSTEM
    assert row.actor_user_id is None
    assert row.actor_label == "system:seed"
    personas = User.objects.filter(memberships__practice=practice,
                                   email__startswith="psychologist@")
    user = personas.get()
    assert user.check_password(DEMO_PASSWORD)
    assert TOTPDevice.objects.get(user=user, confirmed=True).key == DEMO_TOTP_KEY_HEX
    assert StaticDevice.objects.get(user=user, name="backup").token_set.count() == 10


def test_seed_refuses_an_existing_practice_name(db: None) -> None:
    seed(name="Twice")
    with pytest.raises(CommandError, match="exists already"):
        seed(name="Twice")


def test_demo_code_is_accepted_by_the_demo_devices(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    practice = seed(name="Codes")
    capsys.readouterr()
    call_command("demo_code")
    printed = capsys.readouterr().out
    match = re.search(r"\b(\d{6})\b.*valid for (\d+) more seconds", printed)
    assert match, printed
    assert 1 <= int(match.group(2)) <= 30
    device = TOTPDevice.objects.filter(user__memberships__practice=practice).first()
    assert device is not None
    assert device.verify_token(match.group(1))


def test_demo_sign_ins_explains_how_to_sign_in(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("demo_sign_ins", "--port", "8123")
    printed = capsys.readouterr().out
    assert "http://127.0.0.1:8123/" in printed
    assert DEMO_PASSWORD in printed
    assert all(account.email in printed for account in demo_sign_ins())
    assert demo_secret_base32() in printed
    assert re.search(r"Code right now: \d{6}", printed)
    assert ".venv/bin/therapia demo-code" in printed


def test_demo_practice_is_seeded_once_with_a_full_agenda_today(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("seed_demo_if_empty")
    assert "Riverside Therapy Collective" in capsys.readouterr().out
    counts = (Practice.objects.count(), Client.objects.count(), Appointment.objects.count())
    call_command("seed_demo_if_empty")
    assert capsys.readouterr().out == ""
    assert (Practice.objects.count(), Client.objects.count(), Appointment.objects.count()) == counts

    practice = Practice.objects.get()
    assert practice.time_zone == LONDON
    assert Client.objects.filter(practice=practice).count() == 60
    today = local_today(LONDON)
    start, end = day_bounds(today, LONDON)
    clinician = Membership.objects.get(user__email=demo_email("psychologist"))
    agenda = Appointment.objects.filter(clinicians=clinician, starts_at__gte=start,
                                        starts_at__lt=end)
    assert 3 <= agenda.count() <= 6
    assert all(8 <= session.starts_at.astimezone(start.tzinfo).hour <= 19 for session in agenda)
    busy_today = Membership.objects.filter(appointments__starts_at__gte=start,
                                           appointments__starts_at__lt=end).distinct()
    assert busy_today.count() >= 4
    assert_no_double_booking(practice)

    trainee = Membership.objects.get(user__email=demo_email("trainee"))
    supervisor = Membership.objects.get(user__email=demo_email("supervisor"))
    trainee_clients = Client.objects.filter(care_team__membership=trainee)
    assert trainee_clients.exists()
    for client in trainee_clients:
        assert client.care_team.filter(membership=supervisor, role=CareRole.SUPERVISOR).exists()
    minors = [client for client in Client.objects.all() if client.age_on(today) < 18]
    assert minors
    for minor in minors:
        guardians = minor.related_persons.filter(relationship=Relationship.GUARDIAN)
        assert any(guardian.is_current(today) for guardian in guardians)
    languages = set(Client.objects.values_list("language", flat=True))
    assert "en" in languages
    assert len(languages) > 1
