"""TOTP enrolment, verification and backup codes, on top of django-otp.

Codes are checked against one device chosen by their shape (six digits: the authenticator;
anything else: a backup code), never with django_otp.match_token, which tries every device
and so counts a backup code as a failed TOTP attempt in the authenticator's throttle.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from therapia.accounts.models import User
from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record

BACKUP_DEVICE_NAME = "backup"
TOTP_DEVICE_NAME = "authenticator"
BACKUP_CODE_BYTES = 5  # ten hexadecimal characters, 40 bits each


def confirmed_totp(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_totp(user: User) -> TOTPDevice:
    """The unconfirmed device being enrolled, created on first visit."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


def base32_secret(device: TOTPDevice) -> str:
    """The secret as authenticator apps expect it typed in, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """An inline SVG of the otpauth:// URL. It carries no style attribute (strict CSP)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    svg = str(image.to_string(encoding="unicode"))
    return svg.replace(
        "<svg ",
        '<svg role="img" aria-label="QR code to scan with your authenticator app" ',
        1,
    )


def normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


@dataclass(frozen=True)
class CodeCheck:
    device: Device | None
    throttled: bool = False


def _check(device: Device, code: str) -> CodeCheck:
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return CodeCheck(device=None, throttled=True)
    return CodeCheck(device=device if device.verify_token(code) else None)


@transaction.atomic
def totp_confirm(*, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm enrolment with a first code; returns the new backup codes, or None."""
    locked = TOTPDevice.objects.select_for_update().filter(pk=device.pk, confirmed=False).first()
    if locked is None or _check(locked, normalise_code(code)).device is None:
        return None
    locked.confirmed = True
    locked.save(update_fields=["confirmed"])
    device.refresh_from_db()
    audit_record(actor=None, user=locked.user, action=Action.CREATE, purpose=Purpose.SECURITY,
                 object_type="two_factor.totp_device")
    return _backup_codes_replace(user=locked.user)


@transaction.atomic
def backup_codes_regenerate(*, user: User) -> list[str]:
    """A fresh set of backup codes; the old set stops working."""
    audit_record(actor=None, user=user, action=Action.UPDATE, purpose=Purpose.SECURITY,
                 object_type="two_factor.backup_codes")
    return _backup_codes_replace(user=user)


def _backup_codes_replace(*, user: User) -> list[str]:
    device, _ = StaticDevice.objects.select_for_update().get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [secrets.token_hex(BACKUP_CODE_BYTES) for _ in range(settings.TWO_FACTOR_BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def verify_code(user: User, code: str) -> CodeCheck:
    """A current TOTP code or an unused backup code (which is then used up).

    The device row is locked so that two requests cannot both spend the same code.
    """
    cleaned = normalise_code(code)
    if not cleaned:
        return CodeCheck(device=None)
    if cleaned.isdigit() and len(cleaned) <= 8:
        throttled = False
        for totp in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
            check = _check(totp, cleaned)
            if check.device is not None:
                return check
            throttled = throttled or check.throttled
        return CodeCheck(device=None, throttled=throttled)
    backup = StaticDevice.objects.select_for_update().filter(
        user=user, name=BACKUP_DEVICE_NAME, confirmed=True
    ).first()
    return _check(backup, cleaned) if backup else CodeCheck(device=None)
