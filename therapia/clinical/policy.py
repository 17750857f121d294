"""Who may read and change assessments, diagnoses, safety plans and medications.

Built on therapia.security.policy.client_access: only the client's active clinical care
team sees any of it (the front desk and a practice owner outside the team see none of it:
404). Each can_* function includes the record's state (house rule 4).

(These belong beside therapia/security/policy.py; they live here until that file takes them.)
"""

from __future__ import annotations

from django.utils import timezone

from therapia.accounts.models import PractitionerProfile
from therapia.clients.models import Client
from therapia.clinical.models import DIAGNOSIS_TRANSITIONS, Assessment, Diagnosis, Medication
from therapia.security import policy
from therapia.security.actor import Actor


def can_view(actor: Actor, client: Client) -> bool:
    return policy.can_view_clinical(actor, client)


def can_write(actor: Actor, client: Client) -> bool:
    """A clinician on the client's active care team writes assessments, diagnoses and
    safety plans."""
    return actor.is_clinical and policy.can_view_clinical(actor, client)


def can_edit_assessment(actor: Actor, assessment: Assessment) -> bool:
    """Only a draft is edited; a completed (signed) assessment takes addenda only."""
    return assessment.is_draft and can_write(actor, assessment.client)


def can_complete_assessment(actor: Actor, assessment: Assessment) -> bool:
    return can_edit_assessment(actor, assessment)


def can_add_addendum(actor: Actor, assessment: Assessment) -> bool:
    return not assessment.is_draft and can_write(actor, assessment.client)


def can_edit_diagnosis(actor: Actor, diagnosis: Diagnosis) -> bool:
    return bool(DIAGNOSIS_TRANSITIONS[diagnosis.status]) and can_write(actor, diagnosis.client)


def has_prescribing_authority(actor: Actor) -> bool:
    """The member's profession and a current licence both carry prescriptive authority
    (accounts.PractitionerProfile.can_prescribe)."""
    profile = (PractitionerProfile.objects.filter(user=actor.user)
               .prefetch_related("licences").first())
    return profile is not None and profile.can_prescribe(timezone.localdate())


def can_change_medications(actor: Actor, client: Client) -> bool:
    return can_write(actor, client) and has_prescribing_authority(actor)


def can_change_medication(actor: Actor, medication: Medication) -> bool:
    return medication.is_current and can_change_medications(actor, medication.client)
