"""HTML fragments: the one parse/serialise pair, the one element table, small tree helpers.

Every stage after Markdown works on parsed trees. They all parse and serialise
here, so leading text, entities and void elements are treated the same way
everywhere:

- ``parse(html)`` gives a ``<div>`` holding the fragment. Text before the first
  element is kept when it is more than whitespace.
- ``serialize(root)`` gives the inside of that ``<div>`` back as HTML, leading
  text escaped.

Trees are plain lxml elements (``lxml.etree``), not ``lxml.html``'s classes,
whose per-element class lookup costs a third of the time on large chapters.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

_PARSER = etree.HTMLParser(encoding="utf-8")
# Characters XML does not allow; the EPUB is XML, and no reader means them.
XML_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# ------------------------------------------------------------ the element table


@dataclass(frozen=True)
class Element:
    """What the stages know about one HTML element."""

    epub: bool = False  # allowed in an EPUB 3 XHTML body as it is
    void: bool = False  # never has content (``<br>``)
    block: bool = False  # a block: an unknown element holding one becomes a <div>
    hidden: bool = False  # holds no text a reader should see: the EPUB drops it
    embed: bool = False  # embedded media: the EPUB shows a link to what it embeds
    obsolete: str = ""  # the EPUB's name for an obsolete element (``center`` → div)
    attrs: frozenset[str] = frozenset()  # attributes the EPUB keeps besides the global ones


def _words(names: str) -> frozenset[str]:
    return frozenset(names.split())


# The table is written as one word list per property; ``ELEMENTS`` joins them.
_EPUB_OK = _words("""a abbr address article aside b bdi bdo blockquote br caption cite code col colgroup data
    dd del details dfn div dl dt em figcaption figure footer h1 h2 h3 h4 h5 h6 header hgroup hr i img input
    ins kbd li main mark nav ol p pre q rp rt ruby s samp section small span strong sub summary sup table
    tbody td tfoot th thead time tr u ul var wbr""")
_BLOCKS = _words("""address article aside blockquote details div dl figure footer h1 h2 h3 h4 h5 h6 header
    hr main nav ol p pre section table ul""")
_VOIDS = _words("area base br col embed hr img input link meta param source track wbr")
_RUNS = _words("script noscript base iframe object embed frame frameset applet portal")
_HIDDEN = _words("script noscript base link meta style template head title")
_EMBEDS = _words("iframe object embed frame frameset applet video audio source track")
_RENAMED = {"center": "div", "font": "span", "tt": "code", "strike": "s", "menu": "ul"}
_OTHERS = _words("""body html button canvas datalist dialog fieldset form label legend map math meter
    optgroup option output picture progress select svg textarea""")
_KEPT_ATTRS = {
    "a": "href hreflang",
    "img": "src alt width height",
    "input": "type checked disabled value name",
    "col": "span",
    "colgroup": "span",
    "td": "colspan rowspan headers",
    "th": "colspan rowspan headers scope abbr",
    "ol": "start reversed type",
    "li": "value",
    "blockquote": "cite",
    "q": "cite",
    "del": "cite datetime",
    "ins": "cite datetime",
    "time": "datetime",
    "data": "value",
    "details": "open",
}

#: Every element a browser knows, and what each stage does with it.
ELEMENTS: dict[str, Element] = {
    tag: Element(
        epub=tag in _EPUB_OK,
        void=tag in _VOIDS,
        block=tag in _BLOCKS,
        hidden=tag in _HIDDEN,
        embed=tag in _EMBEDS,
        obsolete=_RENAMED.get(tag, ""),
        attrs=_words(_KEPT_ATTRS.get(tag, "")),
    )
    for tag in sorted(_EPUB_OK | _VOIDS | _RUNS | _HIDDEN | _EMBEDS | _RENAMED.keys() | _OTHERS)
}

#: Obsolete elements browsers still render, renamed for the EPUB.
OBSOLETE_EXTRA = {
    "big": "span",
    "acronym": "abbr",
    "listing": "pre",
    "xmp": "pre",
    "plaintext": "pre",
    "nobr": "span",
    "blink": "span",
    "marquee": "div",
    "dir": "ul",
}

KNOWN = frozenset(ELEMENTS)
VOID = frozenset(t for t, e in ELEMENTS.items() if e.void)
EPUB_ALLOWED = frozenset(t for t, e in ELEMENTS.items() if e.epub)
EPUB_BLOCK = frozenset(t for t, e in ELEMENTS.items() if e.block)
EPUB_HIDDEN = frozenset(t for t, e in ELEMENTS.items() if e.hidden)
EPUB_EMBEDS = frozenset(t for t, e in ELEMENTS.items() if e.embed)
EPUB_RENAME = {**{t: e.obsolete for t, e in ELEMENTS.items() if e.obsolete}, **OBSOLETE_EXTRA}
EPUB_ATTRS = {t: e.attrs for t, e in ELEMENTS.items() if e.attrs}
GLOBAL_ATTRS = _words("id class style title lang dir hidden role tabindex translate")
INT_ATTRS = _words("width height colspan rowspan start span value")
BOOL_ATTRS = _words("checked disabled reversed open hidden")


# ------------------------------------------------------------ parse / serialise


def parse(html: str) -> etree._Element:
    """``html`` parsed as HTML, its nodes under a ``<div>`` (libxml2 repairs what it must:
    unclosed ``<br>``, stray ``<`` as text)."""
    text = XML_BAD_CHARS.sub("", html or "")
    root = etree.Element("div")
    if not text.strip():
        return root
    doc = etree.fromstring(f"<html><body>{text}</body></html>".encode(), _PARSER)
    body = doc.find("body") if doc is not None else None
    if body is None:
        return root
    if body.text and body.text.strip():
        root.text = body.text
    root.extend(list(body))
    return root


def serialize(root: etree._Element) -> str:
    """The inside of ``root`` as HTML: leading text (escaped), then every child with its tail."""
    out = "".join(to_html(c) for c in root)
    return (htmllib.escape(root.text, quote=False) if root.text else "") + out


def to_html(el: etree._Element) -> str:
    """One element (with its tail) as HTML."""
    return str(etree.tostring(el, method="html", encoding="unicode", with_tail=True))


# ------------------------------------------------------------ helpers


def text_of(el: etree._Element) -> str:
    """Every piece of text inside ``el`` (comments excluded), as a reader sees it run together."""
    return "".join(str(t) for t in el.itertext())


def ids_of(root: etree._Element) -> set[str]:
    """Every ``id`` in the tree."""
    return {v for el in root.iter(etree.Element) if (v := el.get("id"))}


def add_class(el: etree._Element, *names: str) -> None:
    """Add class names to ``el`` (each once, in order)."""
    classes = (el.get("class") or "").split() + list(names)
    el.set("class", " ".join(dict.fromkeys(classes)))


def placeholder(
    el: etree._Element, label: str, *, href: str | None = None, cls: str = "image-placeholder", title: str | None = None
) -> etree._Element:
    """Replace ``el`` by a visible stand-in: a link when ``href`` is given, else a span.
    Its tail (the text after it) stays."""
    box = etree.Element("a" if href else "span")
    box.set("class", cls)
    if href:
        box.set("href", href)
    box.text = label
    if title:
        box.set("title", title)
    box.tail = el.tail
    parent = el.getparent()
    if parent is not None:
        parent.replace(el, box)
    return box


def remove_keep_tail(el: etree._Element) -> None:
    """Remove ``el`` (and what is inside it) but keep the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    prev = el.getprevious()
    parent.remove(el)
    if tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def move_children(src: etree._Element, dest: etree._Element, *, text_as: str | None = None) -> None:
    """Move ``src``'s children into ``dest``. Its leading text goes into a new ``text_as``
    element (e.g. "p") when it is more than whitespace, else it is dropped."""
    if text_as and src.text and src.text.strip():
        etree.SubElement(dest, text_as).text = src.text
    for child in list(src):
        dest.append(child)


def elements(root: etree._Element, *tags: str) -> Iterable[etree._Element]:
    """The elements under ``root`` (comments and processing instructions skipped)."""
    return root.iter(*tags) if tags else root.iter(etree.Element)


def is_permalink_line(a) -> bool:
    """Whether link ``a`` is the URL of a section's "Permalink:" line (in its metadata quote)."""
    parent = a.getparent()
    while parent is not None and parent.tag != "blockquote":
        parent = parent.getparent()
    if parent is None or "meta" not in (parent.get("class") or "").split():
        return False
    prev = (a.getprevious().tail if a.getprevious() is not None else a.getparent().text) or ""
    return bool(re.search(r"Permalink:\s*$", prev, re.I))
