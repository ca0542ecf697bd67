"""The book's own fonts for the one-page HTML: the ``@font-face`` rules of fonts.css, and
the files they name written beside the document (``fonts/…``) with their licences.

The text faces (Source Serif 4, Source Sans 3, Source Code Pro: 170–430 kB each) are
copied as they are; the large fallbacks (Droid Sans Fallback 3.4 MB, DejaVu Sans, Noto
Emoji) are subset to the characters the book uses, as the OFL allows for embedding, so
that ✅/❌ and CJK text show in the book's fonts at a few kilobytes each.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from ..resources import STYLES_DIR

FONTS = STYLES_DIR / "fonts"
#: Font files larger than this are subset to the characters used.
SUBSET_ABOVE = 500_000
_FACE = re.compile(r"@font-face\s*\{[^}]*\}")
_URL = re.compile(r"url\(fonts/([^)]+)\)")


@dataclass(frozen=True)
class Face:
    rule: str  # the @font-face rule as fonts.css writes it
    file: str  # the font file it names, in styles/fonts/


def faces() -> list[Face]:
    """Every @font-face of fonts.css that names a shipped file."""
    css = (STYLES_DIR / "fonts.css").read_text(encoding="utf-8")
    out = []
    for m in _FACE.finditer(css):
        url = _URL.search(m.group(0))
        if url and (FONTS / url.group(1)).is_file():
            out.append(Face(m.group(0), url.group(1)))
    return out


def font_css() -> str:
    """The @font-face rules, their URLs relative to the document (fonts/…)."""
    return "\n".join(face.rule for face in faces())


def licences(files) -> list[str]:
    """The licence files of the fonts in ``files`` (each family ships one beside it)."""
    stems = {re.split(r"[-.]", name)[0] for name in files}
    return sorted(
        p.name
        for p in FONTS.glob("*.txt")
        if any(stem.lower().startswith(p.stem.split("-", 1)[1].lower()) for stem in stems)
    )


def subset(path: Path, text: str) -> bytes:
    """The font at ``path`` with only the glyphs ``text`` needs (and their layout features)."""
    from fontTools import subset as ft

    options = ft.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.drop_tables += ["FFTM"]
    font = ft.load_font(str(path), options)
    subsetter = ft.Subsetter(options)
    subsetter.populate(unicodes={ord(c) for c in text} | set(range(0x20, 0x7F)))
    subsetter.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


def font_files(text: str) -> dict[str, Path | bytes]:
    """``fonts/NAME`` → the shipped file, or the subset's bytes, for every face, and the
    licences."""
    out: dict[str, Path | bytes] = {}
    chars = "".join(sorted(set(text)))
    for face in faces():
        path = FONTS / face.file
        out[f"fonts/{face.file}"] = subset(path, chars) if path.stat().st_size > SUBSET_ABOVE else path
    for name in licences(face.file for face in faces()):
        out[f"fonts/{name}"] = FONTS / name
    return out
