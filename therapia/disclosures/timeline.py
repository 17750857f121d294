"""Episode timeline events: disclosures made, authorisations signed and revoked, within the
episode's dates. Titles in plain words, without recipients or purposes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.urls import reverse
from django.utils import timezone

from therapia.clients.contributions import TimelineEvent
from therapia.clients.models import Episode
from therapia.disclosures import disclosure_policy
from therapia.disclosures.models import Authorisation, AuthorisationRevocation
from therapia.disclosures.selectors import disclosures_involving
from therapia.security.actor import Actor


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def events(actor: Actor, episode: Episode) -> Iterator[TimelineEvent]:
    client = episode.client
    if not disclosure_policy.can_view_disclosures(actor, client):
        return
    start = episode.opened_on
    end = episode.discharged_on or timezone.localdate()
    made = disclosures_involving(client).filter(disclosed_at__date__gte=start,
                                                disclosed_at__date__lte=end)
    for disclosure in made:
        title = ("Disclosure corrected" if disclosure.corrects_id else "Disclosure made")
        yield TimelineEvent(
            when=disclosure.disclosed_at, kind="disclosure",
            title=f"{title}: {disclosure.get_basis_display()}",
            url=reverse("disclosures:disclosure", args=[disclosure.public_id])
            if disclosure.client_id == client.pk else None)
    signed = Authorisation.objects.filter(client=client, signed_on__gte=start,
                                          signed_on__lte=end)
    for authorisation in signed:
        yield TimelineEvent(
            when=_at(authorisation.signed_on), kind="disclosure",
            title=f"Authorisation signed: {authorisation.get_kind_display()}",
            url=reverse("disclosures:authorisation", args=[authorisation.public_id]))
    revoked = (AuthorisationRevocation.objects
               .filter(authorisation__client=client, revoked_on__gte=start, revoked_on__lte=end)
               .select_related("authorisation"))
    for revocation in revoked:
        yield TimelineEvent(
            when=_at(revocation.revoked_on), kind="disclosure",
            title="Authorisation revoked",
            url=reverse("disclosures:authorisation",
                        args=[revocation.authorisation.public_id]))
