"""Issue 3's acceptance: the release PDF, read back with pymupdf as a reader sees it.

Everything here reads the PDF the session fixtures built (``real_build`` for the
AI Exchange, ``sample_build`` for book/): outline, link annotations, the words
printed at the right end of TOC and index lines, glyph ids, fonts, images,
margins, metadata. Never the PDF's bytes.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from functools import cached_property
from urllib.parse import urlsplit

import lxml.html
import pymupdf
import pytest

from helpers import CHAPTERS, EPOCH, SAMPLE, needs_corpus, write_site

# Short links the content itself gets wrong (no redirect, or a redirect to a missing anchor);
# they stay web addresses, marked as dangling.
DANGLING = {
    "adversarialrobustdestillation",
    "anamlousinputhandling",
    "modelinversionandmemberships",
    "privacy",
    "outputconatinsconventionalinjection",
    "disclosureuseoutput",
}
SHORT = re.compile(r"/go(?:to)?/([^/?#]+)/?$")


def norm(text: str) -> str:
    """Text as compared: NFKC, soft hyphens and line-end hyphenation dropped, no spaces."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    text = re.sub(r"-\s*\n\s*", "-", text)
    return re.sub(r"\s+", "", text).casefold()


def norm_loose(text: str) -> str:
    """``norm`` and no hyphens at all (a hyphenated line end may or may not keep its '-')."""
    return norm(text).replace("-", "").replace("\u2010", "")


class Pdf:
    """The built PDF and the bits of the book the tests compare it with."""

    def __init__(self, result):
        self.result = result
        self.book = result.book
        self.path = result.outputs["pdf"]
        self.doc = pymupdf.open(self.path)
        self._words: dict[int, list] = {}

    @cached_property
    def outline(self):
        return self.doc.get_toc(simple=False)

    @cached_property
    def chapter_pages(self) -> list[tuple[str, int, int]]:
        """(title, first page, last page) of each chapter, 0-based, from the outline."""
        starts = [(e[1], e[2] - 1) for e in self.outline if e[0] == 1 and e[1] != "Contents"]
        ends = [p - 1 for _, p in starts[1:]] + [self.doc.page_count - 1]
        return [(t, s, e) for (t, s), e in zip(starts, ends, strict=False)]

    @cached_property
    def toc_pages(self) -> range:
        contents = next(e for e in self.outline if e[0] == 1 and e[1] == "Contents")
        return range(contents[2] - 1, self.chapter_pages[0][1])

    def page_words(self, pno: int) -> list:
        if pno not in self._words:
            self._words[pno] = self.doc[pno].get_text("words")
        return self._words[pno]

    def links(self, pno: int) -> list[dict]:
        return self.doc[pno].get_links()


@pytest.fixture(scope="module")
def pdf(real_build):
    return Pdf(real_build)


def internal(link: dict) -> bool:
    return link["kind"] in (pymupdf.LINK_GOTO, pymupdf.LINK_NAMED)


def link_runs(pdf: Pdf, pages) -> list[dict]:
    """Internal link annotations on ``pages`` grouped into entries: one entry is a run of
    consecutive annotations with the same destination (WeasyPrint writes one annotation
    per line box, plus some for the ::after leader and number)."""
    runs: list[dict] = []
    for pno in pages:
        for link in pdf.links(pno):
            if not internal(link):
                continue
            dest = (link.get("nameddest") or "", link["page"])
            if runs and runs[-1]["dest"] == dest and runs[-1]["pages"][-1] in (pno, pno - 1):
                runs[-1]["rects"].append((pno, link["from"]))
                runs[-1]["pages"].append(pno)
            else:
                runs.append({"dest": dest, "target": link["page"], "rects": [(pno, link["from"])], "pages": [pno]})
    return runs


def run_words(pdf: Pdf, run: dict) -> list[tuple[int, tuple]]:
    """The words (page, word) printed inside the rectangles of one run, in reading order."""
    found = []
    for pno, rect in run["rects"]:
        for w in pdf.page_words(pno):
            cx, cy = (w[0] + w[2]) / 2, (w[1] + w[3]) / 2
            if rect.x0 - 1 <= cx <= rect.x1 + 1 and rect.y0 - 1 <= cy <= rect.y1 + 1:
                found.append((pno, w))
    return sorted(set(found), key=lambda pw: (pw[0], round(pw[1][3]), pw[1][0]))


def number_at_end(pdf: Pdf, run: dict) -> str:
    """The word at the right end of the run's last line: where a page number is printed."""
    words = run_words(pdf, run)
    assert words, f"no text under the link to page {run['target'] + 1}"
    last_page = words[-1][0]
    last_line = max(w[3] for p, w in words if p == last_page)
    line = [w for p, w in words if p == last_page and abs(w[3] - last_line) < 2]
    return max(line, key=lambda w: w[2])[4]


def run_text(pdf: Pdf, run: dict) -> str:
    return " ".join(w[4] for _, w in run_words(pdf, run))


# ------------------------------------------------------------------ structure


@needs_corpus
def test_nine_chapters_in_book_order(pdf):
    level1 = [e[1] for e in pdf.outline if e[0] == 1]
    assert level1[0] == "Contents"
    assert level1[1:] == CHAPTERS
    assert [rc.chapter.source.title for rc in pdf.book.chapters] == CHAPTERS
    assert pdf.doc.page_count > 150


def expected_outline(book) -> list[tuple[int, str]]:
    """(depth, title) of every chapter and h2–h4, nested the way a PDF outline nests:
    a heading one level below its nearest shallower heading (an h4 under an h2 is depth 3)."""
    out = []
    for rc in book.chapters:
        out.append((1, rc.chapter.source.title))
        stack: list[int] = [1]
        for h in rc.headings:
            if not 2 <= h.level <= 4:
                continue
            while stack[-1] >= h.level:
                stack.pop()
            out.append((len(stack) + 1, h.text))
            stack.append(h.level)
    return out


@needs_corpus
def test_outline_has_every_chapter_and_h2_to_h4_heading(pdf):
    got = [(e[0], e[1]) for e in pdf.outline if e[1] != "Contents" or e[0] != 1]
    want = expected_outline(pdf.book)
    assert len(want) >= 225
    assert [t for _, t in got] == [t for _, t in want]
    assert got == want
    assert max(d for d, _ in got) == 4


@needs_corpus
def test_outline_entries_point_at_the_page_that_prints_the_heading(pdf):
    wrong = []
    for _depth, title, page, dest in pdf.outline:
        assert 1 <= page <= pdf.doc.page_count, (title, page)
        pg = pdf.doc[page - 1]
        # the heading is printed at the entry's destination: on its page, from its y down
        below = pymupdf.Rect(0, dest["to"].y - 4, pg.rect.width, pg.rect.height)
        text = pg.get_text(clip=below)
        if not (norm(text).startswith(norm(title)) or norm_loose(text).startswith(norm_loose(title))):
            wrong.append((title, page, text[:40]))
    assert not wrong, f"{len(wrong)} outline entries point at a page without their heading: {wrong[:5]}"


@needs_corpus
def test_toc_page_numbers_are_the_pages_the_links_jump_to(pdf):
    runs = link_runs(pdf, pdf.toc_pages)
    depth = pdf.book.config.toc_depth
    want = sum(
        1 + (0 if rc.chapter.source.title == "Index" else sum(1 for h in rc.headings if 2 <= h.level <= depth))
        for rc in pdf.book.chapters
    )
    assert len(runs) == want >= 120
    wrong = []
    for run in runs:
        printed = number_at_end(pdf, run)
        if printed != str(run["target"] + 1):
            wrong.append((run_text(pdf, run)[:60], printed, run["target"] + 1))
    assert not wrong, f"{len(wrong)} of {len(runs)} TOC entries print a wrong page: {wrong[:5]}"
    # each entry reads as its chapter or heading, in book order, and chapters jump to their start
    titles = [
        t
        for rc in pdf.book.chapters
        for t in [rc.chapter.source.title]
        + ([] if rc.chapter.source.title == "Index" else [h.text for h in rc.headings if 2 <= h.level <= depth])
    ]
    misread = [
        (t, run_text(pdf, r)[:60])
        for t, r in zip(titles, runs, strict=False)
        if not norm_loose(run_text(pdf, r)).startswith(norm_loose(t))
    ]
    assert not misread, misread[:5]
    chapter_runs = [r for r in runs if r["dest"][0] in {rc.chapter.key for rc in pdf.book.chapters}]
    assert [r["target"] for r in chapter_runs] == [s for _, s, _ in pdf.chapter_pages]


# ---------------------------------------------------------------------- links

PERMALINK_LINE = re.compile(r"^\s*>?\s*Permalink:\s*https://owaspai\.org/go(?:to)?/([^/\s]+)/?\s*$", re.M)


def permalink_names(book) -> set[str]:
    """Short names of the "Permalink: https://owaspai.org/go/NAME/" lines of the chapters
    (those after a heading, and a page's own one under its front matter)."""
    names = set()
    for rc in book.chapters:
        names.update(PERMALINK_LINE.findall(rc.chapter.source.body))
        for url, _anchor, _line in rc.chapter.permalinks:
            m = SHORT.search(urlsplit(url).path)
            if m:
                names.add(m.group(1))
    return names


def is_site_link(uri: str) -> bool:
    """A link that should have become a page of the book: the site's short links and
    /docs/ pages (relative or on owaspai.org), or anything on localhost / on disk."""
    parts = urlsplit(uri)
    host = (parts.hostname or "").lower()
    if parts.scheme == "file" or host in ("localhost", "127.0.0.1", "::1"):
        return True
    if host in ("", "owaspai.org", "www.owaspai.org"):
        return re.match(r"^/?(go|goto|docs)/", parts.path) is not None
    return False


def on_permalink_line(page, rect) -> bool:
    """Whether the link sits on a "Permalink: …" line (or on the next line, where a long
    address wraps to): the words before it on its line, or on the line above, say so."""
    height = rect.y1 - rect.y0
    before = page.get_textbox(pymupdf.Rect(0, rect.y0 + 1, rect.x0 - 1, rect.y1 - 1))
    above = page.get_textbox(pymupdf.Rect(0, rect.y0 - height, page.rect.width, rect.y0 - 1))
    return "Permalink:" in before or (before.strip() == "" and "Permalink:" in above)


@needs_corpus
def test_no_link_annotation_points_at_the_website_except_dangling_and_permalinks(pdf):
    permalinks = permalink_names(pdf.book)
    assert len(permalinks) > 100
    offending, dangling, kept = [], set(), set()
    counts = {"uri": 0, "internal": 0}
    for page in pdf.doc:
        for link in page.get_links():
            if internal(link):
                counts["internal"] += 1
                continue
            uri = link.get("uri") or ""
            counts["uri"] += 1
            if not is_site_link(uri):
                continue
            m = SHORT.search(urlsplit(uri).path)
            name = m.group(1) if m else None
            if name in DANGLING:
                dangling.add(name)
            elif (
                name in permalinks
                and uri == f"https://owaspai.org/go/{name}/"
                and on_permalink_line(page, link["from"])
            ):
                kept.add(name)
            else:
                offending.append((page.number + 1, uri))
    assert not offending, f"{len(offending)} links still point at the website: {offending[:8]}"
    assert dangling == DANGLING
    assert len(kept) > 100  # the Permalink lines stay web addresses (what readers cite)
    assert counts["internal"] > 1000


@needs_corpus
def test_every_internal_link_lands_on_an_existing_page(pdf):
    n = 0
    for page in pdf.doc:
        for link in page.get_links():
            if link["kind"] in (pymupdf.LINK_GOTO, pymupdf.LINK_NAMED):
                n += 1
                assert 0 <= link.get("page", -1) < pdf.doc.page_count, (page.number + 1, link)
            assert link["kind"] != pymupdf.LINK_LAUNCH, (page.number + 1, link)
    assert n > 1000


# ---------------------------------------------------------------- type, page


@needs_corpus
def test_no_missing_glyphs_and_every_font_embedded(pdf):
    tofu, chars = [], 0
    for page in pdf.doc:
        for span in page.get_texttrace():
            for ch in span["chars"]:
                chars += 1
                if ch[1] == 0:
                    tofu.append((page.number + 1, chr(ch[0]), span["font"]))
    assert chars > 100_000
    assert not tofu, f"{len(tofu)} characters drawn with glyph 0: {tofu[:10]}"
    fonts = {f[0]: f for page in pdf.doc for f in page.get_fonts()}
    assert fonts
    not_embedded = [f for f in fonts.values() if f[1] in ("n/a", "")]
    assert not not_embedded, not_embedded
    # the fallbacks the content needs are there: emoji and CJK
    names = " ".join(f[3] for f in fonts.values())
    assert "Emoji" in names and "Droid-Sans-Fallback" in names


@needs_corpus
def test_emoji_and_cjk_text_is_printed(pdf):
    text = "".join(page.get_text() for page in pdf.doc)
    for ch in "✅❌":
        assert ch in text
    assert re.search(r"[\uac00-\ud7af]", text), "no Korean text"
    assert re.search(r"[\u4e00-\u9fff]", text), "no Chinese text"


@needs_corpus
def test_nothing_is_printed_outside_the_page(pdf):
    outside = []
    for page in pdf.doc:
        box = page.rect + (-1, -1, 1, 1)  # noqa: RUF005 (pymupdf: a Rect plus a tuple is the Rect grown by it)
        for block in page.get_text("dict")["blocks"]:
            for line in block.get("lines", ()):
                for span in line["spans"]:
                    if span["text"].strip() and pymupdf.Rect(span["bbox"]) not in box:
                        outside.append((page.number + 1, span["text"][:30], span["bbox"]))
        for img in page.get_image_info():
            if pymupdf.Rect(img["bbox"]) not in box:
                outside.append((page.number + 1, "image", img["bbox"]))
    assert not outside, f"{len(outside)} spans beyond the page edge: {outside[:5]}"


@needs_corpus
def test_every_image_on_disk_is_embedded_and_the_front_page_shows_artwork_and_date(pdf):
    from aixbook.links import image_file

    embedded = {}
    for page in pdf.doc:
        for img in page.get_images(full=True):
            embedded.setdefault(img[0], (img[2], img[3], page.number))
    sizes = {(w, h) for w, h, _ in embedded.values()}
    used = {p for rc in pdf.book.chapters for p in rc.images}
    assert len(used) >= 25
    not_in = []
    for rel in sorted(used):
        file = image_file(pdf.book.site, rel)
        assert file.is_file(), rel
        pix = pymupdf.Pixmap(str(file)) if not str(file).endswith(".svg") else None
        if pix is not None and (pix.width, pix.height) not in sizes:
            not_in.append(rel)
    assert not not_in, f"images used but not embedded: {not_in}"
    assert len(embedded) >= len(used) + 1  # + the front page artwork
    # the missing ones show as a visible box naming the file
    missing = {p for rc in pdf.book.chapters for p in rc.missing_images}
    text = "".join(page.get_text() for page in pdf.doc)
    for rel in missing:
        assert rel.rsplit("/", 1)[-1] in text, f"no visible placeholder for the missing image {rel}"

    front = pdf.doc[0]
    art = [i for i in front.get_image_info() if i["bbox"][2] - i["bbox"][0] > front.rect.width / 2]
    assert art, "the front page shows no artwork"
    date = datetime.fromtimestamp(int(EPOCH), tz=UTC)
    assert f"{date.day} {date.strftime('%B %Y')}" in front.get_text()


@needs_corpus
def test_index_entries_print_the_page_of_their_target(pdf):
    title, first, last = pdf.chapter_pages[-1]
    assert title == "Index"
    letters = [e for e in pdf.outline if e[0] == 2 and e[2] - 1 >= first]
    assert letters and letters[0][1] == "A"
    start_page, start_y = letters[0][3]["page"], letters[0][3]["to"].y
    runs = []
    for run in link_runs(pdf, range(first, last + 1)):
        pno, rect = run["rects"][0]
        if pno > start_page or (pno == start_page and rect.y0 >= start_y - 2):
            runs.append(run)
    # as many entries as the chapter has internal links below its first letter heading
    rc = next(rc for rc in pdf.book.chapters if rc.chapter.source.title == "Index")
    root = lxml.html.fragment_fromstring(rc.html, create_parent="div")
    seen_heading, want = False, 0
    for el in root.iter():
        if el.tag in ("h2", "h3"):
            seen_heading = True
        elif seen_heading and el.tag == "a" and (el.get("href") or "").startswith("#"):
            want += 1
    assert len(runs) == want >= 40
    wrong = [
        (run_text(pdf, r)[:50], number_at_end(pdf, r), r["target"] + 1)
        for r in runs
        if number_at_end(pdf, r) != str(r["target"] + 1)
    ]
    assert not wrong, f"{len(wrong)} of {len(runs)} index entries print a wrong page: {wrong[:5]}"


def margin_text(page, top: bool, band: float = 56) -> str:
    """The words printed in the top (or bottom) margin: centre within ``band`` pt of the edge
    (the page margins are 22 mm = 62 pt; body text starts below that)."""
    h = page.rect.height
    words = [w for w in page.get_text("words") if ((w[1] + w[3]) / 2 < band if top else (w[1] + w[3]) / 2 > h - band)]
    return " ".join(w[4] for w in words)


@needs_corpus
def test_running_header_and_footer(pdf):
    total = pdf.doc.page_count
    for pno in range(1, total):
        footer = margin_text(pdf.doc[pno], top=False)
        assert f"{pno + 1} / {total}" in footer, (pno + 1, footer)
    for title, first, last in pdf.chapter_pages:
        for pno in range(first + 1, last + 1):
            header = margin_text(pdf.doc[pno], top=True)
            assert norm(title) in norm(header), (pno + 1, title, header)
        # the chapter's first page opens with its big title, not a running header
        assert margin_text(pdf.doc[first], top=True) == "", (first + 1, title)
    # the contents open like a chapter (no head over their title); their later pages say "Contents"
    first_toc, *more_toc = pdf.toc_pages
    assert margin_text(pdf.doc[first_toc], top=True) == "", first_toc + 1
    assert more_toc
    for pno in more_toc:
        assert "Contents" in margin_text(pdf.doc[pno], top=True)
    front = pdf.doc[0]
    assert margin_text(front, top=True).strip() == ""
    assert margin_text(front, top=False).strip() == ""
    assert not re.search(r"\b1 / \d+\b", front.get_text())


@needs_corpus
def test_metadata(pdf):
    cfg = pdf.book.config
    meta = pdf.doc.metadata
    assert meta["title"] == cfg.title
    assert meta["author"] == ", ".join(cfg.authors)
    assert meta["keywords"]
    assert meta["creationDate"].startswith("D:" + datetime.fromtimestamp(int(EPOCH), tz=UTC).strftime("%Y%m%d"))
    cat = pdf.doc.pdf_catalog()
    assert pdf.doc.xref_get_key(cat, "Lang") == ("string", cfg.language)
    # Tagged (structure tree, MarkInfo) exactly when a PDF variant is configured.
    if cfg.pdf_variant == "none":
        assert pdf.doc.xref_get_key(cat, "StructTreeRoot")[0] == "null"
    else:
        assert pdf.doc.xref_get_key(cat, "StructTreeRoot")[0] == "xref"
        assert "true" in pdf.doc.xref_get_key(cat, "MarkInfo")[1].lower()


# ---------------------------------------------------------------- sample book


def test_sample_book_builds_with_outline_and_real_glyphs(sample_build):
    doc = pymupdf.open(sample_build.outputs["pdf"])
    titles = [e[1] for e in doc.get_toc() if e[0] == 1]
    assert titles[0] == "Contents"
    assert titles[1:] == [rc.chapter.source.title for rc in sample_build.book.chapters]
    assert len(titles) >= 3
    tofu = [(p.number + 1, chr(c[0])) for p in doc for s in p.get_texttrace() for c in s["chars"] if c[1] == 0]
    assert not tofu
    assert doc.metadata["title"] == sample_build.book.config.title


@pytest.mark.slow  # the sample book laid out twice more
def test_letter_paper_and_xref_pages(tmp_path):
    """book.toml/CLI options a print user asks for: Letter paper, "(p. N)" after internal links."""
    from aixbook.build import build

    result = build(SAMPLE, ("pdf",), tmp_path, paper="Letter", xref_pages=True, toc_depth=2)
    doc = pymupdf.open(result.outputs["pdf"])
    assert (round(doc[0].rect.width), round(doc[0].rect.height)) == (612, 792)
    text = " ".join(page.get_text() for page in doc)
    refs = re.findall(r"\(p\. (\d+)\)", text)
    assert len(refs) > 10 and all(1 <= int(n) <= doc.page_count for n in refs)
    toc_levels = {lvl for lvl, *_ in doc.get_toc()}
    assert 2 in toc_levels
    toc_page = doc[1].get_text()
    assert "Examples" not in toc_page  # h3 are left out of the contents at depth 2


@pytest.mark.parametrize("variant, tagged", [(None, True), ("none", False)])
def test_pdf_is_tagged_unless_pdf_variant_is_none(tmp_path, variant, tagged):
    from aixbook.build import build

    files = {"book.toml": f'pdf_variant = "{variant}"\n'} if variant else None
    site = write_site(tmp_path / "s", {"docs/a.md": "## A\n\ntext\n"}, files=files)
    doc = pymupdf.open(build(site, ("pdf",), tmp_path / "out").outputs["pdf"])
    cat = doc.pdf_catalog()
    assert (doc.xref_get_key(cat, "StructTreeRoot")[0] == "xref") is tagged
    assert ("true" in doc.xref_get_key(cat, "MarkInfo")[1].lower()) is tagged
