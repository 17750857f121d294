"""Synthetic contact details that can reach no one.

Phone numbers come from the ranges Ofcom reserves for drama (mobile 07700 900000 to 900999,
London 020 7946 0000 to 0999, Leeds 0113 496 0000 to 0999); e-mail addresses use the domains
reserved by RFC 2606 (example.com, example.net); addresses are in a fictional town whose
postcode area, RV, does not exist.
"""

from __future__ import annotations

import datetime as dt
import random

from therapia.seeding.names import ascii_slug

EMAIL_DOMAINS = ("example.com", "example.net")
STREETS = ("Alder Lane", "Mill Street", "Harbour Road", "Chapel Row", "Victoria Terrace",
           "Canal Walk", "Orchard Close", "Station Approach", "Kingsmead Avenue", "Rope Walk",
           "Weavers Yard", "Northgate", "St Anne's Road", "Bridge End", "Elmfield Crescent",
           "Tannery Lane", "Quayside", "Linden Grove", "Foundry Street", "Meadow View")
DISTRICTS = ("Millbrook", "Harbour Quarter", "Elmfield", "St Anne's", "Northgate",
             "Kingsmead", "Old Town", "Fairwater")
TOWN = "Riverside"
_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters used in an inward code


def mobile_phone(rng: random.Random) -> str:
    return f"+44 7700 900{rng.randrange(1000):03d}"


def landline_phone(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"+44 20 7946 0{rng.randrange(1000):03d}"
    return f"+44 113 496 0{rng.randrange(1000):03d}"


def email_address(rng: random.Random, given: str, family: str, taken: set[str]) -> str:
    """A unique address for this run; `taken` collects the ones already handed out."""
    domain = rng.choice(EMAIL_DOMAINS)
    local = f"{ascii_slug(given)}.{ascii_slug(family)}"
    address, number = f"{local}@{domain}", 1
    while address in taken:
        number += 1
        address = f"{local}{number}@{domain}"
    taken.add(address)
    return address


def postal_address(rng: random.Random) -> str:
    district = rng.randrange(len(DISTRICTS))
    inward = f"{rng.randrange(1, 10)}{rng.choice(_POSTCODE_LETTERS)}{rng.choice(_POSTCODE_LETTERS)}"
    flat = f"Flat {rng.randrange(1, 40)}, " if rng.random() < 0.3 else ""
    street = f"{flat}{rng.randrange(1, 160)} {rng.choice(STREETS)}"
    return f"{street}\n{DISTRICTS[district]}\n{TOWN} RV{district + 1} {inward}"


def birth_date(rng: random.Random, *, today: dt.date, age: int) -> dt.date:
    """A date of birth on which the person is `age` years old today."""
    latest = years_before(today, age)
    earliest = years_before(today, age + 1) + dt.timedelta(days=1)
    return earliest + dt.timedelta(days=rng.randrange((latest - earliest).days + 1))


def adult_age(rng: random.Random) -> int:
    """Ages of adults in outpatient psychotherapy: most are 20 to 50."""
    low, high = rng.choices(
        ((18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 82)),
        weights=(18, 27, 22, 15, 10, 8),
    )[0]
    return rng.randint(low, high)


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)
