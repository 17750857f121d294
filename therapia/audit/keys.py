"""The audit keys, kept outside the database.

    HMAC key (chains the entries; every process that writes audit rows needs it)
        THERAPIA_AUDIT_HMAC_KEY          64 hex digits, or
        KEYS_DIR/audit-hmac.key          the same, in a file readable by Therapia only
        KEYS_DIR/audit-hmac-retired/*.key, THERAPIA_AUDIT_HMAC_RETIRED_KEYS (comma-separated)
                                         earlier keys, for verifying entries written with them
    Ed25519 signing key (signs checkpoints; only the checkpoint job needs it)
        THERAPIA_AUDIT_SIGNING_KEY       PKCS#8 PEM, or
        KEYS_DIR/audit-checkpoint-ed25519.pem
    Ed25519 public key (checks checkpoints; enough for a verifier on another machine)
        THERAPIA_AUDIT_VERIFY_KEY        PEM, or KEYS_DIR/audit-checkpoint-ed25519.pub.pem,
                                         or derived from the signing key

A key that is missing is generated (mode 0600, in a 0700 directory) only for the embedded
database of a checkout or the demo, where losing it loses nothing; anywhere else a missing
key is a configuration error, because a new key would not verify the existing trail.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.hmac import HMAC
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from therapia.audit import chain

logger = logging.getLogger(__name__)

HMAC_ENV = "THERAPIA_AUDIT_HMAC_KEY"
HMAC_RETIRED_ENV = "THERAPIA_AUDIT_HMAC_RETIRED_KEYS"
SIGNING_ENV = "THERAPIA_AUDIT_SIGNING_KEY"
VERIFY_ENV = "THERAPIA_AUDIT_VERIFY_KEY"
HMAC_FILE = "audit-hmac.key"
HMAC_RETIRED_DIR = "audit-hmac-retired"
SIGNING_FILE = "audit-checkpoint-ed25519.pem"
PUBLIC_FILE = "audit-checkpoint-ed25519.pub.pem"

MAKE_HMAC_KEY = 'python3 -c "import secrets; print(secrets.token_hex(32))"'
MAKE_SIGNING_KEY = "openssl genpkey -algorithm ed25519"


@dataclass(frozen=True)
class HmacKeys:
    current: bytes
    current_id: str
    all: Mapping[str, bytes]  # key id -> key, current and retired

    def bases(self) -> dict[str, HMAC]:
        return {kid: chain.mac_base(key) for kid, key in self.all.items()}


def _parse_hex_key(text: str, source: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError as error:
        raise ImproperlyConfigured(f"{source}: the audit HMAC key must be hex digits") from error
    if len(key) != chain.KEY_SIZE:
        raise ImproperlyConfigured(
            f"{source}: the audit HMAC key must be {chain.KEY_SIZE} bytes "
            f"({2 * chain.KEY_SIZE} hex digits); make one with {MAKE_HMAC_KEY}")
    return key


def _read_private(path: Path) -> str:
    if path.stat().st_mode & 0o077:
        logger.warning("%s is readable by other users; it should be mode 0600", path)
    return path.read_text()


def _write_new(path: Path, content: bytes, mode: int) -> None:
    """Create `path` with `content` unless it exists; a concurrent creator wins cleanly."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process got there first
            os.link(temporary, path)  # atomic: the file appears whole or not at all
    finally:
        temporary.unlink()


def load_hmac_keys(*, keys_dir: Path, environ: Mapping[str, str], may_generate: bool) -> HmacKeys:
    if environ.get(HMAC_ENV):
        current = _parse_hex_key(environ[HMAC_ENV], HMAC_ENV)
    else:
        path = keys_dir / HMAC_FILE
        if not path.exists():
            if not may_generate:
                raise ImproperlyConfigured(
                    f"No audit HMAC key: set {HMAC_ENV} or create {path} (mode 0600) with "
                    f"{MAKE_HMAC_KEY}. Keep it outside the database and back it up: without it "
                    "the audit trail cannot be verified.")
            _write_new(path, secrets.token_hex(chain.KEY_SIZE).encode() + b"\n", 0o600)
            logger.info("generated the audit HMAC key in %s", path)
        current = _parse_hex_key(_read_private(path), str(path))
    found = {chain.key_id(current): current}
    retired_dir = keys_dir / HMAC_RETIRED_DIR
    sources = [(f"{HMAC_RETIRED_ENV}[{n}]", text) for n, text in
               enumerate(environ.get(HMAC_RETIRED_ENV, "").split(",")) if text.strip()]
    if retired_dir.is_dir():
        sources += [(str(p), _read_private(p)) for p in sorted(retired_dir.glob("*.key"))]
    for source, text in sources:
        key = _parse_hex_key(text, source)
        found.setdefault(chain.key_id(key), key)
    return HmacKeys(current=current, current_id=chain.key_id(current), all=found)


def load_signing_key(
    *, keys_dir: Path, environ: Mapping[str, str], may_generate: bool
) -> Ed25519PrivateKey:
    if environ.get(SIGNING_ENV):
        pem, source = environ[SIGNING_ENV], SIGNING_ENV
    else:
        path = keys_dir / SIGNING_FILE
        if not path.exists():
            if not may_generate:
                raise ImproperlyConfigured(
                    f"No checkpoint signing key: set {SIGNING_ENV} (PEM) or create {path} "
                    f"(mode 0600) with `{MAKE_SIGNING_KEY} -out {path}`, and give verifiers "
                    f"its public key ({PUBLIC_FILE} or {VERIFY_ENV}).")
            new = Ed25519PrivateKey.generate()
            _write_new(path, new.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()), 0o600)
            logger.info("generated the checkpoint signing key in %s", path)
        pem, source = _read_private(path), str(path)
        public_path = keys_dir / PUBLIC_FILE
        if not public_path.exists():
            derived = _load_private_pem(pem, source).public_key()
            _write_new(public_path, _public_pem(derived), 0o644)
    return _load_private_pem(pem, source)


def _load_private_pem(pem: str, source: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(f"{source}: not an unencrypted PEM private key") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{source}: the checkpoint signing key must be Ed25519")
    return key


def _public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key(
    *, keys_dir: Path, environ: Mapping[str, str], may_generate: bool
) -> Ed25519PublicKey:
    pem, source = environ.get(VERIFY_ENV, ""), VERIFY_ENV
    if not pem and (keys_dir / PUBLIC_FILE).exists():
        pem, source = (keys_dir / PUBLIC_FILE).read_text(), str(keys_dir / PUBLIC_FILE)
    if not pem:
        return load_signing_key(keys_dir=keys_dir, environ=environ,
                                may_generate=may_generate).public_key()
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError as error:
        raise ImproperlyConfigured(f"{source}: not a PEM public key") from error
    if not isinstance(key, Ed25519PublicKey):
        raise ImproperlyConfigured(f"{source}: the checkpoint key must be Ed25519")
    return key


def signing_key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return chain.key_id(raw)


def may_generate_keys() -> bool:
    """Only where settings.KEYS_MAY_GENERATE says so: the demo's embedded database and the
    tests. A server must be given its keys (docs/deployment.md)."""
    return bool(settings.KEYS_MAY_GENERATE)


@functools.cache
def hmac_keys() -> HmacKeys:
    return load_hmac_keys(keys_dir=Path(settings.KEYS_DIR), environ=os.environ,
                          may_generate=may_generate_keys())


@functools.cache
def current_base() -> tuple[str, HMAC]:
    """(key id, HMAC base) for writing entries."""
    keys = hmac_keys()
    return keys.current_id, chain.mac_base(keys.current)


def signing_key() -> Ed25519PrivateKey:
    return load_signing_key(keys_dir=Path(settings.KEYS_DIR), environ=os.environ,
                            may_generate=may_generate_keys())


def public_key() -> Ed25519PublicKey:
    return load_public_key(keys_dir=Path(settings.KEYS_DIR), environ=os.environ,
                           may_generate=may_generate_keys())
