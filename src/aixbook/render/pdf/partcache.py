"""Laid-out parts kept between builds, under the output folder's cache.

An entry's name is a hash of everything that decides the part's pages (its HTML with the
page numbers it prints, the strings it inherits, the stylesheets and fonts, the images'
contents, the paper, the PDF variant, the versions of aixbook, WeasyPrint, pydyf and
pikepdf, and this package's code): a changed input is a new name, never a stale entry.

An entry is data, never code (``aixbook.cachefile``): the part's PDF bytes as they are,
and the facts about it (pages, anchors, bookmarks, strings, fonts) as JSON, with a
version and a MAC under this user's key. On read the envelope, the MAC, the type of every
field, the facts' agreement with each other and the PDF's page count are checked; a
damaged, foreign or unexpected entry is removed and laid out again (logged at debug
level), never trusted.
hints.json, the last build's numbers, is checked the same way, and ignored if it is not
what a build writes.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
from dataclasses import fields
from functools import lru_cache
from pathlib import Path

from ... import __version__
from ...cache import dist_version, source_digest
from ...cachefile import Miss, prune, read, seal, shape, unseal
from ...output import write_bytes
from .footers import FooterLayout
from .layout import PartLayout

log = logging.getLogger(__name__)

FORMAT = "3"  # 3: with what resume.py needs; 2: JSON and PDF bytes (1 was pickle)
MAX_ENTRY = 256 * 1024 * 1024
MAX_HINTS = 16 * 1024 * 1024
MAX_STRING = 4096  # a running header's text, an id

_FONTS = {"*": (str, int)}
SPECS: dict[type, dict] = {
    PartLayout: {
        "key": str,
        "pages": int,
        "heights": [float],
        "names": [str],
        "anchors": {"*": int},
        "bookmarks": [[(int, str, (float, float), str)]],
        "assigned": {"*": str},
        "fonts": _FONTS,
        "warnings": [str],
        "seconds": float,
        "record": str,
        "source": str,
        "settings": str,
    },
    FooterLayout: {"key": str, "pages": int, "warnings": [str], "fonts": _FONTS, "seconds": float},
}
_HINTS = {"numbers": {"*": str}, "strings": {"*": {"*": str}}, "pages": {"*": int}, "latest": {"*": str}}
MAX_PAGES = 100_000  # a part's page count in the hints


@lru_cache(maxsize=1)
def _code_digest() -> str:
    return source_digest(sorted(Path(__file__).resolve().parent.glob("*.py")))


def salt() -> str:
    """What every entry's key starts from: the tool, the libraries, the styles, the fonts."""
    from . import patches
    from .weasy import styles_digest

    versions = [f"{dist}={dist_version(dist)}" for dist in ("weasyprint", "pydyf", "pikepdf", "Pillow")]
    parts = [
        FORMAT,
        __version__,
        *versions,
        _code_digest(),
        styles_digest(),
        ",".join(patches.usable()),
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
        self.rejected = 0  # entries found damaged or unexpected

    def _path(self, key: str) -> Path:
        return self.parts / f"{key}.part"

    def has(self, key: str) -> bool:
        """Whether an entry is kept under ``key`` (``get`` still checks it)."""
        return self._path(key).exists()

    def get(self, key: str, kind: type[PartLayout] | type[FooterLayout] = PartLayout):
        """The ``kind`` (PartLayout or FooterLayout) kept under ``key``, or None."""
        path = self._path(key)
        if not path.exists():
            self.misses += 1
            return None
        try:
            value = decode(read(path, MAX_ENTRY), kind)
        except Miss as why:
            log.debug("PDF part cache: %s ignored (%s)", path.name, why)
            self.rejected += 1
            self.misses += 1
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept by ``prune``
        self.hits += 1
        return value

    def put(self, key: str, value: PartLayout | FooterLayout) -> None:
        with contextlib.suppress(OSError):
            write_bytes(self._path(key), encode(value))

    def prune(self, keep: set[str], spare: int = 24) -> None:
        """Remove entries this build did not use, but the ``spare`` most recently used."""
        prune(self.parts, ".part", keep, spare)

    def hints(self) -> dict:
        """The numbers and strings the last build settled on (a first guess, checked):
        ``{"numbers": {id: "12"}, "strings": {part: {name: text}}, "pages": {part: 30}}``, or {} if hints.json
        is missing or is not what ``save_hints`` writes."""
        path = self.folder / "hints.json"
        if not path.exists():
            return {}
        try:
            return check_hints(json.loads(read(path, MAX_HINTS)))
        except (Miss, ValueError, RecursionError) as why:
            log.debug("PDF part cache: hints.json ignored (%s)", why)
            return {}

    def save_timings(self, timings: dict) -> None:
        """How long each part took (timings.json): for people, and for bench/bench_pdf.py."""
        with contextlib.suppress(OSError):
            write_bytes(self.folder / "timings.json", json.dumps(timings, indent=1).encode("utf-8"))

    def save_hints(self, hints: dict) -> None:
        """Write ``hints``; the fields it lacks are written empty (a preview in a folder no
        build wrote names only its latest layout), as ``hints`` reads only a whole record."""
        hints = {field: {} for field in _HINTS} | hints
        with contextlib.suppress(OSError):
            write_bytes(self.folder / "hints.json", json.dumps(hints, sort_keys=True).encode("utf-8"))


def encode(value: PartLayout | FooterLayout) -> bytes:
    """An entry: the PDF as it is, everything else as JSON."""
    data = {f.name: getattr(value, f.name) for f in fields(value) if f.name != "pdf"}
    return seal(type(value).__name__, FORMAT, data, value.pdf)


def decode(data: bytes, kind: type[PartLayout] | type[FooterLayout]) -> PartLayout | FooterLayout:
    """The layout ``encode`` wrote, checked. Raises Miss if it is damaged or does not fit."""
    meta, pdf = unseal(kind.__name__, FORMAT, data)
    value = shape(meta, SPECS[kind], kind.__name__)
    # a layout's lists are lists (``shape`` gives tuples only where the layout has them)
    value = kind(pdf=pdf, **value)
    pages = value.pages
    if pages < 0:
        raise Miss("a negative page count")
    if isinstance(value, PartLayout):
        if not len(value.heights) == len(value.names) == len(value.bookmarks) == pages:
            raise Miss("per-page facts for another page count")
        if any(not 0 <= index < pages for index in value.anchors.values()):
            raise Miss("an anchor on a page the part does not have")
    _check_pdf(pdf, pages)
    return value


def _check_pdf(pdf: bytes, pages: int) -> None:
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            found = len(doc.pages)
    except Exception as exc:  # pikepdf raises its own and qpdf's errors
        raise Miss(f"not a readable PDF ({type(exc).__name__})") from None
    if found != pages:
        raise Miss(f"a PDF of {found} pages, not {pages}")


_PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,6}")
_KEY = re.compile(r"[0-9a-f]{64}")


def check_hints(data) -> dict:
    """``data`` if it is hints as ``save_hints`` writes them; raises Miss otherwise."""
    value = shape(data, _HINTS, "hints")
    for anchor, number in value["numbers"].items():
        if len(anchor) > MAX_STRING or not _PAGE_NUMBER.fullmatch(number):
            raise Miss(f"hints: not a page number: {number[:20]!r}")
    for part, strings in value["strings"].items():
        if len(part) > MAX_STRING or any(len(k) > MAX_STRING or len(v) > MAX_STRING for k, v in strings.items()):
            raise Miss("hints: a string longer than any running header")
    for part, pages in value["pages"].items():
        if len(part) > MAX_STRING or not 0 <= pages <= MAX_PAGES:
            raise Miss(f"hints: not a page count: {pages}")
    for part, key in value["latest"].items():
        if len(part) > MAX_STRING or not _KEY.fullmatch(key):
            raise Miss("hints: not a cache key")
    return value
