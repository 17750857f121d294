"""The audit keys live outside the database: environment or files, generated only for a
checkout's or the demo's embedded database."""

from __future__ import annotations

import secrets
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured

from therapia.audit import chain, keys


def test_missing_keys_are_generated_once_readable_by_us_only(tmp_path) -> None:
    first = keys.load_hmac_keys(keys_dir=tmp_path / "keys", environ={}, may_generate=True)
    again = keys.load_hmac_keys(keys_dir=tmp_path / "keys", environ={}, may_generate=True)
    assert first == again and len(first.current) == 32
    path = tmp_path / "keys" / keys.HMAC_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    signing = keys.load_signing_key(keys_dir=tmp_path / "keys", environ={}, may_generate=True)
    assert stat.S_IMODE((tmp_path / "keys" / keys.SIGNING_FILE).stat().st_mode) == 0o600
    public = keys.load_public_key(keys_dir=tmp_path / "keys", environ={}, may_generate=False)
    assert keys.signing_key_id(public) == keys.signing_key_id(signing.public_key())
    assert list((tmp_path / "keys").glob(".*")) == []  # no temporary files left behind


def test_missing_keys_outside_a_checkout_are_a_configuration_error(tmp_path) -> None:
    with pytest.raises(ImproperlyConfigured, match=f"No audit HMAC key: set {keys.HMAC_ENV}"):
        keys.load_hmac_keys(keys_dir=tmp_path, environ={}, may_generate=False)
    with pytest.raises(ImproperlyConfigured, match="No checkpoint signing key"):
        keys.load_signing_key(keys_dir=tmp_path, environ={}, may_generate=False)
    assert list(tmp_path.iterdir()) == []


def test_keys_from_the_environment(tmp_path) -> None:
    key = secrets.token_bytes(32)
    signing = Ed25519PrivateKey.generate()
    pem = signing.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    environ = {keys.HMAC_ENV: key.hex(), keys.SIGNING_ENV: pem}
    loaded = keys.load_hmac_keys(keys_dir=tmp_path, environ=environ, may_generate=False)
    assert loaded.current == key and loaded.current_id == chain.key_id(key)
    assert keys.load_signing_key(keys_dir=tmp_path, environ=environ, may_generate=False
                                 ).public_key() == signing.public_key()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad", ["zz" * 32, "ab" * 16, "ab" * 33])
def test_a_malformed_hmac_key_is_refused(tmp_path, bad: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=keys.HMAC_ENV):
        keys.load_hmac_keys(keys_dir=tmp_path, environ={keys.HMAC_ENV: bad}, may_generate=True)


def test_retired_keys_still_verify_old_entries(tmp_path) -> None:
    old, older = secrets.token_bytes(32), secrets.token_bytes(32)
    (tmp_path / keys.HMAC_RETIRED_DIR).mkdir()
    (tmp_path / keys.HMAC_RETIRED_DIR / "2025.key").write_text(old.hex())
    loaded = keys.load_hmac_keys(
        keys_dir=tmp_path, environ={keys.HMAC_RETIRED_ENV: older.hex()}, may_generate=True)
    assert set(loaded.all) == {loaded.current_id, chain.key_id(old), chain.key_id(older)}
    assert set(loaded.bases()) == set(loaded.all)


def test_a_signing_key_of_another_kind_is_refused(tmp_path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    with pytest.raises(ImproperlyConfigured, match="must be Ed25519"):
        keys.load_signing_key(keys_dir=tmp_path, environ={keys.SIGNING_ENV: pem},
                              may_generate=False)


def test_keys_are_generated_only_where_settings_allow(settings) -> None:
    assert keys.may_generate_keys()  # settings_test allows it
    settings.KEYS_MAY_GENERATE = False
    assert not keys.may_generate_keys()


def test_the_system_check_passes_when_the_key_loads() -> None:
    from therapia.audit.apps import audit_key_check

    assert audit_key_check() == []
