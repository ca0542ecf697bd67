"""build --split chapters: one PDF per chapter, from the release PDF's parts, with the
book's page numbers and running heads, links into other chapters to the website."""

from __future__ import annotations

import pymupdf
import pytest

from aixbook.build import build
from helpers import SAMPLE, corpus_present
from verapdf import summary, validate, verapdf_available

pytestmark = pytest.mark.slow


def _level_one(doc: pymupdf.Document) -> list[tuple[str, int]]:
    return [(title, page) for level, title, page in doc.get_toc() if level == 1]


def _text(page) -> str:
    return page.get_text().replace("\u2010", "-")


def _check_against_release(release_pdf, chapter_pdfs, base_url: str) -> None:
    release = pymupdf.open(release_pdf)
    tops = _level_one(release)
    to_site = 0
    for key, path in chapter_pdfs.items():
        doc = pymupdf.open(path)
        title = _level_one(doc)[0][0]
        i = next(i for i, (t, _) in enumerate(tops) if t == title)
        first = tops[i][1] - 1
        end = tops[i + 1][1] - 1 if i + 1 < len(tops) else release.page_count
        assert doc.page_count == end - first, key
        # the same pages: text, running heads and "N / total" (a line-end hyphen is one
        # glyph, which a font subset maps to "-" or to U+2010 HYPHEN as the glyphs it merged
        # were first met: the same drawing)
        for n in range(doc.page_count):
            assert _text(doc[n]) == _text(release[first + n]), (key, n)
        for page in doc:
            for link in page.get_links():
                if link["kind"] == pymupdf.LINK_URI:
                    assert "aixbook-part.invalid" not in link["uri"], key
                    to_site += link["uri"].startswith(base_url)
                elif link["kind"] in (pymupdf.LINK_GOTO, pymupdf.LINK_NAMED):
                    assert 0 <= link.get("page", 0) < doc.page_count, key
    assert to_site, "links into other chapters go to the website"


def test_sample_book_chapter_pdfs_are_the_release_pages(tmp_path):
    result = build(SAMPLE, ("pdf",), tmp_path, split="chapters")
    assert sorted(p.name for p in result.chapter_pdfs.values()) == [
        "sample-book-0_overview.pdf",
        "sample-book-1_towers_and_lights.pdf",
        "sample-book-2_keeping_the_light.pdf",
        "sample-book-field_index.pdf",
    ]
    _check_against_release(result.outputs["pdf"], result.chapter_pdfs, "https://aixbook.example/")
    uris = [
        link["uri"]
        for page in pymupdf.open(result.chapter_pdfs["ch-2_keeping_the_light"])
        for link in page.get_links()
        if link["kind"] == pymupdf.LINK_URI
    ]
    assert "https://aixbook.example/docs/1_towers_and_lights/#12-fresnel-lenses" in uris


@pytest.mark.skipif(not corpus_present(), reason="the AI Exchange corpus is not in ../shared")
def test_real_book_nine_chapter_pdfs_with_the_release_pages(real_build):
    assert len(real_build.chapter_pdfs) == 9
    _check_against_release(real_build.outputs["pdf"], real_build.chapter_pdfs, "https://owaspai.org/")
    stages = {s.name: s.seconds for s in real_build.timings.stages}
    assert "chapter PDFs" in stages


def test_real_book_chapter_pdfs_pass_verapdf(real_build):
    if reason := verapdf_available():
        pytest.skip(reason)
    results = validate(list(real_build.chapter_pdfs.values()))
    failing = {path.name: summary(r) for path, r in results.items() if not r["compliant"]}
    assert failing == {}


def test_chapter_pdfs_lay_out_no_chapter_again(tmp_path):
    """The chapter PDFs take the parts the release PDF just laid out (the fonts'
    configuration is in every key before the first layout sets it): only their footers
    are laid out."""
    result = build(SAMPLE, ("pdf",), tmp_path, split="chapters", jobs=2)
    stages = result.timings.stages
    render = next(s for s in stages if s.name == "render pdf")
    later = [s.name for s in stages if s.name.startswith("layout ") and s.start >= render.end]
    assert later and all(name.startswith("layout footers") for name in later), later
