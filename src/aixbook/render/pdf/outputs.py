"""The PDF a build wrote, kept track of: when the next build's inputs are the very inputs
that wrote it, and the file is still byte for byte what was written, it is the PDF again:
nothing is laid out, combined, or even loaded of WeasyPrint.

The inputs are what decides every byte: the key of each part's first layout (its HTML
with the numbers it prints, the strings it inherits, stylesheets, fonts, images, the
tool's and the libraries' code: partcache.salt), the footers' settings, the short names,
the metadata and the parallelism. A record is data under this user's MAC (cachefile):
the file's SHA-256, its page count and what the renderer warned about, which the build
reports again. The file itself is trusted only for what it hashes to.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from pathlib import Path

from ...cachefile import Entries, Miss, read
from .. import RenderResult, RenderWarning

log = logging.getLogger(__name__)

SPEC = {"sha256": str, "pages": int, "warnings": [str]}
MAX_PDF = 4 * 1024**3


def inputs_key(*fields) -> str:
    """A key over ``fields``: JSON-able values and dataclasses of them."""
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {type(value).__name__: dataclasses.asdict(value)}
    raise TypeError(f"not part of a key: {type(value).__name__}")


class Outputs:
    def __init__(self, folder: Path) -> None:
        self.entries = Entries(folder, "pdf-output", "1", SPEC, limit=16 * 1024 * 1024)

    def reuse(self, key: str, previous: Path | None, target: Path) -> RenderResult | None:
        """``target`` written as ``previous`` when these inputs wrote it and it is unchanged;
        the result it had. None otherwise (then the PDF is made)."""
        if previous is None:
            return None
        found = self.entries.get(key)
        if found is None:
            return None
        record: dict = found[0]  # type: ignore[assignment]
        try:  # a regular file only: not a link, a pipe or a device put there
            data = read(previous, MAX_PDF)
        except Miss:
            return None
        if hashlib.sha256(data).hexdigest() != record["sha256"]:
            log.debug("%s is not the PDF these inputs wrote (changed since): made again", previous.name)
            return None
        target.write_bytes(data)
        log.info("%s: kept, the PDF the same inputs wrote last time", previous.name)
        return RenderResult(pages=record["pages"], warnings=[RenderWarning("pdf", w) for w in record["warnings"]])

    def keep(self, key: str, target: Path, result: RenderResult) -> None:
        try:
            digest = hashlib.sha256(target.read_bytes()).hexdigest()
        except OSError:
            return
        warnings = [w.message for w in result.warnings]
        self.entries.put(key, {"sha256": digest, "pages": result.pages, "warnings": warnings})
        self.entries.prune(spare=16)
