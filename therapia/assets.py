"""Front-end assets, installed from the npm registry at build time and served by the app.

Each asset is pinned by version and by the registry's sha512 integrity hash, so a changed
tarball is refused. No CDN is ever referenced by a page.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Asset:
    package: str
    version: str
    integrity: str  # the npm registry's "dist.integrity" for the tarball
    member: str  # the file inside the tarball
    target: str  # where it goes, relative to the therapia package

    @property
    def tarball_url(self) -> str:
        name = self.package.rsplit("/", 1)[-1]
        return f"https://registry.npmjs.org/{self.package}/-/{name}-{self.version}.tgz"


ASSETS = (
    Asset(
        package="htmx.org",
        version="2.0.9",
        integrity="sha512-Vd8ZlGSshz2W2ej+gNpMqxX2PM0dfOn4lRgkTXgCT+cqZE/GwBQoYm3zGvlqf+hHXYCMYmmgae33m4/RPdTS0Q==",
        member="package/dist/htmx.min.js",
        target="static/vendor/htmx.min.js",
    ),
    Asset(  # for the browser tests only: the accessibility checker, never served
        package="axe-core",
        version="4.14.1",
        integrity="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
        member="package/axe.min.js",
        target="e2e/vendor/axe.min.js",
    ),
)


def verify_integrity(data: bytes, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise RuntimeError(f"integrity mismatch: expected {integrity}, got {algorithm}-{actual}")


def install(asset: Asset) -> Path:
    target = PACKAGE_DIR / asset.target
    stamp = target.with_suffix(target.suffix + ".version")
    if target.exists() and stamp.exists() and stamp.read_text() == asset.version:
        return target
    with urllib.request.urlopen(asset.tarball_url, timeout=60) as response:  # noqa: S310 (fixed https URL)
        data = response.read()
    verify_integrity(data, asset.integrity)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        member = archive.extractfile(asset.member)
        if member is None:
            raise RuntimeError(f"{asset.member} missing from {asset.tarball_url}")
        content = member.read()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    stamp.write_text(asset.version)
    return target


def main() -> int:
    for asset in ASSETS:
        try:
            install(asset)
        except (OSError, RuntimeError) as error:
            sys.stderr.write(f"[therapia] could not install {asset.package}: {error}\n")
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
