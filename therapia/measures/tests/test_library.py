"""The instrument library: every definition loads, is sourced, and says what it leaves out."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from therapia.measures import library
from therapia.measures.definition import InstrumentDefinition

REQUIRED = {"phq9", "phqa", "gad7", "pcl5", "core10", "wsas", "audit", "auditc", "dast10",
            "k10", "dass21", "sdq", "ors", "srs"}


def test_the_library_has_every_required_instrument() -> None:
    assert set(library.definitions()) >= REQUIRED


@pytest.mark.parametrize("instrument", sorted(REQUIRED))
def test_every_rule_carries_its_source(instrument: str) -> None:
    definition = library.get(instrument)
    assert definition.citation
    for rule in definition.score_rules:
        assert not rule.bands or rule.bands_source
    assert all(risk.source for risk in definition.risk_rules)
    assert all(cutoff.source for cutoff in definition.cutoffs)
    assert all(skip.source for skip in definition.skip_rules)
    for item in definition.items:
        assert not item.reverse_keyed or item.source


# measures.md: class A may ship text; B, C and unconfirmed licences are scores only.
@pytest.mark.parametrize(("instrument", "reason"), [
    ("phq9", None), ("gad7", None), ("phqa", "licence_unconfirmed"),
    ("core10", "licence_restricted"), ("sdq", "licence_restricted"), ("ors", "licence_restricted"),
    ("srs", "licence_restricted"), ("wsas", "licence_unconfirmed"), ("k10", "licence_unconfirmed"),
    ("pcl5", "not_sourced"), ("audit", "not_sourced")])
def test_scores_only_instruments_say_why(instrument: str, reason: str | None) -> None:
    definition = library.get(instrument)
    assert definition.item_text.reason_code == reason
    assert definition.item_text.shipped is (reason is None)
    assert all((item.text is not None) is (reason is None) for item in definition.items)


def test_unconfirmed_numbers_are_left_out_and_recorded() -> None:
    """[U] in measures.md: PHQ-A screening cut-off, K10 skip logic, ORS reliable change."""
    assert library.get("phqa").cutoffs == ()
    assert library.get("k10").skip_rules == ()
    for instrument, words in [("phqa", "screening cut-off"), ("k10", "skip logic"),
                              ("ors", "reliable change"), ("audit", "LOINC codes of items 4-10")]:
        assert any(words in o.what for o in library.get(instrument).omitted)


def test_loinc_codes_from_measures_md() -> None:
    """measures.md §1.1, §1.3, §1.7: panel and total codes (75624-7 is AUDIT, not AUDIT-C)."""
    codes = {i: (library.get(i).loinc_panel, library.get(i).total.loinc)  # type: ignore[union-attr]
             for i in ("phq9", "gad7", "audit", "auditc", "phqa", "dast10")}
    assert codes == {"phq9": ("44249-1", "44261-6"), "gad7": ("69737-5", "70274-6"),
                     "audit": ("72110-0", "75624-7"), "auditc": ("72109-2", "75626-2"),
                     "phqa": ("89206-7", "89204-2"), "dast10": ("82666-9", "82667-7")}
    assert [i.loinc for i in library.get("phq9").items][:9] == [
        "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5",
        "44253-3", "44260-8"]


def test_lookup_ignores_case_and_dashes() -> None:
    assert library.get("PHQ-9") is library.get("phq9")
    assert library.get("AUDIT-C").id == "auditc"


def phq9_data() -> dict:
    return json.loads((library.INSTRUMENTS_DIR / "phq9.json").read_text())


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["total"]["bands"][1].update(minimum=6), "overlap or leave a gap"),
    (lambda d: d["total"]["bands"][-1].update(maximum=26), "bands must run from 0 to 27"),
    (lambda d: d["licence"].update(licence_class="C"), "item text is shipped only"),
    (lambda d: d["risk_rules"][0].update(item=12), "there is no item 12"),
    (lambda d: d["total"]["missing"].update(max_missing=1, source=""), "prorating needs"),
    (lambda d: d["items"][2].update(number=4), "numbered 1, 2, 3"),
])
def test_a_broken_definition_is_refused(change, message: str) -> None:
    data = phq9_data()
    change(data)
    with pytest.raises(ValidationError, match=message):
        InstrumentDefinition.model_validate(data)
