"""A chapter's PDF preview is that chapter of the release PDF, from the build's part cache:
the same pages, running heads and page numbers; nothing laid out when the chapter did not
change; only that chapter when it did; links into other chapters go to the website."""

from __future__ import annotations

import shutil

import pymupdf
import pytest

from aixbook import timings
from aixbook.build import build
from aixbook.cache import ChapterCache
from aixbook.preview import render_preview
from helpers import SAMPLE

pytestmark = pytest.mark.slow  # several builds of the sample book

CHAPTER = "content/docs/2_keeping_the_light.md"
KEY = "ch-2_keeping_the_light"


def _laid_out(t: timings.Timings) -> list[str]:
    return sorted(s.name.removeprefix("layout ") for s in t.stages if s.name.startswith("layout "))


def _preview(site, out):
    with timings.recording() as clock:
        pdf, _ = render_preview(site, "2", out, cache=ChapterCache(out / ".cache"))
    return pdf, _laid_out(clock)


def _edit_and_preview(site, out, line: str):
    """Append ``line`` to the chapter and preview it: the PDF, once it is checked that only
    the pages around the edit were laid out again (not pages 1 to the end) and show it."""
    path = site / CHAPTER
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    pdf, laid_out = _preview(site, out)
    (again,) = [name for name in laid_out if not name.startswith("footers")]
    assert again.startswith(f"{KEY} (pages ") and again != f"{KEY} (pages 1-{pymupdf.open(pdf).page_count})"
    assert line in "".join(p.get_text() for p in pymupdf.open(pdf))
    return pdf


def _chapter_pages(release: pymupdf.Document, title: str) -> range:
    toc = [(level, t, page) for level, t, page in release.get_toc() if level == 1]
    i = next(i for i, (_, t, _) in enumerate(toc) if t == title)
    end = toc[i + 1][2] - 1 if i + 1 < len(toc) else release.page_count
    return range(toc[i][2] - 1, end)


@pytest.fixture
def built(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)  # as an author runs it: dated now
    site = tmp_path / "book"
    shutil.copytree(SAMPLE, site)
    out = tmp_path / "out"
    result = build(site, ("pdf",), out)
    return site, out, result.outputs["pdf"]


def test_preview_of_an_unchanged_chapter_lays_nothing_out_and_is_its_release_pages(built):
    site, out, release_pdf = built
    pdf, laid_out = _preview(site, out)
    assert [name for name in laid_out if not name.startswith("footers")] == []
    preview, release = pymupdf.open(pdf), pymupdf.open(release_pdf)
    title = preview.get_toc()[0][1]
    assert title == "2. Keeping the light"
    pages = _chapter_pages(release, title)
    assert preview.page_count == len(pages)
    # the same text on every page, running heads and "N / total" page numbers included. A
    # hyphen at a line end is one glyph, which a font subset maps to "-" or to U+2010 HYPHEN
    # as the glyphs it merged were first met: the same drawing.
    assert [p.get_text().replace("\u2010", "-") for p in preview] == [
        release[i].get_text().replace("\u2010", "-") for i in pages
    ]
    assert f"{pages[0] + 1} / {release.page_count}" in preview[0].get_text()
    # a second preview takes its footers from the cache too
    assert _preview(site, out)[1] == []


def test_links_into_other_chapters_go_to_the_website(built):
    site, out, _ = built
    pdf, _ = _preview(site, out)
    doc = pymupdf.open(pdf)
    links = [link for page in doc for link in page.get_links()]
    uris = [link["uri"] for link in links if link["kind"] == pymupdf.LINK_URI]
    assert "https://aixbook.example/docs/1_towers_and_lights/#12-fresnel-lenses" in uris
    assert not any("aixbook-part.invalid" in u for u in uris)
    inside = [link for link in links if link["kind"] in (pymupdf.LINK_GOTO, pymupdf.LINK_NAMED)]
    assert inside, "the chapter's links to its own sections stay inside the PDF"
    assert all(0 <= link.get("page", 0) < doc.page_count for link in inside)


def _page_facts(pdf) -> list[tuple[str, list]]:
    """Each page's text and links (target page, place, or web address)."""
    pages = pymupdf.open(pdf)
    return [(p.get_text(), [(lk.get("uri"), lk.get("page"), lk.get("to")) for lk in p.get_links()]) for p in pages]


def test_in_a_folder_no_build_wrote_the_second_edit_is_laid_out_from_the_last_preview(tmp_path, monkeypatch):
    """An author who only previews: the first preview lays the chapter out whole (numbered
    from 1), and each preview after an edit lays out only the pages around it (before: the
    hints naming the last preview were refused for the numbers no build had written, so
    every preview laid the whole chapter out again)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    site, out = tmp_path / "book", tmp_path / "out"
    shutil.copytree(SAMPLE, site)
    _, laid_out = _preview(site, out)
    assert [name for name in laid_out if not name.startswith("footers")] == [KEY]
    _edit_and_preview(site, out, "A line the author just wrote.")


def test_after_an_edit_the_preview_lays_out_only_the_pages_around_it_as_a_whole_layout_would(
    built, tmp_path, monkeypatch
):
    """A preview is a draft: after an edit, the chapter's last layout (the build's, then the
    last preview's) is laid out again from the page before the edit to where its pages
    start as before (render/pdf/resume.py); the preview is page for page what the chapter
    laid out whole gives (text, running heads, page numbers, links). The build that
    follows lays the chapter out whole (a draft is never a build's layout), so its PDF is
    the one a fresh build writes."""
    site, out, _ = built
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    _edit_and_preview(site, out, "A line the author just wrote.")
    # the next edit is laid out from this draft: only the pages around it again
    pdf = _edit_and_preview(site, out, "And one more.")
    reference = tmp_path / "reference"  # the edited book built fresh: the chapter laid out whole
    fresh = build(site, ("pdf",), reference)
    whole, laid_whole = _preview(site, reference)
    assert [name for name in laid_whole if not name.startswith("footers")] == []
    assert _page_facts(pdf) == _page_facts(whole)
    rebuilt = build(site, ("pdf",), out)
    assert rebuilt.timings is not None and KEY in _laid_out(rebuilt.timings)
    assert rebuilt.outputs["pdf"].read_bytes() == fresh.outputs["pdf"].read_bytes()
