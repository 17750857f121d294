"""Master keys: where they come from, how they are checked, and that they never leak."""

from __future__ import annotations

import base64
import os
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from therapia.security import keyring
from therapia.security.keyring import KeyClass

HEX_A = "11" * 32
HEX_B = "22" * 32
B64_C = base64.b64encode(b"\x33" * 32).decode()
CONTEXT = {"client": "c-1", "key_class": "clinical"}


def load(environ: dict[str, str], tmp_path, *, may_generate: bool = False):
    return keyring.load_providers(environ=environ, keys_dir=tmp_path / "keys",
                                  may_generate=may_generate)


def test_keys_from_the_environment_hex_base64_and_versions(tmp_path) -> None:
    providers = load({"THERAPIA_MASTER_KEY": f"1:{HEX_A},2:{B64_C}",
                      "THERAPIA_PN_MASTER_KEY": HEX_B}, tmp_path)
    clinical = providers[KeyClass.CLINICAL]
    assert clinical.key_ids() == ["1", "2"] and clinical.current_key_id() == "2"
    assert providers[KeyClass.PSYCHOTHERAPY_NOTES].key_ids() == ["1"]
    wrapped = clinical.wrap(b"k" * 32, CONTEXT)
    assert wrapped.key_id == "2"
    assert clinical.unwrap(wrapped.blob, CONTEXT) == b"k" * 32
    assert "11" * 8 not in repr(clinical) and B64_C not in repr(clinical)


def test_key_ids_order_naturally() -> None:
    ids = ["9", "10", "2", "20261121T090000Z", "20261121T100000Z"]
    assert max(ids, key=keyring.natural_order) == "20261121T100000Z"
    assert sorted(["9", "10", "2"], key=keyring.natural_order) == ["2", "9", "10"]


def test_a_key_file_named_by_the_environment(tmp_path) -> None:
    secret = tmp_path / "pn.key"
    secret.write_text(f"a:{HEX_B}\n")
    providers = load({"THERAPIA_MASTER_KEY": HEX_A, "THERAPIA_PN_MASTER_KEY_FILE": str(secret)},
                     tmp_path)
    assert providers[KeyClass.PSYCHOTHERAPY_NOTES].key_ids() == ["a"]


@pytest.mark.parametrize("value", ["short", "11" * 31, "1:" + HEX_A + ",1:" + HEX_B,
                                   "bad id!:" + HEX_A, base64.b64encode(b"x" * 16).decode()])
def test_bad_keys_are_refused_without_echoing_them(tmp_path, value: str) -> None:
    with pytest.raises(ImproperlyConfigured) as refused:
        load({"THERAPIA_MASTER_KEY": value, "THERAPIA_PN_MASTER_KEY": HEX_B}, tmp_path)
    assert "THERAPIA_MASTER_KEY" in str(refused.value)
    assert HEX_A not in str(refused.value) and "11" * 31 not in str(refused.value)


def test_the_psychotherapy_note_key_must_differ_from_the_clinical_key(tmp_path) -> None:
    with pytest.raises(ImproperlyConfigured, match="must differ"):
        load({"THERAPIA_MASTER_KEY": f"1:{HEX_A},2:{HEX_B}", "THERAPIA_PN_MASTER_KEY": HEX_B},
             tmp_path)


def test_no_key_outside_the_demo_is_a_configuration_error(tmp_path) -> None:
    with pytest.raises(ImproperlyConfigured, match="No clinical master key"):
        load({}, tmp_path)
    assert not (tmp_path / "keys").exists() or not list((tmp_path / "keys").iterdir())


def test_the_demo_generates_one_private_key_file_per_class(tmp_path) -> None:
    providers = load({}, tmp_path, may_generate=True)
    files = sorted(p.name for p in (tmp_path / "keys").glob("master-*.key"))
    assert len(files) == 2
    assert files[0].startswith("master-clinical-") and "psychotherapy_notes" in files[1]
    for path in (tmp_path / "keys").glob("master-*.key"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    again = load({}, tmp_path, may_generate=True)  # the same keys, not new ones
    assert again[KeyClass.CLINICAL].material() == providers[KeyClass.CLINICAL].material()


def test_a_readable_key_file_is_refused(tmp_path) -> None:
    load({}, tmp_path, may_generate=True)
    path = next((tmp_path / "keys").glob("master-clinical-*.key"))
    os.chmod(path, 0o644)  # noqa: PTH101
    with pytest.raises(ImproperlyConfigured, match="chmod 600"):
        load({}, tmp_path)


def test_a_running_process_picks_up_a_new_key_file(tmp_path) -> None:
    keys_dir = tmp_path / "keys"
    keyring.write_master_key(keys_dir, KeyClass.CLINICAL, "1")
    keyring.write_master_key(keys_dir, KeyClass.PSYCHOTHERAPY_NOTES, "1")
    store = load({}, tmp_path)[KeyClass.CLINICAL]
    old = store.wrap(b"d" * 32, CONTEXT)
    keyring.write_master_key(keys_dir, KeyClass.CLINICAL, "2")
    # Another process wrapped a data key under the new master key: unwrapping it here
    # finds the new file without a restart.
    other = load({}, tmp_path)[KeyClass.CLINICAL]
    assert store.unwrap(other.wrap(b"e" * 32, CONTEXT).blob, CONTEXT) == b"e" * 32
    assert store.current_key_id() == "2"
    assert store.unwrap(old.blob, CONTEXT) == b"d" * 32
    broken = keys_dir / keyring.key_file_name(KeyClass.CLINICAL, "3")
    broken.write_text(HEX_A)
    broken.chmod(0o644)
    store.refresh()  # a misconfigured new file: logged, and the keys in use are kept
    assert store.key_ids() == ["1", "2"]
    broken.unlink()
    (keys_dir / keyring.key_file_name(KeyClass.CLINICAL, "1")).unlink()
    store.refresh()
    with pytest.raises(keyring.MasterKeyUnavailable, match="'1'"):
        store.unwrap(old.blob, CONTEXT)


def test_a_wrapped_key_is_bound_to_its_context(tmp_path) -> None:
    store = load({"THERAPIA_MASTER_KEY": HEX_A, "THERAPIA_PN_MASTER_KEY": HEX_B},
                 tmp_path)[KeyClass.CLINICAL]
    wrapped = store.wrap(b"f" * 32, CONTEXT)
    with pytest.raises(keyring.UnwrapFailed):
        store.unwrap(wrapped.blob, {**CONTEXT, "client": "c-2"})
    with pytest.raises(keyring.UnwrapFailed):
        store.unwrap(wrapped.blob[:-1], CONTEXT)
    with pytest.raises(keyring.UnwrapFailed):
        store.unwrap(b"\x09" + wrapped.blob[1:], CONTEXT)


def test_changing_keys_dir_reloads_the_keyring(settings, tmp_path) -> None:
    before = keyring.provider(KeyClass.CLINICAL)
    settings.KEYS_DIR = tmp_path / "other-keys"
    after = keyring.provider(KeyClass.CLINICAL)
    assert after is not before
    assert isinstance(after, keyring.LocalMasterKeyProvider)
    assert after.source == str(tmp_path / "other-keys")
