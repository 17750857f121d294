from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "therapia.core"
    label = "core"

    def ready(self) -> None:
        from therapia.core.grants import grant_application_role

        # Infrastructure, not domain flow: after every migrate, the application role gets
        # exactly the privileges the app needs on the (owner's) tables.
        post_migrate.connect(grant_application_role, dispatch_uid="therapia-grants")
