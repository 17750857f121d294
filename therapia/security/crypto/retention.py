"""How long a client's record must be kept, per jurisdiction, and who is past it.

A rule says: keep for N years after the last contact (and, where the source says so, at
least until a birthday, for records of children). Periods are *minimums*: `therapia keys
shred --due` only lists clients past them and shreds nothing without `--yes`.

Only defaults checked against a source ship here. Every other jurisdiction must be
configured by the operator (settings.RETENTION_YEARS, e.g. from THERAPIA_RETENTION_YEARS
"US-CA=7,CA-ON=10"); a client whose practice has no rule is never due, and the command
says how many clients it could not assess.

Which clients are considered at all: inactive ones (`Client.is_active` false) without an
active legal hold. Last contact: the start of the latest attended session, or the date
the client was registered if later (or if there was none).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from therapia.clients.models import Client
from therapia.security.models import ClientDataKey, LegalHold

_JURISDICTION = re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,3})?")
MAX_YEARS = 100


@dataclass(frozen=True)
class RetentionRule:
    jurisdiction: str  # ISO 3166-1 alpha-2, or ISO 3166-2 subdivision
    years_after_last_contact: int
    until_birthday: int | None  # records of children: kept at least until this birthday
    source: str


DEFAULT_RULES: dict[str, RetentionRule] = {
    # England: NHS England, Records Management Code of Practice 2021 (updated 2023),
    # Appendix II, "Mental health records" (includes psychology records): 20 years after no
    # further treatment is considered necessary, or 10 years after the patient's death;
    # children's records until the 25th birthday (26th if 17 when treatment ended). Written
    # for the NHS in England and those under contract to it; private practices use it as
    # guidance. Also summarised by the MDU ("Updated guidance on medical records management
    # and retention", 2021). Death dates are not recorded yet, so the 10-years-after-death
    # branch is not applied (it can only shorten the period).
    "GB-ENG": RetentionRule(
        "GB-ENG", 20, 25,
        "NHS England Records Management Code of Practice 2021, Appendix II: mental health "
        "records 20 years after treatment ends; children's records until the 25th birthday",
    ),
    # Germany: § 630f Abs. 3 BGB, "zehn Jahre nach Abschluss der Behandlung", unless other
    # rules require longer (e.g. some Länder hospital acts).
    "DE": RetentionRule(
        "DE", 10, None, "§ 630f Abs. 3 BGB: ten years after the end of treatment"
    ),
}


def configured_rules(overrides: Mapping[str, object] | None = None) -> dict[str, RetentionRule]:
    """The defaults, replaced or extended by settings.RETENTION_YEARS {prefix: years}."""
    rules = dict(DEFAULT_RULES)
    given = getattr(settings, "RETENTION_YEARS", {}) if overrides is None else overrides
    for prefix, years in dict(given).items():
        if not isinstance(prefix, str) or not _JURISDICTION.fullmatch(prefix):
            raise ImproperlyConfigured(
                f"RETENTION_YEARS: {prefix!r} is not an ISO 3166 code such as US-CA or DE"
            )
        if not isinstance(years, int) or isinstance(years, bool) or not 1 <= years <= MAX_YEARS:
            raise ImproperlyConfigured(f"RETENTION_YEARS[{prefix!r}]: years from 1 to 100")
        rules[prefix] = RetentionRule(prefix, years, None, "configured by the operator")
    return rules


def rule_for(jurisdiction: str, rules: Mapping[str, RetentionRule]) -> RetentionRule | None:
    """The most specific rule: "GB-ENG" before "GB"; "DE" covers "DE-BY"."""
    code = jurisdiction.strip().upper()
    if code in rules:
        return rules[code]
    country = code.split("-", 1)[0]
    return rules.get(country)


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def retention_ends_on(rule: RetentionRule, *, last_contact: dt.date, born: dt.date) -> dt.date:
    """The first day the record may be destroyed."""
    ends = _years_later(last_contact, rule.years_after_last_contact)
    if rule.until_birthday is not None:
        ends = max(ends, _years_later(born, rule.until_birthday))
    return ends + dt.timedelta(days=1)


@dataclass(frozen=True)
class DueClient:
    client: Client
    last_contact: dt.date
    may_destroy_from: dt.date
    rule: RetentionRule


@dataclass
class Assessment:
    due: list[DueClient]
    not_yet: int
    held: int
    unassessed: dict[str, int]  # jurisdiction without a rule -> clients


def clients_past_retention(*, today: dt.date | None = None,
                           rules: Mapping[str, RetentionRule] | None = None) -> Assessment:
    day = today or timezone.localdate()
    table = configured_rules() if rules is None else dict(rules)
    held = Exists(LegalHold.objects.filter(client=OuterRef("pk"), released_at__isnull=True))
    keys = ClientDataKey.objects.filter(client=OuterRef("pk"))
    candidates = (
        Client.objects.filter(is_active=False)
        .annotate(shredded=Exists(keys.filter(destroyed_at__isnull=False)),
                  alive=Exists(keys.filter(destroyed_at__isnull=True)))
        .exclude(shredded=True, alive=False)  # already done
        .annotate(on_hold=held,
                  last_attended=Max("appointments__starts_at",
                                    filter=Q(appointments__status="attended")))
        .select_related("practice")
        .order_by("pk")
    )
    result = Assessment(due=[], not_yet=0, held=0, unassessed={})
    for client in candidates.iterator(chunk_size=500):
        if client.on_hold:
            result.held += 1
            continue
        rule = rule_for(client.practice.jurisdiction, table)
        if rule is None:
            code = client.practice.jurisdiction
            result.unassessed[code] = result.unassessed.get(code, 0) + 1
            continue
        attended = client.last_attended
        last = timezone.localdate(client.created_at)
        if attended is not None:
            last = max(last, timezone.localdate(attended))
        ends = retention_ends_on(rule, last_contact=last, born=client.date_of_birth)
        if ends <= day:
            result.due.append(DueClient(client, last, ends, rule))
        else:
            result.not_yet += 1
    return result

