from __future__ import annotations

from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "therapia.clients"
    label = "clients"
