"""Resolving a parsed chapter: book-unique ids, every href and src rewritten, counts and
diagnostics."""

from __future__ import annotations

import posixpath

from lxml import etree

from .. import htmlfrag
from ..htmlfrag import add_class
from ..locate import Locator
from ..markdown import is_permalink_line
from ..model import Chapter, Diagnostic, Heading, LinkStats, ResolvedChapter
from .resolve import resolve_href, resolve_src
from .table import LinkTable, _is_site_url, make_uid, split_url

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
    images: list[str] = []
    missing: list[str] = []
    remote: list[str] = []
    for el in root.iter(etree.Element):
        el_id = el.get("id")
        if el_id:
            el.set("id", make_uid(key, el_id))
    for a in list(root.iter("a")):
        href = a.get("href")
        if href is None:
            continue
        if is_permalink_line(a):
            parts = split_url(href) if _is_site_url(table.site, href) else None
            a.set("href", table.web(parts.path) if parts is not None else href)
            a.set("class", "permalink")
            continue
        res = resolve_href(table, href, key)
        t = res.target
        counts[t.kind] = counts.get(t.kind, 0) + 1
        if res.warning:
            diags.append(Diagnostic("warning", res.warning, ch.source.path, locator.line(href), res.code))
        if t.kind == "refused":
            diags.append(
                Diagnostic(
                    "warning", f"link {href[:60]}: {t.reason}", ch.source.path, locator.line(href), "refused-url"
                )
            )
            del a.attrib["href"]
            continue
        if t.kind == "internal":
            a.set("href", "#" + t.uid)
        elif t.kind == "dangling":
            diags.append(
                Diagnostic(
                    "error",
                    f"dangling link {_as_written(href)}: {t.reason}",
                    ch.source.path,
                    locator.line(href),
                    "dangling-link",
                )
            )
            a.set("href", t.url)
            add_class(a, "dangling")
        elif t.kind == "site" and t.path and _wraps_only_image(a):
            _unwrap(a)
        else:
            if t.kind == "missing-image":
                diags.append(
                    Diagnostic(
                        "error",
                        f"missing image {href}: {t.reason}",
                        ch.source.path,
                        locator.line(href),
                        "missing-image",
                    )
                )
                missing.append(t.path)
            elif t.reason:
                diags.append(Diagnostic("warning", t.reason, ch.source.path, locator.line(href), "not-in-checkout"))
            a.set("href", t.url)
    for img in list(root.iter("img")):
        src = img.get("src")
        if src is None:
            continue
        t = resolve_src(table, src, key)
        if t.kind == "image":
            counts["image"] = counts.get("image", 0) + 1
            img.set("src", t.path if t.path else t.url)
            if t.path and t.path not in images:
                images.append(t.path)
        elif t.kind == "refused":
            diags.append(Diagnostic("warning", t.reason, ch.source.path, locator.line(src), "refused-url"))
            _replace_with_placeholder(img, src, f"image not shown: {posixpath.basename(src) or src}")
        elif t.kind == "external" and table.allow_remote:
            counts["image"] = counts.get("image", 0) + 1
            add_class(img, "remote")
            remote.append(src)
        elif t.kind == "external":
            counts["external"] = counts.get("external", 0) + 1
            _replace_with_placeholder(img, src, f"remote image not embedded: {src}", link=src)
            diags.append(
                Diagnostic(
                    "warning",
                    f"remote image {src} is not fetched (shown as a link; --allow-remote fetches it)",
                    ch.source.path,
                    locator.line(src),
                    "remote-image",
                )
            )
        else:
            counts["missing-image"] = counts.get("missing-image", 0) + 1
            missing.append(t.path)
            diags.append(
                Diagnostic(
                    "error", f"missing image {src}: {t.reason}", ch.source.path, locator.line(src), "missing-image"
                )
            )
            _replace_with_placeholder(img, src, f"missing image: {posixpath.basename(t.path) or src}")
    html = htmlfrag.serialize(root)
    headings = tuple(Heading(h.level, h.text, h.id, h.line, make_uid(key, h.id)) for h in ch.headings)
    return ResolvedChapter(
        chapter=ch,
        html=html,
        headings=headings,
        images=tuple(images),
        missing_images=tuple(missing),
        remote_images=tuple(remote),
    ), diags


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
