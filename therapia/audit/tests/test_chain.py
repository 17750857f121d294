"""chain.py without a database: the MAC, the record layout and the verify loop."""

from __future__ import annotations

import hashlib
import hmac
import os
import struct

import pytest

from therapia.audit import chain

KEY = bytes(range(32))
BASES = {chain.key_id(KEY): chain.mac_base(KEY)}
KID = chain.key_id(KEY)


def record(*values: bytes | None) -> bytes:
    """A binary record of text fields (OID 25), as PostgreSQL's record_send lays it out."""
    out = struct.pack("!i", len(values))
    for value in values:
        out += struct.pack("!Ii", 25, -1 if value is None else len(value)) + (value or b"")
    return out


def entry_record(seq: int, key_id: str) -> bytes:
    """A record with as many fields as the real one, the key id last."""
    middle = [f"entry {seq}".encode(), None, *[b"x"] * 12]
    return record(str(seq).encode(), *middle, key_id.encode())


def build(count: int, key: bytes = KEY, *, start: int = 1,
          prev: bytes = chain.GENESIS) -> list[chain.Entry]:
    base, entries = chain.mac_base(key), []
    for seq in range(start, start + count):
        rec = entry_record(seq, chain.key_id(key))
        mac = chain.entry_mac(base, prev, rec)
        entries.append((seq, prev, mac, rec))
        prev = mac
    return entries


def test_the_mac_is_hmac_sha256_over_domain_previous_mac_and_record() -> None:
    rec = record(b"a", None, b"")
    expected = hmac.new(KEY, chain.DOMAIN + chain.GENESIS + rec, hashlib.sha256).digest()
    assert chain.entry_mac(chain.mac_base(KEY), chain.GENESIS, rec) == expected


def test_the_key_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        chain.mac_base(b"short")


def test_key_ids_name_keys_without_revealing_them() -> None:
    assert chain.key_id(KEY) != chain.key_id(os.urandom(32))
    assert len(chain.key_id(KEY)) == 16 and KEY.hex()[:16] != chain.key_id(KEY)


def test_records_are_length_prefixed_so_field_boundaries_cannot_move() -> None:
    assert record(b"ab", b"c") != record(b"a", b"bc")
    assert record(b"", None) != record(None, b"")
    assert chain.decode_record(record(b"ab", None, b"")) == [(25, b"ab"), (25, None), (25, b"")]
    with pytest.raises(ValueError, match="trailing"):
        chain.decode_record(record(b"x") + b"!")


def test_a_clean_run_verifies() -> None:
    outcome = chain.verify_entries(build(50), bases=BASES)
    assert outcome == chain.Outcome(checked=50, last_seq=50, last_mac=build(50)[-1][2],
                                    problem=None)


@pytest.mark.parametrize(
    ("damage", "seq", "fault", "checked"),
    [
        ("alter", 7, chain.Fault.MAC, 6),
        ("delete", 8, chain.Fault.GAP, 6),
        ("repeat", 7, chain.Fault.DUPLICATE, 7),
        ("relink", 7, chain.Fault.LINK, 6),
        ("foreign_key", 7, chain.Fault.UNKNOWN_KEY, 6),
    ],
)
def test_the_first_bad_entry_is_named(damage: str, seq: int, fault: chain.Fault,
                                      checked: int) -> None:
    entries = build(12)
    s, p, m, r = entries[6]
    if damage == "alter":
        entries[6] = (s, p, m, r.replace(b"entry", b"entrY"))
    elif damage == "delete":
        del entries[6]
    elif damage == "repeat":
        entries.insert(7, entries[6])
    elif damage == "relink":
        entries[6] = (s, os.urandom(32), m, r)
    else:
        entries[6] = (s, p, m, r.replace(KID.encode(), b"0" * 16))
    outcome = chain.verify_entries(entries, bases=BASES)
    assert outcome.problem is not None
    assert (outcome.problem.seq, outcome.problem.fault) == (seq, fault)
    assert outcome.checked == checked


def test_a_checkpoint_pins_the_mac_at_its_seq() -> None:
    entries = build(10)
    clean = chain.verify_entries(entries, bases=BASES, checkpoints={5: entries[4][2]})
    assert clean.problem is None
    outcome = chain.verify_entries(entries, bases=BASES, checkpoints={5: bytes(32)})
    assert outcome.problem == chain.Problem(5, None, chain.Fault.CHECKPOINT)


def test_a_re_keyed_chain_is_only_caught_by_a_checkpoint() -> None:
    original, insider_key = build(10), os.urandom(32)
    rewritten = build(10, insider_key)  # someone with a key rebuilt the whole chain
    bases = {**BASES, chain.key_id(insider_key): chain.mac_base(insider_key)}
    assert chain.verify_entries(rewritten, bases=bases).problem is None
    outcome = chain.verify_entries(rewritten, bases=bases, checkpoints={4: original[3][2]})
    assert outcome.problem is not None and outcome.problem.seq == 4


def test_entries_written_before_a_key_rotation_verify_with_the_retired_key() -> None:
    new = os.urandom(32)
    old_part = build(5)
    rotated = old_part + build(5, new, start=6, prev=old_part[-1][2])
    bases = {KID: chain.mac_base(KEY), chain.key_id(new): chain.mac_base(new)}
    for first in (KID, chain.key_id(new)):
        outcome = chain.verify_entries(rotated, bases=bases, first_key_id=first)
        assert outcome.problem is None and outcome.checked == 10
    assert chain.record_key_id(rotated[7][3]) == chain.key_id(new)


def test_verifying_from_the_middle_needs_the_mac_before_it() -> None:
    entries = build(10)
    outcome = chain.verify_entries(entries[4:], bases=BASES, start_seq=5, anchor=entries[3][2])
    assert outcome.problem is None and outcome.checked == 6
    wrong = chain.verify_entries(entries[4:], bases=BASES, start_seq=5, anchor=chain.GENESIS)
    assert wrong.problem is not None and wrong.problem.fault is chain.Fault.LINK


def test_a_cut_tail_is_reported_against_the_newest_checkpoint() -> None:
    assert chain.tail_problem(10, 10) is None
    problem = chain.tail_problem(7, 10, "checkpoint-10.json")
    assert problem is not None
    assert problem.describe() == (
        "seq 8: missing: a signed checkpoint covers entries past the end of the trail; "
        "seq 8 to 10 are gone; the checkpoint checkpoint-10.json signed seq 10")
