"""Laid-out parts kept between builds, under the output folder's cache.

An entry's name is a hash of everything that decides the part's pages (its HTML with the
page numbers it prints, the strings it inherits, the stylesheets and fonts, the images'
contents, the paper, the PDF variant, the versions of aixbook, WeasyPrint, pydyf and
pikepdf, and this package's code): a changed input is a new name, never a stale entry.
Each entry carries a SHA-256 of its contents: a truncated or damaged file is detected,
removed and laid out again, never trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ... import __version__
from ...cache import source_digest
from ...output import write_bytes

MAGIC = b"aixbook-pdf-part 1\n"
FORMAT = "1"


@lru_cache(maxsize=1)
def _code_digest() -> str:
    return source_digest(sorted(Path(__file__).resolve().parent.glob("*.py")))


def salt() -> str:
    """What every entry's key starts from: the tool, the libraries, the styles, the fonts."""
    from . import patches
    from .weasy import styles_digest

    versions = []
    for dist in ("weasyprint", "pydyf", "pikepdf", "Pillow"):
        try:
            versions.append(f"{dist}={version(dist)}")
        except PackageNotFoundError:
            versions.append(f"{dist}=?")
    parts = [
        FORMAT,
        __version__,
        *versions,
        _code_digest(),
        styles_digest(),
        ",".join(patches.apply()),
        os.environ.get("FONTCONFIG_FILE", ""),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


class PartCache:
    """``get``/``put`` laid-out parts by key; ``hints`` remembers the last build's numbers."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        self.parts = self.folder / "parts"
        self.hits = 0
        self.misses = 0
        self.rejected = 0  # entries found damaged

    def _path(self, key: str) -> Path:
        return self.parts / f"{key}.part"

    def get(self, key: str):
        path = self._path(key)
        try:
            data = path.read_bytes()
        except OSError:
            self.misses += 1
            return None
        value = _decode(data)
        if value is None:
            self.rejected += 1
            self.misses += 1
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept by ``prune``
        self.hits += 1
        return value

    def put(self, key: str, value) -> None:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        with contextlib.suppress(OSError):
            write_bytes(self._path(key), _encode(payload))

    def prune(self, keep: set[str], spare: int = 24) -> None:
        """Remove entries this build did not use, but the ``spare`` most recently used."""
        try:
            files = [p for p in self.parts.iterdir() if p.suffix == ".part" and p.stem not in keep]
        except OSError:
            return
        files.sort(key=lambda p: p.stat().st_mtime if p.exists() else 0, reverse=True)
        for old in files[spare:]:
            with contextlib.suppress(OSError):
                old.unlink()

    def hints(self) -> dict:
        """The numbers and strings the last build settled on (a first guess, checked)."""
        try:
            data = json.loads((self.folder / "hints.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def save_timings(self, timings: dict) -> None:
        """How long each part took (timings.json): for people, and for bench/bench_pdf.py."""
        with contextlib.suppress(OSError):
            write_bytes(self.folder / "timings.json", json.dumps(timings, indent=1).encode("utf-8"))

    def save_hints(self, hints: dict) -> None:
        with contextlib.suppress(OSError):
            write_bytes(self.folder / "hints.json", json.dumps(hints, sort_keys=True).encode("utf-8"))


def _encode(payload: bytes) -> bytes:
    return MAGIC + hashlib.sha256(payload).digest() + len(payload).to_bytes(8, "big") + payload


def _decode(data: bytes):
    head = len(MAGIC)
    if not data.startswith(MAGIC) or len(data) < head + 40:
        return None
    digest, size = data[head : head + 32], int.from_bytes(data[head + 32 : head + 40], "big")
    payload = data[head + 40 :]
    if len(payload) != size or hashlib.sha256(payload).digest() != digest:
        return None
    try:
        return pickle.loads(payload)
    except Exception:
        return None
