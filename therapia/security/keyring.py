"""Master keys: the keys that wrap each client's data keys. They never enter the database.

Envelope encryption: clinical free text is encrypted under a per-client data key (AES-256-GCM,
therapia/security/crypto/); the data key is stored only wrapped (encrypted) under a master
key held here. The two key classes have separate master keys, so a psychotherapy note's
data key cannot be unwrapped with a clinical master key:

    clinical              notes, assessment narratives, free-text answers, attachments
    psychotherapy_notes   psychotherapy notes (45 CFR 164.501), their own privacy class

Where master keys come from, per class, first match wins:

1. settings.MASTER_KEY_PROVIDER, a dotted path to `factory(key_class) -> MasterKeyProvider`
   (a cloud KMS: wrap/unwrap become its Encrypt/Decrypt calls with the same context).
2. THERAPIA_MASTER_KEY / THERAPIA_PN_MASTER_KEY (or the same name + _FILE, naming a file
   holding the value): "KEY" or "ID:KEY,ID:KEY"; each KEY is 32 bytes as 64 hex digits or
   base64. Changing the variable needs a restart of every process.
3. Files KEYS_DIR/master-<class>-<id>.key (mode 0600), one key each. A process picks up a
   newly added file within REFRESH_SECONDS, without a restart.
4. None of these, and settings.KEYS_MAY_GENERATE (the embedded demo and the tests): one
   key file is generated per class. Otherwise start-up of anything that encrypts fails with
   ImproperlyConfigured.

Several keys of a class may be configured at once (rotation); the *current* one wraps new
data keys and is the one with the greatest id in natural order ("10" > "9"; generated
ids are UTC timestamps, so the newest wins). Older ones stay until `therapia keys status`
shows that no data key is wrapped under them any more.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import enum
import fcntl
import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # 96-bit GCM nonces, random (NIST SP 800-38D section 8.2.2)
WRAP_FORMAT = 1
REFRESH_SECONDS = 5.0
_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")
_BASE64_KEY = re.compile(r"[A-Za-z0-9+/_-]{43}=?")


class KeyClass(enum.StrEnum):
    CLINICAL = "clinical"
    PSYCHOTHERAPY_NOTES = "psychotherapy_notes"


ENV_VARS = {
    KeyClass.CLINICAL: "THERAPIA_MASTER_KEY",
    KeyClass.PSYCHOTHERAPY_NOTES: "THERAPIA_PN_MASTER_KEY",
}


@dataclass(frozen=True)
class WrappedKey:
    blob: bytes  # self-describing: names the master key id that wrapped it
    key_id: str


class UnwrapFailed(Exception):
    """The wrapped key was made for another context (client, class) or was altered."""


class MasterKeyUnavailable(Exception):
    """The master key a wrapped key names is not configured in this process."""


class MasterKeyProvider(Protocol):
    """What the rest of Therapia needs from a key store. A cloud KMS implements it with
    Encrypt/Decrypt and `context` as the encryption context (authenticated, not secret)."""

    key_class: KeyClass

    def current_key_id(self) -> str: ...

    def key_ids(self) -> list[str]: ...

    def refresh(self) -> None: ...

    def wrap(self, dek: bytes, context: Mapping[str, str]) -> WrappedKey: ...

    def unwrap(self, blob: bytes, context: Mapping[str, str]) -> bytes: ...


def natural_order(key_id: str) -> tuple[tuple[int, int | str], ...]:
    """Digits compare as numbers: "2" < "10", "20261121T090000Z" < "20261121T100000Z"."""
    parts = re.findall(r"\d+|\D+", key_id)
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in parts)


def _context_bytes(key_class: str, key_id: str, context: Mapping[str, str]) -> bytes:
    body = json.dumps(dict(context), sort_keys=True, separators=(",", ":"))
    return f"therapia-wrap-v{WRAP_FORMAT}|{key_class}|{key_id}|{body}".encode()


class LocalMasterKeyProvider:
    """AES-256-GCM key wrapping under master keys held in this process's memory.

    Blob: format byte, id length, id, 12-byte nonce, wrapped key + 16-byte tag. The class,
    the master key id and the context (client, class) are associated data, so a wrapped
    key copied to another client's row, or to the other class, does not unwrap.
    """

    def __init__(self, key_class: KeyClass, keys: Mapping[str, bytes], *, source: str,
                 reload: Callable[[], dict[str, bytes]] | None = None) -> None:
        if not keys:
            raise ImproperlyConfigured(f"No master key for key class {key_class!s}")
        self.key_class = key_class
        self.source = source
        self._keys = dict(keys)
        self._reload = reload
        self._checked = time.monotonic()

    def __repr__(self) -> str:  # never the key material
        return f"<LocalMasterKeyProvider {self.key_class} from {self.source}: {self.key_ids()}>"

    def key_ids(self) -> list[str]:
        return sorted(self._keys, key=natural_order)

    def current_key_id(self) -> str:
        return self.key_ids()[-1]

    def material(self) -> frozenset[bytes]:
        return frozenset(self._keys.values())

    def refresh(self) -> None:
        """Re-read the key files. A broken new file is logged and the keys in use kept."""
        self._checked = time.monotonic()
        if self._reload is None:
            return
        try:
            found = self._reload()
        except (ImproperlyConfigured, OSError) as error:
            logger.error("master keys of class %s not reloaded: %s", self.key_class, error)
            return
        if found:
            self._keys = found

    def wrap(self, dek: bytes, context: Mapping[str, str]) -> WrappedKey:
        if len(dek) != KEY_BYTES:
            raise ValueError("a data key is 32 bytes")
        if time.monotonic() - self._checked > REFRESH_SECONDS:
            self.refresh()  # a master key added since start-up wraps new data keys
        key_id = self.current_key_id()
        ident = key_id.encode()
        header = bytes([WRAP_FORMAT, len(ident)]) + ident
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(self._keys[key_id]).encrypt(
            nonce, dek, header + _context_bytes(self.key_class, key_id, context)
        )
        return WrappedKey(blob=header + nonce + sealed, key_id=key_id)

    def unwrap(self, blob: bytes, context: Mapping[str, str]) -> bytes:
        key_id, header, rest = parse_wrapped(blob)
        key = self._keys.get(key_id)
        if key is None:
            self.refresh()  # perhaps added by an operator since start-up
            key = self._keys.get(key_id)
        if key is None:
            raise MasterKeyUnavailable(
                f"master key {key_id!r} of class {self.key_class} is not configured "
                f"({self.source})"
            )
        nonce, sealed = rest[:NONCE_BYTES], rest[NONCE_BYTES:]
        try:
            return AESGCM(key).decrypt(
                nonce, sealed, header + _context_bytes(self.key_class, key_id, context)
            )
        except InvalidTag as error:
            raise UnwrapFailed("the wrapped data key does not belong here") from error


def parse_wrapped(blob: bytes) -> tuple[str, bytes, bytes]:
    """(master key id, header, nonce + ciphertext) of a wrapped key."""
    if len(blob) < 2 or blob[0] != WRAP_FORMAT:
        raise UnwrapFailed("not a wrapped data key of a known format")
    end = 2 + blob[1]
    if len(blob) < end + NONCE_BYTES + KEY_BYTES + 16:
        raise UnwrapFailed("wrapped data key is truncated")
    return blob[2:end].decode("ascii", "replace"), blob[:end], blob[end:]


# --- Loading keys ---------------------------------------------------------------------


def parse_key_material(text: str, *, where: str) -> bytes:
    """32 bytes from 64 hex digits or base64 (standard or URL-safe). Errors never echo it."""
    value = text.strip()
    if _HEX_KEY.fullmatch(value):
        return bytes.fromhex(value)
    if _BASE64_KEY.fullmatch(value):
        try:
            standard = value.rstrip("=").replace("-", "+").replace("_", "/") + "="
            raw = base64.b64decode(standard, validate=True)
        except binascii.Error:
            raw = b""
        if len(raw) == KEY_BYTES:
            return raw
    raise ImproperlyConfigured(
        f"{where}: a master key must be 32 random bytes written as 64 hex digits or base64 "
        "(e.g. the output of `openssl rand -base64 32`)"
    )


def parse_env_keys(value: str, *, name: str) -> dict[str, bytes]:
    """"KEY" (id "1") or "ID:KEY,ID:KEY"."""
    items = [item.strip() for item in value.split(",") if item.strip()]
    if len(items) == 1 and ":" not in items[0]:
        return {"1": parse_key_material(items[0], where=name)}
    keys: dict[str, bytes] = {}
    for item in items:
        key_id, sep, material = item.partition(":")
        key_id = key_id.strip()
        if not sep or not _KEY_ID.fullmatch(key_id):
            raise ImproperlyConfigured(
                f"{name}: write several keys as ID:KEY,ID:KEY (ids: letters, digits, . _ -)"
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"{name}: key id {key_id!r} appears twice")
        keys[key_id] = parse_key_material(material, where=f"{name} (key {key_id})")
    return keys


def key_file_name(key_class: KeyClass, key_id: str) -> str:
    return f"master-{key_class}-{key_id}.key"


def read_key_files(keys_dir: Path, key_class: KeyClass) -> dict[str, bytes]:
    pattern = re.compile(rf"master-{re.escape(key_class)}-(?P<id>{_KEY_ID.pattern})\.key")
    keys: dict[str, bytes] = {}
    if not keys_dir.is_dir():
        return keys
    for path in keys_dir.iterdir():
        found = pattern.fullmatch(path.name)
        if not found:
            continue
        if path.stat().st_mode & 0o077:
            raise ImproperlyConfigured(
                f"{path}: a master key file must be readable by its owner only (chmod 600)"
            )
        keys[found["id"]] = parse_key_material(path.read_text(), where=str(path))
    return keys


@contextlib.contextmanager
def _generation_lock(keys_dir: Path) -> Iterator[None]:
    descriptor = os.open(keys_dir / ".generate.lock", os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # several test processes may start at once
        yield


def write_master_key(keys_dir: Path, key_class: KeyClass, key_id: str | None = None) -> str:
    """Write a new random master key file (0600, never overwriting). Returns its id."""
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    base = key_id or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    if not _KEY_ID.fullmatch(base):
        raise ValueError("key ids are letters, digits, . _ - (at most 64)")
    for attempt in range(100):
        chosen = base if attempt == 0 else f"{base}-{attempt}"
        path = keys_dir / key_file_name(key_class, chosen)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            if key_id is not None:
                raise
            continue
        with os.fdopen(descriptor, "w") as handle:
            handle.write(base64.b64encode(AESGCM.generate_key(bit_length=256)).decode() + "\n")
        return chosen
    raise FileExistsError(f"could not choose a free key id in {keys_dir}")


def _env_value(environ: Mapping[str, str], name: str) -> str:
    file_name = environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return environ.get(name, "").strip()


def load_providers(*, environ: Mapping[str, str], keys_dir: Path, may_generate: bool
                   ) -> dict[KeyClass, LocalMasterKeyProvider]:
    """A provider per key class, and a check that the classes share no key."""
    providers: dict[KeyClass, LocalMasterKeyProvider] = {}
    for key_class, name in ENV_VARS.items():
        value = _env_value(environ, name)
        if value:
            providers[key_class] = LocalMasterKeyProvider(
                key_class, parse_env_keys(value, name=name), source=f"${name}"
            )
            continue
        keys = read_key_files(keys_dir, key_class)
        if not keys and may_generate:
            keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            with _generation_lock(keys_dir):
                keys = read_key_files(keys_dir, key_class)
                if not keys:
                    write_master_key(keys_dir, key_class)
                    logger.info("generated a %s master key in %s", key_class, keys_dir)
                    keys = read_key_files(keys_dir, key_class)
        if not keys:
            raise ImproperlyConfigured(
                f"No {key_class} master key: set {name} or put "
                f"{key_file_name(key_class, '<id>')} in {keys_dir} (`therapia keys new-master "
                f"--class {key_class}`); see docs/configuration.md"
            )

        def reload(cls: KeyClass = key_class) -> dict[str, bytes]:
            return read_key_files(keys_dir, cls)

        providers[key_class] = LocalMasterKeyProvider(
            key_class, keys, source=str(keys_dir), reload=reload
        )
    clinical = providers[KeyClass.CLINICAL].material()
    if clinical & providers[KeyClass.PSYCHOTHERAPY_NOTES].material():
        raise ImproperlyConfigured(
            "The psychotherapy-notes master key must differ from every clinical master key"
        )
    return providers


# --- The process's providers ------------------------------------------------------------

_lock = threading.Lock()
_providers: dict[KeyClass, MasterKeyProvider] = {}


def provider(key_class: KeyClass | str) -> MasterKeyProvider:
    chosen = KeyClass(key_class)
    found = _providers.get(chosen)
    if found is not None:
        return found
    with _lock:
        if not _providers:
            _providers.update(_build())
        return _providers[chosen]


def _build() -> dict[KeyClass, MasterKeyProvider]:
    factory_path = getattr(settings, "MASTER_KEY_PROVIDER", "")
    if factory_path:
        factory = import_string(factory_path)
        return {key_class: factory(key_class) for key_class in KeyClass}
    return dict(load_providers(
        environ=os.environ,
        keys_dir=Path(settings.KEYS_DIR),
        may_generate=bool(settings.KEYS_MAY_GENERATE),
    ))


def reset() -> None:
    """Forget the loaded keys (after changing KEYS_DIR or the environment)."""
    with _lock:
        _providers.clear()


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("KEYS_DIR", "MASTER_KEY_PROVIDER"):
        reset()


setting_changed.connect(_on_setting_changed)
