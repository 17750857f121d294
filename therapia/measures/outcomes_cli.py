"""`therapia outcomes classify`: reliable and clinically significant change for every row of a CSV.

Runs without Django or a database: it imports only the pure change statistics.

    therapia outcomes classify --input scores.csv --id-column id --pre-column pre \\
        --post-column post --direction lower --reliability 0.8 [--sd S] \\
        [--cutoff a|b|c --functional-mean M --functional-sd S \\
         [--clinical-mean M --clinical-sd S]] [--format csv|json]

A long file (one row per client and time point) is read with --time-column, --score-column,
--pre-time and --post-time instead of --pre-column and --post-column.

Without --sd the SD is the sample SD (n - 1) of the pre scores of the complete pairs, and without
--clinical-mean/--clinical-sd the clinical population is those pre scores, as the R package
clinicalsignificance does (cs_distribution.R / cs_combined.R) [measures.md §2.1, S1].
A row with a missing score (empty or NA) is skipped and counted; any other non-number is an error.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import statistics
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from therapia.measures.change import (
    Category,
    ChangeResult,
    Criterion,
    Direction,
    Population,
    classify_change,
    cutoff,
    reliable_change_points,
    standard_error_of_difference,
)

MISSING = frozenset({"", "na", "nan"})
PROG = "therapia outcomes"


class InputError(Exception):
    """Bad input: the message names the problem and goes to stderr."""


@dataclass(frozen=True)
class Pair:
    id: str
    pre: float | None
    post: float | None

    @property
    def complete(self) -> bool:
        return self.pre is not None and self.post is not None


# --- Arguments -------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    classify = sub.add_parser("classify", help="RCI and change category for each row of a CSV")
    classify.add_argument("--input", required=True, type=Path, help="CSV file with a header row")
    classify.add_argument("--id-column", required=True)
    classify.add_argument("--pre-column", help="wide file: the column of pre scores")
    classify.add_argument("--post-column", help="wide file: the column of post scores")
    classify.add_argument("--time-column", help="long file: the column naming the time point")
    classify.add_argument("--score-column", help="long file: the column of scores")
    classify.add_argument("--pre-time", help="long file: the time point of the pre score")
    classify.add_argument("--post-time", help="long file: the time point of the post score")
    classify.add_argument("--direction", required=True, choices=[d.value for d in Direction],
                          help="which way the score gets better")
    classify.add_argument("--reliability", required=True, type=float,
                          help="the instrument's reliability, between 0 and 1")
    classify.add_argument("--sd", type=float, help="SD for the RCI (default: SD of pre scores)")
    classify.add_argument("--cutoff", choices=[c.value for c in Criterion],
                          help="Jacobson & Truax criterion for the clinical cut-off")
    classify.add_argument("--functional-mean", type=float)
    classify.add_argument("--functional-sd", type=float)
    classify.add_argument("--clinical-mean", type=float, help="default: mean of the pre scores")
    classify.add_argument("--clinical-sd", type=float, help="default: SD of the pre scores")
    classify.add_argument("--format", choices=["csv", "json"], default="csv")
    return parser


def check_arguments(args: argparse.Namespace) -> None:
    if not 0 < args.reliability < 1:
        raise InputError(
            f"--reliability must be between 0 and 1 (exclusive), not {args.reliability}")
    for name in ("sd", "functional_sd", "clinical_sd"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            raise InputError(f"--{name.replace('_', '-')} must be positive, not {value}")
    if (args.clinical_mean is None) != (args.clinical_sd is None):
        raise InputError("--clinical-mean and --clinical-sd go together: give both or neither")
    if (args.functional_mean is None) != (args.functional_sd is None):
        raise InputError("--functional-mean and --functional-sd go together: give both or neither")
    if args.cutoff in ("b", "c") and args.functional_mean is None:
        raise InputError(f"--cutoff {args.cutoff} needs --functional-mean and --functional-sd")
    check_layout(args)


def check_layout(args: argparse.Namespace) -> None:
    wide = (args.pre_column, args.post_column)
    long = (args.time_column, args.score_column, args.pre_time, args.post_time)
    if any(v is not None for v in wide) and any(v is not None for v in long):
        raise InputError(
            "give either --pre-column/--post-column or the long-file options, not both")
    if any(v is not None for v in long):
        if any(v is None for v in long):
            raise InputError("a long file needs --time-column, --score-column, --pre-time "
                             "and --post-time")
    elif any(v is None for v in wide):
        raise InputError("give --pre-column and --post-column (or the long-file options)")


# --- Reading ---------------------------------------------------------------------------------


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            return list(reader.fieldnames or []), rows
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from error
    except (csv.Error, UnicodeDecodeError) as error:
        raise InputError(f"{path} is not a readable UTF-8 CSV file: {error}") from error


def require_columns(fieldnames: list[str], columns: list[str], path: Path) -> None:
    for column in columns:
        if column not in fieldnames:
            known = ", ".join(fieldnames)
            raise InputError(f"column {column!r} is not in {path} (columns: {known})")


def parse_score(text: str | None, *, column: str, line: int) -> float | None:
    """A number, or None for a missing score (empty or NA)."""
    value = (text or "").strip()
    if value.lower() in MISSING:
        return None
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"line {line}, column {column!r}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise InputError(f"line {line}, column {column!r}: {value!r} is not a finite number")
    return number


def wide_pairs(rows: list[dict[str, str]], args: argparse.Namespace) -> list[Pair]:
    # Line numbers count the header as line 1.
    return [
        Pair(
            id=row[args.id_column],
            pre=parse_score(row[args.pre_column], column=args.pre_column, line=line),
            post=parse_score(row[args.post_column], column=args.post_column, line=line),
        )
        for line, row in enumerate(rows, start=2)
    ]


def same_time(value: str, wanted: str) -> bool:
    """Time points match as text, or as numbers (so --pre-time 1 matches 1.0)."""
    if value.strip() == wanted.strip():
        return True
    try:
        return float(value) == float(wanted)
    except ValueError:
        return False


def long_pairs(rows: list[dict[str, str]], args: argparse.Namespace) -> list[Pair]:
    """One pair per id, in the order ids first appear; an id without a row for a time point has
    that score missing."""
    scores: dict[str, dict[str, float | None]] = {}
    for line, row in enumerate(rows, start=2):
        client = scores.setdefault(row[args.id_column], {})
        for slot, wanted in (("pre", args.pre_time), ("post", args.post_time)):
            if not same_time(row[args.time_column], wanted):
                continue
            if slot in client:
                raise InputError(f"line {line}: id {row[args.id_column]!r} has a second "
                                 f"row for time point {wanted!r}")
            client[slot] = parse_score(row[args.score_column], column=args.score_column, line=line)
    return [Pair(id=key, pre=value.get("pre"), post=value.get("post"))
            for key, value in scores.items()]


def load_pairs(args: argparse.Namespace) -> list[Pair]:
    fieldnames, rows = read_rows(args.input)
    if args.pre_column is not None:
        require_columns(fieldnames, [args.id_column, args.pre_column, args.post_column], args.input)
        return wide_pairs(rows, args)
    require_columns(fieldnames, [args.id_column, args.time_column, args.score_column], args.input)
    return long_pairs(rows, args)


# --- Classifying -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Analysis:
    parameters: dict[str, Any]
    results: list[tuple[Pair, ChangeResult]]
    skipped: list[Pair]

    def counts(self) -> dict[str, int]:
        tally = Counter(result.category for _, result in self.results)
        shown = list(Category) if self.parameters["cutoff"] is not None else [
            Category.IMPROVED, Category.UNCHANGED, Category.DETERIORATED]
        return {category.value: tally[category] for category in shown}


def sample_sd(values: list[float], what: str) -> float:
    if len(values) < 2:
        raise InputError(f"{what}: need at least two complete pairs to estimate it (or give it)")
    sd = statistics.stdev(values)
    if sd == 0:
        raise InputError(f"{what} is 0: every pre score is the same; give it explicitly")
    return sd


def analyse(args: argparse.Namespace, pairs: list[Pair]) -> Analysis:
    complete = [pair for pair in pairs if pair.complete]
    pre_scores = [pair.pre for pair in complete if pair.pre is not None]
    direction = Direction(args.direction)
    sd = args.sd if args.sd is not None else sample_sd(pre_scores, "the SD of the pre scores")
    cutoff_value = None
    clinical = None
    if args.cutoff is not None:
        clinical = clinical_population(args, pre_scores)
        functional = (None if args.functional_mean is None
                      else Population(args.functional_mean, args.functional_sd))
        cutoff_value = cutoff(Criterion(args.cutoff), direction=direction,
                              clinical=clinical, functional=functional)
    results = [
        (pair, classify_change(pair.pre, pair.post, sd=sd, reliability=args.reliability,
                               direction=direction, cutoff_value=cutoff_value))
        for pair in complete if pair.pre is not None and pair.post is not None
    ]
    parameters: dict[str, Any] = {
        "direction": direction.value,
        "reliability": args.reliability,
        "sd": sd,
        "sd_from": "argument" if args.sd is not None else "pre scores (n - 1)",
        "s_diff": standard_error_of_difference(sd, args.reliability),
        "reliable_change_points": reliable_change_points(sd, args.reliability),
        "cutoff": args.cutoff,
        "cutoff_value": cutoff_value,
        "clinical_mean": clinical.mean if clinical else None,
        "clinical_sd": clinical.sd if clinical else None,
        "functional_mean": args.functional_mean,
        "functional_sd": args.functional_sd,
    }
    return Analysis(parameters, results, [pair for pair in pairs if not pair.complete])


def clinical_population(args: argparse.Namespace, pre_scores: list[float]) -> Population:
    if args.clinical_mean is not None:
        return Population(args.clinical_mean, args.clinical_sd)
    if not pre_scores:
        raise InputError("no complete pairs to take the clinical mean from")
    sd = sample_sd(pre_scores, "the clinical SD (SD of the pre scores)")
    return Population(statistics.fmean(pre_scores), sd)


# --- Writing ---------------------------------------------------------------------------------


def row_record(pair: Pair, result: ChangeResult) -> dict[str, Any]:
    return {
        "id": pair.id, "pre": pair.pre, "post": pair.post, "change": result.change,
        "rci": round(result.rci, 6), "category": result.category.value,
        "clinical_pre": result.clinical_pre, "functional_post": result.functional_post,
    }


def summary(analysis: Analysis) -> dict[str, Any]:
    return {
        "rows": len(analysis.results) + len(analysis.skipped),
        "complete": len(analysis.results),
        "skipped_missing": len(analysis.skipped),
        "skipped_ids": [pair.id for pair in analysis.skipped],
        "counts": analysis.counts(),
    }


def write_json(analysis: Analysis) -> None:
    document = {
        "parameters": analysis.parameters,
        "results": [row_record(pair, result) for pair, result in analysis.results],
        **summary(analysis),
    }
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")


def write_csv(analysis: Analysis) -> None:
    """The rows, a blank line, then `statistic,value` lines: parameters, skips and counts."""
    with_cutoff = analysis.parameters["cutoff"] is not None
    columns = ["id", "pre", "post", "change", "rci", "category"]
    columns += ["clinical_pre", "functional_post"] if with_cutoff else []
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for pair, result in analysis.results:
        record = row_record(pair, result)
        writer.writerow([format_cell(record[column]) for column in columns])
    writer.writerow([])
    writer.writerow(["statistic", "value"])
    for key, value in analysis.parameters.items():
        writer.writerow([key, format_cell(value)])
    totals = summary(analysis)
    for key in ("rows", "complete", "skipped_missing"):
        writer.writerow([key, totals[key]])
    for category, count in totals["counts"].items():
        writer.writerow([f"n_{category}", count])


def format_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}" if not value.is_integer() else str(int(value))
    return str(value)


def main(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has written its message to stderr
        return int(exit_.code or 0)
    try:
        check_arguments(args)
        analysis = analyse(args, load_pairs(args))
    except InputError as error:
        sys.stderr.write(f"{PROG} classify: error: {error}\n")
        return 2
    (write_json if args.format == "json" else write_csv)(analysis)
    return 0
