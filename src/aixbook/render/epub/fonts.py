"""The fonts the EPUB embeds: only the shipped fallbacks (Noto Emoji, Droid Sans Fallback,
DejaVu Sans), each subset to the characters of the book it is the first to have, with
its licence in the package.

The text itself stays in the reader's own fonts (epub.css says why). Each @font-face
has a ``unicode-range`` of exactly the characters it was subset to, and the families
come first in the stacks: a reading system takes them for those characters only (✅,
❌, ⚠, flags, CJK, arrows) and the reader's fonts for everything else.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..webfonts import FONTS, subset

#: family → its faces (file, weight), in the order a character is looked for.
FALLBACKS = (
    ("aix-emoji", (("NotoEmoji-Regular.ttf", 400), ("NotoEmoji-Bold.ttf", 700))),
    ("aix-cjk", (("DroidSansFallback.ttf", 400),)),
    ("aix-symbols", (("DejaVuSans.ttf", 400),)),
)
LICENCES = {
    "aix-emoji": "OFL-NotoEmoji.txt",
    "aix-cjk": "LICENSE-DroidSansFallback.txt",
    "aix-symbols": "LICENSE-DejaVu.txt",
}
#: Below this every reader's text font has the character (Latin, Greek, Cyrillic, punctuation).
FIRST = 0x2190
#: Never drawn: variation selectors, joiners.
INVISIBLE = set(range(0xFE00, 0xFE10)) | {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF}
FOLDER = "fonts"  # beside styles/ in the package


@dataclass(frozen=True)
class FontFile:
    name: str  # in the package: fonts/…
    data: bytes
    media_type: str


def _cmap(path) -> set[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(path), lazy=True) as font:
        return set(font.getBestCmap() or {})


def _ranges(points: list[int]) -> str:
    out, start = [], None
    for i, cp in enumerate(points):
        if start is None:
            start = cp
        if i + 1 == len(points) or points[i + 1] != cp + 1:
            out.append(f"U+{start:X}" if start == cp else f"U+{start:X}-{cp:X}")
            start = None
    return ", ".join(out)


def embedded(text: str) -> tuple[str, list[FontFile]]:
    """The @font-face rules (URLs relative to styles/) and the files for ``text``; ("", [])
    when every character is one the reader's fonts have."""
    wanted = {ord(c) for c in text if ord(c) >= FIRST} - INVISIBLE
    rules: list[str] = []
    files: list[FontFile] = []
    for family, faces in FALLBACKS:
        covered = sorted(wanted & _cmap(FONTS / faces[0][0]))
        if not covered:
            continue
        wanted -= set(covered)
        chars = "".join(map(chr, covered))
        for file, weight in faces:
            files.append(FontFile(f"{FOLDER}/{file}", subset(FONTS / file, chars), "font/ttf"))
            rules.append(
                f'@font-face {{ font-family: {family}; src: url(../{FOLDER}/{file}) format("truetype"); '
                f"font-weight: {weight}; font-style: normal; unicode-range: {_ranges(covered)}; }}"
            )
        licence = FONTS / LICENCES[family]
        files.append(FontFile(f"{FOLDER}/{licence.name}", licence.read_bytes(), "text/plain"))
    return "\n".join(rules), files
