"""`therapia audit verify | checkpoint | access`: the operator's and privacy officer's tools.

    therapia audit verify [--from-seq N]      check the chain and the signed checkpoints;
                                              exit 1 naming the first bad entry
    therapia audit checkpoint [--every MIN]   sign the chain's head into AUDIT_CHECKPOINT_DIR
    therapia audit access CLIENT_PUBLIC_ID    who accessed one client's record (audited)
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from therapia.audit import selectors
from therapia.audit.checkpoints import checkpoint_loop, checkpoint_write
from therapia.audit.context import Origin, origin
from therapia.audit.verify import verify_chain


class Command(BaseCommand):
    help = "Verify the audit chain, write a signed checkpoint, or list a client's accesses."
    # The checkpoint job needs the signing key but not the HMAC key (therapia_audit.E001):
    # each tool loads the keys it needs and says clearly which one is missing.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="tool", required=True, parser_class=CommandParser)
        verify = sub.add_parser("verify", help="check every entry's MAC, link and the checkpoints")
        verify.add_argument("--from-seq", type=int, default=1, metavar="N",
                            help="start at entry N (anchored on a checkpoint at N-1 if any)")
        verify.add_argument("--checkpoint-dir", type=Path, default=None,
                            help="default: AUDIT_CHECKPOINT_DIR")
        verify.add_argument("--database", default="default", help="the database alias")
        checkpoint = sub.add_parser("checkpoint", help="sign the chain's newest entry")
        checkpoint.add_argument("--checkpoint-dir", type=Path, default=None)
        checkpoint.add_argument("--database", default="default", help="the database alias")
        checkpoint.add_argument("--every", type=int, default=0, metavar="MINUTES",
                                help="keep running, writing one every MINUTES")
        access = sub.add_parser("access", help="who accessed a client's record, newest first")
        access.add_argument("client", type=uuid.UUID, help="the client's public id")
        access.add_argument("--limit", type=int, default=100)

    def handle(self, *args: Any, **options: Any) -> None:
        tool = options["tool"]
        if tool == "verify":
            self.verify(from_seq=options["from_seq"], directory=options["checkpoint_dir"],
                        using=options["database"])
        elif tool == "checkpoint":
            self.checkpoint(directory=options["checkpoint_dir"], every=options["every"],
                            using=options["database"])
        else:
            self.access(client=options["client"], limit=options["limit"])

    def verify(self, *, from_seq: int, directory: Path | None, using: str) -> None:
        report = verify_chain(from_seq=from_seq, checkpoint_dir=directory, using=using)
        if report.ok:
            self.stdout.write(report.summary())
            return
        checked = (f"  {report.checked:,} entries from seq {report.start_seq} verified "
                   f"before that (anchored on {report.anchored_on})")
        lines = [f"audit chain verification FAILED: {report.problems[0]}",
                 *(f"  also: {problem}" for problem in report.problems[1:]), checked]
        raise CommandError("\n".join(lines))

    def checkpoint(self, *, directory: Path | None, every: int, using: str) -> None:
        if every:
            self.stdout.write(f"writing an audit checkpoint every {every} min; Ctrl-C stops")
            with contextlib.suppress(KeyboardInterrupt):
                checkpoint_loop(every_minutes=every, stop=threading.Event(), directory=directory,
                                using=using)
            return
        written = checkpoint_write(directory=directory, using=using)
        if written is None:
            self.stdout.write("the audit trail is empty: no checkpoint written")
        else:
            self.stdout.write(f"checkpoint at seq {written.seq}: {written.path}")

    def access(self, *, client: uuid.UUID, limit: int) -> None:
        with origin(Origin(job="audit access")):
            found = selectors.access_report_for_operator(client_public_id=client, limit=limit)
        if found is None:
            raise CommandError("no such client")
        for row in found:
            self.stdout.write(f"{row.occurred_at:%Y-%m-%d %H:%M:%S}Z  {row.who:30.30}  "
                              f"{row.role:12.12}  {row.action:18.18}  {row.record_kind:24.24}  "
                              f"{row.purpose}")
