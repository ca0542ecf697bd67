"""Resolving a parsed chapter: book-unique ids, every href and src rewritten, counts and
diagnostics."""

from __future__ import annotations

import posixpath

from lxml import etree

from .. import htmlfrag
from ..diagnostics import Diagnostic
from ..htmlfrag import add_class, is_permalink_line
from ..locate import Locator
from ..model import Chapter, Heading, LinkStats, ResolvedChapter
from .resolve import resolve_href, resolve_src
from .table import LinkTable, make_uid
from .urls import is_site_url, split_url

# ------------------------------------------------------ applying to HTML


def resolve_chapters(
    table: LinkTable, chapters: list[Chapter]
) -> tuple[list[ResolvedChapter], LinkStats, list[Diagnostic]]:
    """Rewrite ids and links of every chapter; return them with counts and diagnostics."""
    out: list[ResolvedChapter] = []
    diags: list[Diagnostic] = []
    counts: dict = {}
    for ch in chapters:
        rc, ds = resolve_chapter(table, ch, counts)
        out.append(rc)
        diags.extend(ds)
    return out, LinkStats.from_counts(counts), diags


def resolve_chapter(
    table: LinkTable, ch: Chapter, counts: dict | None = None
) -> tuple[ResolvedChapter, list[Diagnostic]]:
    """One chapter with book-unique ids and resolved links."""
    counts = counts if counts is not None else {}
    key = ch.key
    root = htmlfrag.parse(ch.html)
    diags: list[Diagnostic] = []
    locator = Locator(ch.source)

    # Each href and src is counted in document order, reported or not, so a diagnostic
    # lands on the line of its own occurrence (the n-th link or image naming that URL).
    occurrences: dict[tuple[str, str], int] = {}
    at = ("link", 0)

    def count(kind: str, url: str) -> None:
        nonlocal at
        n = occurrences.get((kind, url), 0)
        occurrences[(kind, url)] = n + 1
        at = (kind, n)

    def report(severity, message: str, url: str, code: str) -> None:
        line = locator.line(url, kind=at[0], nth=at[1])
        diags.append(Diagnostic(severity, message, ch.source.path, line, code))

    images: list[str] = []
    missing: list[str] = []
    remote: list[str] = []
    for el in root.iter(etree.Element):
        if el_id := el.get("id"):
            el.set("id", make_uid(key, el_id))
    for a, href in _with(root, "a", "href"):
        count("link", href)
        if is_permalink_line(a):
            parts = split_url(href) if is_site_url(table.site, href) else None
            a.set("href", table.web(parts.path) if parts is not None else href)
            a.set("class", "permalink")
            continue
        res = resolve_href(table, href, key)
        t = res.target
        counts[t.kind] = counts.get(t.kind, 0) + 1
        if res.warning:
            report("warning", res.warning, href, res.code)
        if t.kind == "refused":
            report("warning", f"link {href[:60]}: {t.reason}", href, "refused-url")
            del a.attrib["href"]
            continue
        if t.kind == "internal":
            a.set("href", "#" + t.uid)
        elif t.kind == "dangling":
            report("error", f"dangling link {_as_written(href)}: {t.reason}", href, "dangling-link")
            a.set("href", t.url)
            add_class(a, "dangling")
        elif t.kind == "site" and t.path and _wraps_only_image(a):
            _unwrap(a)
        else:
            if t.kind == "missing-image":
                report("error", f"missing image {href}: {t.reason}", href, "missing-image")
                missing.append(t.path)
            elif t.reason:
                report("warning", t.reason, href, "not-in-checkout")
            a.set("href", t.url)
    for img, src in _with(root, "img", "src"):
        count("image", src)
        t = resolve_src(table, src, key)
        if t.kind == "image" and t.reason:  # in the site, but no image WeasyPrint can read
            counts["missing-image"] = counts.get("missing-image", 0) + 1
            missing.append(t.path)
            report("error", f"image {src} cannot be shown: {t.reason}", src, "unreadable-image")
            _replace_with_placeholder(img, src, f"image cannot be shown: {posixpath.basename(t.path)}")
        elif t.kind == "image":
            counts["image"] = counts.get("image", 0) + 1
            img.set("src", t.path if t.path else t.url)
            if t.path and t.path not in images:
                images.append(t.path)
        elif t.kind in ("refused", "refused-path"):
            report("warning", t.reason, src, "refused-url" if t.kind == "refused" else "refused-path")
            _replace_with_placeholder(img, src, f"image not shown: {posixpath.basename(src) or src}")
        elif t.kind == "external" and table.allow_remote:
            counts["image"] = counts.get("image", 0) + 1
            add_class(img, "remote")
            remote.append(src)
        elif t.kind == "external":
            counts["external"] = counts.get("external", 0) + 1
            _replace_with_placeholder(img, src, f"remote image not embedded: {src}", link=src)
            report(
                "warning",
                f"remote image {src} is not fetched (shown as a link; --allow-remote fetches it)",
                src,
                "remote-image",
            )
        else:
            counts["missing-image"] = counts.get("missing-image", 0) + 1
            missing.append(t.path)
            report("error", f"missing image {src}: {t.reason}", src, "missing-image")
            _replace_with_placeholder(img, src, f"missing image: {posixpath.basename(t.path) or src}")
    html = htmlfrag.serialize(root)
    # A heading raw HTML swallowed (an unclosed <script> eats the rest of the page) is not
    # in the chapter any more: the contents must not link to it.
    present = htmlfrag.ids_of(root)
    headings = tuple(
        Heading(h.level, h.text, h.id, h.line, uid) for h in ch.headings if (uid := make_uid(key, h.id)) in present
    )
    # chapter, html, headings, images shown, missing images, remote images
    return ResolvedChapter(ch, html, headings, tuple(images), tuple(missing), tuple(remote)), diags


def _with(root, tag: str, attr: str) -> list[tuple[etree._Element, str]]:
    """Each ``tag`` element under ``root`` that has ``attr``, with its value (listed first:
    the caller replaces some of them)."""
    return [(el, value) for el in root.iter(tag) if (value := el.get(attr)) is not None]


def _wraps_only_image(a) -> bool:
    return len(a) == 1 and a[0].tag == "img" and not (a.text or "").strip() and not (a[0].tail or "").strip()


def _unwrap(a) -> None:
    parent = a.getparent()
    idx = parent.index(a)
    img = a[0]
    img.tail = (img.tail or "") + (a.tail or "")
    if a.text:
        prev = parent[idx - 1] if idx > 0 else None
        if prev is not None:
            prev.tail = (prev.tail or "") + a.text
        else:
            parent.text = (parent.text or "") + a.text
    parent.replace(a, img)


def _replace_with_placeholder(img, src: str, label: str, link: str | None = None) -> None:
    htmlfrag.placeholder(img, label, href=link, title=img.get("alt") or None)


def _as_written(href: str) -> str:
    """The link as its author wrote it: ``{{< relref "x" >}}`` rather than the stage's ``relref:x``."""
    return f'{{{{< relref "{href[len("relref:") :]}" >}}}}' if href.startswith("relref:") else href
