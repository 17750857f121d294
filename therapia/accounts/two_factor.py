"""TOTP enrolment, verification and backup codes, on top of django-otp."""

from __future__ import annotations

import base64
import secrets

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django_otp import match_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from therapia.accounts.models import User

BACKUP_DEVICE_NAME = "backup"


def confirmed_totp(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_totp(user: User) -> TOTPDevice:
    """The unconfirmed device being enrolled, created on first visit."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def base32_secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode()


def qr_svg(device: TOTPDevice) -> str:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")


@transaction.atomic
def totp_confirm(*, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm enrolment with a first code; returns the new backup codes, or None."""
    if not device.verify_token(code.strip()):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return backup_codes_regenerate(user=device.user)


@transaction.atomic
def backup_codes_regenerate(*, user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [secrets.token_hex(5) for _ in range(settings.TWO_FACTOR_BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def verify_code(user: User, code: str) -> Device | None:
    """A TOTP code or an unused backup code; a backup code is used up."""
    cleaned = code.strip().replace(" ", "").lower()
    return match_token(user, cleaned) if cleaned else None
