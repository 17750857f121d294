from __future__ import annotations

import io
import logging

from therapia.core.log_filters import WITHHELD, WithholdExceptionMessages


def test_a_logged_exception_keeps_its_type_and_frames_but_not_its_message() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(WithholdExceptionMessages())
    logger = logging.getLogger("therapia.test.withhold")
    logger.addHandler(handler)
    conflicting = "dana.whitfield@example.net"  # as the database would quote it
    try:
        raise ValueError(f"Key (email)=({conflicting}) already exists")
    except ValueError:
        logger.exception("Internal Server Error: /clients/new/")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "dana.whitfield@example.net)" not in written
    assert "builtins.ValueError" in written and WITHHELD in written
    assert "test_a_logged_exception_keeps_its_type" in written  # the frames are kept


def test_the_console_handler_carries_the_filter() -> None:
    from django.conf import settings

    assert "withhold" in settings.LOGGING["handlers"]["console"]["filters"]
