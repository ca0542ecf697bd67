"""``build --changes-since OLD``: the annex of changes and the change bars, as readers get them.

The repository is test_diff's: the sample book, then a commit with five changes (a section
added, a paragraph edited, a section moved to another chapter, a section deleted, a short
link retargeted). One more paragraph is deleted in the working tree, inside a section that
stays, so a "removed: N words" note has a place to stand.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from helpers import SAMPLE, run_cli
from test_diff import commit_all, five_changes, git

EDITED = "Fires on headlands are nearly as old as seafaring itself."
ADDED = "Grace Darling, a keeper"
UNCHANGED = "Keepers on offshore towers lived in small round rooms"
GONE = "On a rock station with three keepers"


def make_repo(root: Path) -> Path:
    repo = root / "repo"
    shutil.copytree(SAMPLE, repo)
    git(repo, "init", "-q")
    commit_all(repo, "the sample book")
    five_changes(repo)
    commit_all(repo, "five changes")
    return repo


def build(repo: Path, out: Path, *formats: str) -> None:
    args = [a for f in formats for a in ("-f", f)]
    code, _, err = run_cli("build", repo, "--changes-since", "HEAD~1", "-o", out, *args)
    assert code == 0, err


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The repository built in every format with --changes-since HEAD~1."""
    root = tmp_path_factory.mktemp("changes")
    repo = make_repo(root)
    build(repo, root / "out", "pdf", "epub", "html")
    return root / "out"


def html_tree(path: Path):
    return etree.parse(str(path), etree.HTMLParser())


def block_with(tree, text: str):
    (el,) = [e for e in tree.iter("p", "li", "td") if text in "".join(e.itertext())]
    return el


def test_html_marks_the_changed_blocks_and_only_them(tmp_path):
    repo = make_repo(tmp_path)
    # A paragraph of a section that stays is deleted in the working tree: its place says so.
    keeping = repo / "content" / "docs" / "2_keeping_the_light.md"
    text = keeping.read_text()
    note = '<p class="note">Note: many former keepers\' cottages'
    start = text.index(note)
    end = text.index("</p>", start) + 4
    words = len(re.sub(r"<[^>]+>", " ", text[start:end]).split())
    keeping.write_text(text[:start] + text[end:])
    code, _, err = run_cli("build", repo, "--changes-since", "HEAD~1", "-o", tmp_path / "out", "-f", "html")
    assert code == 0, err
    tree = html_tree(tmp_path / "out" / "sample-book.html")
    marked = [e for e in tree.iter() if "aixbook-changed" in (e.get("class") or "").split()]
    texts = [" ".join("".join(e.itertext()).split()) for e in marked]
    assert [t.split(": ", 1)[0] for t in texts] == ["Changed"] * len(texts)  # the label first
    assert [t for t in texts if EDITED in t] and [t for t in texts if ADDED in t]
    assert len(marked) == 2  # the edited paragraph and the added section's one
    assert "aixbook-changed" not in (block_with(tree, UNCHANGED).get("class") or "")
    (removed,) = [e for e in tree.iter() if "aixbook-removed" in (e.get("class") or "")]
    assert removed.text == f"removed: {words} words" and removed.get("role") == "note"
    assert GONE not in "".join(tree.getroot().itertext())  # the deleted section is not shown
    assert "cottages" not in "".join(tree.getroot().itertext())


def test_html_annex_links_every_change(tmp_path):
    repo = make_repo(tmp_path)
    build(repo, tmp_path / "out", "html")
    tree = html_tree(tmp_path / "out" / "sample-book.html")
    (annex,) = tree.xpath('//section[@id="aixbook-changes"]')
    assert re.fullmatch(r"Changes since HEAD~1 \([0-9a-f]{12}\)", annex.find("h1").text)
    lists = {h.text: next(e for e in h.itersiblings() if e.tag == "ul") for h in annex.iter("h2")}
    assert list(lists) == ["Added", "Changed", "Moved", "Removed", "Short links"]

    def entries(name):
        return [(" ".join("".join(li.itertext()).split()), li.find("a")) for li in lists[name].iter("li")]

    ids = {e.get("id") for e in tree.iter() if e.get("id")}
    for name, text, target in (
        ("Added", "2. Keeping the light › Famous keepers", "famous-keepers"),
        ("Changed", "0. Overview › 0.2 A short history (+3 −1 words)", "02-a-short-history"),
        ("Moved", "2. Keeping the light › Languages of the coast, from 0. Overview", "languages-of-the-coast"),
    ):
        [(got, link)] = entries(name)
        assert got == text and link.get("href").endswith("--" + target) and link.get("href")[1:] in ids
    assert [t for t, _ in entries("Removed")] == ["2. Keeping the light › Examples (34 words)"]
    [(short, _)] = entries("Short links")
    assert short.startswith("/go/lens/: /docs/1_towers_and_lights/#12-fresnel-lenses →")


def bars(page) -> list[tuple[float, float, float, float]]:
    """The change bars WeasyPrint draws on ``page``: a border is a fill of the strip between
    two rectangles (outer, inner) sharing every side but the right one."""
    found = []
    for d in page.get_drawings():
        rects = [item[1] for item in d["items"] if item[0] == "re"]
        if d.get("type") != "f" or len(rects) != 2:
            continue
        a, b = rects
        if (round(a.x0), round(a.y0), round(a.y1)) == (round(b.x0), round(b.y0), round(b.y1)) and a.x1 != b.x1:
            found.append((min(a.x1, b.x1), a.y0, max(a.x1, b.x1), a.y1))
    return found


def border_strips_marked(path: Path, page_number: int) -> list[str]:
    """How the content stream of a page marks each border drawn as two rectangles that differ
    only in width (the change bar is one): the innermost marked-content tag around it."""
    import pikepdf

    with pikepdf.open(path) as pdf:
        ops = pikepdf.parse_content_stream(pdf.pages[page_number])
    tags: list[str] = []
    found: set[str] = set()
    previous = None
    for operands, op in ops:
        name = str(op)
        if name in ("BDC", "BMC"):
            tags.append(str(operands[0]))
        elif name == "EMC" and tags:
            tags.pop()
        elif name == "re":
            rect = [float(v) for v in operands]
            if previous and previous[0:2] == rect[0:2] and previous[3] == rect[3] and previous[2] != rect[2]:
                found.add(tags[-1] if tags else "untagged")
            previous = rect
            continue
        previous = None
    return sorted(found)


def line_of(page, text: str):
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            if text in "".join(s["text"] for s in line["spans"]):
                return line["bbox"]
    return None


@pytest.mark.slow  # lays out the book
def test_pdf_bars_in_the_outer_margin_and_annex_page_numbers(built):
    import pymupdf

    pdf = pymupdf.open(built / "sample-book.pdf")
    text_right = max(b[2] for page in pdf for b in page.get_text("blocks"))  # the text's right edge
    edited = next(page for page in pdf if line_of(page, "Fires on headlands are nearly"))
    line = line_of(edited, "Fires on headlands are nearly")
    strips = [s for s in bars(edited) if s[1] <= line[1] and s[3] >= line[3]]
    assert len(strips) == 1
    x0, _, x1, _ = strips[0]
    assert text_right < x0 < x1 < edited.rect.width - 20  # in the margin, right of the text
    assert 1 <= x1 - x0 <= 2.5  # a thin rule
    assert border_strips_marked(built / "sample-book.pdf", edited.number) == ["/Artifact"]
    calm = next(page for page in pdf if line_of(page, UNCHANGED))
    calm_line = line_of(calm, UNCHANGED)
    assert not [s for s in bars(calm) if s[1] <= calm_line[3] and s[3] >= calm_line[1]]
    # The annex: each entry's page is the page its section starts on (the outline says where).
    toc = pdf.get_toc()
    annex_page = next(p for level, title, p in toc if title.startswith("Changes since HEAD~1"))
    annex_text = "".join(pdf[i].get_text() for i in range(annex_page - 1, pdf.page_count))
    for title, outline_title in (
        ("Famous keepers", "Famous keepers"),
        ("0.2 A short history", "0.2 A short history"),
        ("Languages of the coast", "Languages of the coast"),
    ):
        page = next(p for level, t, p in toc if t == outline_title)
        assert re.search(re.escape(title) + r" \(p\. (\d+)\)", annex_text).group(1) == str(page), title


@pytest.mark.slow  # runs veraPDF on the book
def test_pdf_with_change_bars_is_still_pdf_ua(built):
    from verapdf import summary, validate, verapdf_available

    if reason := verapdf_available():
        pytest.skip(reason)
    pdf = built / "sample-book.pdf"
    result = validate([pdf])[pdf]
    assert result["error"] is None and result["compliant"] and result["failedChecks"] == 0, summary(result)


@pytest.mark.slow  # builds the EPUB (and epubcheck needs Java)
def test_epub_marks_changed_blocks_with_a_class_and_words(built):
    epub = zipfile.ZipFile(built / "sample-book.epub")
    pages = {n: epub.read(n).decode() for n in epub.namelist() if n.endswith(".xhtml")}
    marked = {
        n: re.findall(r'<p class="aixbook-changed"><span class="aixbook-change-label">Changed: </span>', t)
        for n, t in pages.items()
    }
    assert sum(len(v) for v in marked.values()) == 2
    annex = [t for n, t in pages.items() if "aixbook-changes" in n]
    assert len(annex) == 1 and "Changes since HEAD~1" in annex[0] and "Famous keepers" in annex[0]
    nav = next(t for n, t in pages.items() if 'epub:type="toc"' in t)
    assert "Changes since HEAD~1" in nav
    if shutil.which("java"):
        from test_epub import epubcheck_problems

        assert epubcheck_problems(built / "sample-book.epub") == []


@pytest.mark.slow  # lays out the book
def test_a_changed_table_row_has_its_bar_in_the_margin_beside_it(tmp_path):
    import pymupdf

    repo = tmp_path / "repo"
    shutil.copytree(SAMPLE, repo)
    git(repo, "init", "-q")
    commit_all(repo, "the sample book")
    chapter = repo / "content/docs/2_keeping_the_light.md"
    chapter.write_text(
        chapter.read_text(encoding="utf-8").replace("| Polish the brass |", "| Polish the brass and the lamp |"),
        encoding="utf-8",
    )
    code, _, err = run_cli("build", repo, "--changes-since", "HEAD", "-o", tmp_path / "out", "-f", "pdf")
    assert code == 0, err
    path = tmp_path / "out" / "sample-book.pdf"
    pdf = pymupdf.open(path)
    page = next(p for p in pdf if line_of(p, "Polish the brass and the lamp"))
    row = line_of(page, "Polish the brass and the lamp")
    text_right = max(b[2] for b in page.get_text("blocks"))
    rules = [s for s in bars(page) if 1 <= s[2] - s[0] <= 2.5]  # not the table's hairlines
    beside = [s for s in rules if s[1] <= row[3] and s[3] >= row[1]]
    assert len(beside) == 1 and text_right < beside[0][0], beside  # in the margin, at the row
    other = line_of(page, "Paint and repair")
    assert not [s for s in rules if s[1] <= other[3] - 1 and s[3] >= other[1] + 1]
    assert border_strips_marked(path, page.number) == ["/Artifact"]
