"""The sanitizing step: raw HTML keeps only what a book needs, by allowlist.

The content is untrusted (pull requests are previewed): a book never fetches
or embeds anything but the site's own files, and never runs scripts. This step
runs on each chapter's HTML right after Markdown (and on the front page), before
links are resolved, and also reads the ids the chapter defines from the cleaned
tree.

What stays is decided by nh3 (the Python binding of the Rust sanitizer
ammonia), from the allowlists below: it parses the HTML as a browser does, so
markup that one parser reads as text and another as elements
(``<svg><style><img onerror=…>``) cannot slip through. Which elements and
attributes it left out is found by comparing the tree before and after, so
each drop is reported at its source line. CSS in ``style`` attributes and
``<style>`` elements goes through ``cssfilter``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nh3
from lxml import etree

from . import cssfilter, htmlfrag
from .diagnostics import Diagnostic
from .errors import SourceError
from .htmlfrag import EPUB_ATTRS, VOID, remove_keep_tail
from .limits import CODE, MAX_HTML_DEPTH
from .locate import Locator
from .model import Source

#: HTML nested deeper than this is refused: layout engines recurse on it.
MAX_DEPTH = MAX_HTML_DEPTH

Report = Callable[[str, str, str], None]  # (message, text to find the source line by, code)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ------------------------------------------------------------ the allowlist

#: The elements a book keeps: text, headings, lists, tables, figures, details, task-list
#: checkboxes and <style> (its CSS filtered). Any other element goes, its text stays.
TAGS = _words("""a abbr acronym article aside b bdi bdo blockquote br caption center cite code col
    colgroup data dd del details dfn div dl dt em figcaption figure footer h1 h2 h3 h4 h5 h6 header
    hgroup hr i img input ins kbd li main mark nav ol p pre q rp rt rtc ruby s samp section small span
    strike strong style sub summary sup table tbody td tfoot th thead time tr tt u ul var wbr""")
#: Elements that go with everything inside them (what they hold is code, drawing or
#: another document, not text for a reader).
DROPPED_WITH_CONTENT = _words("""script noscript template iframe object embed frame frameset applet
    portal svg math noembed noframes title head textarea select""")
#: Attributes every kept element may have (and any aria-*).
GLOBAL_ATTRS = _words("id class title lang dir role style")
#: Presentational attributes the EPUB turns into CSS (``align``, ``valign``) or reads
#: (``width``, ``<a name>``): kept besides what the EPUB keeps as it is.
_PRESENTATIONAL = {
    "a": "name",
    "img": "align",
    "table": "align width",
    "td": "align valign width height",
    "th": "align valign width height",
    "col": "align valign width",
    "colgroup": "align valign width",
    **{t: "align valign" for t in ("thead", "tbody", "tfoot", "tr")},
    **{t: "align" for t in ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6")},
}
#: Attributes kept on one element, besides the global ones.
ATTRS: dict[str, frozenset[str]] = {
    tag: EPUB_ATTRS.get(tag, frozenset()) | _words(_PRESENTATIONAL.get(tag, ""))
    for tag in EPUB_ATTRS.keys() | _PRESENTATIONAL.keys()
}
#: URL schemes a kept link may use (relref: is a Hugo {{< relref >}} the link stage resolves;
#: data: is kept only for images, see ``_url_filter``).
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "ftp", "relref", "data"})
_URL_ATTRS = _words("href src cite")
_DATA_IMAGE = re.compile(r"^\s*data:image/(?:png|jpeg|gif|webp|avif)[;,]", re.I)
#: Attributes a web page uses that mean nothing in a book: dropped without a warning.
QUIET_ATTRS = _words("""target rel srcset sizes loading decoding fetchpriority referrerpolicy
    crossorigin property typeof about resource vocab prefix datatype content tabindex border
    cellpadding cellspacing""")
#: Elements that would embed or run something, named so in their warning.
_EMBEDS_OR_RUNS = _words("""script noscript iframe object embed frame frameset applet portal base
    video audio source track picture canvas svg math image""")
_FORMS = _words("form button input textarea select option optgroup label fieldset legend datalist output")


def _url_filter(tag: str, attr: str, value: str) -> str | None:
    """nh3 checks the scheme; this keeps data: URLs only as image sources."""
    if value.lstrip().lower().startswith("data:") and not (tag == "img" and attr == "src" and _DATA_IMAGE.match(value)):
        return None
    return value


def _nh3_clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={"*": set(GLOBAL_ATTRS), **{t: set(a) for t, a in ATTRS.items()}},
        generic_attribute_prefixes={"aria-"},
        url_schemes=set(URL_SCHEMES),
        attribute_filter=_url_filter,
        link_rel=None,
        strip_comments=True,
    )


# ------------------------------------------------------------ the step


@dataclass(frozen=True)
class Cleaned:
    """A chapter's HTML after sanitizing, the ids it defines, and what was dropped."""

    html: str
    ids: frozenset[str]
    diagnostics: tuple[Diagnostic, ...]
    tree: etree._Element  # the cleaned tree, for the checks that follow (not kept in the cache)


def clean(html: str, source: Source) -> Cleaned:
    """Sanitize one chapter's HTML (from ``source``); warnings name the source line.

    Raises:
        SourceError: the raw HTML is nested deeper than ``MAX_DEPTH``.
    """
    root = htmlfrag.parse(html)
    locator = Locator(source)
    diags: list[Diagnostic] = []
    check_depth(root, source, locator)
    root = sanitize(
        root,
        lambda msg, needle, code: diags.append(
            Diagnostic("warning", msg, source.path, locator.line_of_text(needle), code)
        ),
    )
    return Cleaned(htmlfrag.serialize(root), frozenset(htmlfrag.ids_of(root)), tuple(diags), root)


def clean_file(text: str, path: Path) -> Cleaned:
    """Sanitize an HTML file of the site (the front page) as a chapter is; lines count from 1."""
    source = Source(path=path, stem=path.stem, url="", title="", weight=None, front_matter={}, body=text, body_line=1)
    return clean(text, source)


def check_depth(root, source: Source, locator: Locator) -> None:
    """Raw HTML nested deeper than any layout engine should recurse is refused."""
    stack = [(root, 0)]
    while stack:
        el, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise SourceError(
                f"HTML nested more than {MAX_DEPTH} levels deep (<{el.tag}> elements, {CODE}); flatten it",
                source.path,
                locator.line_of_text(f"<{el.tag}"),
            )
        stack.extend((c, depth + 1) for c in el if isinstance(c.tag, str))


def unnest_void(root) -> None:
    """Move whatever the parser put inside a void element back out after it (libxml2 does
    not know every HTML5 void element: ``<embed>``, ``<source>``, ``<wbr>``…)."""
    for el in list(root.iter(*VOID)):
        if len(el) or el.text:
            parent = el.getparent()
            idx = parent.index(el)
            text, tail, el.text = el.text, el.tail, None
            children = list(el)
            for k, child in enumerate(children, 1):
                parent.insert(idx + k, child)
            el.tail = text
            if children:
                children[-1].tail = (children[-1].tail or "") + (tail or "")
            else:
                el.tail = (text or "") + (tail or "")


def repair_run_on_tags(root, report: Report) -> None:
    """``<br<a href=…>`` is parsed as one element named ``br<a``: split it back into
    ``<br>`` and ``<a href=…>`` so the link is a link (browsers lose it)."""
    for el in list(root.iter(etree.Element)):
        if isinstance(el.tag, str) and "<" in el.tag:
            parts = [p for p in el.tag.split("<") if p]
            report(
                f"malformed tag <{el.tag}> read as " + "".join(f"<{p}>" for p in parts), f"<{el.tag}", "malformed-html"
            )
            if not parts or not all(re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", p) for p in parts):
                el.tag = "span"
                continue
            el.tag = parts[-1]
            parent = el.getparent()
            for name in parts[:-1]:
                parent.insert(parent.index(el), etree.Element(name))


def sanitize(root, report: Report) -> etree._Element:
    """The tree under ``root`` with only the allowlisted elements, attributes and CSS (a new
    tree: nh3 parses the HTML again as a browser would). Every drop is reported."""
    repair_run_on_tags(root, report)
    for el in list(root.iter("image")):
        if next(el.iterancestors("svg", "math"), None) is None:
            el.tag = "img"  # as the HTML parser (and so nh3) reads <image> outside SVG
    unnest_void(root)
    before = list(htmlfrag.elements(root))[1:]
    kept = htmlfrag.parse(_nh3_clean(htmlfrag.serialize(root)))
    unnest_void(kept)
    for box in list(kept.iter("input")):
        if (box.get("type") or "").lower() != "checkbox":
            remove_keep_tail(box)  # a task list's checkbox is the one input a book shows
    _report_drops(before, list(htmlfrag.elements(kept))[1:], report)
    _clean_css(kept, report)
    wrap_stray_items(kept, report)
    return kept


def wrap_stray_items(root, report: Report) -> None:
    """A ``<li>`` outside a list (a raw one in a table cell, a card shortcode without its
    cards) is invalid XHTML (epubcheck RSC-005): each run of such siblings is put in a list
    of its own, as a browser shows it. A ``<dt>``/``<dd>`` outside a ``<dl>`` becomes a
    ``<div>`` (a list of only terms or only definitions is invalid too)."""
    for el in list(root.iter("li", "dt", "dd")):
        parent = el.getparent()
        if el.tag != "li":
            grand = parent.getparent() if parent is not None else None
            if (
                parent is not None
                and parent.tag != "dl"
                and not (parent.tag == "div" and grand is not None and grand.tag == "dl")
            ):
                words = " ".join("".join(el.itertext()).split())[:40]
                report(
                    f"<{el.tag}> outside a <dl>: kept as a block (invalid nesting)",
                    words or f"<{el.tag}",
                    "malformed-html",
                )
                el.set("class", " ".join(filter(None, [el.get("class"), el.tag])))
                el.tag = "div"
            continue
        if parent is None or parent.tag in ("ul", "ol", "menu"):
            continue
        wrapper = etree.Element("ul")
        parent.insert(parent.index(el), wrapper)
        run = el
        while run is not None and run.tag == "li":
            nxt = run.getnext()
            wrapper.append(run)
            if run.tail and run.tail.strip():
                break  # text between items: the run ends here
            run = nxt
        last = wrapper[-1]
        wrapper.tail, last.tail = last.tail, None
        # Found by its text: a shortcode's item has no "<li" in the source.
        words = " ".join("".join(el.itertext()).split())[:40]
        report("<li> outside a list: put in one (invalid nesting)", words or "<li", "malformed-html")


# ------------------------------------------------------------ what was dropped


#: How far ahead in the cleaned tree an element is looked for: the browser's parse adds
#: elements (``<tbody>``, an empty ``<p>``) but never many in a row.
_LOOKAHEAD = 20


def _report_drops(before: list, after: list, report: Report) -> None:
    """One warning per element or attribute of ``before`` that ``after`` no longer has.

    Both lists are in document order, so one pass pairs them (linear, whatever the
    input): an element the allowlist does not keep, or one inside an element that went
    with its content, is gone; any other is the next element of its tag in ``after``."""
    gone: list = []
    pairs = []
    emptied: set[int] = set()  # elements that went with what was inside them
    j = 0
    for el in before:
        inside = any(id(p) in emptied for p in el.iterancestors())
        if inside or el.tag not in TAGS or (el.tag == "input" and (el.get("type") or "").lower() != "checkbox"):
            if el.tag in DROPPED_WITH_CONTENT:
                emptied.add(id(el))
            if not inside or el.tag in _EMBEDS_OR_RUNS:
                gone.append(el)
            continue
        k = next((k for k in range(j, min(j + _LOOKAHEAD, len(after))) if after[k].tag == el.tag), None)
        if k is None:
            gone.append(el)  # the browser's parse put it elsewhere, or read it as text
            continue
        pairs.append((el, after[k]))
        j = k + 1
    for el in gone:
        report(*_element_message(el))
    for old, new in pairs:
        for name, value in old.attrib.items():
            if name not in new.attrib:
                _report_attribute(old.tag, name, value, report)


def _element_message(el) -> tuple[str, str, str]:
    tag = el.tag
    if tag == "link":
        return (
            f'<link rel="{el.get("rel", "")}"> dropped (a book does not pull in other files)',
            "<link",
            "dropped-html",
        )
    if tag == "meta":
        return (
            "<meta http-equiv> dropped" if el.get("http-equiv") is not None else "<meta> dropped",
            "<meta",
            "dropped-html",
        )
    if tag == "input":
        kind = (el.get("type") or "text").lower()
        return f'<input type="{kind}"> dropped (a book keeps only task-list checkboxes)', "<input", "dropped-html"
    if tag in _EMBEDS_OR_RUNS:
        why = "a book does not embed or run other content"
    elif tag in _FORMS:
        why = "a book has no forms"
    elif tag in DROPPED_WITH_CONTENT:
        why = "not an element a book keeps"
    else:
        why = "not an element a book keeps; its text stays"
    return f"<{tag}> dropped ({why})", f"<{tag}", "dropped-html"


def _report_attribute(tag: str, name: str, value: str, report: Report) -> None:
    low = name.lower()
    if low in QUIET_ATTRS or low.startswith(("data-", "xmlns")):
        return
    if low.startswith("on"):
        report(f"event-handler attribute {name}= dropped from <{tag}>", f"{name}=", "dropped-html")
    elif low in _URL_ATTRS and low in ATTRS.get(tag, ()):  # kept by name: its URL was refused
        scheme = value.split(":", 1)[0].strip().lower() if ":" in value else "this"
        report(f"{scheme}: URL refused in <{tag} {name}=…>", f'{name}="{value}', "refused-url")
    else:
        report(f"attribute {name}= dropped from <{tag}> (not one a book keeps)", f"{name}=", "dropped-html")


def _clean_css(root, report: Report) -> None:
    """Filter the CSS of every style attribute and <style> element under ``root``."""
    for el in list(htmlfrag.elements(root)):
        if el.tag == "style":
            text, drops = cssfilter.clean_stylesheet(el.text or "")
            where = "<style>"
            if text.strip():
                el.text = text
            else:
                remove_keep_tail(el)
        elif (style := el.get("style")) is not None:
            text, drops = cssfilter.clean_declarations(style)
            where = f"<{el.tag} style>"
            if text.strip():
                el.set("style", text)
            else:
                del el.attrib["style"]
        else:
            continue
        for d in drops:
            report(f"CSS {d.what} dropped from {where}: {d.why}", d.needle, "dropped-html")
