"""Parsed chapters kept on disk between runs, keyed by content hashes.

An entry is JSON data (``cachefile``): the chapter's HTML, headings, ids, permalinks and
diagnostics, never code. It is checked on read (envelope, version, a MAC under this
user's key, the type of every field); a stale, damaged, foreign or unexpected entry is a
miss, logged at debug level, and the page is parsed again. The folder is safe to delete at any time.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import sys
from functools import cache, lru_cache
from pathlib import Path

from . import __version__
from .cachefile import Maybe, Miss, OneOf, read, seal, shape, unseal
from .diagnostics import CODES, Diagnostic
from .model import Chapter, Heading, Source
from .output import write_bytes

log = logging.getLogger(__name__)

CACHE_VERSION = "2"  # 2: JSON entries (1 was pickle)
KIND = "chapter"
MAX_ENTRY = 256 * 1024 * 1024

_HEADING = {"level": int, "text": str, "id": str, "line": int, "uid": str}
_DIAGNOSTIC = {
    "severity": OneOf("error", "warning", "info"),
    "message": str,
    "path": Maybe(str),
    "line": Maybe(int),
    "code": OneOf("", *CODES),
}
_CHAPTER = {
    "key": str,
    "html": str,
    "headings": [_HEADING],
    "ids": [str],
    "permalinks": [(str, str, int)],
    "diagnostics": [_DIAGNOSTIC],
}


@cache
def dist_version(dist: str) -> str:
    """The installed version of the distribution ``dist`` ("missing" if none), read from its
    ``.dist-info`` folder's name where one is on the path (``importlib.metadata`` loads the
    email package to read it: a tenth of a second of every run), else as that reads it."""
    wanted = re.sub(r"[-_.]+", "_", dist).lower() + "-"
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in sorted(names):
            if name.endswith(".dist-info") and name.lower().startswith(wanted):
                return name[len(wanted) : -len(".dist-info")]
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "missing"


def source_digest(files) -> str:
    """A digest of the code files that make a cache entry: changing them invalidates it."""
    h = hashlib.sha256()
    for file in files:
        h.update(file.name.encode() + b"\0" + file.read_bytes())
    return h.hexdigest()


@lru_cache(maxsize=1)
def _code_hash() -> str:
    # A change to how Markdown is parsed invalidates every entry.
    here = Path(__file__).resolve().parent
    names = (
        "markdown.py",
        "shortcodes.py",
        "sanitize.py",
        "cssfilter.py",
        "a11y.py",
        "htmlfrag.py",
        "locate.py",
        "model.py",
        "book.py",
        "cache.py",
        "cachefile.py",
    )
    return source_digest(here / name for name in names)[:16]


def chapter_data(chapter: Chapter) -> dict:
    """``chapter`` as JSON data, without its source (the reader has that)."""
    return {
        "key": chapter.key,
        "html": chapter.html,
        "headings": [vars(h) for h in chapter.headings],
        "ids": sorted(chapter.ids),
        "permalinks": [list(p) for p in chapter.permalinks],
        "diagnostics": [{**vars(d), "path": None if d.path is None else str(d.path)} for d in chapter.diagnostics],
    }


def chapter_from(data, source: Source, key: str) -> Chapter:
    """The chapter of ``source`` that ``chapter_data`` wrote. Raises Miss if it does not fit."""
    value = shape(data, _CHAPTER)
    if value["key"] != key:
        raise Miss(f"made for chapter key {value['key'][:40]!r}")
    diagnostics = tuple(
        Diagnostic(**{**d, "path": None if d["path"] is None else Path(d["path"])}) for d in value["diagnostics"]
    )
    return Chapter(
        source=source,
        key=key,
        html=value["html"],
        headings=tuple(Heading(**h) for h in value["headings"]),
        ids=frozenset(value["ids"]),
        permalinks=tuple(value["permalinks"]),
        diagnostics=diagnostics,
    )


class ChapterCache:
    """``get_chapter``/``put_chapter`` for ``aixbook.book.gather``."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        self.hits = 0
        self.misses = 0

    def _key(self, source: Source, key: str, context: str = "") -> Path:
        # Every field of the source (its repr) and the key: an entry is found only for
        # the very page it was made from.
        h = hashlib.sha256()
        for part in (CACHE_VERSION, __version__, _code_hash(), key, repr(source), context):
            h.update(part.encode("utf-8", "surrogatepass") + b"\0")
        return self.folder / "chapters" / f"{h.hexdigest()}.json"

    def get_chapter(self, source: Source, key: str, context: str = "") -> Chapter | None:
        """The chapter parsed from ``source`` with ``context`` (what its shortcodes read of the site)."""
        path = self._key(source, key, context)
        if not path.exists():
            self.misses += 1
            return None
        try:
            data, _ = unseal(KIND, CACHE_VERSION, read(path, MAX_ENTRY))
            chapter = chapter_from(data, source, key)
        except Miss as why:
            log.debug("chapter cache: %s ignored (%s)", path.name, why)
            self.misses += 1
            return None
        self.hits += 1
        return chapter

    def put_chapter(self, source: Source, chapter: Chapter, context: str = "") -> None:
        with contextlib.suppress(OSError):
            write_bytes(self._key(source, chapter.key, context), seal(KIND, CACHE_VERSION, chapter_data(chapter)))
