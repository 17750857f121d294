from __future__ import annotations

from django.apps import AppConfig
from django.db.backends.signals import connection_created


class SecurityConfig(AppConfig):
    name = "therapia.security"
    label = "security"

    def ready(self) -> None:
        from therapia.security.rls import system_scope_on_connect

        # Infrastructure, not domain flow: the row-level-security scope of this process.
        connection_created.connect(system_scope_on_connect, dispatch_uid="therapia-rls")
