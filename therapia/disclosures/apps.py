from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DisclosuresConfig(AppConfig):
    name = "therapia.disclosures"
    label = "disclosures"

    def ready(self) -> None:
        from therapia.disclosures.grants import restrict_application_role

        # After core's grants (connected earlier, so run earlier on each post_migrate).
        post_migrate.connect(restrict_application_role, dispatch_uid="therapia-disclosures-grants")
