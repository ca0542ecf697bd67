"""The one-page HTML carries the book's fonts (webfonts.py): @font-face rules in its
styles, the files beside it (the large fallbacks subset to the characters used) with
their licences, and a browser draws the body text in Source Serif 4."""

from __future__ import annotations

import shutil
import subprocess

import pymupdf
import pytest

from aixbook.build import build
from aixbook.render.webfonts import FONTS, SUBSET_ABOVE
from helpers import write_site


@pytest.fixture(scope="module")
def html_out(tmp_path_factory):
    root = tmp_path_factory.mktemp("fonts")
    site = write_site(root / "site", {"docs/a.md": "# A\n\nText with ✅ and 中文 and ❌.\n"})
    result = build(site, ("html",), root / "out")
    return result.outputs["html"]


def test_font_faces_name_files_beside_the_page(html_out):
    html = html_out.read_text(encoding="utf-8")
    assert "@font-face" in html and "url(fonts/SourceSerif4-Regular.ttf)" in html
    fonts = html_out.parent / "fonts"
    for name in ("SourceSerif4-Regular.ttf", "SourceSans3-Bold.ttf", "SourceCodePro-Regular.ttf"):
        assert (fonts / name).read_bytes() == (FONTS / name).read_bytes()  # copied as they are
    for name in ("OFL-SourceSerif4.txt", "OFL-SourceSans3.txt", "OFL-NotoEmoji.txt", "LICENSE-DroidSansFallback.txt"):
        assert (fonts / name).is_file(), name


def test_large_fallback_fonts_are_subset_to_the_characters_used(html_out):
    fonts = html_out.parent / "fonts"
    for name in ("DroidSansFallback.ttf", "NotoEmoji-Regular.ttf", "DejaVuSans.ttf"):
        assert (FONTS / name).stat().st_size > SUBSET_ABOVE
        written = fonts / name
        assert written.stat().st_size < 100_000, name
    cjk = pymupdf.Font(fontfile=str(fonts / "DroidSansFallback.ttf"))
    assert cjk.has_glyph(ord("中")) and cjk.has_glyph(ord("文"))
    assert not cjk.has_glyph(ord("日"))  # not in the book
    emoji = pymupdf.Font(fontfile=str(fonts / "NotoEmoji-Regular.ttf"))
    assert emoji.has_glyph(0x2705) and emoji.has_glyph(0x274C)


def _chromium() -> str:
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    pytest.skip("headless Chromium is not installed")


@pytest.mark.slow  # a headless browser
@pytest.mark.timeout(180)
def test_in_chromium_the_body_text_is_source_serif_4(html_out, tmp_path):
    """Printed to PDF by headless Chromium, the page embeds the book's own faces (before:
    the browser's defaults, DejaVu on this machine)."""
    pdf = tmp_path / "chromium.pdf"
    subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--print-to-pdf={pdf}",
            html_out.as_uri(),
        ],
        capture_output=True,
        timeout=150,
        check=False,
    )
    with pymupdf.open(pdf) as doc:
        fonts = {f[3].split("+")[-1] for page in doc for f in page.get_fonts()}
    assert {"SourceSerif4-Regular", "SourceSans3-Bold"} <= fonts, fonts
