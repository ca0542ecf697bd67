"""The sanitizing step: raw HTML that would pull in, embed or run something is dropped.

The content is untrusted (pull requests are previewed): a book never fetches
or embeds anything but the site's own files, and never runs scripts. This step
runs on each chapter's HTML right after Markdown, before links are resolved,
and also reads the ids the chapter defines from the cleaned tree.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from . import htmlfrag
from .errors import SourceError
from .htmlfrag import UNSAFE, URL_ATTRS, VOID, remove_keep_tail
from .limits import CODE, MAX_HTML_DEPTH
from .locate import Locator
from .model import Diagnostic, Source

_BAD_SCHEME = re.compile(r"^\s*(?:(?:javascript|vbscript|file):|data:text/html)", re.I)
#: HTML nested deeper than this is refused: layout engines recurse on it.
MAX_DEPTH = MAX_HTML_DEPTH

Report = Callable[[str, str, str], None]  # (message, text to find the source line by, code)


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
    sanitize(
        root,
        lambda msg, needle, code: diags.append(
            Diagnostic("warning", msg, source.path, locator.line_of_text(needle), code)
        ),
    )
    return Cleaned(htmlfrag.serialize(root), frozenset(htmlfrag.ids_of(root)), tuple(diags), root)


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


def sanitize(root, report: Report) -> None:
    """Remove dangerous elements and attributes from the tree under ``root`` (in place)."""
    repair_run_on_tags(root, report)
    unnest_void(root)
    for el in list(root.iter(etree.Element)):
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if tag in UNSAFE:
            report(f"<{tag}> dropped (a book does not embed or run other content)", f"<{tag}", "dropped-html")
            remove_keep_tail(el)
            continue
        if tag == "link":
            report(
                f'<link rel="{el.get("rel", "")}"> dropped (a book does not pull in other files)',
                "<link",
                "dropped-html",
            )
            remove_keep_tail(el)
            continue
        if tag == "meta" and el.get("http-equiv", "dropped-html") is not None:
            report("<meta http-equiv> dropped", "http-equiv", "dropped-html")
            remove_keep_tail(el)
            continue
        for name in list(el.attrib):
            low = name.lower()
            if low.startswith("on"):
                report(f"event-handler attribute {name}= dropped from <{tag}>", f"{name}=", "dropped-html")
                del el.attrib[name]
            elif low in URL_ATTRS and _BAD_SCHEME.match(el.get(name) or ""):
                value = el.get(name)
                scheme = value.split(":", 1)[0].strip().lower()
                report(f"{scheme}: URL refused in <{tag} {name}=…>", f'{name}="{value}', "refused-url")
                del el.attrib[name]
            elif low == "style" and re.search(r"url\s*\(|@import|expression\s*\(", el.get(name) or "", re.I):
                report(f"style attribute with url()/@import dropped from <{tag}>", "url(", "dropped-html")
                del el.attrib[name]
            elif low == "srcset":
                del el.attrib[name]  # a second image source the resolver never checked
