"""The demo's sign-in details: one password and one authenticator secret for every persona.

DEMO ONLY. These values are published (README, `therapia demo` output) so anyone can try the
demo. A database seeded with them must never hold real client information.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from therapia.accounts.models import Profession, Role, User
from therapia.accounts.two_factor import backup_codes_regenerate
from therapia.seeding.people import PERSONAS

DEMO_PRACTICE_NAME = "Riverside Therapy Collective"
DEMO_TIME_ZONE = "Europe/London"
DEMO_DOMAIN = "demo.therapia.example"
DEMO_CLIENTS = 60
DEMO_SEED = 2026
DEMO_PASSWORD = "therapia-demo-2026"  # noqa: S105 (demo only, printed for everyone)
# DEMO ONLY: the 20-byte TOTP key of every seeded persona. It is the ASCII text
# "therapia-demo-secret"; in base32 (for an authenticator app) ORUGK4TBOBUWCLLEMVWW6LLTMVRXEZLU.
DEMO_TOTP_KEY_HEX = "74686572617069612d64656d6f2d736563726574"
DEMO_DEVICE_NAME = "authenticator"
# The personas whose agenda today is kept full (see seeding/slots.py).
FEATURED_CLINICIANS = frozenset({"psychologist", "owner"})
DEMO_CLINICIAN = "psychologist"


@dataclass(frozen=True)
class DemoSignIn:
    email: str
    role: str
    name: str


def demo_secret_base32() -> str:
    return base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY_HEX)).decode()


def demo_sign_ins(domain: str = DEMO_DOMAIN) -> list[DemoSignIn]:
    rows = []
    for persona in PERSONAS:
        role = Role(persona.role).label
        if persona.profession is not None and persona.role != Role.TRAINEE:
            role = f"{role}, {Profession(persona.profession).label.lower()}"
        name = f"{persona.title} {persona.first_name} {persona.last_name}".strip()
        rows.append(DemoSignIn(email=f"{persona.local_part}@{domain}", role=role, name=name))
    return rows


def demo_email(key: str, domain: str = DEMO_DOMAIN) -> str:
    persona = next(persona for persona in PERSONAS if persona.key == key)
    return f"{persona.local_part}@{domain}"


def enrol_two_factor(users: Iterable[User]) -> None:
    """A confirmed authenticator with the demo secret, and backup codes, for each user."""
    users = list(users)
    TOTPDevice.objects.bulk_create(
        TOTPDevice(user=user, name=DEMO_DEVICE_NAME, key=DEMO_TOTP_KEY_HEX, confirmed=True)
        for user in users
    )
    for user in users:
        backup_codes_regenerate(user=user)


@dataclass(frozen=True)
class CurrentCode:
    code: str
    seconds_left: int


def current_code(now: float | None = None) -> CurrentCode:
    """The code an authenticator app with the demo secret shows now.

    Uses a seeded device's parameters (step, t0, digits, drift) when there is one.
    """
    device = TOTPDevice.objects.filter(key=DEMO_TOTP_KEY_HEX, confirmed=True).first()
    step, t0, digits, drift = (30, 0, 6, 0) if device is None else (
        device.step, device.t0, device.digits, device.drift)
    moment = time.time() if now is None else now
    totp = TOTP(bytes.fromhex(DEMO_TOTP_KEY_HEX), step=step, t0=t0, digits=digits, drift=drift)
    totp.time = moment
    return CurrentCode(code=f"{totp.token():0{digits}d}",
                       seconds_left=step - int(moment - t0) % step)
