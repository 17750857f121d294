"""A weekly timetable for the seeded practice, so no clinician, client or room is ever
booked twice. Each recurring series holds a slot — a day offset, an hour and one or both week
parities (weekly sessions use both; fortnightly ones alternate weeks) — for its whole life.
"""

from __future__ import annotations

import math
import random
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from therapia.scheduling.models import Format, SessionKind

HOURS = (9, 10, 11, 12, 14, 15, 16, 17)  # lunch at one
TODAY_HOURS_FOR_FEATURED = 4  # a featured clinician's clinic today: four sessions, then admin
ROOM_NAMES = ("Willow Room", "Rowan Room", "Hazel Room", "Birch Room", "Alder Room",
              "Elder Room", "Holly Room", "Juniper Room")
FAMILY_ROOM = "Family Room"
STUDIO = "Garden Studio"
GROUP_ROOM = "Oak Room"
SPECIAL_ROOMS = (FAMILY_ROOM, STUDIO)  # preferred by some series, used by others when full
ROOMS_PER_CLINICIAN = 0.5

Cell = tuple[int, int]  # (day offset, hour)


@dataclass
class Series:
    """Sessions that recur in one slot: one client's therapy, the couple's, the group's."""

    kind: SessionKind
    clinicians: tuple[str, ...]
    clients: tuple[int, ...]  # indices into the client plans
    start_week: int
    end_week: int | None
    parities: tuple[int, ...]
    minutes: int
    format: Format
    reliability: int = 0
    medication_review: bool = False
    room_preference: tuple[str, ...] = ()
    unit: str = ""  # "couple" or "family"
    is_group: bool = False
    cell: Cell | None = None
    room: str | None = None

    def is_active_in(self, week: int) -> bool:
        return self.start_week <= week and (self.end_week is None or week < self.end_week)

    def cells(self, start: Cell) -> list[Cell]:
        offset, hour = start
        return [(offset, hour + extra) for extra in range(math.ceil(self.minutes / 60))]


@dataclass
class Timetable:
    offsets: tuple[int, ...]
    rooms: tuple[str, ...]
    featured: frozenset[str]
    rng: random.Random
    busy: set[tuple[str, int, int, int]] = field(default_factory=set)
    _orders: dict[str, list[Cell]] = field(default_factory=dict)
    _fortnightly: Counter[tuple[str, int]] = field(default_factory=Counter)

    def is_free(self, owner: str, cells: Iterable[Cell], parities: Iterable[int]) -> bool:
        return not any((owner, day, hour, parity) in self.busy
                       for day, hour in cells for parity in parities)

    def book(self, owner: str, cells: Iterable[Cell], parities: Iterable[int]) -> None:
        self.busy.update((owner, day, hour, parity) for day, hour in cells for parity in parities)

    def place(self, series: Series, *, fixed: Cell | None = None) -> None:
        """Give the series a slot its clinicians and clients have free, and a room if in
        person."""
        people = (*series.clinicians, *(f"client:{index}" for index in series.clients))
        for cell, parities in self._candidates(series, fixed):
            cells = series.cells(cell)
            if all(self.is_free(key, cells, parities) for key in people):
                series.cell, series.parities = cell, parities
                if len(parities) == 1:
                    self._fortnightly[series.clinicians[0], parities[0]] += 1
                for key in people:
                    self.book(key, cells, parities)
                self._give_room(series, cells)
                return
        raise RuntimeError(f"no free slot for {series.clinicians} — the caseload is too large")

    def _candidates(
        self, series: Series, fixed: Cell | None
    ) -> Iterator[tuple[Cell, tuple[int, ...]]]:
        order = [fixed] if fixed else self._order(series.clinicians[0])
        if len(series.parities) == 2:
            for cell in order:
                yield cell, series.parities
            return
        key = series.clinicians[0]
        if key in self.featured:  # fill this week's sessions today first: a full agenda
            for cell in order:
                if cell[0] == 0:
                    yield cell, (0,)
        # Otherwise alternate weeks, so each week is about as busy as the next.
        first = 0 if self._fortnightly[key, 0] <= self._fortnightly[key, 1] else 1
        for cell in order:
            yield cell, (first,)
            yield cell, (1 - first,)

    def _order(self, key: str) -> list[Cell]:
        """The clinician's slots in the order they fill: every working day in turn (today
        first), each day's hours shuffled. Featured clinicians see a few clients today and
        keep the rest of today for admin."""
        if key not in self._orders:
            hours = {offset: self.rng.sample(HOURS, len(HOURS)) for offset in self.offsets}
            if key in self.featured:
                today = [(0, hour) for hour in sorted(hours[0][:TODAY_HOURS_FOR_FEATURED])]
                others = [offset for offset in self.offsets if offset != 0]
                self._orders[key] = today + _round_robin(hours, others)
            else:
                self._orders[key] = _round_robin(hours, list(self.offsets))
        return self._orders[key]

    def _give_room(self, series: Series, cells: list[Cell]) -> None:
        if series.format != Format.IN_PERSON:
            return
        home = self.rooms[hash_index(series.clinicians[0], len(self.rooms))]
        for room in (*series.room_preference, home, *self.rooms, *SPECIAL_ROOMS):
            owner = f"room:{room}"
            if self.is_free(owner, cells, series.parities):
                self.book(owner, cells, series.parities)
                series.room = room
                return
        series.format = Format.VIDEO  # every room taken at that hour: see them online


def _round_robin(hours: dict[int, list[int]], offsets: list[int]) -> list[Cell]:
    return [(offset, hours[offset][turn]) for turn in range(len(HOURS)) for offset in offsets]


def hash_index(key: str, size: int) -> int:
    """A stable index for a key (Python's hash() changes from run to run)."""
    return zlib.crc32(key.encode()) % size


def therapy_rooms(clinician_count: int) -> tuple[str, ...]:
    """Rooms for individual sessions, enough for the practice's size (at least five)."""
    count = max(len(ROOM_NAMES) - 3, math.ceil(clinician_count * ROOMS_PER_CLINICIAN))
    named = ROOM_NAMES[:count]
    numbered = tuple(f"Room {number}" for number in range(len(named) + 1, count + 1))
    return (*named, *numbered)
