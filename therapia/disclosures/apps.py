from __future__ import annotations

from django.apps import AppConfig


class DisclosuresConfig(AppConfig):
    name = "therapia.disclosures"
    label = "disclosures"
