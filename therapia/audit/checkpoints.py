"""Signed checkpoints of the audit chain, kept outside the database.

A checkpoint is a small JSON file in AUDIT_CHECKPOINT_DIR saying "at <time> the chain's
newest entry was seq N with MAC M", signed with Ed25519 (RFC 8032) by a key the database
never sees. It is the audit trail's analogue of a signed tree head (RFC 6962 s3.5): the
HMAC chain alone cannot tell a trail whose last entries were deleted from a shorter trail,
and an insider holding the HMAC key could re-chain entries; neither can forge a checkpoint
or make the entries before it agree with one. Copy the directory off the machine (another
host, an object-locked bucket, the privacy officer's mailbox): a checkpoint that an
attacker can delete with the entries protects nothing.

Written by `therapia audit checkpoint` (on demand; `--every MINUTES` to loop), or by a
thread of the demo (`start_checkpoint_thread`). No new file is written while the chain has
not grown. The files hold no client data: a sequence number, a MAC and key ids.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import json
import logging
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import connections

from therapia.audit import chain, keys

logger = logging.getLogger(__name__)

FORMAT = "therapia.audit.checkpoint.v1"
_SIGNED = ("format", "seq", "mac", "hmac_key_id", "created_at", "signing_key_id")


class CheckpointError(ValueError):
    """A checkpoint file that is malformed or whose signature does not verify."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    mac: bytes
    hmac_key_id: str
    created_at: str  # ISO 8601, UTC
    signing_key_id: str
    signature: bytes = b""
    path: Path | None = field(default=None, compare=False)

    def payload(self) -> bytes:
        """The signed bytes: the fields as JSON with sorted keys and no spaces."""
        body = {"format": FORMAT, "seq": self.seq, "mac": self.mac.hex(),
                "hmac_key_id": self.hmac_key_id, "created_at": self.created_at,
                "signing_key_id": self.signing_key_id}
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def to_json(self) -> str:
        body = json.loads(self.payload())
        body["signature"] = base64.b64encode(self.signature).decode()
        return json.dumps(body, indent=2, sort_keys=True) + "\n"

    @property
    def name(self) -> str:
        return self.path.name if self.path else f"seq {self.seq}"


def sign(*, seq: int, mac: bytes, hmac_key_id: str, key: Ed25519PrivateKey,
         now: dt.datetime) -> Checkpoint:
    unsigned = Checkpoint(
        seq=seq, mac=mac, hmac_key_id=hmac_key_id,
        created_at=now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        signing_key_id=keys.signing_key_id(key.public_key()))
    return Checkpoint(**{**unsigned.__dict__, "signature": key.sign(unsigned.payload())})


def parse(text: str, path: Path | None = None) -> Checkpoint:
    """A checkpoint from its file, unchecked; CheckpointError if malformed."""
    try:
        body = json.loads(text)
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise CheckpointError("not a Therapia audit checkpoint")
        if set(body) != {*_SIGNED, "signature"}:
            raise CheckpointError("unexpected or missing fields")
        seq, mac = body["seq"], bytes.fromhex(body["mac"])
        if type(seq) is not int or seq < 1 or len(mac) != chain.MAC_SIZE:
            raise CheckpointError("bad seq or mac")
        if not all(isinstance(body[name], str) for name in
                   ("hmac_key_id", "created_at", "signing_key_id")):
            raise CheckpointError("bad key id or time")
        signature = base64.b64decode(body["signature"], validate=True)
    except CheckpointError:
        raise
    except (ValueError, TypeError, binascii.Error) as error:
        raise CheckpointError(f"malformed ({error.__class__.__name__})") from error
    return Checkpoint(seq=seq, mac=mac, hmac_key_id=body["hmac_key_id"],
                      created_at=body["created_at"], signing_key_id=body["signing_key_id"],
                      signature=signature, path=path)


def check(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> None:
    """CheckpointError unless `public_key` signed exactly this checkpoint."""
    if checkpoint.signing_key_id != keys.signing_key_id(public_key):
        raise CheckpointError(f"signed by an unknown key ({checkpoint.signing_key_id})")
    try:
        public_key.verify(checkpoint.signature, checkpoint.payload())
    except InvalidSignature as error:
        raise CheckpointError("the signature does not verify") from error


@dataclass(frozen=True)
class CheckpointSet:
    valid: list[Checkpoint]  # by seq, oldest first
    problems: list[str]  # one line per file that is malformed or badly signed

    @property
    def newest(self) -> Checkpoint | None:
        return self.valid[-1] if self.valid else None


def checkpoints_read(
    directory: Path, public_key: Ed25519PublicKey | Callable[[], Ed25519PublicKey]
) -> CheckpointSet:
    """Every checkpoint file in `directory`, checked. The key (or a function returning it)
    is only needed, and only loaded, when there are files."""
    paths = sorted(directory.glob("*.json")) if directory.is_dir() else []
    if not paths:
        return CheckpointSet(valid=[], problems=[])
    key = public_key if isinstance(public_key, Ed25519PublicKey) else public_key()
    valid, problems = [], []
    for path in paths:
        try:
            checkpoint = parse(path.read_text(), path)
            check(checkpoint, key)
        except (CheckpointError, OSError, UnicodeDecodeError) as error:
            problems.append(f"checkpoint {path.name}: {error}")
            continue
        valid.append(checkpoint)
    valid.sort(key=lambda c: (c.seq, c.created_at))
    return CheckpointSet(valid=valid, problems=problems)


def chain_head(using: str = "default") -> tuple[int, bytes, str] | None:
    """(seq, mac, key id) of the newest committed entry, or None for an empty trail."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT seq, mac, key_id FROM audit_auditevent ORDER BY seq DESC LIMIT 1")
        row = cursor.fetchone()
    return (int(row[0]), bytes(row[1]), str(row[2])) if row else None


def _write_file(directory: Path, checkpoint: Checkpoint) -> Path:
    directory.mkdir(parents=True, exist_ok=True, mode=0o750)
    stamp = checkpoint.created_at.replace("-", "").replace(":", "")[:15]
    path = directory / f"checkpoint-{checkpoint.seq:012d}-{stamp}Z.json"
    temporary = directory / f".{path.name}.{secrets.token_hex(4)}.tmp"
    with temporary.open("x") as handle:
        handle.write(checkpoint.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    temporary.chmod(0o644)
    temporary.replace(path)
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)  # the rename survives a crash
    finally:
        os.close(descriptor)
    return path


def checkpoint_write(*, directory: Path | None = None, using: str = "default",
                     now: dt.datetime | None = None) -> Checkpoint | None:
    """Sign the chain's head into a new file; None if the trail is empty.

    If a valid checkpoint of this very head exists already, it is returned and nothing
    is written.
    """
    directory = directory or Path(settings.AUDIT_CHECKPOINT_DIR)
    head = chain_head(using)
    if head is None:
        return None
    seq, mac, hmac_key_id = head
    signing_key = keys.signing_key()
    for path in sorted(directory.glob(f"checkpoint-{seq:012d}-*.json")):
        with contextlib.suppress(CheckpointError, OSError, UnicodeDecodeError):
            existing = parse(path.read_text(), path)
            check(existing, signing_key.public_key())
            if existing.mac == mac:
                return existing
    checkpoint = sign(seq=seq, mac=mac, hmac_key_id=hmac_key_id, key=signing_key,
                      now=now or dt.datetime.now(dt.UTC))
    path = _write_file(directory, checkpoint)
    logger.info("audit checkpoint at seq %d written to %s", seq, path)
    return Checkpoint(**{**checkpoint.__dict__, "path": path})


def checkpoint_loop(*, every_minutes: int, stop: threading.Event,
                    directory: Path | None = None, using: str = "default") -> None:
    """Write a checkpoint now and every `every_minutes` until `stop` is set, then a last one."""
    while True:
        try:
            checkpoint_write(directory=directory, using=using)
        except Exception:  # a failed checkpoint must not end the loop
            logger.exception("audit checkpoint failed")
        finally:
            connections.close_all()  # this thread's connections; don't hold one while asleep
        if stop.is_set():
            return
        stop.wait(every_minutes * 60)


def start_checkpoint_thread(every_minutes: int) -> Callable[..., bool]:
    """Run `checkpoint_loop` in a daemon thread; call the result to write a last checkpoint
    and stop it."""
    stop = threading.Event()
    thread = threading.Thread(target=checkpoint_loop, name="audit-checkpoints", daemon=True,
                              kwargs={"every_minutes": every_minutes, "stop": stop})
    thread.start()

    def finish(timeout: float = 30) -> bool:
        """True once the thread has written its last checkpoint and ended."""
        stop.set()
        thread.join(timeout)
        return not thread.is_alive()

    return finish
