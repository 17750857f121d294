"""What encryption at rest costs a page that shows many psychotherapy notes.

    .venv/bin/python benchmarks/encryption_overhead.py                 # 104 notes, 30 rounds
    .venv/bin/python benchmarks/encryption_overhead.py --notes 208 --rounds 50

Two years of weekly sessions is 104 notes. The script builds a scratch database (cloned from
the test suite's migrated template, dropped at the end), writes N notes of about 1,500
characters for one client through the real service, then measures, each as the median of
--rounds runs after a warm-up:

  page      the server time of GET /records/clients/<id>/psychotherapy-notes/ (in-process
            through Django's WSGI handler: middleware, queries, audit row, decryption of
            all N notes, template), signed in as their author;
  decrypt   decrypting the N bodies as the page does (one key_cache: one data-key query,
            one unwrap, N AES-256-GCM decryptions);
  plain     the same N bodies if they were stored as text: decoding N UTF-8 strings;
  encrypt / encode   the same for writing N fields;
  unwrap    unwrapping one data key under the master key.

Without encryption the page would take about page - decrypt + plain; the overhead is
(decrypt - plain) / (page - decrypt + plain). The result is printed as JSON on stdout,
progress on stderr, with the 1-minute load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "therapia.settings_test")
os.environ.setdefault("THERAPIA_EMBEDDED_DB", "allow")

SENTENCES = [
    "She returned to the argument with her sister and what it stirred up about her father.",
    "I noticed my own impatience when she minimised it again; worth taking to supervision.",
    "Long silence after the dream; she said the house in it was the one she grew up in.",
    "Hypothesis: the anger at work stands in for grief she has not let herself feel yet.",
    "He laughed when he described the hospital visit, then could not go on for a while.",
]


def say(message: str) -> None:
    sys.stderr.write(f"[benchmark] {message}\n")


def note_text(n: int, length: int = 1500) -> str:
    words: list[str] = []
    i = n
    while sum(len(w) + 1 for w in words) < length:
        words.append(SENTENCES[i % len(SENTENCES)])
        i += 1
    return f"Session {n + 1}. " + " ".join(words)


def median_ms(run: Callable[[], object], rounds: int) -> dict[str, float]:
    run()  # warm-up
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 3),
            "p90_ms": round(times[int(0.9 * (len(times) - 1))], 3),
            "min_ms": round(times[0], 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=104)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    from therapia.cli import ensure_secret_key

    ensure_secret_key()
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    from therapia.core import testdb  # the test suite's migrated template database

    setup_test_environment()
    say(f"template database {testdb.template_database()} (built now if missing)")
    with testdb.scratch_database("bench_encryption"):
        result = measure(args.notes, args.rounds)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


def measure(count: int, rounds: int) -> dict[str, Any]:
    from django.test import Client as HttpClient
    from django.urls import reverse

    from therapia.core.testing import make_personas, sign_in
    from therapia.records import services
    from therapia.records.models import PsychotherapyNote
    from therapia.security import crypto, keyring
    from therapia.security.crypto.envelope import key_context

    load_before = os.getloadavg()[0]
    personas = make_personas()
    author = personas.actor("owner")
    texts = [note_text(n) for n in range(count)]
    say(f"writing {count} notes")
    for text in texts:
        services.psychotherapy_note_create(actor=author, client=personas.dana, body=text)
    notes = list(PsychotherapyNote.objects.filter(client=personas.dana))
    for note in notes:
        note.client = personas.dana
    plain_bytes = [text.encode() for text in texts]
    label = PsychotherapyNote._meta.label
    pn = crypto.KeyClass.PSYCHOTHERAPY_NOTES

    http = sign_in(HttpClient(), personas.owner.user)
    url = reverse("records:psychotherapy_notes", args=[personas.dana.public_id])

    def page() -> None:
        response = http.get(url)
        if response.status_code != 200 or texts[0].encode() not in response.content:
            raise RuntimeError(f"page answered {response.status_code}")

    def decrypt() -> None:
        with crypto.key_cache():
            for note in notes:
                crypto.decrypt_text(client=personas.dana, key_class=pn, model_label=label,
                                    record_id=note.public_id, field="body",
                                    ciphertext=note.body)

    def plain() -> None:
        for raw in plain_bytes:
            raw.decode("utf-8")

    def encrypt() -> None:
        with crypto.key_cache():
            for text in texts:
                crypto.encrypt_text(client=personas.dana, key_class=pn, model_label=label,
                                    record_id=uuid.uuid4(), field="body", plaintext=text)

    def encode() -> None:
        for text in texts:
            text.encode("utf-8")

    store = keyring.provider(pn)
    context = key_context(personas.dana.public_id, pn)
    wrapped = store.wrap(b"\0" * 32, context)

    def unwrap() -> None:
        store.unwrap(wrapped.blob, context)

    say(f"measuring, {rounds} rounds each")
    results = {name: median_ms(run, rounds) for name, run in (
        ("page", page), ("decrypt", decrypt), ("plain", plain), ("encrypt", encrypt),
        ("encode", encode), ("unwrap", unwrap))}
    page_ms = results["page"]["median_ms"]
    extra = results["decrypt"]["median_ms"] - results["plain"]["median_ms"]
    without = page_ms - extra
    return {
        "notes": count,
        "note_chars": round(statistics.mean(len(t) for t in texts)),
        "rounds": rounds,
        "results": results,
        "page_without_encryption_ms_estimated": round(without, 3),
        "overhead_percent": round(100 * extra / without, 2),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "load_average_1min": {"before": round(load_before, 2),
                              "after": round(os.getloadavg()[0], 2)},
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


if __name__ == "__main__":
    raise SystemExit(main())
