from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from therapia.accounts.models import Membership, Profession, Role
from therapia.clients.models import CareRole, Episode, EpisodeStatus
from therapia.core import factories
from therapia.core.testing import Personas
from therapia.security.actor import Actor


@dataclass
class Clinical:
    p: Personas
    episode: Episode  # Dana's open episode, waiting for assessment
    prescriber: Membership  # Dr Pat, psychiatrist on Dana's care team

    def actor(self, name: str) -> Actor:
        if name == "prescriber":
            return Actor(user=self.prescriber.user, membership=self.prescriber)
        return self.p.actor(name)

    def member(self, name: str) -> Membership:
        return self.prescriber if name == "prescriber" else getattr(self.p, name)


def make_episode(client, **extra) -> Episode:  # type: ignore[no-untyped-def]
    opened = extra.pop("opened_on", timezone.localdate() - dt.timedelta(days=30))
    return Episode.objects.create(practice_id=client.practice_id, client=client,
                                  opened_on=opened, status=extra.pop("status",
                                                                     EpisodeStatus.WAITING),
                                  **extra)


def make_prescriber(personas: Personas) -> Membership:
    user = factories.UserFactory.create(email="pat@example.org", display_name="Dr Pat Okoro")
    profile = factories.PractitionerFactory.create(user=user, profession=Profession.PSYCHIATRIST)
    factories.LicenceFactory.create(practitioner=profile, regulator="GMC",
                                    grants_prescribing=True)
    member = factories.MembershipFactory.create(user=user, practice=personas.practice,
                                                role=Role.CLINICIAN)
    factories.CareTeamFactory.create(client=personas.dana, membership=member,
                                     role=CareRole.SECONDARY)
    return member


@pytest.fixture
def clinical(personas: Personas) -> Clinical:
    return Clinical(p=personas, episode=make_episode(personas.dana),
                    prescriber=make_prescriber(personas))
