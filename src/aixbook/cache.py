"""Parsed chapters kept on disk between runs, keyed by content hashes.

The folder is safe to delete at any time; a stale or unreadable entry is
simply parsed again.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
from functools import lru_cache
from pathlib import Path

from . import __version__
from .model import Chapter, Source
from .output import write_bytes

CACHE_VERSION = "1"


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
    )
    return source_digest(here / name for name in names)[:16]


class ChapterCache:
    """``get_chapter``/``put_chapter`` for ``aixbook.book.gather``."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        self.hits = 0
        self.misses = 0

    def _key(self, source: Source, key: str) -> Path:
        h = hashlib.sha256()
        for part in (
            CACHE_VERSION,
            __version__,
            _code_hash(),
            str(source.path),
            key,
            source.title,
            str(source.body_line),
            source.url,
        ):
            h.update(part.encode("utf-8") + b"\0")
        h.update(source.body.encode("utf-8"))
        return self.folder / "chapters" / f"{h.hexdigest()}.pickle"

    def get_chapter(self, source: Source, key: str) -> Chapter | None:
        path = self._key(source, key)
        try:
            with path.open("rb") as fh:
                ch = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
            self.misses += 1
            return None
        if not isinstance(ch, Chapter) or ch.source != source:
            self.misses += 1
            return None
        self.hits += 1
        return ch

    def put_chapter(self, source: Source, chapter: Chapter) -> None:
        with contextlib.suppress(OSError):
            write_bytes(self._key(source, chapter.key), pickle.dumps(chapter, protocol=pickle.HIGHEST_PROTOCOL))
