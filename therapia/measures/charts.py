"""Trajectory charts as server-side SVG: a pure function from a `Trajectory` to a string.

No JavaScript and no inline CSS (the content security policy allows neither): presentation
attributes only. The SVG scales to its container through its viewBox, so it works on a phone.

Accessibility: `role="img"` with a <title> and a <desc> that says in words what the chart
shows; the page puts the same numbers in a table (`table_rows`). Bands are told apart by
lightness as well as hue (a colour-blind-safe sequential palette, ColorBrewer YlOrBr) and
each band is labelled in text; scores worse than expected are diamonds, not only a colour.
Every piece of text goes through `_text` / `_attr` (escaped).

Two audiences: "clinician" (cut-off, reliable-change zone, expected-recovery limit, events,
not-on-track markers) and "client" (scores, bands and a sentence in plain words).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal

from therapia.measures.trajectory import (
    Trajectory,
    client_summary,
    clinician_summary,
    day,
    number,
)

Audience = Literal["clinician", "client"]

WIDTH = 640
HEIGHT = 400
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 36, 84  # the plot area's margins
FONT = 14
# ColorBrewer YlOrBr, light to dark (colour-blind safe, sequential): the best band is the
# lightest. Black text and lines keep at least 6.9:1 contrast on the darkest of them.
BAND_FILLS = ("#FFFFE5", "#FFF7BC", "#FEE391", "#FEC44F", "#FE9929", "#EC7014")
INK = "#111111"
MUTED = "#3D3D3D"
POINT_LABEL_LIMIT = 30  # label each point's value when there are no more than this many


@dataclass(frozen=True)
class TableRow:
    when: dt.datetime
    session: int | None
    score: str
    band: str
    change: str
    expected: str  # "" when no curve applies
    track: str  # "On track" / "Worse than expected" / ""


def _text(value: object) -> str:
    return escape(str(value), quote=False)


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _f(value: float) -> str:
    return f"{value:.1f}"


def band_fill(severity: int, count: int) -> str:
    if count <= 1:
        return BAND_FILLS[0]
    index = round(severity * (len(BAND_FILLS) - 1) / (count - 1))
    return BAND_FILLS[index]


class _Scale:
    def __init__(self, trajectory: Trajectory) -> None:
        self.low, self.high = trajectory.low, trajectory.high
        moments = [p.when for p in trajectory.points] + list(trajectory.sessions) + [
            e.when for e in trajectory.events]
        if moments:
            start, end = min(moments), max(moments)
        else:
            start = end = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        if end - start < dt.timedelta(days=14):
            middle = start + (end - start) / 2
            start, end = middle - dt.timedelta(days=7), middle + dt.timedelta(days=7)
        pad = (end - start) * 0.04
        self.start, self.end = start - pad, end + pad
        self.plot_w = WIDTH - LEFT - RIGHT
        self.plot_h = HEIGHT - TOP - BOTTOM

    def x(self, moment: dt.datetime) -> float:
        span = (self.end - self.start).total_seconds()
        return LEFT + (moment - self.start).total_seconds() / span * self.plot_w

    def y(self, value: float) -> float:
        value = min(max(value, self.low), self.high)
        return TOP + (self.high - value) / (self.high - self.low) * self.plot_h

    @property
    def bottom(self) -> float:
        return TOP + self.plot_h

    @property
    def right(self) -> float:
        return LEFT + self.plot_w


def render_svg(trajectory: Trajectory, *, audience: Audience = "clinician",
               id_prefix: str = "chart") -> str:
    """The chart as an SVG element (a string to put in the page as it is)."""
    scale = _Scale(trajectory)
    clinician = audience == "clinician"
    title = (f"{trajectory.short_name} scores over time" if clinician
             else f"Your {trajectory.short_name} scores")
    desc = clinician_summary(trajectory) if clinician else client_summary(trajectory)
    prefix = _attr(id_prefix)
    parts: list[str] = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" class="trajectory-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="{prefix}-title {prefix}-desc" font-family="system-ui, sans-serif" '
        f'font-size="{FONT}" data-audience="{_attr(audience)}">'),
        f'<title id="{prefix}-title">{_text(title)}</title>',
        f'<desc id="{prefix}-desc">{_text(desc)}</desc>',
    ]
    parts += _bands(trajectory, scale)
    if clinician:
        parts += _reliable_change(trajectory, scale)
        parts += _cutoff(trajectory, scale)
    parts += _axes(trajectory, scale)
    parts += _sessions(trajectory, scale)
    if clinician:
        parts += _events(trajectory, scale)
        parts += _expected(trajectory, scale)
    parts += _scores(trajectory, scale, clinician=clinician)
    parts += _legend(trajectory, clinician=clinician)
    parts.append("</svg>")
    return "\n".join(parts)


def _bands(t: Trajectory, s: _Scale) -> Iterable[str]:
    yield '<g class="bands">'
    for band in t.bands:
        top, bottom = s.y(band.high), s.y(band.low)
        fill = band_fill(band.severity, len(t.bands))
        yield (f'<rect class="band" data-band="{_attr(band.label)}" x="{LEFT}" y="{_f(top)}" '
               f'width="{s.plot_w}" height="{_f(bottom - top)}" fill="{fill}"/>')
        if bottom - top >= FONT:
            yield (f'<text class="band-label" x="{_f(s.right - 6)}" y="{_f(bottom - 4)}" '
                   f'text-anchor="end" fill="{MUTED}" font-size="{FONT - 2}">'
                   f'{_text(band.label)} {_text(number(band.minimum))}\u2013'
                   f'{_text(number(band.maximum))}</text>')
    yield "</g>"


def _reliable_change(t: Trajectory, s: _Scale) -> Iterable[str]:
    if t.reliable_change is None or t.first is None:
        return
    base = t.first.value
    top, bottom = s.y(base + t.reliable_change), s.y(base - t.reliable_change)
    yield (f'<g class="reliable-change" data-low="{number(base - t.reliable_change)}" '
           f'data-high="{number(base + t.reliable_change)}">')
    yield (f'<rect x="{LEFT}" y="{_f(top)}" width="{s.plot_w}" height="{_f(bottom - top)}" '
           f'fill="{MUTED}" fill-opacity="0.12"/>')
    for y in (top, bottom):
        yield (f'<line x1="{LEFT}" x2="{_f(s.right)}" y1="{_f(y)}" y2="{_f(y)}" '
               f'stroke="{MUTED}" stroke-width="1" stroke-dasharray="2 3"/>')
    yield (f'<text x="{LEFT + 6}" y="{_f(top - 4)}" fill="{INK}" font-size="{FONT - 2}">'
           f'No reliable change: first score \u00b1{_text(number(t.reliable_change))}</text>')
    yield "</g>"


def _cutoff(t: Trajectory, s: _Scale) -> Iterable[str]:
    if t.cutoff is None:
        return
    y = s.y(t.cutoff)
    yield f'<g class="cutoff" data-value="{_attr(number(t.cutoff))}">'
    yield (f'<line x1="{LEFT}" x2="{_f(s.right)}" y1="{_f(y)}" y2="{_f(y)}" stroke="{INK}" '
           f'stroke-width="2" stroke-dasharray="8 4"/>')
    yield (f'<text x="{LEFT + 6}" y="{_f(y + FONT + 2)}" fill="{INK}" font-size="{FONT - 2}">'
           f'Clinical cut-off {_text(number(t.cutoff))}</text>')
    yield "</g>"


def _nice_step(span: float) -> float:
    raw = span / 5
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for step in (1, 2, 5, 10):
        if raw <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def _axes(t: Trajectory, s: _Scale) -> Iterable[str]:
    yield '<g class="axes">'
    yield (f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{_f(s.bottom)}" stroke="{INK}"/>')
    yield (f'<line x1="{LEFT}" x2="{_f(s.right)}" y1="{_f(s.bottom)}" y2="{_f(s.bottom)}" '
           f'stroke="{INK}"/>')
    step = _nice_step(t.high - t.low)
    tick = math.ceil(t.low / step) * step
    while tick <= t.high + 1e-9:
        y = s.y(tick)
        yield (f'<text class="y-tick" x="{LEFT - 6}" y="{_f(y + 5)}" text-anchor="end" '
               f'fill="{INK}">{_text(number(tick))}</text>')
        tick += step
    better = "lower is better" if t.lower_is_better else "higher is better"
    yield (f'<text class="y-label" x="{LEFT}" y="{TOP - 14}" fill="{INK}">'
           f'{_text(t.short_name)} score ({better})</text>')
    for moment in _date_ticks(s):
        x = s.x(moment)
        yield (f'<text class="x-tick" x="{_f(x)}" y="{_f(s.bottom + FONT + 8)}" '
               f'text-anchor="middle" fill="{INK}" font-size="{FONT - 2}">'
               f'{_text(day(moment))}</text>')
    yield "</g>"


def _date_ticks(s: _Scale) -> list[dt.datetime]:
    """Up to four evenly spaced dates across the plot (fewer labels fit on a phone)."""
    span = s.end - s.start
    return [s.start + span * (0.1 + 0.8 * i / 3) for i in range(4)]


def _sessions(t: Trajectory, s: _Scale) -> Iterable[str]:
    if not t.sessions:
        return
    yield '<g class="sessions">'
    for moment in t.sessions:
        x = s.x(moment)
        yield (f'<line class="session" data-date="{moment.date().isoformat()}" x1="{_f(x)}" '
               f'x2="{_f(x)}" y1="{_f(s.bottom)}" y2="{_f(s.bottom - 8)}" stroke="{INK}" '
               f'stroke-width="2"/>')
    yield "</g>"


def _events(t: Trajectory, s: _Scale) -> Iterable[str]:
    if not t.events:
        return
    yield '<g class="events">'
    for number_, event in enumerate(t.events, start=1):
        x = s.x(event.when)
        yield (f'<line class="event" data-date="{event.when.date().isoformat()}" x1="{_f(x)}" '
               f'x2="{_f(x)}" y1="{TOP}" y2="{_f(s.bottom)}" stroke="{MUTED}" '
               f'stroke-width="1.5" stroke-dasharray="1 3"/>')
        yield (f'<text class="event-label" x="{_f(x + 3)}" y="{TOP + FONT}" fill="{INK}" '
               f'font-size="{FONT - 2}">{number_}</text>')
    yield "</g>"


def _expected(t: Trajectory, s: _Scale) -> Iterable[str]:
    checked = [p for p in t.points if p.expected is not None and p.bound is not None]
    if not checked:
        return
    means = " ".join(f"{_f(s.x(p.when))},{_f(s.y(p.expected or 0))}" for p in checked)
    bounds = " ".join(f"{_f(s.x(p.when))},{_f(s.y(p.bound or 0))}" for p in checked)
    yield '<g class="expected">'
    yield (f'<polyline class="expected-mean" points="{means}" fill="none" stroke="{MUTED}" '
           f'stroke-width="1.5" stroke-dasharray="6 4"/>')
    yield (f'<polyline class="expected-limit" points="{bounds}" fill="none" stroke="{INK}" '
           f'stroke-width="1.5" stroke-dasharray="2 2"/>')
    yield "</g>"


def _diamond(x: float, y: float, r: float) -> str:
    return f"M{_f(x)},{_f(y - r)} L{_f(x + r)},{_f(y)} L{_f(x)},{_f(y + r)} L{_f(x - r)},{_f(y)} Z"


def _scores(t: Trajectory, s: _Scale, *, clinician: bool) -> Iterable[str]:
    if not t.points:
        yield (f'<text class="empty" x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" '
               f'fill="{INK}">No scores yet</text>')
        return
    yield '<g class="scores">'
    line = " ".join(f"{_f(s.x(p.when))},{_f(s.y(p.value))}" for p in t.points)
    yield (f'<polyline class="score-line" points="{line}" fill="none" stroke="{INK}" '
           f'stroke-width="2.5" stroke-linejoin="round"/>')
    label = len(t.points) <= POINT_LABEL_LIMIT
    for p in t.points:
        x, y = s.x(p.when), s.y(p.value)
        data = (f'data-score="{_attr(number(p.value))}" data-date="{p.when.date().isoformat()}"'
                f' data-cx="{_f(x)}" data-cy="{_f(y)}"')
        if clinician and p.not_on_track:
            yield (f'<path class="point not-on-track" {data} d="{_diamond(x, y, 8)}" '
                   f'fill="#FFFFFF" stroke="{INK}" stroke-width="3"/>')
        else:
            yield f'<circle class="point" {data} cx="{_f(x)}" cy="{_f(y)}" r="5" fill="{INK}"/>'
        if label:
            yield (f'<text class="point-label" x="{_f(x)}" y="{_f(y - 11)}" text-anchor="middle" '
                   f'fill="{INK}" font-size="{FONT - 2}" font-weight="bold">'
                   f'{_text(number(p.value))}</text>')
    yield "</g>"


def _legend(t: Trajectory, *, clinician: bool) -> Iterable[str]:
    """Keys under the plot: the line styles in words (not colour alone)."""
    entries: list[tuple[str, str]] = [("score", "Score")]
    if t.sessions:
        entries.append(("session", "Session"))
    if clinician:
        if t.cutoff is not None:
            entries.append(("cutoff", "Cut-off"))
        if any(p.expected is not None for p in t.points):
            entries.append(("limit", "Not-on-track limit"))
        if t.not_on_track_count:
            entries.append(("not-on-track", "Worse than expected"))
        if t.events:
            entries.append(("event", "Event (numbered)"))
    y = HEIGHT - 22
    x = float(LEFT)
    yield '<g class="legend">'
    for kind, text in entries:
        yield _legend_mark(kind, x, y)
        yield (f'<text class="legend-label" x="{_f(x + 24)}" y="{_f(y + 5)}" fill="{INK}" '
               f'font-size="{FONT - 2}">{_text(text)}</text>')
        x += 30 + len(text) * 7.2
        if x > WIDTH - 120:
            x, y = float(LEFT), y + 18
    yield "</g>"


def _legend_mark(kind: str, x: float, y: float) -> str:
    if kind == "score":
        return f'<circle cx="{_f(x + 9)}" cy="{_f(y)}" r="5" fill="{INK}"/>'
    if kind == "not-on-track":
        return (f'<path d="{_diamond(x + 9, y, 7)}" fill="#FFFFFF" stroke="{INK}" '
                f'stroke-width="3"/>')
    if kind == "session":
        return (f'<line x1="{_f(x + 9)}" x2="{_f(x + 9)}" y1="{_f(y + 6)}" y2="{_f(y - 4)}" '
                f'stroke="{INK}" stroke-width="2"/>')
    dash = {"cutoff": "8 4", "limit": "2 2", "event": "1 3"}[kind]
    return (f'<line x1="{_f(x)}" x2="{_f(x + 20)}" y1="{_f(y)}" y2="{_f(y)}" stroke="{INK}" '
            f'stroke-width="2" stroke-dasharray="{dash}"/>')


def table_rows(trajectory: Trajectory, *, audience: Audience = "clinician") -> list[TableRow]:
    """The chart's numbers for the table alternative (same order as the points)."""
    rows = []
    for p in trajectory.points:
        track = ""
        expected = ""
        if audience == "clinician" and p.expected is not None and p.bound is not None:
            expected = f"{number(round(p.expected, 1))} (limit {number(round(p.bound, 1))})"
            track = "Worse than expected" if p.not_on_track else "On track"
        change = "" if p is trajectory.points[0] else (
            f"{'+' if p.change > 0 else ''}{number(p.change)}")
        rows.append(TableRow(when=p.when, session=p.session, score=number(p.value),
                             band=p.band or "", change=change, expected=expected, track=track))
    return rows


def event_key(trajectory: Trajectory) -> Sequence[tuple[int, str, str]]:
    """(number, date, label) for the events the chart numbers."""
    return [(i, day(e.when), e.label) for i, e in enumerate(trajectory.events, start=1)]


def table_html(trajectory: Trajectory, *, audience: Audience = "clinician",
               caption: str = "") -> str:
    """The table alternative as HTML (escaped), built here rather than in a template loop:
    a client with hundreds of scores would otherwise spend most of the page's time in the
    template engine (benchmarks/chart.py)."""
    clinician = audience == "clinician"
    track = clinician and trajectory.checks_track
    heads = ["Date", *(["Session"] if clinician else []), "Score", "Range",
             *(["Change from first"] if clinician else []),
             *(["Expected (not-on-track limit)", "On track?"] if track else [])]
    out = [f"<table><caption>{_text(caption)}</caption><thead><tr>",
           *(f'<th scope="col">{_text(h)}</th>' for h in heads), "</tr></thead><tbody>"]
    for row in table_rows(trajectory, audience=audience):
        cells = [day(row.when)]
        if clinician:
            cells.append("" if row.session is None else str(row.session))
        cells += [row.score, row.band]
        if clinician:
            cells.append(row.change)
        if track:
            cells += [row.expected, row.track]
        out.append("<tr>" + "".join(f"<td>{_text(c)}</td>" for c in cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)
