"""Finding the system's Chromium for the browser tests (Playwright drives it)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def find_chromium() -> str | None:
    configured = os.environ.get("THERAPIA_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None
