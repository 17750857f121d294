"""When an authorisation allows a disclosure (164.508; CF-2), as plain functions of rows.

An authorisation covers a disclosure when it was signed on or before the day, has not
expired (date or event) and was not revoked by then, names the same recipient, and covers
the record released (the signer's own record; or the unit's or group's, when it says so).
Several authorisations of one signer may together cover the categories released (a
psychotherapy-note authorisation is always a separate document, 164.508(b)(3)(ii)).
For a couple, family or group record every adult member must have authorised it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from therapia.clients.models import Client, ClientUnit, Episode
from therapia.disclosures.bases import Category, adult_age
from therapia.disclosures.models import Authorisation
from therapia.scheduling.models import GroupMember, TherapyGroup


def same_party(left: str, right: str) -> bool:
    return " ".join(left.casefold().split()) == " ".join(right.casefold().split())


def names_recipient(authorisation: Authorisation, *, name: str, organisation: str) -> bool:
    """The authorisation's recipient is this one: each part it names must match."""
    if authorisation.recipient_name and not same_party(authorisation.recipient_name, name):
        return False
    return not (authorisation.recipient_organisation
                and not same_party(authorisation.recipient_organisation, organisation))


def lapse_reason(authorisation: Authorisation, day: dt.date) -> str:
    """Why the authorisation does not allow a disclosure on `day` ("" if it does)."""
    signed = f"signed {authorisation.signed_on:%-d %b %Y}"
    if authorisation.signed_on > day:
        return f"the one {signed} was not yet signed on that day"
    revocation = getattr(authorisation, "revocation", None)
    if revocation is not None and revocation.revoked_on <= day:
        return f"the one {signed} was revoked on {revocation.revoked_on:%-d %b %Y}"
    if authorisation.expires_on is not None and authorisation.expires_on < day:
        return f"the one {signed} expired on {authorisation.expires_on:%-d %b %Y}"
    if authorisation.expiry_event == "end_of_episode":
        ended = (Episode.objects.filter(client_id=authorisation.client_id,
                                        discharged_on__gte=authorisation.signed_on,
                                        discharged_on__lt=day)
                 .order_by("discharged_on").values_list("discharged_on", flat=True).first())
        if ended is not None:
            return f"the one {signed} ended with the episode of care on {ended:%-d %b %Y}"
    return ""


def required_signers(*, client: Client, unit: ClientUnit | None, group: TherapyGroup | None,
                     day: dt.date) -> list[Client]:
    """Whose authorisation the record needs: the client's own record, the client; a
    unit's or group's record, every member who is an adult on `day`."""
    if unit is None and group is None:
        return [client]
    if unit is not None:
        members = Client.objects.filter(unit_memberships__unit=unit)
    else:
        member_ids = GroupMember.objects.filter(group=group).values("client_id")
        members = Client.objects.filter(pk__in=member_ids)
    age = adult_age(client.practice.jurisdiction)
    return [member for member in members.distinct().order_by("legal_family_name", "pk")
            if member.age_on(day) >= age]


@dataclass(frozen=True)
class Finding:
    cited: list[Authorisation]
    problems: list[str]  # plain sentences naming who is missing and why


def find_authorisations(
    *, signers: Sequence[Client], candidates: Iterable[Authorisation], unit: ClientUnit | None,
    group: TherapyGroup | None, name: str, organisation: str, categories: Sequence[str],
    day: dt.date,
) -> Finding:
    """The authorisations a disclosure can cite, or what is missing, signer by signer."""
    by_signer: dict[int, list[Authorisation]] = {}
    for authorisation in candidates:
        by_signer.setdefault(authorisation.client_id, []).append(authorisation)
    labels = dict(Category.choices)
    cited: list[Authorisation] = []
    problems: list[str] = []
    for signer in signers:
        theirs = [a for a in by_signer.get(signer.pk, [])
                  if (unit is None or a.unit_id == unit.pk)
                  and (group is None or a.group_id == group.pk)
                  and names_recipient(a, name=name, organisation=organisation)]
        lapsed = [reason for a in theirs if (reason := lapse_reason(a, day))]
        valid = [a for a in theirs if not lapse_reason(a, day)]
        covered = {category for a in valid for category in a.categories}
        missing = [labels.get(c, c) for c in categories if c not in covered]
        who = signer.display_name
        if not valid:
            detail = f" ({'; '.join(lapsed)})" if lapsed else ""
            problems.append(f"No valid authorisation from {who} for this recipient{detail}.")
        elif missing:
            problems.append(f"{who}'s authorisation does not cover: {', '.join(missing)}.")
        else:
            cited.extend(a for a in valid if set(a.categories) & set(categories))
    return Finding(cited=cited, problems=problems)
