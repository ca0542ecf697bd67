"""HTML fragments → EPUB's XHTML.

The chapters' HTML comes from ``assemble.chapter_fragment`` (the same preparation
the one-page document gets). Here it is made into well-formed XHTML: parsed with
lxml's HTML parser (``htmlfrag.parse``, which repairs unclosed ``<br>`` and treats
``<<<TEXT>>>`` as text), elements and attributes that EPUB's XHTML does not allow
are renamed or dropped (never their text), and every ``href="#uid"`` is rewritten
to the file that holds ``uid`` once all files are known.

Trees here are plain lxml elements without a namespace; ``page`` puts them into
the XHTML namespace when it writes a document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from lxml import etree

from ...assemble import chapter_fragment, is_index_chapter
from ...errors import BuildError
from ...htmlfrag import (
    BOOL_ATTRS,
    EPUB_ALLOWED,
    EPUB_ATTRS,
    EPUB_BLOCK,
    EPUB_EMBEDS,
    EPUB_HIDDEN,
    EPUB_RENAME,
    GLOBAL_ATTRS,
    INT_ATTRS,
    VOID,
    move_children,
    parse,
    placeholder,
    remove_keep_tail,
    text_of,
)
from ...model import Book, ResolvedChapter

XHTML_NS = "http://www.w3.org/1999/xhtml"
OPS_NS = "http://www.idpf.org/2007/ops"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EPUB_TYPE = f"{{{OPS_NS}}}type"
_X = f"{{{XHTML_NS}}}"

#: The package's one stylesheet, linked from every page and the nav.
STYLESHEET = "styles/epub.css"

_NCNAME = re.compile(r"^[A-Za-z_][\w.-]*$", re.UNICODE)
_NCNAME_BAD = re.compile(r"[^\w.-]", re.UNICODE)
_INT = re.compile(r"^\s*(\d+)(?:px)?\s*$")
_ARIA_DATA = re.compile(r"^(?:aria|data)-[a-z0-9_.-]+$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_ALIGN = {"left", "right", "center", "justify"}
_VALIGN = {"top", "middle", "bottom", "baseline"}


def fragment(html: str) -> etree._Element:
    """``html`` parsed under a ``<div>``. The whitespace around it is no content: stripped,
    it cannot become the last element's tail or the start of a leading paragraph."""
    return parse(html.strip())


# ------------------------------------------------------------ chapters


def chapter_section(book: Book, rc: ResolvedChapter, resources: dict[str, Path]) -> tuple[etree._Element, int]:
    """The chapter as a <section> (title and content), sanitised; and how many of its
    images have an alt text that assemble made up (``data-alt-generated``)."""
    root = fragment(chapter_fragment(book, rc, resources))
    # Counted before sanitising, which drops what sits in hidden elements.
    made_up = sum(1 for img in root.iter("img") if img.get("data-alt-generated"))
    sanitize(root, book)
    if book.config.direction == "rtl":
        for code in root.iter("pre"):
            code.set("dir", "ltr")  # code reads left to right, also in a right-to-left book
    section = etree.Element("section")
    section.set("id", rc.chapter.key)
    cls = "chapter index-chapter" if is_index_chapter(rc) else "chapter"
    level = rc.chapter.source.level
    section.set("class", cls if level == 1 else f"{cls} depth-{level}")
    section.set(EPUB_TYPE, "chapter")
    section.set("role", "doc-chapter")
    h1 = etree.SubElement(section, "h1")
    h1.set("class", "chapter-title")
    h1.text = rc.chapter.source.title
    move_children(root, section, text_as="p")
    return section, made_up


def wrap(
    tag: str, root: etree._Element, *, cls: str, etype: str | None = None, id_: str | None = None
) -> etree._Element:
    """``root``'s content in a new ``tag`` element (``root`` is a parsed fragment's parent)."""
    el = etree.Element(tag)
    el.set("class", cls)
    if etype:
        el.set(EPUB_TYPE, etype)
    if id_:
        el.set("id", id_)
    move_children(root, el, text_as="p")
    return el


# ------------------------------------------------------------ sanitising


def sanitize(root: etree._Element, book: Book) -> None:
    """Make a parsed HTML fragment fit EPUB's XHTML, keeping every piece of text."""
    for node in list(root.iter()):
        tag = node.tag
        if not isinstance(tag, str):  # comments and processing instructions
            remove_keep_tail(node)
            continue
        if node is root:
            continue
        if tag in EPUB_HIDDEN:
            remove_keep_tail(node)
            continue
        if tag in EPUB_EMBEDS:
            _embed_to_link(node)
            continue
        if tag not in EPUB_ALLOWED:
            new = EPUB_RENAME.get(tag)
            if new is None:
                new = "div" if any(isinstance(c.tag, str) and c.tag in EPUB_BLOCK for c in node) else "span"
            node.tag = new
            if tag == "center":  # its one meaning, which a plain div loses
                style = "text-align: center"
                node.set("style", f"{style}; {node.get('style')}" if node.get("style") else style)
            tag = new
        _attributes(node, tag)
        if tag == "a":
            _link(node, book)


def _embed_to_link(node: etree._Element) -> None:
    """Embedded media become a link to what they embed (a web address), else their text."""
    src = node.get("src") or node.get("data") or ""
    if not src:
        src = next((s for child in node.iter("source") if (s := child.get("src"))), "")
    if src.lower().startswith(("http:", "https:")):
        box = placeholder(node, node.get("title") or src, href=src)
    else:
        box = placeholder(node, text_of(node).strip())
    del box.attrib["class"]  # plain content: no missing image is shown


def _attributes(node: etree._Element, tag: str) -> None:
    allowed = EPUB_ATTRS.get(tag, ())
    styles = []
    for name, value in list(node.attrib.items()):
        if name in GLOBAL_ATTRS or name in allowed or _ARIA_DATA.match(name):
            if name in INT_ATTRS and name in allowed and (name != "value" or tag == "li"):
                m = _INT.match(value)
                if not m or (name in ("colspan", "rowspan", "span") and int(m.group(1)) == 0):
                    del node.attrib[name]
                else:
                    node.set(name, m.group(1))
            elif name in BOOL_ATTRS:
                node.set(name, name)
            elif name == "id" and not _NCNAME.match(value):
                fixed = _NCNAME_BAD.sub("-", value)
                node.set("id", fixed if _NCNAME.match(fixed) else "x-" + fixed)
            elif name == "dir" and value.lower() not in ("ltr", "rtl", "auto"):
                del node.attrib[name]
            continue
        del node.attrib[name]
        # Presentational attributes EPUB dropped: kept as the CSS they stood for.
        v = value.strip().lower()
        if name == "align" and v in _ALIGN:
            styles.append(
                f"text-align: {v}"
                if tag not in ("img", "table")
                else ("float: " + v if v in ("left", "right") else "margin: 0 auto")
            )
        elif name == "valign" and v in _VALIGN:
            styles.append(f"vertical-align: {v}")
        elif name == "name" and tag == "a" and not node.get("id") and _NCNAME.match(value):
            node.set("id", value)
    if styles:
        old = node.get("style")
        node.set("style", "; ".join(styles) + (f"; {old}" if old else ""))


def _link(a: etree._Element, book: Book) -> None:
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


# ------------------------------------------------------------ links between files


def index_ids(root: etree._Element, name: str, file_of: dict[str, str]) -> None:
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


def rewrite(
    root: etree._Element,
    name: str,
    file_of: Mapping[str, str],
    book: Book,
    images: Mapping[str, str],
    unresolved: list[str],
) -> None:
    """Point the links of file ``name`` at the files that hold their targets and the images at
    their package files (``images``: HTML url → package name); ids found nowhere go to
    ``unresolved`` and their links become plain text."""
    for el in list(root.iter("a", "img")):
        if el.tag == "img":
            src = el.get("src", "")
            if src in images:
                el.set("src", images[src])
            elif not src.startswith("data:"):
                # not a file of the package (cannot happen for resolved images): show its text
                placeholder(el, el.get("alt") or src)
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
            el.set("href", target)  # a chapter's start: its first file
        elif target != name:
            el.set("href", f"{target}#{uid}")


# ------------------------------------------------------------ documents


def page(title: str, lang: str, section: etree._Element, body_class: str, direction: str = "ltr") -> bytes:
    """A complete XHTML document around ``section`` (an lxml element without namespace)."""
    root = etree.Element(_X + "html", nsmap={None: XHTML_NS, "epub": OPS_NS})
    root.set("lang", lang)
    root.set(XML_LANG, lang)
    if direction == "rtl":
        root.set("dir", "rtl")
    head = etree.SubElement(root, _X + "head")
    etree.SubElement(head, _X + "meta", charset="utf-8")
    etree.SubElement(head, _X + "title").text = title
    etree.SubElement(head, _X + "link", rel="stylesheet", type="text/css", href=STYLESHEET)
    body = etree.SubElement(root, _X + "body")
    body.set("class", body_class)
    for el in section.iter():
        el.tag = _X + el.tag
        if el.text is None and len(el) == 0 and el.tag[len(_X) :] not in VOID:
            el.text = ""  # <p></p>, not <p/>: safe for readers that parse HTML
    body.append(section)
    data = etree.tostring(root, encoding="utf-8", xml_declaration=True, doctype="<!DOCTYPE html>")
    try:
        etree.fromstring(data)
    except etree.XMLSyntaxError as exc:  # a bug here, never the content's fault
        raise BuildError(f"EPUB page '{title}' is not well-formed XHTML: {exc}") from exc
    return data


def cover_page(title: str, lang: str, image: str, alt: str, direction: str = "ltr") -> bytes:
    """The cover: one image, the whole page."""
    section = etree.Element("section")
    section.set("class", "cover")
    section.set(EPUB_TYPE, "cover")
    img = etree.SubElement(section, "img", src=image, alt=alt)
    img.set("class", "cover-image")
    return page(title, lang, section, body_class="cover", direction=direction)
