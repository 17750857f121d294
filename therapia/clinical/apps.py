from __future__ import annotations

from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "therapia.clinical"
    label = "clinical"
