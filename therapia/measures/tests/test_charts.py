"""The trajectory chart's SVG, parsed with xml.etree: coordinates, labels, accessibility."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from therapia.measures.charts import (
    BAND_FILLS,
    BOTTOM,
    HEIGHT,
    LEFT,
    RIGHT,
    TOP,
    WIDTH,
    band_fill,
    render_svg,
    table_rows,
)
from therapia.measures.trajectory import Event, Score, build

NS = {"svg": "http://www.w3.org/2000/svg"}
START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
PLOT_H = HEIGHT - TOP - BOTTOM
PLOT_W = WIDTH - LEFT - RIGHT


def weekly(*values: float) -> list[Score]:
    return [Score(when=START + dt.timedelta(weeks=i), value=v, session=i)
            for i, v in enumerate(values)]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own output)


def y_of(score: float, high: float = 27) -> float:
    return TOP + (high - score) / high * PLOT_H


def find(root: ET.Element, path: str) -> list[ET.Element]:
    return root.findall(path, NS)


def test_svg_is_an_accessible_scalable_image():
    root = parse(render_svg(build("phq9", weekly(18, 12, 9)), id_prefix="phq9-1"))
    assert root.get("role") == "img"
    assert root.get("viewBox") == f"0 0 {WIDTH} {HEIGHT}"
    assert root.get("width") == "100%"
    assert root.get("aria-labelledby") == "phq9-1-title phq9-1-desc"
    title = root.find("svg:title", NS)
    desc = root.find("svg:desc", NS)
    assert title is not None and title.get("id") == "phq9-1-title"
    assert title.text == "PHQ-9 scores over time"
    assert desc is not None and desc.text is not None
    assert desc.text.startswith("PHQ-9: 3 scores from 5 Jan 2026 to 19 Jan 2026")
    assert root.find(".//svg:style", NS) is None  # the CSP forbids inline styles
    assert all("style" not in element.attrib for element in root.iter())


def test_points_are_placed_by_date_and_score():
    root = parse(render_svg(build("phq9", weekly(18, 12, 9))))
    points = find(root, ".//svg:g[@class='scores']/svg:circle")
    assert [p.get("data-score") for p in points] == ["18", "12", "9"]
    ys = [float(p.get("cy") or 0) for p in points]
    assert ys == pytest.approx([y_of(18), y_of(12), y_of(9)], abs=0.06)
    xs = [float(p.get("cx") or 0) for p in points]
    assert xs[0] < xs[1] < xs[2]
    assert xs[1] - xs[0] == pytest.approx(xs[2] - xs[1], abs=0.1)  # equal weeks, equal steps
    assert xs[0] > LEFT and xs[2] < LEFT + PLOT_W
    line = root.find(".//svg:polyline[@class='score-line']", NS)
    assert line is not None
    pairs = [tuple(map(float, pair.split(","))) for pair in (line.get("points") or "").split()]
    assert [pair[1] for pair in pairs] == pytest.approx(ys, abs=0.06)
    labels = [t.text for t in find(root, ".//svg:text[@class='point-label']")]
    assert labels == ["18", "12", "9"]


def test_bands_are_drawn_with_text_labels_and_lightness_ordered_fills():
    root = parse(render_svg(build("phq9", weekly(18, 12))))
    rects = find(root, ".//svg:g[@class='bands']/svg:rect")
    assert [r.get("data-band") for r in rects] == [
        "None-minimal", "Mild", "Moderate", "Moderately severe", "Severe"]
    mild = rects[1]
    assert float(mild.get("y") or 0) == pytest.approx(y_of(9.5), abs=0.06)
    assert float(mild.get("height") or 0) == pytest.approx(y_of(4.5) - y_of(9.5), abs=0.1)
    fills = [r.get("fill") for r in rects]
    assert fills == [band_fill(i, 5) for i in range(5)]
    assert fills[0] == BAND_FILLS[0] and fills[-1] == BAND_FILLS[-1]
    labels = [t.text for t in find(root, ".//svg:text[@class='band-label']")]
    assert "Moderately severe 15\u201319" in labels  # the band named in text, not colour alone


def test_cutoff_and_reliable_change_zone_around_the_first_score():
    root = parse(render_svg(build("phq9", weekly(16, 12, 9))))
    cutoff = root.find(".//svg:g[@class='cutoff']", NS)
    assert cutoff is not None and cutoff.get("data-value") == "10"
    line = cutoff.find("svg:line", NS)
    assert line is not None and float(line.get("y1") or 0) == pytest.approx(y_of(10), abs=0.06)
    assert "Clinical cut-off 10" in "".join(cutoff.itertext())
    zone = root.find(".//svg:g[@class='reliable-change']", NS)
    assert zone is not None
    assert (zone.get("data-low"), zone.get("data-high")) == ("10", "22")  # 16 +/- 6
    rect = zone.find("svg:rect", NS)
    assert rect is not None
    assert float(rect.get("y") or 0) == pytest.approx(y_of(22), abs=0.06)
    assert float(rect.get("height") or 0) == pytest.approx(y_of(10) - y_of(22), abs=0.1)


def test_not_on_track_points_are_diamonds_and_the_limit_is_drawn():
    root = parse(render_svg(build("phq9", weekly(18, 18, 18, 18, 18, 18, 18))))
    flagged = find(root, ".//svg:path[@class='point not-on-track']")
    assert flagged, "a score worse than the limit is marked"
    assert flagged[-1].get("data-score") == "18"
    assert flagged[-1].get("data-date") == "2026-02-16"
    limit = root.find(".//svg:polyline[@class='expected-limit']", NS)
    assert limit is not None
    last_y = float((limit.get("points") or "").split()[-1].split(",")[1])
    assert last_y == pytest.approx(y_of(17.09), abs=0.2)  # session 6: limit 17.1
    legend = [t.text for t in find(root, ".//svg:text[@class='legend-label']")]
    assert "Worse than expected" in legend and "Not-on-track limit" in legend


def test_sessions_and_events_are_marked():
    sessions = [START + dt.timedelta(weeks=i, hours=1) for i in range(4)]
    event = Event(when=START + dt.timedelta(days=9), label="Medication changed")
    root = parse(render_svg(build("phq9", weekly(18, 14), sessions=sessions, events=[event])))
    marks = find(root, ".//svg:line[@class='session']")
    assert [m.get("data-date") for m in marks] == [
        "2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"]
    events = find(root, ".//svg:line[@class='event']")
    assert [e.get("data-date") for e in events] == ["2026-01-14"]
    # Chronological: the event's x lies between the second and third sessions.
    xs = [float(m.get("x1") or 0) for m in marks]
    assert xs[1] < float(events[0].get("x1") or 0) < xs[2]


def test_client_version_leaves_out_the_statistics():
    trajectory = build("phq9", weekly(18, 18, 18, 18, 18, 18, 18),
                       events=[Event(when=START, label="Medication changed")])
    root = parse(render_svg(trajectory, audience="client", id_prefix="mine"))
    text = " ".join(root.itertext()).lower()
    for hidden in ("cut-off", "reliable", "track", "expected", "medication"):
        assert hidden not in text
    assert not find(root, ".//svg:path[@class='point not-on-track']")
    title = root.find("svg:title", NS)
    assert title is not None and title.text == "Your PHQ-9 scores"
    desc = root.find("svg:desc", NS)
    assert desc is not None and desc.text == (
        "Your score is the same as when you started: 18 \u2014 lower is better. "
        "That is in the range called \u201cModerately severe\u201d.")


def test_text_is_escaped():
    event = Event(when=START, label='<script>alert("x")</script> & more')
    svg = render_svg(build("phq9", weekly(10, 8), events=[event]), id_prefix='a"b<')
    assert "<script>" not in svg
    root = parse(svg)  # still well-formed
    assert root.get("aria-labelledby") == 'a"b<-title a"b<-desc'


def test_empty_and_single_score_charts():
    empty = parse(render_svg(build("phq9", [])))
    assert [t.text for t in find(empty, ".//svg:text[@class='empty']")] == ["No scores yet"]
    single = parse(render_svg(build("gad7", weekly(11))))
    point = single.find(".//svg:circle[@class='point']", NS)
    assert point is not None
    assert float(point.get("cx") or 0) == pytest.approx(LEFT + PLOT_W / 2, abs=0.1)


def test_higher_is_better_instrument_axis_and_bands():
    root = parse(render_svg(build("ors", weekly(18.5, 26, 31))))
    ylabel = root.find(".//svg:text[@class='y-label']", NS)
    assert ylabel is not None and ylabel.text == "ORS score (higher is better)"
    ticks = [t.text for t in find(root, ".//svg:text[@class='y-tick']")]
    assert ticks[0] == "0" and ticks[-1] == "40"
    point = root.find(".//svg:circle[@class='point']", NS)
    assert point is not None and point.get("data-score") == "18.5"
    assert float(point.get("cy") or 0) == pytest.approx(TOP + (40 - 18.5) / 40 * PLOT_H, abs=0.06)


def test_many_points_skip_value_labels_but_keep_every_point():
    scores = [Score(when=START + dt.timedelta(days=i), value=i % 28, session=i)
              for i in range(200)]
    root = parse(render_svg(build("phq9", scores)))
    marks = find(root, ".//svg:circle[@class='point']") + find(
        root, ".//svg:path[@class='point not-on-track']")
    assert len(marks) == 200
    assert not find(root, ".//svg:text[@class='point-label']")


def test_table_rows_match_the_points():
    rows = table_rows(build("phq9", weekly(18, 18, 18, 18, 18, 18, 12)))
    assert [r.score for r in rows] == ["18"] * 6 + ["12"]
    assert rows[0].change == "" and rows[0].track == "" and rows[0].expected == ""
    assert rows[-1].change == "-6"
    assert rows[-1].expected == "11.3 (limit 17.1)" and rows[-1].track == "On track"
    assert rows[1].band == "Moderately severe"
    client = table_rows(build("phq9", weekly(18, 18, 18, 18, 18, 18, 18)), audience="client")
    assert all(r.track == "" and r.expected == "" for r in client)


def test_table_html_is_escaped_well_formed_and_matches_the_audience():
    from therapia.measures.charts import table_html

    trajectory = build("phq9", weekly(18, 18, 18, 18, 18, 18, 12))
    root = parse(table_html(trajectory, caption="PHQ-9 <scores> & more"))
    assert root.find("caption").text == "PHQ-9 <scores> & more"  # type: ignore[union-attr]
    heads = [th.text for th in root.iter("th")]
    assert heads == ["Date", "Session", "Score", "Range", "Change from first",
                     "Expected (not-on-track limit)", "On track?"]
    last = [td.text or "" for td in root.findall("tbody/tr")[-1]]
    assert last == ["16 Feb 2026", "6", "12", "Moderate", "-6", "11.3 (limit 17.1)", "On track"]
    client = parse(table_html(trajectory, audience="client", caption="Your PHQ-9 scores"))
    assert [th.text for th in client.iter("th")] == ["Date", "Score", "Range"]
    assert len(client.findall("tbody/tr")) == 7
