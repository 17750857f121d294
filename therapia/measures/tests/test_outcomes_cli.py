"""`therapia outcomes classify` on the datasets of the R package clinicalsignificance
(reference_data/clinicalsignificance; sources in reference_data/README.md), reproducing the
classifications the package publishes in its test snapshots (pedscience/clinicalsignificance
tests/testthat/_snaps/clinical_significance.md, cs_distribution.md, cs_combined.md)
[measures.md S1].
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from therapia import cli

DATA = Path(__file__).parent / "reference_data" / "clinicalsignificance"
THERAPIA = Path(sys.executable).parent / "therapia"



def classify(capsys, *args: str) -> dict:
    code = cli.main(["outcomes", "classify", *args, "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def long_args(name: str, columns: str, pre: str, post: str) -> list[str]:
    """`columns` is "id,time,score"."""
    id_, time, score = columns.split(",")
    return ["--input", str(DATA / name), "--id-column", id_, "--time-column", time,
            "--score-column", score, "--pre-time", pre, "--post-time", post]


def claus(score: str) -> list[str]:
    return long_args("claus_2020.csv", f"id,time,{score}", "1", "4")


def counts(**kwargs: int) -> dict[str, int]:
    return {"recovered": 0, "improved": 0, "unchanged": 0, "deteriorated": 0, "harmed": 0,
            **kwargs}


# clinical_significance(claus_2020, id, time, bdi, reliability = 0.8, pre = 1, post = 4):
# 40 of 43 usable; cut-off a 19.16 from M 35.48, SD 8.16; 10 / 8 / 22 / 0 / 0.
def test_claus_2020_bdi_criterion_a(capsys):
    result = classify(capsys, *claus("bdi"), "--direction", "lower", "--reliability", "0.8",
                      "--cutoff", "a")
    assert (result["rows"], result["complete"], result["skipped_missing"]) == (43, 40, 3)
    parameters = result["parameters"]
    assert round(parameters["cutoff_value"], 2) == 19.16
    assert round(parameters["clinical_mean"], 2) == 35.48
    assert round(parameters["clinical_sd"], 2) == 8.16
    assert parameters["sd"] == parameters["clinical_sd"]  # the sample SD of the pre scores
    assert result["counts"] == counts(recovered=10, improved=8, unchanged=22)


# Same with m_functional = 8, sd_functional = 8, type = "c": cut-off 21.6, same categories.
def test_claus_2020_bdi_criterion_c(capsys):
    result = classify(capsys, *claus("bdi"), "--direction", "lower", "--reliability", "0.8",
                      "--cutoff", "c", "--functional-mean", "8", "--functional-sd", "8")
    assert round(result["parameters"]["cutoff_value"], 2) == 21.6
    assert result["counts"] == counts(recovered=10, improved=8, unchanged=22)


def write_wide(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["client", "before", "after"])
        writer.writerows(rows)
    return path


def claus_wide(tmp_path: Path, score: str, treatment: str | None = None) -> Path:
    by_id: dict[str, dict[str, str]] = {}
    with (DATA / "claus_2020.csv").open() as handle:
        for row in csv.DictReader(handle):
            if treatment is None or row["treatment"] == treatment:
                by_id.setdefault(row["id"], {})[row["time"]] = row[score]
    rows = [(key, times.get("1.0", ""), times.get("4.0", "")) for key, times in by_id.items()]
    return write_wide(tmp_path / f"claus_{score}_{treatment}.csv", rows)


def wide(path: Path) -> list[str]:
    return ["--input", str(path), "--id-column", "client", "--pre-column", "before",
            "--post-column", "after"]


# Grouped by treatment, the package keeps the whole sample's SD and cut-off a:
# TAU 3 / 2 / 14 / 0 / 0, PA 7 / 6 / 8 / 0 / 0. Passing the whole sample's SD and clinical
# population explicitly tests --sd, --clinical-mean and --clinical-sd.
@pytest.mark.parametrize(
    ("treatment", "expected"),
    [("TAU", counts(recovered=3, improved=2, unchanged=14)),
     ("PA", counts(recovered=7, improved=6, unchanged=8))],
)
def test_claus_2020_bdi_by_treatment(capsys, tmp_path, treatment, expected):
    whole = classify(capsys, *claus("bdi"), "--direction", "lower", "--reliability", "0.8",
                     "--cutoff", "a")["parameters"]
    sd, mean = repr(whole["sd"]), repr(whole["clinical_mean"])
    group = classify(capsys, *wide(claus_wide(tmp_path, "bdi", treatment)), "--direction",
                     "lower", "--reliability", "0.8", "--sd", sd, "--cutoff", "a",
                     "--clinical-mean", mean, "--clinical-sd", sd)
    assert group["counts"] == expected


# cs_distribution(claus_2020, id, time, hamd, pre = 1, post = 4, reliability = 0.8): 29 / 10 / 1.
def test_claus_2020_hamd_reliable_change(capsys):
    result = classify(capsys, *claus("hamd"), "--direction", "lower", "--reliability", "0.8")
    assert result["counts"] == {"improved": 29, "unchanged": 10, "deteriorated": 1}


# cs_combined(..., hamd, ..., m_functional = 8, sd_functional = 8, cutoff_type = "c"):
# 26 / 3 / 10 / 1 / 0.
def test_claus_2020_hamd_criterion_c(capsys):
    result = classify(capsys, *claus("hamd"), "--direction", "lower", "--reliability", "0.8",
                      "--cutoff", "c", "--functional-mean", "8", "--functional-sd", "8")
    assert result["counts"] == counts(recovered=26, improved=3, unchanged=10, deteriorated=1)


# clinical_significance(jacobson_1989, subject, time, gds, reliability = 0.8, pre = "pre"):
# 10 / 4 / 12 / 0 / 0 (26 of 30 couples have both scores).
def test_jacobson_1989_gds(capsys):
    args = long_args("jacobson_1989.csv", "subject,time,gds", "pre", "post")
    result = classify(capsys, *args, "--direction", "lower", "--reliability", "0.8",
                      "--cutoff", "a")
    assert (result["complete"], result["skipped_missing"]) == (26, 4)
    assert result["counts"] == counts(recovered=10, improved=4, unchanged=12)


# The package publishes only an HLM classification for `anxiety`, which we do not implement; its
# summary gives the population the cut-off comes from: 115 of 116 usable, M 36.43, SD 7.14,
# cut-off a 22.16 -- the first two measurements' complete pairs.
def test_anxiety_population_and_cutoff(capsys):
    args = long_args("anxiety.csv", "subject,measurement,anxiety", "0", "1")
    result = classify(capsys, *args, "--direction", "lower", "--reliability", "0.8",
                      "--cutoff", "a")
    parameters = result["parameters"]
    assert (result["rows"], result["complete"]) == (116, 115)
    assert round(parameters["clinical_mean"], 2) == 36.43
    assert round(parameters["clinical_sd"], 2) == 7.14
    assert round(parameters["cutoff_value"], 2) == 22.16


# hechler_2014 reproduces the package's JSS article, whose numbers we could not read; this checks
# only that missing post scores are skipped and counted: 104 patients, 12 without a post score.
def test_hechler_2014_skips_missing_scores(capsys):
    args = long_args("hechler_2014.csv", "patient,measurement,disability", "1", "2")
    result = classify(capsys, *args, "--direction", "lower", "--reliability", "0.8")
    assert (result["rows"], result["complete"], result["skipped_missing"]) == (104, 92, 12)
    assert sum(result["counts"].values()) == 92


def test_wide_and_long_files_agree(capsys, tmp_path):
    options = ["--direction", "lower", "--reliability", "0.8", "--cutoff", "a"]
    from_long = classify(capsys, *claus("bdi"), *options)
    from_wide = classify(capsys, *wide(claus_wide(tmp_path, "bdi")), *options)
    assert from_wide["results"] == from_long["results"]
    assert from_wide["counts"] == from_long["counts"]


def test_installed_command_prints_csv(tmp_path):
    """The console script end to end, on the published claus_2020 HAM-D example."""
    completed = subprocess.run(  # noqa: S603 - our own executable, fixed arguments
        [str(THERAPIA), "outcomes", "classify", *wide(claus_wide(tmp_path, "hamd")),
         "--direction", "lower", "--reliability", "0.8", "--cutoff", "c",
         "--functional-mean", "8", "--functional-sd", "8", "--format", "csv"],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    rows, _, statistics = completed.stdout.partition("\n\n")
    table = list(csv.DictReader(rows.splitlines()))
    assert len(table) == 40
    assert {"id", "pre", "post", "change", "rci", "category"} <= set(table[0])
    values = dict(line.split(",", 1) for line in statistics.splitlines()[1:])
    assert (values["n_recovered"], values["n_improved"], values["n_unchanged"]) == ("26", "3", "10")
    assert (values["n_deteriorated"], values["n_harmed"], values["skipped_missing"]) == (
        "1", "0", "3")


# --- Bad input: a non-zero exit and a message that names the problem ---------------------------


def run_error(capsys, *args: str) -> str:
    code = cli.main(["outcomes", "classify", *args])
    captured = capsys.readouterr()
    assert code != 0
    assert captured.out == ""
    return captured.err


@pytest.fixture
def small(tmp_path):
    rows = [("a", "20", "10"), ("b", "25", ""), ("c", "30", "28")]
    return write_wide(tmp_path / "small.csv", rows)


def test_missing_column(capsys, small):
    err = run_error(capsys, "--input", str(small), "--id-column", "client", "--pre-column",
                    "before", "--post-column", "later", "--direction", "lower",
                    "--reliability", "0.8")
    assert "'later'" in err


def test_non_numeric_value(capsys, tmp_path):
    path = write_wide(tmp_path / "bad.csv", [("a", "20", "10"), ("b", "twelve", "8")])
    err = run_error(capsys, *wide(path), "--direction", "lower", "--reliability", "0.8")
    assert "line 3" in err
    assert "'twelve' is not a number" in err


@pytest.mark.parametrize("reliability", ["0", "1", "1.1", "-0.8"])
def test_reliability_outside_0_1(capsys, small, reliability):
    err = run_error(capsys, *wide(small), "--direction", "lower", "--reliability", reliability)
    assert "--reliability must be between 0 and 1" in err


@pytest.mark.parametrize("criterion", ["b", "c"])
def test_criterion_without_functional_population(capsys, small, criterion):
    err = run_error(capsys, *wide(small), "--direction", "lower", "--reliability", "0.8",
                    "--cutoff", criterion)
    assert f"--cutoff {criterion} needs --functional-mean and --functional-sd" in err


def test_clinical_mean_without_sd(capsys, small):
    err = run_error(capsys, *wide(small), "--direction", "lower", "--reliability", "0.8",
                    "--cutoff", "a", "--clinical-mean", "30")
    assert "--clinical-mean and --clinical-sd go together" in err


def test_unknown_direction(capsys, small):
    err = run_error(capsys, *wide(small), "--direction", "down", "--reliability", "0.8")
    assert "--direction" in err


def test_missing_file(capsys, tmp_path):
    err = run_error(capsys, *wide(tmp_path / "absent.csv"), "--direction", "lower",
                    "--reliability", "0.8")
    assert "absent.csv" in err


def test_too_few_pairs_for_a_sample_sd(capsys, tmp_path):
    path = write_wide(tmp_path / "one.csv", [("a", "20", "10"), ("b", "", "8")])
    err = run_error(capsys, *wide(path), "--direction", "lower", "--reliability", "0.8")
    assert "at least two complete pairs" in err


def test_given_sd_and_skipped_rows(capsys, small):
    # SD 5, r 0.8: S_diff 3.1623; a: 20 -> 10 is RCI -3.16 (improved); c: 30 -> 28 unchanged.
    result = classify(capsys, *wide(small), "--direction", "lower", "--reliability", "0.8",
                      "--sd", "5")
    assert result["skipped_ids"] == ["b"]
    assert [row["category"] for row in result["results"]] == ["improved", "unchanged"]
    assert result["results"][0]["rci"] == pytest.approx(-3.162278, abs=1e-6)
