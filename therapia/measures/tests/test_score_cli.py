"""`therapia score`, through the real command entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from therapia import cli

EXAMPLES = Path(__file__).resolve().parent / "fhir_examples"  # official examples, README.md
SDC_RESPONSE = EXAMPLES / "hl7_sdc_questionnaireresponse_PHQ9_2021.json"
SDC_QUESTIONNAIRE = EXAMPLES / "hl7_sdc_questionnaire_PHQ9_2021.json"
LHC_QUESTIONNAIRE = EXAMPLES / "lhc_phq9_questionnaire_R4.json"
US_CORE_RESPONSE = EXAMPLES / "us_core_questionnaireresponse_phq9.json"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    code = cli.main(["score", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out else {}), err


def test_items(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "PHQ-9", "--items", "2,2,2,2,1,1,2,0,0")
    assert code == 0
    assert (out["total"], out["band"], out["prorated"]) == (12, "Moderate", False)
    assert out["risk_flags"] == [] and out["subscales"] == {}


def test_blank_items_are_missing_and_core10_prorates_one(capsys: pytest.CaptureFixture[str]) \
        -> None:
    code, out, _ = run(capsys, "CORE-10", "--items", "2,2,2,2,2,2,2,2,,2")
    assert code == 0
    assert (out["total"], out["prorated"], out["missing_items"]) == (20.0, True, [9])
    assert [flag["item"] for flag in out["risk_flags"]] == [6]


def test_subscales_and_risk_flags(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "pcl5", "--items", ",".join(["1"] * 20))
    assert {k: v["value"] for k, v in out["subscales"].items()} == {"B": 5, "C": 2, "D": 7,
                                                                    "E": 6}


@pytest.mark.parametrize(("args", "message"), [
    (["PHQ-9", "--items", "1,2,0,1,4,0,1,2,0"], "PHQ-9 item 5: 4 is not an allowed answer"),
    (["PHQ-9", "--items", "1,2,0,x,1,0,1,2,0"], "item 4: 'x' is not a number"),
    (["GAD-7", "--items", "1,2,0"], "GAD-7 takes 7 to 8 answers"),
    (["BDI", "--items", "1"], "unknown instrument 'BDI'"),
    (["PHQ-9"], "give INSTRUMENT --items"),
])
def test_invalid_input_exits_non_zero_naming_the_problem(
        capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, out, err = run(capsys, *args)
    assert code == 1 and out == {}
    assert err.startswith("therapia score: ") and message in err


def test_fhir_hl7_sdc_response(capsys: pytest.CaptureFixture[str]) -> None:
    """The HL7 SDC example claims a total of 13; its answers score 10."""
    code, out, _ = run(capsys, "--fhir", str(SDC_RESPONSE))
    assert code == 0
    assert (out["instrument"], out["total"], out["band"]) == ("phq9", 10, "Moderate")
    assert [flag["item"] for flag in out["risk_flags"]] == [9]
    assert out["source"]["reported_total"] == 13
    assert out["warnings"] == [("the response reports a total of 13; its answers score 10 "
                                "(this result uses the answers)")]


def test_fhir_loinc_coded_us_core_response(capsys: pytest.CaptureFixture[str]) -> None:
    """US Core example: reported 12 in the response and in Observation 44261-6."""
    code, out, _ = run(capsys, "--fhir", str(US_CORE_RESPONSE))
    assert code == 0
    assert (out["instrument"], out["total"], out["warnings"]) == ("phq9", 12, [])


def test_fhir_with_its_questionnaire(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--fhir", str(SDC_RESPONSE), "--questionnaire",
                       str(SDC_QUESTIONNAIRE))
    assert code == 0
    assert (out["instrument"], out["total"]) == ("custom-patient-health-questionnaire-9-item", 10)


def test_a_malformed_questionnaire_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--fhir", str(SDC_RESPONSE), "--questionnaire",
                       str(LHC_QUESTIONNAIRE))
    assert code == 1
    assert "item[2] (linkId '/44259-0').answerOption[1].extension[0].valueString" in err


def test_fhir_file_that_is_not_a_response(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--fhir", str(SDC_QUESTIONNAIRE))
    assert code == 1 and "expected a FHIR QuestionnaireResponse" in err


def test_the_installed_command_without_django() -> None:
    """The real executable: no settings, no database, JSON on stdout."""
    therapia = Path(sys.executable).parent / "therapia"
    done = subprocess.run(  # noqa: S603 (our own executable, fixed arguments)
        [str(therapia), "score", "GAD-7", "--items", "3,3,3,3,3,3,3"],
        capture_output=True, text=True, timeout=60, check=False,
        env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["band"] == "Severe"
    failed = subprocess.run(  # noqa: S603
        [str(therapia), "score", "GAD-7", "--items", "3,3,3,3,3,3,9"],
        capture_output=True, text=True, timeout=60, check=False, env={"PATH": "/usr/bin:/bin"})
    assert failed.returncode == 1
    assert "GAD-7 item 7: 9 is not an allowed answer" in failed.stderr
