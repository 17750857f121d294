"""factory_boy factories for tests and benchmarks. They build rows directly; behaviour under
test always goes through services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.utils import timezone

from therapia.accounts.models import (
    Licence,
    LicenceStatus,
    Membership,
    Practice,
    PractitionerProfile,
    Profession,
    Role,
    User,
)
from therapia.clients.models import CareRole, CareTeamMember, Client
from therapia.scheduling.models import Appointment, SessionKind

TEST_PASSWORD = "correct horse battery staple"


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice

    name = factory.Sequence(lambda n: f"Practice {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    display_name = factory.Faker("name")
    password = factory.django.Password(TEST_PASSWORD)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    practice = factory.SubFactory(PracticeFactory)
    role = Role.CLINICIAN


class PractitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PractitionerProfile

    user = factory.SubFactory(UserFactory)
    profession = Profession.CLINICAL_PSYCHOLOGIST


class LicenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Licence

    practitioner = factory.SubFactory(PractitionerFactory)
    regulator = "HCPC"
    jurisdiction = "GB"
    number = factory.Sequence(lambda n: f"PYL{n:05d}")
    status = LicenceStatus.ACTIVE
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    practice = factory.SubFactory(PracticeFactory)
    legal_given_name = factory.Faker("first_name")
    legal_family_name = factory.Faker("last_name")
    date_of_birth = dt.date(1988, 4, 12)
    email = factory.Sequence(lambda n: f"client{n}@example.net")


class CareTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareTeamMember

    client = factory.SubFactory(ClientFactory)
    membership = factory.SubFactory(MembershipFactory)
    role = CareRole.PRIMARY
    started_on = dt.date(2026, 1, 5)


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment
        skip_postgeneration_save = True

    practice = factory.SubFactory(PracticeFactory)
    kind = SessionKind.INDIVIDUAL
    starts_at = factory.LazyFunction(
        lambda: timezone.now().replace(minute=0, second=0, microsecond=0)
    )
    ends_at = factory.LazyAttribute(lambda a: a.starts_at + dt.timedelta(minutes=50))

    @factory.post_generation
    def clinicians(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.clinicians.set(extracted)

    @factory.post_generation
    def clients(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.clients.set(extracted)
