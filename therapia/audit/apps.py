from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


def audit_key_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every process that writes audit rows needs the HMAC key: say so at start-up, not at
    the first audited request."""
    from therapia.audit import keys

    try:
        keys.hmac_keys()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="therapia_audit.E001")]
    return []


class AuditConfig(AppConfig):
    name = "therapia.audit"
    label = "audit"

    def ready(self) -> None:
        checks.register(audit_key_check)
