"""Contributions that apps make to pages they do not own (the client overview's links,
the episode timeline), found by module name so dependencies keep pointing inward: the
clients app never imports records, measures or scheduling."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from types import ModuleType

from django.apps import apps


def app_modules(module_name: str) -> Iterator[ModuleType]:
    """`<app>.<module_name>` for every installed app that has one, in INSTALLED_APPS order."""
    for config in apps.get_app_configs():
        dotted = f"{config.name}.{module_name}"
        if importlib.util.find_spec(dotted) is not None:
            yield importlib.import_module(dotted)
