"""Crisis resources shown to a client on the thank-you page, from the clinical app's data
per jurisdiction (therapia/clinical/data/crisis_lines.json, each line with its source)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from therapia.clinical.crisis_lines import crisis_lines_for

_DIALLABLE = re.compile(r"^[0-9 ]{3,15}$")


@dataclass(frozen=True)
class Resource:
    name: str
    contact: str
    hours: str
    source: str
    tel: str  # a tel: number where the contact is just a number to call, else ""


def resources_for(jurisdiction: str) -> list[Resource]:
    return [Resource(line.name, line.contact, line.hours, line.source,
                     line.contact.replace(" ", "") if _DIALLABLE.match(line.contact) else "")
            for line in crisis_lines_for(jurisdiction)]
