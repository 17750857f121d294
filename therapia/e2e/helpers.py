"""Steps shared by the browser tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page

from therapia.accounts.models import Membership, Role
from therapia.clients.models import CareRole, Client
from therapia.core import factories

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@dataclass
class Clinic:
    membership: Membership
    client: Client
    device: TOTPDevice
    tag: str


def make_clinic(role: Role = Role.CLINICIAN) -> Clinic:
    """A practice of its own, uniquely named, with one clinician and one client."""
    tag = uuid.uuid4().hex[:8]
    user = factories.UserFactory.create(email=f"e2e-{tag}@example.org", display_name="Eve Tester")
    membership = factories.MembershipFactory.create(user=user, role=role)
    client = factories.ClientFactory.create(practice=membership.practice,
                                            legal_given_name="Zora",
                                            legal_family_name=f"Quill{tag}")
    factories.CareTeamFactory.create(client=client, membership=membership, role=CareRole.PRIMARY)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return Clinic(membership=membership, client=client, device=device, tag=tag)


def sign_in(page: Page, base: str, clinic: Clinic) -> None:
    page.goto(f"{base}/accounts/sign-in/")
    page.get_by_label("E-mail").fill(clinic.membership.user.email)
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code from your authenticator app").fill(current_code(clinic.device))
    page.get_by_role("button", name="Continue").click()


def accessibility_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the current page."""
    page.evaluate(AXE.read_text())
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA)
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
    ]
