"""The fixed vocabulary of lawful disclosures: legal bases with their citations, and the
categories of record that can be released. Sources: ../shared/specs/confidentiality.md
(sections 1.1 "Limits of confidentiality", 1.5 Ontario PHIPA, 3.2 couples and families).

Each basis says
  citations          where the permission or duty comes from, per legal system;
  psychotherapy_notes whether psychotherapy notes may be released on it without the
                     client's PN-specific authorisation (45 CFR 164.508(a)(2)(ii) lists
                     164.512(a), (d), (g)(1) and (j)(1)(i));
  accountable        whether it appears in the client's accounting of disclosures
                     (164.528(a)(1) exempts treatment/payment/operations and disclosures
                     made on the client's own authorisation, among others);
  document_required  whether the supporting document (the order, the assurance) must be
                     attached (164.512(e): an order discloses only what it expressly allows);
  inform_prompt      whether the form asks if the client was informed (164.512(c)(2)).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Basis(models.TextChoices):
    DUTY_TO_PROTECT = "DUTY_TO_PROTECT", "Duty to protect or warn (serious threat to another)"
    IMMINENT_SELF_HARM = "IMMINENT_SELF_HARM", "Imminent risk of serious self-harm"
    CHILD_PROTECTION = "CHILD_PROTECTION", "Child abuse or neglect report"
    ADULT_PROTECTION = "ADULT_PROTECTION", "Elder or vulnerable-adult abuse report"
    COURT_ORDER = "COURT_ORDER", "Court order"
    SUBPOENA_WITH_ASSURANCE = "SUBPOENA_WITH_ASSURANCE", "Subpoena with satisfactory assurance"
    REQUIRED_BY_LAW = "REQUIRED_BY_LAW", "Other disclosure required by law"
    PUBLIC_HEALTH = "PUBLIC_HEALTH", "Public health authority"
    OVERSIGHT = "OVERSIGHT", "Health oversight of the clinician"
    CORONER = "CORONER", "Coroner or medical examiner"
    EMERGENCY = "EMERGENCY", "Medical emergency (to treating personnel)"
    CLIENT_AUTHORISATION = "CLIENT_AUTHORISATION", "Client's written authorisation"


class Category(models.TextChoices):
    """What part of the record was released: the minimum-necessary checklist."""

    DEMOGRAPHICS = "demographics", "Identity and contact details"
    DATES_OF_SERVICE = "dates_of_service", "Dates of service and attendance"
    DIAGNOSES = "diagnoses", "Diagnoses"
    ASSESSMENTS = "assessments", "Assessments and risk assessments"
    MEASURES = "measures", "Outcome measure scores"
    TREATMENT_PLAN = "treatment_plan", "Treatment plan and progress summary"
    PROGRESS_NOTES = "progress_notes", "Progress notes"
    MEDICATION = "medication", "Medication"
    CORRESPONDENCE = "correspondence", "Letters and reports"
    PSYCHOTHERAPY_NOTES = "psychotherapy_notes", "Psychotherapy notes"


class ClientInformed(models.TextChoices):
    """164.512(c)(2): the client is informed promptly of an abuse report, unless ..."""

    YES = "yes", "Yes, the client has been or will be told"
    RISK_OF_HARM = "risk_of_harm", "No: telling them would place them at risk of serious harm"
    REPRESENTATIVE_IS_ABUSER = ("representative_is_abuser",
                                "No: their personal representative is the suspected abuser")
    NO_OTHER = "no_other", "No, for another reason"


@dataclass(frozen=True)
class Rule:
    citations: tuple[tuple[str, str], ...]  # (legal system, citation)
    psychotherapy_notes: bool = False
    accountable: bool = True
    document_required: bool = False
    inform_prompt: bool = False


HIPAA = "US (HIPAA)"
ONTARIO = "Ontario"

RULES: dict[str, Rule] = {
    Basis.DUTY_TO_PROTECT: Rule(
        citations=((HIPAA, "45 CFR 164.512(j)(1)(i)"),
                   ("US case law", ("Tarasoff v. Regents, 17 Cal.3d 425 (1976); "
                                   "state duty-to-warn laws vary")),
                   (ONTARIO, "PHIPA s.40 (significant risk of serious bodily harm)")),
        psychotherapy_notes=True),
    Basis.IMMINENT_SELF_HARM: Rule(
        citations=((HIPAA, "45 CFR 164.512(j)(1)(i)"),
                   (ONTARIO, "PHIPA s.40 (significant risk of serious bodily harm)")),
        psychotherapy_notes=True),
    Basis.CHILD_PROTECTION: Rule(
        citations=((HIPAA, "45 CFR 164.512(b)(1)(ii)"),
                   (ONTARIO, "Child, Youth and Family Services Act s.125 (duty to report)"))),
    Basis.ADULT_PROTECTION: Rule(
        citations=((HIPAA, "45 CFR 164.512(c)"),), inform_prompt=True),
    Basis.COURT_ORDER: Rule(
        citations=((HIPAA, "45 CFR 164.512(e)(1)(i) (only what the order expressly authorises)"),),
        document_required=True),
    Basis.SUBPOENA_WITH_ASSURANCE: Rule(
        citations=((HIPAA, ("45 CFR 164.512(e)(1)(ii) (notice to the client or a "
                            "qualified protective order)")),),
        document_required=True),
    Basis.REQUIRED_BY_LAW: Rule(
        citations=((HIPAA, "45 CFR 164.512(a)"),), psychotherapy_notes=True),
    Basis.PUBLIC_HEALTH: Rule(
        citations=((HIPAA, "45 CFR 164.512(b)(1)(i)"),)),
    Basis.OVERSIGHT: Rule(
        citations=((HIPAA, "45 CFR 164.512(d)"),), psychotherapy_notes=True),
    Basis.CORONER: Rule(
        citations=((HIPAA, "45 CFR 164.512(g)(1)"),), psychotherapy_notes=True),
    # Disclosure to treating personnel is treatment: exempt from the accounting.
    Basis.EMERGENCY: Rule(
        citations=((HIPAA, "45 CFR 164.506(c) (treatment)"),
                   ("US (42 CFR Part 2)", "42 CFR 2.51 (medical emergency; document at once)")),
        accountable=False),
    # Made on the client's own authorisation: exempt from the accounting (164.528(a)(1)(iv)).
    Basis.CLIENT_AUTHORISATION: Rule(
        citations=((HIPAA, "45 CFR 164.508"),
                   ("Couples, families, groups", "AAMFT Code 2.2: each adult member authorises")),
        accountable=False),
}

# Bases on which psychotherapy notes may go out without a PN-specific authorisation.
PN_BASES = frozenset(code for code, rule in RULES.items() if rule.psychotherapy_notes)
ACCOUNTABLE_BASES = frozenset(code for code, rule in RULES.items() if rule.accountable)
DOCUMENT_BASES = frozenset(code for code, rule in RULES.items() if rule.document_required)


def citation_text(basis: str) -> str:
    return "; ".join(f"{system}: {cite}" for system, cite in RULES[basis].citations)


# Age of majority for the "each adult member" rule (CF-2). The spec gives no age other
# than 18 (Ontario decides capacity case by case), so every jurisdiction uses 18 for now.
ADULT_AGE: dict[str, int] = {}
DEFAULT_ADULT_AGE = 18


def adult_age(jurisdiction: str) -> int:
    return ADULT_AGE.get(jurisdiction, DEFAULT_ADULT_AGE)
