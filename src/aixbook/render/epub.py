"""Book → EPUB 3 (ebooklib): one XHTML file per chapter (large ones split at h2),
a nested nav with landmarks, an NCX, a cover, accessibility metadata.

The chapters' HTML comes from ``assemble.chapter_fragment`` (the same preparation
the one-page document gets). Here it is made into well-formed XHTML: parsed with
lxml's HTML parser (which repairs unclosed ``<br>`` and treats ``<<<TEXT>>>`` as
text), elements and attributes that EPUB's XHTML does not allow are renamed or
dropped (never their text), and every ``href="#uid"`` is rewritten to the file
that holds ``uid`` once all files are known.

ebooklib writes the package; its zip entries carry the current time, so the
archive is rewritten afterwards with fixed dates (``SOURCE_DATE_EPOCH``), the
``mimetype`` entry first and stored.
"""
from __future__ import annotations

import html as htmllib
import io
import logging
import mimetypes
import re
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ebooklib import epub
from lxml import etree

from .. import __version__
from ..assemble import build_date, chapter_fragment, front_page, is_index_chapter, toc_html
from ..errors import BuildError
from ..htmlfrag import remove_keep_tail
from ..model import Book, ResolvedChapter
from ..resources import STYLES_DIR
from . import RenderOptions, RenderResult, capture_warnings

log = logging.getLogger(__name__)

SUFFIX = ".epub"

#: A chapter whose XHTML is larger than this is split at its h2 headings into
#: files of about this size (small readers slow down on big files).
SPLIT_BYTES = 80_000

XHTML_NS = "http://www.w3.org/1999/xhtml"
OPS_NS = "http://www.idpf.org/2007/ops"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EPUB_TYPE = f"{{{OPS_NS}}}type"
_X = f"{{{XHTML_NS}}}"

STYLESHEET = "styles/epub.css"
CORE_IMAGE_TYPES = {"image/gif", "image/jpeg", "image/png", "image/svg+xml", "image/webp"}

_XML_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NCNAME = re.compile(r"^[A-Za-z_][\w.-]*$", re.UNICODE)
_NCNAME_BAD = re.compile(r"[^\w.-]", re.UNICODE)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
_INT = re.compile(r"^\s*(\d+)(?:px)?\s*$")
_ARIA_DATA = re.compile(r"^(?:aria|data)-[a-z0-9_.-]+$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_HTML_PARSER = etree.HTMLParser(encoding="utf-8")

# HTML elements allowed in an EPUB 3 XHTML body (the rest is renamed, see _OBSOLETE).
_ELEMENTS = frozenset("""
a abbr address article aside b bdi bdo blockquote br caption cite code col colgroup data dd del
details dfn div dl dt em figcaption figure footer h1 h2 h3 h4 h5 h6 header hgroup hr i img input
ins kbd li main mark nav ol p pre q rp rt ruby s samp section small span strong sub summary sup
table tbody td tfoot th thead time tr u ul var wbr
""".split())
_VOID = frozenset("br hr img input col wbr".split())
_BLOCK = frozenset("""address article aside blockquote details div dl figure footer h1 h2 h3 h4 h5 h6
header hr main nav ol p pre section table ul""".split())
_OBSOLETE = {"center": "div", "font": "span", "tt": "code", "strike": "s", "big": "span",
             "acronym": "abbr", "listing": "pre", "xmp": "pre", "plaintext": "pre", "nobr": "span",
             "blink": "span", "marquee": "div", "dir": "ul", "menu": "ul"}
# Elements whose content is not text a reader should see.
_DROP = frozenset("script style noscript template head title meta link base".split())
# Embedded media: shown as a link to what they embed.
_EMBEDS = frozenset("iframe video audio embed object source track frame frameset applet".split())

_GLOBAL_ATTRS = frozenset("id class style title lang dir hidden role tabindex translate".split())
_ELEMENT_ATTRS = {
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope", "abbr"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "col": {"span"},
    "colgroup": {"span"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "time": {"datetime"},
    "data": {"value"},
    "input": {"type", "checked", "disabled", "value", "name"},
    "details": {"open"},
}
_INT_ATTRS = {"width", "height", "colspan", "rowspan", "start", "span", "value"}
_BOOL_ATTRS = {"checked", "disabled", "reversed", "open", "hidden"}
_ALIGN = {"left", "right", "center", "justify"}
_VALIGN = {"top", "middle", "bottom", "baseline"}


@dataclass
class _Part:
    """One XHTML file of a chapter."""

    name: str
    chapter: ResolvedChapter
    section: object                   # lxml element (no namespace yet)
    title: str


@dataclass
class _Package:
    """What the pages refer to: image files by the URL the HTML uses."""

    names: dict[str, str] = field(default_factory=dict)        # HTML url → package file name
    files: dict[str, Path] = field(default_factory=dict)       # package file name → file on disk
    convert: set[str] = field(default_factory=set)             # package names to convert to PNG
    taken: set[str] = field(default_factory=set)               # lower-cased names in use
    by_file: dict[Path, str] = field(default_factory=dict)

    def add(self, url: str, path: Path, *, name: str | None = None) -> str:
        key = path.resolve()
        if key in self.by_file:
            self.names[url] = self.by_file[key]
            return self.by_file[key]
        name = _unique(name or _package_name(url), self.taken)
        media = mimetypes.guess_type(name)[0] or ""
        if media not in CORE_IMAGE_TYPES:
            name = _unique(str(Path(name).with_suffix(".png")), self.taken)
            self.convert.add(name)
        self.names[url] = name
        self.files[name] = path
        self.by_file[key] = name
        return name


def check(book: Book) -> list:
    """Nothing beyond the book's own diagnostics: e-readers bring their own fonts."""
    return []


def render(book: Book, target: Path, options: RenderOptions = RenderOptions()) -> RenderResult:
    """Write ``book`` as an EPUB 3 file to ``target``; warnings are the links it could not place."""
    with capture_warnings(__name__, "epub") as warnings:
        render_epub(book, target)
    return RenderResult(warnings=warnings)


def render_epub(book: Book, path: Path | str) -> Path:
    """Write ``book`` as an EPUB 3 file to ``path``.

    Args:
        book: a Book from ``load_book``.
        path: the file to write (the caller renames it into place).

    Returns:
        ``path``.

    Raises:
        BuildError: a page could not be made well-formed, or the file could not be written.
    """
    start = time.perf_counter()
    path = Path(path)
    cfg = book.config
    lang = cfg.language or "en"
    title = cfg.title or "Untitled"
    stamp = build_date()

    # Chapters first: split them, then learn which file holds every id.
    resources: dict[str, Path] = {}
    parts, first_file, generated_alt = _chapter_parts(book, resources)
    file_of: dict[str, str] = {}
    for part in parts:
        _index_ids(part.section, part.name, file_of)
    file_of.update(first_file)            # a chapter's own id: its first file

    front_resources: dict[str, Path] = {}
    front = _fragment_root(front_page(book, front_resources))
    _sanitize(front, book)
    for img in front.iter("img"):
        if not (img.get("alt") or "").strip():
            img.set("alt", "")
            img.set("role", "presentation")     # title artwork: the cover page shows it already
    _index_ids(front, "front.xhtml", {})
    toc_root = _fragment_root(toc_html(book, list(book.chapters), cfg.toc_depth))
    _sanitize(toc_root, book)

    package = _Package()
    for url, file in {**resources, **front_resources}.items():
        package.add(url, file)
    cover_name, cover_alt = _cover_image(book, front, front_resources, package)

    # Links and images, now that every file is known.
    unresolved: list[str] = []
    for root, name in [*((p.section, p.name) for p in parts), (front, "front.xhtml"), (toc_root, "toc.xhtml")]:
        _rewrite(root, name, file_of, book, package, unresolved)
    for uid in unresolved:
        log.warning("EPUB: link to #%s has no target in the book; written as plain text", uid)

    eb = epub.EpubBook()
    eb.FOLDER_NAME = "EPUB"
    _metadata(eb, book, title, lang, stamp)
    _accessibility(eb, has_images=bool(package.files) or cover_name is not None, all_alt=generated_alt == 0)
    eb.add_item(epub.EpubItem(uid="style", file_name=STYLESHEET, media_type="text/css",
                              content=(STYLES_DIR / "epub.css").read_bytes()))
    for name, file in package.files.items():
        data = _image_bytes(file, name in package.convert)
        if name == cover_name:
            eb.set_cover(name, data, create_page=False)
        else:
            eb.add_item(epub.EpubImage(uid=_item_id("img", name), file_name=name, content=data))
    if cover_name is None:
        cover_name = _unique("images/cover.svg", package.taken)
        cover_alt = f"Cover of {title}"
        eb.set_cover(cover_name, _svg_cover(book).encode("utf-8"), create_page=False)

    spine = [
        _Page("cover", "cover.xhtml", "Cover", _cover_xhtml(title, lang, cover_name, cover_alt)),
        _Page("front", "front.xhtml", title, _page(
            title, lang, _wrap("section", front, cls="front-page", etype="titlepage", id_="front-page"),
            body_class="front")),
        _Page("toc-page", "toc.xhtml", "Contents", _page(
            "Contents", lang, _wrap("section", toc_root, cls="toc-page"), body_class="toc")),
    ]
    for part in parts:
        body_class = "index" if is_index_chapter(part.chapter) else "chapter"
        spine.append(_Page(_item_id("x", part.name), part.name, part.title,
                           _page(part.title, lang, part.section, body_class=body_class)))
    for page in spine:
        eb.add_item(page)
    eb.spine = spine

    nav = epub.EpubNav(uid="nav", file_name="nav.xhtml", title="Contents")
    nav.add_link(href=STYLESHEET, rel="stylesheet", type="text/css")
    eb.add_item(nav)
    eb.add_item(epub.EpubNcx())
    eb.toc = _nav_tree(book, file_of, first_file) or [epub.Link("front.xhtml", title, "nav-front")]
    eb.guide = _landmarks(book, parts, first_file)

    buf = io.BytesIO()
    try:
        epub.write_epub(buf, eb, {"raise_exceptions": True, "epub3_pages": False, "mtime": stamp,
                                  "compresslevel": 0, "landmark_title": "Landmarks"})
    except Exception as exc:  # ebooklib raises bare Exceptions for bad input
        raise BuildError(f"EPUB could not be written: {exc}") from exc
    data = _reproducible_zip(buf.getvalue(), stamp)
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise BuildError(f"cannot write {path}: {exc}") from exc
    log.info("EPUB: %d pages, %d images, %.0f KB in %.2f s", len(spine), len(package.files),
             len(data) / 1024, time.perf_counter() - start)
    return path


def _chapter_parts(book: Book, resources: dict[str, Path]) -> tuple[list["_Part"], dict[str, str], int]:
    """Every chapter as one or more files; {chapter key: first file}; how many alt texts were made up."""
    taken: set[str] = {"cover.xhtml", "front.xhtml", "toc.xhtml", "nav.xhtml"}
    parts: list[_Part] = []
    first_file: dict[str, str] = {}
    made_up = 0
    for rc in book.chapters:
        section, n_alt = _chapter_section(book, rc, resources)
        made_up += n_alt
        chapter_parts = _split(rc, section, taken)
        first_file[rc.chapter.key] = chapter_parts[0].name
        parts.extend(chapter_parts)
    return parts, first_file, made_up


def _metadata(eb: epub.EpubBook, book: Book, title: str, lang: str, stamp: datetime) -> None:
    cfg = book.config
    eb.set_identifier(cfg.identifier or f"urn:aixbook:{book.site.base_url}")
    eb.set_title(title)
    eb.set_language(lang)
    for i, author in enumerate(cfg.authors or (title,)):
        eb.add_author(author, uid=f"creator{i + 1}")
    if cfg.publisher:
        eb.add_metadata("DC", "publisher", cfg.publisher)
    eb.add_metadata("DC", "date", stamp.strftime("%Y-%m-%d"))
    if cfg.subtitle:
        eb.add_metadata("DC", "description", cfg.subtitle)
    eb.add_metadata("DC", "source", book.site.base_url)
    for word in cfg.keywords:
        eb.add_metadata("DC", "subject", word)
    eb.add_metadata(None, "meta", "", {"name": "generator", "content": f"aixbook {__version__}"})


def _landmarks(book: Book, parts: list["_Part"], first_file: dict[str, str]) -> list[dict]:
    """ebooklib's guide: written as EPUB 3 landmarks and the EPUB 2 guide ("text" → bodymatter)."""
    marks = [{"href": "cover.xhtml", "title": "Cover", "type": "cover"},
             {"href": "toc.xhtml", "title": "Contents", "type": "toc"}]
    if parts:
        marks.append({"href": parts[0].name, "title": "Start of content", "type": "text"})
    index = next((rc for rc in book.chapters if is_index_chapter(rc)), None)
    if index is not None:
        marks.append({"href": first_file[index.chapter.key], "title": index.chapter.source.title,
                      "type": "index"})
    return marks


# ------------------------------------------------------------ pages

class _Page(epub.EpubHtml):
    """An XHTML document written exactly as made here (ebooklib would re-parse it as HTML)."""

    def __init__(self, uid: str, file_name: str, title: str, data: bytes, properties=()):
        super().__init__(uid=uid, file_name=file_name, title=title, media_type="application/xhtml+xml")
        self._data = data
        self.properties = list(properties)

    def get_content(self, default=None) -> bytes:
        return self._data


def _page(title: str, lang: str, section, body_class: str) -> bytes:
    """A complete XHTML document around ``section`` (an lxml element without namespace)."""
    root = etree.Element(_X + "html", nsmap={None: XHTML_NS, "epub": OPS_NS})
    root.set("lang", lang)
    root.set(XML_LANG, lang)
    head = etree.SubElement(root, _X + "head")
    etree.SubElement(head, _X + "meta", charset="utf-8")
    etree.SubElement(head, _X + "title").text = title
    etree.SubElement(head, _X + "link", rel="stylesheet", type="text/css", href=STYLESHEET)
    body = etree.SubElement(root, _X + "body")
    body.set("class", body_class)
    for el in section.iter():
        el.tag = _X + el.tag
        if el.text is None and len(el) == 0 and el.tag[len(_X):] not in _VOID:
            el.text = ""          # <p></p>, not <p/>: safe for readers that parse HTML
    body.append(section)
    data = etree.tostring(root, encoding="utf-8", xml_declaration=True, doctype="<!DOCTYPE html>")
    try:
        etree.fromstring(data)
    except etree.XMLSyntaxError as exc:   # a bug here, never the content's fault
        raise BuildError(f"EPUB page '{title}' is not well-formed XHTML: {exc}") from exc
    return data


def _cover_xhtml(title: str, lang: str, image: str, alt: str) -> bytes:
    section = etree.Element("section")
    section.set("class", "cover")
    section.set(EPUB_TYPE, "cover")
    img = etree.SubElement(section, "img", src=image, alt=alt)
    img.set("class", "cover-image")
    return _page(title, lang, section, body_class="cover")


def _wrap(tag: str, root, *, cls: str, etype: str | None = None, id_: str | None = None):
    """``root``'s content in a new ``tag`` element (``root`` is a parsed fragment's parent)."""
    el = etree.Element(tag)
    el.set("class", cls)
    if etype:
        el.set(EPUB_TYPE, etype)
    if id_:
        el.set("id", id_)
    if root.text and root.text.strip():
        p = etree.SubElement(el, "p")
        p.text = root.text
    for child in list(root):
        el.append(child)
    return el


# ------------------------------------------------------------ chapters

def _fragment_root(html: str):
    """A fragment parsed as HTML, under a <div>. Plain lxml elements, not lxml.html's classes,
    whose per-element class lookup costs a third of the time."""
    text = _XML_BAD_CHARS.sub("", html or "").strip() or "<p></p>"
    doc = etree.fromstring(f"<html><body>{text}</body></html>".encode("utf-8"), _HTML_PARSER)
    body = doc.find("body")
    if body is None:             # libxml2 drops an empty body
        body = etree.SubElement(doc, "body")
    body.tag = "div"
    return body


def _text(el) -> str:
    return "".join(el.itertext()).strip()


def _chapter_section(book: Book, rc: ResolvedChapter, resources: dict[str, Path]):
    """The chapter as a <section> (title and content), sanitised; and how many alts were made up."""
    root = _fragment_root(chapter_fragment(book, rc, resources))
    n_alt = _alt_texts(root, rc)
    _sanitize(root, book)
    title = rc.chapter.source.title
    section = etree.Element("section")
    section.set("id", rc.chapter.key)
    section.set("class", "chapter index-chapter" if is_index_chapter(rc) else "chapter")
    section.set(EPUB_TYPE, "chapter")
    section.set("role", "doc-chapter")
    h1 = etree.SubElement(section, "h1")
    h1.set("class", "chapter-title")
    h1.text = title
    if root.text and root.text.strip():
        p = etree.SubElement(section, "p")
        p.text = root.text
    for child in list(root):
        section.append(child)
    return section, n_alt


def _alt_texts(root, rc: ResolvedChapter) -> int:
    """Give content images without alt text a short one: the caption, else the section it illustrates."""
    made = 0
    heading = rc.chapter.source.title
    for el in root.iter():
        if el.tag in ("h2", "h3", "h4", "h5", "h6"):
            heading = _text(el) or heading
        elif el.tag == "img" and el.get("data-alt-generated"):
            made += 1
        elif el.tag == "img" and not (el.get("alt") or "").strip():
            if el.get("role") == "presentation" or "decorative" in (el.get("class") or ""):
                el.set("alt", "")
                continue
            caption = (el.get("title") or "").strip()
            if not caption:
                fig = next((a for a in el.iterancestors() if a.tag == "figure"), None)
                cap = fig.find("figcaption") if fig is not None else None
                caption = _text(cap) if cap is not None else ""
            el.set("alt", caption or f"Figure in “{heading}”")
            made += 1
    return made


def _split(rc: ResolvedChapter, section, taken: set[str]) -> list[_Part]:
    """The chapter in one file, or (when large) in files of about SPLIT_BYTES cut at h2 (or h3)."""
    key = rc.chapter.key
    title = rc.chapter.source.title
    children = list(section)
    sizes = [len(etree.tostring(c, encoding="utf-8")) for c in children]
    if sum(sizes) <= SPLIT_BYTES:
        return [_Part(_unique(_file_stem(key) + ".xhtml", taken), rc, section, title)]
    groups = _groups(children, sizes)
    if len(groups) == 1:
        return [_Part(_unique(_file_stem(key) + ".xhtml", taken), rc, section, title)]
    parts = []
    for i, group in enumerate(groups):
        name = _unique(f"{_file_stem(key)}-{i + 1:02d}.xhtml", taken)
        if i == 0:
            sec = section      # keeps id, title, epub:type; the rest moves out
        else:
            sec = etree.Element("section")
            sec.set("class", section.get("class") + " chapter-continued")
            sec.set(EPUB_TYPE, "chapter")
            sec.set("role", "doc-chapter")
            sec.set("aria-label", title)
            for child in group:
                sec.append(child)
        first_heading = next((c for c in group if c.tag in ("h2", "h3")), None)
        part_title = title if i == 0 or first_heading is None else \
            f"{title} — {_text(first_heading)}"
        parts.append(_Part(name, rc, sec, part_title))
    return parts


def _groups(children, sizes) -> list[list]:
    """Top-level nodes cut into runs that start at an h2 (an oversized run also at h3), packed greedily."""
    units: list[tuple[list, int]] = []
    cur: list = []
    cur_size = 0
    for child, size in zip(children, sizes):
        if child.tag == "h2" and cur:
            units.append((cur, cur_size))
            cur, cur_size = [], 0
        cur.append((child, size))
        cur_size += size
    if cur:
        units.append((cur, cur_size))
    fine: list[tuple[list, int]] = []
    for unit, size in units:            # a single h2 run that is too big: cut at its h3s
        if size <= SPLIT_BYTES:
            fine.append(([c for c, _ in unit], size))
            continue
        cur, cur_size = [], 0
        for child, s in unit:
            if child.tag == "h3" and cur:
                fine.append((cur, cur_size))
                cur, cur_size = [], 0
            cur.append(child)
            cur_size += s
        if cur:
            fine.append((cur, cur_size))
    groups: list[list] = []
    cur, cur_size = [], 0
    for unit, size in fine:
        # A file holding nothing but a title would show readers an empty screen.
        only_headings = all(isinstance(c.tag, str) and re.fullmatch(r"h[1-6]", c.tag) for c in cur)
        if cur and cur_size + size > SPLIT_BYTES and not only_headings:
            groups.append(cur)
            cur, cur_size = [], 0
        cur.extend(unit)
        cur_size += size
    if cur:
        groups.append(cur)
    return groups


def _file_stem(key: str) -> str:
    return _SAFE_NAME.sub("_", key) or "chapter"


def _unique(name: str, taken: set[str]) -> str:
    base, dot, ext = name.rpartition(".")
    if not dot:
        base, ext = name, ""
    cand, n = name, 1
    while cand.lower() in taken:
        n += 1
        cand = f"{base}-{n}{dot}{ext}"
    taken.add(cand.lower())
    return cand


def _item_id(prefix: str, name: str) -> str:
    return f"{prefix}-{_SAFE_NAME.sub('_', name.rsplit('.', 1)[0].replace('/', '-'))}"


def _package_name(url: str) -> str:
    segs = [s for s in url.split("?", 1)[0].split("#", 1)[0].split("/") if s not in ("", ".", "..")]
    segs = [_SAFE_NAME.sub("_", s) for s in segs] or ["image"]
    if len(segs) == 1:
        segs.insert(0, "images")
    return "/".join(segs)


# ------------------------------------------------------------ sanitising

def _sanitize(root, book: Book) -> None:
    """Make a parsed HTML fragment fit EPUB's XHTML, keeping every piece of text."""
    for node in list(root.iter()):
        tag = node.tag
        if not isinstance(tag, str):          # comments and processing instructions
            remove_keep_tail(node)
            continue
        if node is root:
            continue
        if tag in _DROP:
            remove_keep_tail(node)
            continue
        if tag in _EMBEDS:
            _embed_to_link(node)
            continue
        if tag not in _ELEMENTS:
            style = ""
            if tag == "center":
                style = "text-align: center"
            new = _OBSOLETE.get(tag)
            if new is None:
                new = "div" if any(isinstance(c.tag, str) and c.tag in _BLOCK for c in node) else "span"
            node.tag = new
            if style:
                node.set("style", f"{style}; {node.get('style')}" if node.get("style") else style)
            tag = new
        _attributes(node, tag)
        if tag == "a":
            _link(node, book)


def _embed_to_link(node) -> None:
    src = node.get("src") or node.get("data") or ""
    if not src:
        for child in node.iter("source"):
            src = child.get("src") or ""
            if src:
                break
    if src and _SCHEME.match(src) and src.lower().startswith(("http:", "https:")):
        a = etree.Element("a")
        a.set("href", src)
        a.text = node.get("title") or src
        a.tail = node.tail
        node.getparent().replace(node, a)
    else:
        text = _text(node)
        span = etree.Element("span")
        span.text = text
        span.tail = node.tail
        node.getparent().replace(node, span)


def _attributes(node, tag: str) -> None:
    allowed = _ELEMENT_ATTRS.get(tag, ())
    styles = []
    for name, value in list(node.attrib.items()):
        if name in _GLOBAL_ATTRS or name in allowed or _ARIA_DATA.match(name):
            if name in _INT_ATTRS and name in allowed and (name != "value" or tag == "li"):
                m = _INT.match(value)
                if not m or (name in ("colspan", "rowspan", "span") and int(m.group(1)) == 0):
                    del node.attrib[name]
                else:
                    node.set(name, m.group(1))
            elif name in _BOOL_ATTRS:
                node.set(name, name)
            elif name == "id" and not _NCNAME.match(value):
                fixed = _NCNAME_BAD.sub("-", value)
                node.set("id", fixed if _NCNAME.match(fixed) else "x-" + fixed)
            elif name == "dir" and value.lower() not in ("ltr", "rtl", "auto"):
                del node.attrib[name]
            continue
        del node.attrib[name]
        v = value.strip().lower()
        if name == "align" and v in _ALIGN:
            styles.append(f"text-align: {v}" if tag not in ("img", "table") else
                          ("float: " + v if v in ("left", "right") else "margin: 0 auto"))
        elif name == "valign" and v in _VALIGN:
            styles.append(f"vertical-align: {v}")
        elif name == "name" and tag == "a" and not node.get("id") and _NCNAME.match(value):
            node.set("id", value)
    if styles:
        old = node.get("style")
        node.set("style", "; ".join(styles) + (f"; {old}" if old else ""))


def _link(a, book: Book) -> None:
    href = (a.get("href") or "").strip()
    if "permalink" in (a.get("class") or "").split():
        # The section's web address, shown for citing: the book holds the section itself.
        a.tag = "span"
        a.attrib.pop("href", None)
        return
    if not href:
        a.attrib.pop("href", None)
        return
    if href.startswith("#"):
        return
    if href.lower().startswith("javascript:"):
        a.attrib.pop("href", None)
    elif not _SCHEME.match(href):
        # Everything relative was resolved by links.py; whatever is left is on the website.
        a.set("href", book.site.web_url(href))


def _index_ids(root, name: str, file_of: dict[str, str]) -> None:
    """Record where each id is; drop repeated ids within one file (links go to the first)."""
    seen: set[str] = set()
    for el in root.iter():
        el_id = el.get("id")
        if el_id is None:
            continue
        if el_id in seen:
            del el.attrib["id"]
            continue
        seen.add(el_id)
        file_of.setdefault(el_id, name)


def _rewrite(root, name: str, file_of: dict[str, str], book: Book, package: _Package,
             unresolved: list[str]) -> None:
    for el in list(root.iter("a", "img")):
        if el.tag == "img":
            src = el.get("src", "")
            if src in package.names:
                el.set("src", package.names[src])
            elif not src.startswith("data:"):
                # not a file of the package (cannot happen for resolved images): show its text
                span = etree.Element("span")
                span.set("class", "image-placeholder")
                span.text = el.get("alt") or src
                span.tail = el.tail
                el.getparent().replace(el, span)
            continue
        href = el.get("href", "")
        if not href.startswith("#"):
            continue
        uid = href[1:]
        target = file_of.get(uid)
        if target is None:
            key = book.anchors.get(uid)
            target = file_of.get(key) if key else None
            if target is None:
                unresolved.append(uid)
                del el.attrib["href"]
                continue
            el.set("href", target)
        elif uid in book.anchors and book.anchors[uid] == uid and target != name:
            el.set("href", target)                       # a chapter's start: its first file
        elif target != name:
            el.set("href", f"{target}#{uid}")


# ------------------------------------------------------------ navigation

def _nav_tree(book: Book, file_of: dict[str, str], first_file: dict[str, str]) -> list:
    """book.toc for ebooklib: chapters → h2 → h3 (down to toc_depth)."""
    depth = max(book.config.toc_depth, 1)
    toc: list = []
    for rc in book.chapters:
        key = rc.chapter.key
        title = rc.chapter.source.title or key
        heads = [h for h in rc.headings if 2 <= h.level <= depth and h.uid in file_of]
        children = _nav_children(heads, file_of)
        if children:
            toc.append((epub.Section(title, href=first_file[key]), children))
        else:
            toc.append(epub.Link(first_file[key], title, f"nav-{key}"))
    return toc


def _nav_children(heads, file_of) -> list:
    out: list = []
    stack: list[tuple[int, list]] = [(1, out)]
    for h in heads:
        while stack[-1][0] >= h.level:
            stack.pop()
        link = epub.Link(f"{file_of[h.uid]}#{h.uid}", h.text.strip() or h.id, f"nav-{h.uid}")
        siblings = stack[-1][1]
        kids: list = []
        siblings.append([link, kids])
        stack.append((h.level, kids))
    return _finish(out)


def _finish(items: list) -> list:
    return [(link, _finish(kids)) if kids else link for link, kids in items]


# ------------------------------------------------------------ cover, images

def _cover_image(book: Book, front, front_resources: dict[str, Path], package: _Package):
    """(package name, alt text) of the cover image, or (None, "") to generate one."""
    cfg = book.config
    if cfg.cover_image:
        file = Path(cfg.cover_image)
        if not file.is_absolute():
            file = Path(cfg.base_dir or book.site.root) / file
        if not file.is_file():
            raise BuildError(f"cover_image {file} does not exist")
        name = package.add(f"cover:{file}", file, name="images/cover" + file.suffix.lower())
        return name, f"Cover of {cfg.title}"
    for img in front.iter("img"):
        src = img.get("src", "")
        if src in front_resources:
            alt = "" if img.get("data-alt-generated") else (img.get("alt") or "").strip()
            return package.names[src], f"Cover of {cfg.title}" + (f": {alt}" if alt else "")
    return None, ""


def _image_bytes(file: Path, to_png: bool) -> bytes:
    if not to_png:
        return file.read_bytes()
    from PIL import Image
    buf = io.BytesIO()
    with Image.open(file) as im:
        im.save(buf, format="PNG")
    return buf.getvalue()


def _svg_cover(book: Book) -> str:
    """A plain cover: the title (wrapped), subtitle and authors on a dark field."""
    cfg = book.config
    esc = htmllib.escape
    lines = _wrap_words(cfg.title or "Untitled", 16)
    size = 64 if len(lines) <= 3 else 48
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 600 900" '
           'width="600" height="900" role="img">',
           f"<title>{esc(cfg.title or '')}</title>",
           '<rect width="600" height="900" fill="#1f4e79"/>',
           '<rect x="40" y="40" width="520" height="820" fill="none" stroke="#ffffff" '
           'stroke-width="2" opacity="0.6"/>']
    y = 260
    for line in lines:
        out.append(f'<text x="300" y="{y}" text-anchor="middle" font-family="sans-serif" '
                   f'font-weight="bold" font-size="{size}" fill="#ffffff">{esc(line)}</text>')
        y += int(size * 1.2)
    if cfg.subtitle:
        y += 30
        for line in _wrap_words(cfg.subtitle, 32):
            out.append(f'<text x="300" y="{y}" text-anchor="middle" font-family="serif" '
                       f'font-size="28" fill="#ffffff">{esc(line)}</text>')
            y += 36
    authors = ", ".join(cfg.authors)
    for i, line in enumerate(_wrap_words(authors, 36)):
        out.append(f'<text x="300" y="{780 + 34 * i}" text-anchor="middle" font-family="sans-serif" '
                   f'font-size="26" fill="#ffffff">{esc(line)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _wrap_words(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


# ------------------------------------------------------------ metadata, zip

def _accessibility(eb: epub.EpubBook, *, has_images: bool, all_alt: bool) -> None:
    def meta(prop: str, value: str) -> None:
        eb.add_metadata(None, "meta", value, {"property": prop})

    meta("schema:accessMode", "textual")
    if has_images:
        meta("schema:accessMode", "visual")
        meta("schema:accessModeSufficient", "textual,visual")
    if all_alt or not has_images:
        meta("schema:accessModeSufficient", "textual")
    features = ["tableOfContents", "readingOrder", "structuralNavigation", "displayTransformability"]
    if has_images and all_alt:
        features.append("alternativeText")
    for f in features:
        meta("schema:accessibilityFeature", f)
    meta("schema:accessibilityHazard", "none")
    summary = ("Reflowable text with a table of contents, a navigation document listing every chapter "
               "and section, headings in order and a reading order that follows the book. "
               "No fixed layout, colours or fonts are imposed, so the reader's settings apply.")
    if has_images:
        summary += (" Every image has alternative text." if all_alt else
                    " Images without an author's description have a short alternative text naming "
                    "their caption or the section they illustrate; the surrounding text explains them.")
    meta("schema:accessibilitySummary", summary)


def _reproducible_zip(data: bytes, stamp: datetime) -> bytes:
    """The same archive with fixed entry dates and modes: mimetype first and stored, the rest deflated
    (images that are already compressed are stored)."""
    when = max(stamp.timetuple()[:6], (1980, 1, 1, 0, 0, 0))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        infos = src.infolist()
        infos.sort(key=lambda i: i.filename != "mimetype")     # stable: keeps ebooklib's order
        for info in infos:
            content = src.read(info)
            stored = info.filename == "mimetype" or info.filename.lower().endswith(
                (".png", ".jpg", ".jpeg", ".gif", ".webp"))
            zi = zipfile.ZipInfo(info.filename, date_time=when)
            zi.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zi.create_system = 3
            dst.writestr(zi, content, compresslevel=None if stored else 9)
    return out.getvalue()
