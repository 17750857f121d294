"""A database dump of a seeded practice holds no plaintext of the seeded canary strings."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command

from therapia.records.models import PsychotherapyNote
from therapia.records.tests.test_pn_committed import dump, scratch_db  # noqa: F401 (fixture)
from therapia.seeding.notes import NOTES_PER_PRACTICE, canary

SEED = 4242


def test_t30_seeded_psychotherapy_notes_never_reach_a_dump_in_plaintext(
    scratch_db: str,  # noqa: F811
) -> None:
    call_command("seed", clients=12, seed=SEED, today=dt.date(2026, 11, 20),
                 practice_name="Canary Practice")
    assert PsychotherapyNote.objects.count() >= NOTES_PER_PRACTICE
    dumped = dump(scratch_db)
    assert b"Canary Practice" in dumped  # the dump holds the seeded practice
    for number in range(NOTES_PER_PRACTICE):
        assert canary(SEED, number).encode() not in dumped
