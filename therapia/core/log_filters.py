"""Keep client data out of logs: an exception's message can quote it (a PostgreSQL error
echoes the conflicting row, e.g. `Key (email)=(...) already exists`), so logged tracebacks
keep the exception's type and frames but not its message."""

from __future__ import annotations

import logging
import traceback

WITHHELD = "(message withheld: it may contain client data)"


class WithholdExceptionMessages(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, frames = record.exc_info
            lines = ["Traceback (most recent call last):\n", *traceback.format_tb(frames),
                     f"{kind.__module__}.{kind.__qualname__}: {WITHHELD}"]
            record.exc_text = "".join(lines)
            record.exc_info = None
        return True
