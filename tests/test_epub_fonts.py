"""The EPUB embeds the fallback fonts its text needs (render/epub/fonts.py): emoji, CJK and
symbols subset to the characters used, listed in the manifest with their licences, and
taken only for those characters (unicode-range); the text stays in the reader's fonts."""

from __future__ import annotations

import re
import zipfile

import pymupdf
from lxml import etree

from aixbook.build import build
from helpers import write_site

OPF = "{http://www.idpf.org/2007/opf}"


def epub_of(tmp_path, text: str) -> zipfile.ZipFile:
    site = write_site(tmp_path / "site", {"docs/a.md": f"# A\n\n{text}\n"})
    result = build(site, ("epub",), tmp_path / "out")
    return zipfile.ZipFile(result.outputs["epub"])


def manifest(z: zipfile.ZipFile) -> dict[str, str]:
    opf = next(n for n in z.namelist() if n.endswith(".opf"))
    root = etree.fromstring(z.read(opf))
    return {item.get("href"): item.get("media-type") for item in root.iter(OPF + "item")}


def test_fonts_for_emoji_and_cjk_are_embedded_subset_with_licences(tmp_path):
    z = epub_of(tmp_path, "Done ✅, not done ❌, in Chinese 中文, Korean 한국어 → next.")
    items = manifest(z)
    assert items["fonts/NotoEmoji-Regular.ttf"] == "font/ttf"
    assert items["fonts/DroidSansFallback.ttf"] == "font/ttf"
    assert items["fonts/DejaVuSans.ttf"] == "font/ttf"  # the arrow
    for licence in ("fonts/OFL-NotoEmoji.txt", "fonts/LICENSE-DroidSansFallback.txt", "fonts/LICENSE-DejaVu.txt"):
        assert items[licence] == "text/plain"
        assert b"icense" in z.read(f"EPUB/{licence}")
    cjk = pymupdf.Font(fontbuffer=z.read("EPUB/fonts/DroidSansFallback.ttf"))
    assert all(cjk.has_glyph(ord(c)) for c in "中文한국어") and not cjk.has_glyph(ord("日"))
    assert len(z.read("EPUB/fonts/DroidSansFallback.ttf")) < 50_000  # of 3.4 MB
    css = z.read("EPUB/styles/epub.css").decode()
    emoji_face = re.search(r"@font-face \{ font-family: aix-emoji;[^}]*\}", css).group(0)
    assert "U+2705" in emoji_face and "U+274C" in emoji_face and "url(../fonts/NotoEmoji-Regular.ttf)" in emoji_face
    assert "U+4E2D" in re.search(r"font-family: aix-cjk;[^}]*\}", css).group(0)  # 中
    # the embedded families come first, each for its characters only; then the reader's fonts
    assert "font-family: aix-emoji, aix-cjk, aix-symbols, sans-serif;" in css
    assert re.search(r"body \{ font-family: aix-emoji, aix-cjk, aix-symbols; \}", css)


def test_a_book_the_readers_fonts_can_show_embeds_none(tmp_path):
    z = epub_of(tmp_path, "Plain text, “quotes” — and dashes.")
    assert not [name for name in manifest(z) if name.startswith("fonts/")]
    assert "@font-face" not in z.read("EPUB/styles/epub.css").decode()
