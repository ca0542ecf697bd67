"""Short links as PDF destinations: ``book.pdf#NAME`` opens at the section /go/NAME/ names;
the EPUB's ids answer the same names (``chapter.xhtml#NAME``)."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import pymupdf
import pytest
from lxml import etree

pytestmark = pytest.mark.slow  # reads the sample and the real book's builds


def _names(pdf) -> set[str]:
    with pikepdf.open(pdf) as doc:
        flat = doc.Root.Names.Dests.Names
        return {str(flat[i]) for i in range(0, len(flat), 2)}


def _check(result) -> int:
    """Every short name of the book is a destination at its section's page and place; how many."""
    book, pdf = result.book, result.outputs["pdf"]
    names = _names(pdf)
    resolved = pymupdf.open(pdf).resolve_names()
    assert book.short_names
    for name, uid in book.short_names.items():
        assert name in names, name
        assert resolved[name] == resolved[uid], name  # the same page and place as its section
    return len(book.short_names)


def _epub_ids(result) -> int:
    """Every short name is an id of the EPUB, once, inside the heading it names; how many."""
    book = result.book
    where: dict[str, list[tuple[str, etree._Element]]] = {}
    with zipfile.ZipFile(result.outputs["epub"]) as z:
        for file in z.namelist():
            if file.endswith(".xhtml"):
                for el in etree.fromstring(z.read(file)).iter():
                    if isinstance(el.tag, str) and el.get("id"):
                        where.setdefault(el.get("id"), []).append((file, el))
    for name, uid in book.short_names.items():
        assert len(where.get(name, ())) == 1, (name, [f for f, _ in where.get(name, ())])
        (file, el), [(heading_file, _)] = where[name][0], where[uid]
        assert file == heading_file and uid in {a.get("id") for a in el.iterancestors()}, name
    return len(book.short_names)


def test_sample_book_short_links_are_destinations(sample_build):
    assert _check(sample_build) >= 2
    assert _epub_ids(sample_build) >= 2
    resolved = pymupdf.open(sample_build.outputs["pdf"]).resolve_names()
    page = pymupdf.open(sample_build.outputs["pdf"])[resolved["liferock"]["page"]]
    assert "2.3 Life on the rock" in page.get_text()


def test_real_book_every_short_link_to_a_section_is_a_destination(real_build):
    # 147: /go/toc/ (the overview's "Table of contents") too, now that the contents' id is "Contents"
    assert _check(real_build) == len(real_build.book.short_names) == 147
    assert _epub_ids(real_build) == 147
    doc = pymupdf.open(real_build.outputs["pdf"])
    for name, title in (("promptinjection", "Prompt injection"), ("toc", "Table of contents")):
        page = doc[doc.resolve_names()[name]["page"]]
        assert title in page.get_text(), name


PUPPETEER = Path(__file__).resolve().parent.parent / ".ace" / "node_modules" / "puppeteer-core"


def _viewer_page(pdf: Path, name: str) -> int | None:
    """The page (1-based) headless Chromium's PDF viewer opens ``pdf#name`` at."""
    if not PUPPETEER.is_dir() or shutil.which("node") is None or not Path("/usr/bin/chromium").is_file():
        pytest.skip(f"no headless Chromium with puppeteer-core ({PUPPETEER}): run `bash .ci/install-ace.sh`")
    script = Path(__file__).with_name("pdf_viewer.js")
    url = f"{pdf.resolve().as_uri()}#{name}"
    proc = subprocess.run(["node", str(script), str(PUPPETEER), url], capture_output=True, text=True, timeout=150)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])["page"]


@pytest.mark.timeout(600)
def test_chromium_opens_book_pdf_hash_name_at_its_section(real_build):
    """What the name tree promises, in a reader: Chromium's viewer opens ``#NAME`` at its page."""
    pdf = real_build.outputs["pdf"]
    resolved = pymupdf.open(pdf).resolve_names()
    for name in ("promptinjection", "toc"):
        assert _viewer_page(pdf, name) == resolved[name]["page"] + 1, name
    assert resolved["toc"]["page"] != resolved["Contents"]["page"], "the overview's, not the book's contents"
