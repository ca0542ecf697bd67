"""Which code points the shipped fonts can draw: the PDF's missing-glyph check.

Reading the fonts' character maps needs HarfBuzz, through WeasyPrint's libraries (half a
second to load, and a build whose parts all come from the cache loads nothing else of
WeasyPrint), so the answer ships with the fonts in ``fonts/coverage.json``, as ranges,
with the name and size of every font it was read from. It is used only while those are
the fonts shipped; otherwise the fonts are read again (and tests/test_pdf.py fails until
the file is written again: ``python -m aixbook.render.pdf.coverage``).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from ...resources import FONTS_DIR

COVERAGE_FILE = FONTS_DIR / "coverage.json"


def _fonts() -> list[Path]:
    return sorted(FONTS_DIR.glob("*.[ot]tf"))


def _signature() -> dict[str, int]:
    return {font.name: font.stat().st_size for font in _fonts()}


def measured() -> frozenset[int]:
    """Every code point some shipped font has a glyph for, read from the fonts (by HarfBuzz:
    fontTools takes half a second over the CJK font's cmap)."""
    covered: set[int] = set()
    for font in _fonts():
        try:
            from .harfbuzz import code_points

            covered.update(code_points(str(font)))
        except Exception:  # an old HarfBuzz without hb_set_next_many
            from fontTools.ttLib import TTFont

            with TTFont(font, lazy=True, fontNumber=0) as tt:
                covered.update(tt.getBestCmap() or {})
    return frozenset(covered)


def _ranges(points: frozenset[int]) -> list[list[int]]:
    ranges: list[list[int]] = []
    for cp in sorted(points):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return ranges


def recorded() -> frozenset[int] | None:
    """What coverage.json says, if it was written for the fonts shipped now."""
    try:
        data = json.loads(COVERAGE_FILE.read_text(encoding="utf-8"))
        if data.get("fonts") != _signature():
            return None
        return frozenset(cp for first, last in data["ranges"] for cp in range(first, last + 1))
    except (OSError, ValueError, KeyError, TypeError):
        return None


@lru_cache(maxsize=1)
def shipped() -> frozenset[int]:
    """Every code point some shipped font has a glyph for."""
    found = recorded()
    return found if found is not None else measured()


def write() -> None:
    data = {"fonts": _signature(), "ranges": _ranges(measured())}
    COVERAGE_FILE.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write()
    print(f"wrote {COVERAGE_FILE}")
