"""Personas for tests (after healthchecks' Alice/Bob/Charlie), and signing them in.

    owner      Alice: practice owner and clinical psychologist, primary clinician of Dana
    colleague  Bob: clinician in the same practice, not on Dana's care team
    outsider   Charlie: owner of another practice
    front_desk Erin: front desk in Alice's practice
    trainee    Tara: trainee, secondary clinician for Dana, supervised by Sam
    supervisor Sam: supervisor on Dana's care team
    researcher Rhea: researcher in Alice's practice
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from django.test import Client as HttpClient
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from therapia.accounts.middleware import LAST_SEEN, SIGNED_IN_AT
from therapia.accounts.models import Membership, Practice, Role, User
from therapia.accounts.step_up import STEP_UP_AT
from therapia.clients.models import CareRole, Client
from therapia.core import factories
from therapia.security.actor import Actor


@dataclass
class Personas:
    practice: Practice
    other_practice: Practice
    owner: Membership
    colleague: Membership
    outsider: Membership
    front_desk: Membership
    trainee: Membership
    supervisor: Membership
    researcher: Membership
    dana: Client  # Alice's client
    outsider_client: Client  # a client of the other practice
    # People with an account but no place in any practice: Dana herself and her guardian,
    # as the client portal will know them. Staff pages must not exist for them.
    client_user: User
    guardian_user: User

    def actor(self, name: str) -> Actor:
        membership: Membership = getattr(self, name)
        return Actor(user=membership.user, membership=membership)


def make_personas() -> Personas:
    practice = factories.PracticeFactory.create(name="Riverside Therapy")
    other = factories.PracticeFactory.create(name="Hilltop Counselling")

    def member(name: str, role: Role, where: Practice = practice) -> Membership:
        user = factories.UserFactory.create(email=f"{name}@example.org", display_name=name.title())
        return factories.MembershipFactory.create(user=user, practice=where, role=role)

    owner = member("alice", Role.OWNER)
    trainee, supervisor = member("tara", Role.TRAINEE), member("sam", Role.SUPERVISOR)
    dana = factories.ClientFactory.create(practice=practice, legal_given_name="Dana",
                                   legal_family_name="Whitfield")
    factories.CareTeamFactory.create(client=dana, membership=owner, role=CareRole.PRIMARY)
    factories.CareTeamFactory.create(client=dana, membership=trainee, role=CareRole.SECONDARY)
    factories.CareTeamFactory.create(client=dana, membership=supervisor, role=CareRole.SUPERVISOR)
    outsider = member("charlie", Role.OWNER, other)
    outsider_client = factories.ClientFactory.create(practice=other, legal_given_name="Olive",
                                              legal_family_name="Outis")
    factories.CareTeamFactory.create(client=outsider_client, membership=outsider)
    return Personas(
        practice=practice, other_practice=other, owner=owner,
        colleague=member("bob", Role.CLINICIAN), outsider=outsider,
        front_desk=member("erin", Role.FRONT_DESK), trainee=trainee, supervisor=supervisor,
        researcher=member("rhea", Role.RESEARCHER), dana=dana, outsider_client=outsider_client,
        client_user=factories.UserFactory.create(email="dana@example.net", display_name="Dana"),
        guardian_user=factories.UserFactory.create(email="grace@example.net",
                                                   display_name="Grace"),
    )


@pytest.fixture
def personas(db: None) -> Personas:
    return make_personas()


def sign_in(http: HttpClient, user: User) -> HttpClient:
    """A fully signed-in session: password and a verified second factor."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    http.force_login(user)
    session = http.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    # As after a real sign-in, whose second factor also counts as a recent confirmation.
    session[SIGNED_IN_AT] = session[LAST_SEEN] = session[STEP_UP_AT] = int(time.time())
    session.save()
    return http


@pytest.fixture
def as_user(client: HttpClient):  # type: ignore[no-untyped-def]
    """`as_user(personas.owner.user)` returns the test client signed in as that user."""

    def _sign_in(user: User) -> HttpClient:
        return sign_in(client, user)

    return _sign_in
