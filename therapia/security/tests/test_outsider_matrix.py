"""Every URL that shows a client answers each persona as the access policy says: a record
the persona may not see is a 404, never a 403 that would confirm it exists."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from therapia.accounts.models import User
from therapia.core.testing import Personas

# Who may open a client's pages at all (demographics or clinical), from security/policy.py.
SEES_DANA = {"owner", "trainee", "supervisor", "front_desk"}
# The clinical care team: Alice (primary), Tara (secondary) and Sam (supervisor).
CARE_TEAM = {"owner", "trainee", "supervisor"}
# What each URL that shows a client answers, per persona (200 if listed, else 404).
EXPECTED = {
    "clients:overview": SEES_DANA,
    "clients:edit": SEES_DANA,
    "clients:care_team": SEES_DANA,
    "clients:related_person_add": SEES_DANA,
    "clients:referral_add": SEES_DANA,  # intake: front desk too (the reason stays clinical)
    "clients:timeline": CARE_TEAM,
    "records:psychotherapy_notes": CARE_TEAM,  # each sees only their own notes there
    "records:notes": CARE_TEAM,  # progress notes: the clinical record
    "records:note_new": CARE_TEAM,
    "records:plan": CARE_TEAM,
    "records:plan_edit": CARE_TEAM,
    "clinical:assessments": CARE_TEAM,  # assessments, diagnoses, safety plan, medications:
    "clinical:diagnoses": CARE_TEAM,  # the clinical record; the front desk sees none of it
    "clinical:safety_plan": CARE_TEAM,
    "clinical:medications": CARE_TEAM,  # read-only for all but prescribers
    "audit:client_access": {"owner"},  # the owner, or the primary clinician (also Alice)
    # Disclosures: the care team; the owner also as privacy officer. Front desk: never.
    "disclosures:client_disclosures": CARE_TEAM,
    "disclosures:disclosure_new": CARE_TEAM,
    "disclosures:accounting": CARE_TEAM,
    "disclosures:accounting_print": CARE_TEAM,
    "disclosures:authorisation_new": CARE_TEAM,
    "scheduling:client_sessions": SEES_DANA,  # the schedule is demographics-level
    "security:directives": CARE_TEAM,  # the owner also as privacy officer
    "security:guardians": CARE_TEAM,
    "measures:questionnaires": CARE_TEAM,  # scores and answers: the clinical record
    "measures:paper_entry": CARE_TEAM,
    "measures_outcomes:outcomes": CARE_TEAM,  # scores and charts: the clinical record
    "measures_outcomes:client_version": CARE_TEAM,
    "measures_outcomes:client_fhir": CARE_TEAM,
    # Licensed clinicians who can see the client: emergency override of a directive.
    "security:client_emergency_access": {"owner", "supervisor"},
}
PERSONAS = ["owner", "colleague", "outsider", "front_desk", "trainee", "supervisor", "researcher",
            "client_user", "guardian_user"]


def user_of(personas: Personas, persona: str) -> User:
    """A staff persona's user, or the client's or guardian's own account."""
    who = getattr(personas, persona)
    return who if isinstance(who, User) else who.user


def client_url_names() -> list[str]:
    """Every named URL that takes a client's public_id, in any app, from the URLconf."""
    names: list[str] = []
    for top in get_resolver().url_patterns:
        if isinstance(top, URLResolver):
            names.extend(
                f"{top.namespace}:{p.name}" for p in top.url_patterns
                if isinstance(p, URLPattern) and set(p.pattern.converters) == {"public_id"}
                and "clients/" in f"{top.pattern}{p.pattern}"
            )
    return names


def test_the_matrix_covers_every_client_url() -> None:
    """A new URL that shows a client must say here who may open it."""
    assert set(client_url_names()) == set(EXPECTED)


@pytest.mark.parametrize("url_name", sorted(EXPECTED))
@pytest.mark.parametrize("persona", PERSONAS)
def test_client_urls_answer_per_policy(personas: Personas, as_user, url_name: str,
                                       persona: str) -> None:
    http = as_user(user_of(personas, persona))
    response = http.get(reverse(url_name, args=[personas.dana.public_id]))
    assert response.status_code == (200 if persona in EXPECTED[url_name] else 404)


@pytest.mark.parametrize("url_name", sorted(EXPECTED))
def test_unknown_id_is_404(personas: Personas, as_user, url_name: str) -> None:
    http = as_user(personas.owner.user)
    missing = "00000000-0000-4000-8000-000000000000"
    assert http.get(reverse(url_name, args=[missing])).status_code == 404
    foreign = reverse(url_name, args=[personas.outsider_client.public_id])
    assert http.get(foreign).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_ending_a_care_team_membership_per_policy(personas: Personas, as_user,
                                                  persona: str) -> None:
    member = personas.dana.care_team.get(membership=personas.trainee)
    url = reverse("clients:care_team_end", args=[personas.dana.public_id, member.public_id])
    response = as_user(user_of(personas, persona)).post(url)
    # Only the owner (here also the primary clinician) manages the team; the others who can
    # see Dana are told no; everyone else cannot see her at all.
    expected = 302 if persona == "owner" else 403 if persona in SEES_DANA else 404
    assert response.status_code == expected
    member.refresh_from_db()
    assert (member.ended_on is not None) == (persona == "owner")
