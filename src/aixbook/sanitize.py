"""Raw HTML in the content that would pull in, embed or run something is dropped.

The content is untrusted (pull requests are previewed): a book never fetches
or embeds anything but the site's own files, and never runs scripts.
"""
from __future__ import annotations

import re
from typing import Callable

from lxml import etree

# Elements removed with everything inside them.
DROP = {"script", "iframe", "object", "embed", "base", "frame", "frameset", "applet", "portal", "noscript"}
_URL_ATTRS = ("href", "src", "action", "formaction", "poster", "data", "xlink:href", "background", "srcset")
_BAD_SCHEME = re.compile(r"^\s*(?:javascript|vbscript|file|data:text/html)", re.I)

Report = Callable[[str, str], None]      # (message, text to find the source line by)


# HTML5 void elements; libxml2 does not know all of them (``<embed>``, ``<source>``,
# ``<wbr>``…) and nests what follows inside them.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
        "track", "wbr"}


def unnest_void(root) -> None:
    """Move whatever the parser put inside a void element back out after it."""
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
            report(f"malformed tag <{el.tag}> read as " + "".join(f"<{p}>" for p in parts), f"<{el.tag}")
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
        if tag in DROP:
            report(f"<{tag}> dropped (a book does not embed or run other content)", f"<{tag}")
            remove_keep_tail(el)
            continue
        if tag == "link":
            report(f"<link rel=\"{el.get('rel', '')}\"> dropped (a book does not pull in other files)", "<link")
            remove_keep_tail(el)
            continue
        if tag == "meta" and el.get("http-equiv") is not None:
            report("<meta http-equiv> dropped", "http-equiv")
            remove_keep_tail(el)
            continue
        for name in list(el.attrib):
            low = name.lower()
            if low.startswith("on"):
                report(f"event-handler attribute {name}= dropped from <{tag}>", f"{name}=")
                del el.attrib[name]
            elif low in _URL_ATTRS and _BAD_SCHEME.match(el.get(name) or ""):
                value = el.get(name)
                scheme = value.split(":", 1)[0].strip().lower()
                report(f"{scheme}: URL refused in <{tag} {name}=…>", f'{name}="{value}')
                del el.attrib[name]
            elif low == "style" and re.search(r"url\s*\(|@import|expression\s*\(", el.get(name) or "", re.I):
                report(f"style attribute with url()/@import dropped from <{tag}>", "url(")
                del el.attrib[name]
            elif low == "srcset":
                del el.attrib[name]   # a second image source the resolver never checked


def remove_keep_tail(el) -> None:
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
