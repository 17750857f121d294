"""Giving a questionnaire to a client and storing the answers (house rule 1: services).

An Administration (models.py) is created by a clinician or by a measurement plan, either
with a private link for the client (/portal/q/<token>/) or to be entered from a paper form.

The link: 32 random bytes (URL-safe), in the URL path; only its SHA-256 is stored. It is
resumable until `expires_at` (answers are saved as the client goes) and used up on submit:
after that it shows only the thank-you page, until it expires. A portal request has no
practice, so the token is resolved through the SECURITY DEFINER function
measures_link_practice (migration 0004) and the request then runs in that practice.

The answers are clinical data: stored only as ciphertext (key class clinical), as JSON
{"items": [value or null, ...], "text": {item number: free text}}. The score is stored
beside them in plain columns (total, band, prorated, subscales, risk_flag_ids) for charts
and statistics. A submission carries a submission id: a retried submit is stored once.
A risk flag raises an alert for the primary clinician in the same transaction (alerts.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client, Episode
from therapia.measures import library, measures_policy
from therapia.measures.definition import InstrumentDefinition
from therapia.measures.models import (
    ADMINISTRATION_TRANSITIONS,
    OPEN_STATUSES,
    Administration,
    AdministrationStatus,
    CustomInstrument,
    EntryMode,
    Occasion,
)
from therapia.measures.scoring import Scorer, ScoreResult, ScoringError, scorer_for
from therapia.scheduling.models import Appointment
from therapia.security import crypto, rls
from therapia.security.actor import Actor

LABEL = "measures.Administration"
LINK_DAYS = 7  # an ad-hoc link, or one sent after discharge, works this long
MAX_TOKEN_LENGTH = 100

EMAIL_SUBJECT = "A short form from your therapist"
EMAIL_BODY = (
    "Your therapist has asked you to fill in a short form before your next appointment.\n\n"
    "{links}\n\n"
    "The link is private to you and works until {expires}. You can stop and come back to "
    "it; once you send your answers it is used up.\n\n"
    "If you did not expect this e-mail, you can ignore it."
)

# What the client is told when a questionnaire cannot be completed online.
PAPER_ONLY_REASON = (
    "The publisher of this questionnaire does not allow its questions to be shown online, "
    "so it is filled in on paper. Your therapist will give you a copy at your appointment."
)


class LinkClosed(Exception):
    """The link cannot take answers any more (used, expired, cancelled or paper-only)."""

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


# --- instruments ------------------------------------------------------------------------

def instrument_for(administration: Administration) -> InstrumentDefinition:
    if administration.custom_instrument_id is not None:
        return administration.custom_instrument.instrument  # type: ignore[union-attr]
    return library.get(administration.instrument_id)


def scorer(administration: Administration) -> Scorer:
    if administration.custom_instrument_id is not None:
        return Scorer(instrument_for(administration))
    return scorer_for(administration.instrument_id)


def available_instruments(practice_id: int) -> list[tuple[str, InstrumentDefinition]]:
    """Built-in instruments and the practice's own (custom:<public id>), by short name."""
    found = [(d.id, d) for d in library.definitions().values()]
    found.extend((f"custom:{custom.public_id}", custom.instrument)
                 for custom in CustomInstrument.objects.filter(practice_id=practice_id))
    return sorted(found, key=lambda pair: pair[1].short_name.lower())


def resolve_instrument(practice_id: int, choice: str) -> tuple[InstrumentDefinition,
                                                              CustomInstrument | None]:
    if choice.startswith("custom:"):
        try:
            key = uuid.UUID(choice.removeprefix("custom:"))
        except ValueError:
            raise ValidationError({"instrument": "Choose a questionnaire from the list."}) \
                from None
        custom = CustomInstrument.objects.filter(practice_id=practice_id, public_id=key).first()
        if custom is None:
            raise ValidationError({"instrument": "Choose a questionnaire from the list."})
        return custom.instrument, custom
    try:
        return library.get(choice), None
    except library.UnknownInstrument:
        raise ValidationError({"instrument": "Choose a questionnaire from the list."}) from None


def online_allowed(definition: InstrumentDefinition) -> bool:
    """Only where the licence lets us show the item text (definition.item_text)."""
    return definition.item_text.shipped


# --- encryption ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Answers:
    items: list[Any]  # one per item in order; None = not answered
    text: dict[str, str]  # free-text answers by item number (none built in yet)

    @property
    def answered(self) -> int:
        return sum(1 for value in self.items if value is not None)


def answers_ciphertext(administration: Administration, answers: Answers) -> bytes:
    return crypto.encrypt_text(
        client=administration.client, key_class=crypto.KeyClass.CLINICAL, model_label=LABEL,
        record_id=administration.public_id, field="answers",
        plaintext=json.dumps({"items": answers.items, "text": answers.text}))


def answers_plaintext(administration: Administration) -> Answers | None:
    if administration.answers is None:
        return None
    loaded = json.loads(crypto.decrypt_text(
        client=administration.client, key_class=crypto.KeyClass.CLINICAL, model_label=LABEL,
        record_id=administration.public_id, field="answers",
        ciphertext=administration.answers))
    return Answers(items=list(loaded["items"]), text=dict(loaded.get("text") or {}))


# --- parsing answers ------------------------------------------------------------------------

def item_field(number: int) -> str:
    return f"item_{number}"


def parse_answers(definition: InstrumentDefinition, data: Mapping[str, Any], *,
                  require: bool, who: str = "Question") -> tuple[list[Any], dict[str, str]]:
    """Item values from a form (`item_<n>`), and errors keyed by field, each naming the item.
    `require`: every required item must be answered (a client's submit; a paper form may
    have gaps, which the scoring rules then handle)."""
    values: list[Any] = []
    errors: dict[str, str] = {}
    for item in definition.items:
        name = item_field(item.number)
        raw = data.get(name)
        raw = "" if raw is None else str(raw).strip()
        scale = definition.scale_of(item.number)
        if raw == "":
            values.append(None)
            if require and item.required:
                errors[name] = f"{who} {item.number}: please choose an answer."
            continue
        if scale.kind == "options":
            allowed = [option.value for option in scale.options]
            try:
                value: Any = int(raw)
            except ValueError:
                value = None
            if value not in allowed:
                listed = ", ".join(str(v) for v in allowed)
                errors[name] = (f"{who} {item.number} ({item.label}): {raw[:20]!r} is not one "
                                f"of the answers ({listed}).")
                values.append(None)
                continue
        else:
            try:
                number = round(float(raw), scale.decimals)
            except ValueError:
                number = float("nan")
            if not scale.low <= number <= scale.high or number != float(raw):
                errors[name] = (f"{who} {item.number} ({item.label}): {raw[:20]!r} must be a "
                                f"number from {scale.low:g} to {scale.high:g} with at most "
                                f"{scale.decimals} decimal place"
                                f"{'s' if scale.decimals != 1 else ''}.")
                values.append(None)
                continue
            value = int(number) if scale.decimals == 0 else number
        values.append(value)
    return values, errors


# --- creating, linking, cancelling ---------------------------------------------------------

def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def link_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("portal:questionnaire", args=[token])


@dataclass(frozen=True)
class Issued:
    administration: Administration
    token: str | None  # the link's secret, shown or e-mailed once; None if no new link
    created: bool


def _check_transition(administration: Administration, to: str) -> None:
    if to not in ADMINISTRATION_TRANSITIONS[AdministrationStatus(administration.status)]:
        raise ValidationError(f"A questionnaire that is {administration.get_status_display()} "
                              f"cannot become {AdministrationStatus(to).label.lower()}.")


@transaction.atomic
def administration_create(
    *, actor: Actor | None, episode: Episode, instrument: str, with_link: bool,
    occasion: str = Occasion.AD_HOC, occasion_key: str = "",
    appointment: Appointment | None = None, expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Issued:
    """A questionnaire for the client of `episode`. `actor` None: a measurement plan (the
    system). With `occasion_key`, the same occasion gives the same administration."""
    client = episode.client
    if actor is not None and not measures_policy.can_administer(actor, client):
        raise PermissionDenied("Only the client's clinicians can give questionnaires.")
    if actor is not None and not episode.is_open:
        raise ValidationError("The episode is closed: questionnaires go with an open episode.")
    definition, custom = resolve_instrument(episode.practice_id, instrument)
    if with_link and not online_allowed(definition):
        raise ValidationError({"instrument": f"{definition.short_name} cannot be sent as a "
                               f"link: {definition.item_text.reason} Enter it from paper."})
    if occasion_key:
        existing = Administration.objects.filter(
            episode=episode, instrument_id=definition.id, occasion_key=occasion_key).first()
        if existing is not None:
            return Issued(existing, None, created=False)
    moment = now or timezone.now()
    token = secrets.token_urlsafe(32) if with_link else None
    administration = Administration(
        practice_id=episode.practice_id, client=client, episode=episode,
        appointment=appointment, instrument_id=definition.id,
        instrument_version=definition.version, custom_instrument=custom, occasion=occasion,
        occasion_key=occasion_key, requested_by=actor.membership if actor else None,
        token_hash=digest(token) if token else None, sent_at=moment if token else None,
        expires_at=(expires_at or moment + dt.timedelta(days=LINK_DAYS)) if token else None)
    try:
        with transaction.atomic():
            administration.save()
    except IntegrityError:
        if not occasion_key:
            raise
        # A concurrent run created the same occasion first: that one stands.
        existing = Administration.objects.get(episode=episode, instrument_id=definition.id,
                                              occasion_key=occasion_key)
        return Issued(existing, None, created=False)
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.TREATMENT,
                 obj=administration, client=client, practice=episode.practice,
                 fields=["instrument_id", "occasion", *(["token_hash"] if token else [])])
    return Issued(administration, token, created=True)


@transaction.atomic
def administration_new_link(*, actor: Actor, administration: Administration,
                            days: int = LINK_DAYS) -> str:
    """A fresh link for a waiting questionnaire (the old one stops working). Returns the
    token, shown once."""
    locked = Administration.objects.select_for_update(of=("self",)).get(pk=administration.pk)
    if not measures_policy.can_administer(actor, locked.client):
        raise PermissionDenied("Only the client's clinicians can send questionnaires.")
    definition = instrument_for(locked)
    if not online_allowed(definition):
        raise ValidationError(f"{definition.short_name} cannot be sent as a link: "
                              f"{definition.item_text.reason}")
    if locked.status == AdministrationStatus.EXPIRED:
        raise ValidationError("This questionnaire has expired: send a new one.")
    if locked.status not in OPEN_STATUSES:
        raise ValidationError("Only a questionnaire that is still waiting can get a new link.")
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    locked.token_hash = digest(token)
    locked.sent_at = now
    locked.expires_at = now + dt.timedelta(days=days)
    locked.save(update_fields=["token_hash", "sent_at", "expires_at", "updated_at"])
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.TREATMENT, obj=locked,
                 client=locked.client, fields=["token_hash", "expires_at"])
    return token


@transaction.atomic
def administration_cancel(*, actor: Actor, administration: Administration) -> None:
    locked = Administration.objects.select_for_update(of=("self",)).get(pk=administration.pk)
    if not measures_policy.can_administer(actor, locked.client):
        raise PermissionDenied("Only the client's clinicians can cancel questionnaires.")
    _check_transition(locked, AdministrationStatus.CANCELLED)
    locked.status = AdministrationStatus.CANCELLED
    locked.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.TREATMENT, obj=locked,
                 client=locked.client, fields=["status"])


def send_link_email(client: Client, links: Sequence[tuple[str, dt.datetime]]) -> bool:
    """After the caller commits: one e-mail with the links, and nothing clinical in it (not
    even the questionnaire's name). False if the client has no e-mail address."""
    if not client.email or not links:
        return False
    listed = "\n".join(f"Open your form: {link_url(token)}" for token, _ in links)
    expires = min(expiry for _, expiry in links)
    body = EMAIL_BODY.format(links=listed,
                             expires=f"{timezone.localtime(expires):%-d %B %Y, %H:%M}")
    transaction.on_commit(partial(send_mail, EMAIL_SUBJECT, body, None, [client.email]))
    return True


# --- the client's link ------------------------------------------------------------------

def link_state(administration: Administration, now: dt.datetime | None = None) -> str:
    """open, completed, expired, cancelled or paper_only."""
    status = administration.status
    if status == AdministrationStatus.COMPLETED:
        return "completed"
    if status == AdministrationStatus.CANCELLED:
        return "cancelled"
    if status == AdministrationStatus.EXPIRED or (
            administration.expires_at is not None
            and administration.expires_at <= (now or timezone.now())):
        return "expired"
    if not online_allowed(instrument_for(administration)):
        return "paper_only"
    return "open"


def administration_for_token(token: str) -> Administration | None:
    """The administration behind a link, or None. Sets the request's practice to the
    link's practice (row-level security), found through measures_link_practice."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    hashed = digest(token)
    with connection.cursor() as cursor:
        cursor.execute("SELECT measures_link_practice(%s)", [hashed])
        row = cursor.fetchone()
    if row is None or row[0] is None:
        return None
    rls.set_practice(row[0])
    return (Administration.objects.select_related("client", "practice", "episode",
                                                  "custom_instrument")
            .filter(token_hash=hashed).first())


def record_link_opened(administration: Administration) -> None:
    """The client opened their link: an audit row (no user; labelled by the request's
    origin, system:portal)."""
    audit_record(actor=None, action=Action.READ, purpose=Purpose.TREATMENT,
                 obj=administration, client=administration.client,
                 practice=administration.practice, fields=["items", "answers"])


@transaction.atomic
def administration_save_progress(*, administration: Administration, items: list[Any],
                                 now: dt.datetime | None = None) -> Administration:
    """Keep the client's answers so far (the link stays open until they submit)."""
    locked = (Administration.objects.select_for_update(of=("self",))
              .select_related("client", "practice").get(pk=administration.pk))
    moment = now or timezone.now()
    state = link_state(locked, moment)
    if state != "open":
        raise LinkClosed(state)
    answers = Answers(items=items, text={})
    locked.answers = answers_ciphertext(locked, answers)
    locked.answered_count = answers.answered
    locked.last_saved_at = moment
    fields = ["answers", "answered_count", "last_saved_at", "updated_at"]
    if locked.status == AdministrationStatus.SENT:
        locked.status = AdministrationStatus.IN_PROGRESS
        fields.append("status")
    locked.save(update_fields=fields)
    audit_record(actor=None, action=Action.UPDATE, purpose=Purpose.TREATMENT, obj=locked,
                 client=locked.client, practice=locked.practice,
                 fields=["answers", *(["status"] if "status" in fields else [])])
    return locked


@dataclass(frozen=True)
class Submitted:
    administration: Administration
    result: ScoreResult | None  # None for a retry of a submission already stored
    duplicate: bool


def _store_result(administration: Administration, items: list[Any],
                  result: ScoreResult, moment: dt.datetime) -> list[str]:
    answers = Answers(items=items, text={})
    administration.answers = answers_ciphertext(administration, answers)
    administration.answered_count = answers.answered
    administration.last_saved_at = moment
    administration.completed_at = moment
    administration.status = AdministrationStatus.COMPLETED
    administration.total = None if result.total is None else float(result.total)
    administration.band = result.band or ""
    administration.prorated = result.prorated
    administration.subscales = {
        s.id: {"value": s.value, "band": s.band, "prorated": s.prorated}
        for s in result.subscales}
    administration.risk_flag_ids = [flag.id for flag in result.risk_flags]
    return ["answers", "answered_count", "last_saved_at", "completed_at", "status", "total",
            "band", "prorated", "subscales", "risk_flag_ids"]


SCORE_FIELDS = ["answers", "status", "total", "band", "prorated", "subscales",
                "risk_flag_ids", "completed_at"]


def _scored(administration: Administration, items: list[Any]) -> ScoreResult:
    try:
        return scorer(administration).score(items)
    except ScoringError as error:
        item = getattr(error, "item", 0)
        raise ValidationError({item_field(item) if item else "__all__": str(error)}) from None


@transaction.atomic
def administration_submit(*, administration: Administration, items: list[Any],
                          submission_id: uuid.UUID | None,
                          now: dt.datetime | None = None) -> Submitted:
    """The client's answers through their link: score, encrypt, store, and raise a risk
    alert if a risk item was endorsed. A retry with the same submission id is stored once."""
    from therapia.measures import alerts  # alerts build on administrations

    locked = (Administration.objects.select_for_update(of=("self",))
              .select_related("client", "practice", "episode", "custom_instrument")
              .get(pk=administration.pk))
    if (locked.status == AdministrationStatus.COMPLETED and submission_id is not None
            and locked.submission_id == submission_id):
        return Submitted(locked, None, duplicate=True)
    moment = now or timezone.now()
    state = link_state(locked, moment)
    if state != "open":
        raise LinkClosed(state)
    result = _scored(locked, items)
    fields = _store_result(locked, items, result, moment)
    locked.entry_mode = EntryMode.CLIENT_LINK
    locked.submission_id = submission_id
    locked.save(update_fields=[*fields, "entry_mode", "submission_id", "updated_at"])
    audit_record(actor=None, action=Action.UPDATE, purpose=Purpose.TREATMENT, obj=locked,
                 client=locked.client, practice=locked.practice,
                 fields=[*SCORE_FIELDS, "entry_mode"])
    if result.risk_flags:
        alerts.alert_raise(administration=locked, now=moment)
    _check_track_after_commit(locked)
    return Submitted(locked, result, duplicate=False)


@transaction.atomic
def administration_enter_paper(
    *, actor: Actor, episode: Episode, instrument: str, items: list[Any],
    administration: Administration | None = None, appointment: Appointment | None = None,
    now: dt.datetime | None = None,
) -> Submitted:
    """A clinician enters a paper form's answers: into a waiting administration (one a
    plan created for paper, or whose link expired), or as a new one."""
    from therapia.measures import alerts

    client = episode.client
    if not measures_policy.can_administer(actor, client):
        raise PermissionDenied("Only the client's clinicians can enter questionnaires.")
    moment = now or timezone.now()
    if administration is None:
        issued = administration_create(actor=actor, episode=episode, instrument=instrument,
                                       with_link=False, appointment=appointment, now=moment)
        target = issued.administration
    else:
        target = administration
    locked = (Administration.objects.select_for_update(of=("self",))
              .select_related("client", "practice", "episode", "custom_instrument")
              .get(pk=target.pk))
    if locked.episode_id != episode.pk:
        raise ValidationError("That questionnaire belongs to another episode.")
    _check_transition(locked, AdministrationStatus.COMPLETED)
    result = _scored(locked, items)
    fields = _store_result(locked, items, result, moment)
    locked.entry_mode = EntryMode.PAPER
    locked.entered_by = actor.membership
    locked.token_hash = None  # a paper entry uses up any link
    locked.save(update_fields=[*fields, "entry_mode", "entered_by", "token_hash",
                               "updated_at"])
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.TREATMENT, obj=locked,
                 client=client, fields=[*SCORE_FIELDS, "entry_mode", "entered_by"])
    if result.risk_flags:
        alerts.alert_raise(administration=locked, now=moment, raised_by=actor)
    _check_track_after_commit(locked)
    return Submitted(locked, result, duplicate=False)


def _check_track_after_commit(administration: Administration) -> None:
    """Whether the client has gone off track is checked once the score is stored."""
    from therapia.measures.track_alerts import check_track

    transaction.on_commit(partial(check_track.enqueue, administration.pk))


def expire_due(now: dt.datetime | None = None) -> int:
    """Open administrations whose link has run out become expired (one statement; the
    plan job runs it). Returns how many."""
    moment = now or timezone.now()
    return Administration.objects.filter(
        status__in=list(OPEN_STATUSES), expires_at__lte=moment,
    ).update(status=AdministrationStatus.EXPIRED, updated_at=moment)
