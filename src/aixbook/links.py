"""Resolve every href and src of the book, once, to a LinkTarget.

``resolve_href``/``resolve_src`` are pure functions of a ``LinkTable`` (what
the site and all chapters define, see linktable.py) and are table-tested.
``resolve_chapters`` applies them to the parsed chapters and gives each id a
book-unique name.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from lxml import etree

from . import htmlfrag
from .htmlfrag import add_class
from .linktable import (  # noqa: F401 (the link stage's public names, re-exported)
    _MAX_HOPS,
    LinkTable,
    _is_site_url,
    _norm_path,
    _suggest,
    build_table,
    chapter_key,
    is_own_host,
    make_uid,
    short_name,
    short_redirects,
    split_url,
)
from .locate import Locator
from .markdown import is_permalink_line
from .model import Chapter, Diagnostic, Heading, LinkStats, LinkTarget, ResolvedChapter
from .site import Site

_DOMAIN_LIKE = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:/|$)", re.I)
_REFUSED_SCHEMES = {"file", "javascript", "vbscript"}
_IMAGE_EXT = re.compile(r"\.(png|jpe?g|gif|svg|webp|avif|bmp|tiff?)$", re.I)


# ------------------------------------------------------------ resolving


@dataclass(frozen=True)
class Resolution:
    target: LinkTarget
    warning: str = ""  # a non-fatal remark about how the link is written …
    code: str = ""  # … and its diagnostic code


def resolve_href(table: LinkTable, href: str, key: str) -> Resolution:
    """Where ``href``, written in chapter ``key``, goes."""
    href = href.strip()
    if not href or href == "#":
        return Resolution(LinkTarget("internal", chapter=key, uid=key))
    if href.startswith("#"):
        return Resolution(_anchor(table, key, unquote(href[1:]), href, table.chapter_urls[key]))
    parts = split_url(href)
    if parts is None:
        return Resolution(LinkTarget("refused", url=href, reason="malformed URL"))
    if parts.scheme in _REFUSED_SCHEMES:
        return Resolution(LinkTarget("refused", url=href, reason=f"{parts.scheme}: URL refused"))
    if parts.scheme:
        if parts.scheme in ("http", "https") and is_own_host(table.site, parts.netloc):
            return Resolution(_site_path(table, parts.path or "/", parts.fragment, href, 0))
        return Resolution(LinkTarget("external", url=href))
    if href.startswith("//"):
        return Resolution(LinkTarget("external", url="https:" + href))
    if not href.startswith("/"):
        first = parts.path.split("/", 1)[0].lower()
        if first in ("go", "goto"):
            res = _site_path(table, "/" + parts.path, parts.fragment, href, 0)
            return Resolution(
                res,
                f"relative short link '{href}': on the website it points below the page; write '/{parts.path}'",
                "relative-short-link",
            )
        if _DOMAIN_LIKE.match(href) and not parts.path.endswith((".md", ".html")):
            return Resolution(
                LinkTarget("external", url="https://" + href),
                f"link '{href}' has no scheme; read as https://{href}",
                "no-scheme",
            )
        base = table.chapter_urls[key]
        joined = split_url(urljoin(base, href)) or urlsplit("")
        return Resolution(_site_path(table, joined.path, joined.fragment, href, 0))
    return Resolution(_site_path(table, parts.path, parts.fragment, href, 0))


def _site_path(table: LinkTable, path: str, fragment: str, original: str, hops: int) -> LinkTarget:
    web = table.web(path + ("#" + fragment if fragment else ""))
    if hops > _MAX_HOPS:
        return LinkTarget("dangling", url=web, reason=f"redirects loop ({original})")
    name = short_name(path)
    if name is not None:
        short = table.shorts.get(name)
        if short is None:
            return LinkTarget(
                "dangling",
                url=web,
                reason=f"short link '{name}' has no redirect in firebase.json and no "
                f"'Permalink:' line{_suggest(name, table.shorts)}",
            )
        if short.chapter:
            target = _anchor(table, short.chapter, short.local_id, original, path)
        else:
            dest = split_url(short.destination) or urlsplit("")
            if dest.scheme and not is_own_host(table.site, dest.netloc):
                return LinkTarget("external", url=short.destination)
            target = _site_path(table, dest.path or "/", dest.fragment or fragment, original, hops + 1)
        if target.kind == "dangling" and not target.reason.startswith("short link"):
            return LinkTarget(
                "dangling",
                url=web,
                reason=f"short link '{name}' redirects to {short.destination or path}: {target.reason}",
            )
        return target
    norm = _norm_path(path)
    key = table.pages.get(norm)
    if key is not None:
        if not fragment:
            return LinkTarget("internal", chapter=key, uid=key)
        return _anchor(table, key, unquote(fragment), original, table.chapter_urls[key])
    site = table.site
    rel = unquote(path).lstrip("/")
    if rel and _inside(site.static_dir, rel) and (site.static_dir / rel).is_file():
        return LinkTarget("site", url=web, path=rel)
    if site.page_file(unquote(path)) is not None or norm == "/":
        return LinkTarget("site", url=web)
    if _IMAGE_EXT.search(rel):
        return LinkTarget(
            "missing-image", url=web, path=rel, reason=f"linked image {path} not found in {site.static_dir}"
        )
    # Not in this checkout (e.g. a file the website publishes separately): the
    # reader still gets the website's address.
    return LinkTarget(
        "site", url=web, reason=f"{path} is neither a page nor a static file of the site; linking to the website"
    )


def _anchor(table: LinkTable, key: str, local_id: str, original: str, page_url: str) -> LinkTarget:
    ids = table.ids.get(key, frozenset())
    if local_id in ids:
        return LinkTarget("internal", chapter=key, uid=make_uid(key, local_id))
    lowered = local_id.lower()
    if lowered in ids:
        return LinkTarget("internal", chapter=key, uid=make_uid(key, lowered))
    return LinkTarget(
        "dangling",
        url=table.web(page_url + "#" + local_id),
        reason=f"anchor #{local_id} does not exist on {page_url}{_suggest(local_id, ids, prefix='#')}",
    )


def _inside(folder: Path, rel: str) -> bool:
    norm = posixpath.normpath(rel)
    return not (norm.startswith("..") or norm.startswith("/") or ":" in norm.split("/")[0])


def resolve_src(table: LinkTable, src: str, key: str) -> LinkTarget:
    """Where an image ``src`` written in chapter ``key`` is on disk (static-relative)."""
    src = src.strip()
    parts = split_url(src)
    if parts is None:
        return LinkTarget("refused", url=src, reason=f"malformed image URL {src[:60]}")
    if parts.scheme == "data":
        return LinkTarget("image", url=src)
    if parts.scheme in _REFUSED_SCHEMES:
        return LinkTarget(
            "refused", url=src, reason=f"{parts.scheme}: URL refused (a book reads only files of its site)"
        )
    if parts.scheme and not (parts.scheme in ("http", "https") and is_own_host(table.site, parts.netloc)):
        return LinkTarget("external", url=src)
    if _climbs_out(table.chapter_urls[key], unquote(parts.path)):
        return LinkTarget("refused", url=src, reason=f"image path {src} climbs out of the site")
    path = parts.path if parts.path.startswith("/") else urljoin(table.chapter_urls[key], parts.path)
    rel = posixpath.normpath(unquote(path)).lstrip("/")
    for folder in (table.site.static_dir, table.site.content_dir):
        cand = folder / rel
        if cand.is_file():
            if not _really_inside(cand, table.site.root):
                return LinkTarget(
                    "refused", url=src, reason=f"image {src} is a symbolic link that points outside the site"
                )
            prefix = "" if folder == table.site.static_dir else "_content/"
            return LinkTarget("image", path=prefix + rel, url=table.web(rel))
    return LinkTarget(
        "missing-image", path=rel, url=table.web(rel), reason=f"image {src} not found in {table.site.static_dir}"
    )


def _climbs_out(page_url: str, path: str) -> bool:
    """Whether ``path`` (relative to ``page_url``, or site-absolute) goes above the site root."""
    stack = [] if path.startswith("/") else [p for p in page_url.rsplit("/", 1)[0].split("/") if p]
    for seg in path.split("/"):
        if seg == "..":
            if not stack:
                return True
            stack.pop()
        elif seg not in ("", "."):
            stack.append(seg)
    return False


def _really_inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root.resolve())
    except OSError:
        return False


def image_file(site: Site, path: str) -> Path:
    """The file on disk of a static-relative image path from ``resolve_src``."""
    if path.startswith("_content/"):
        return site.content_dir / path[len("_content/") :]
    return site.static_dir / path


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

    def report(severity, message: str, url: str, code: str) -> None:
        diags.append(Diagnostic(severity, message, ch.source.path, locator.line(url), code))

    images: list[str] = []
    missing: list[str] = []
    remote: list[str] = []
    for el in root.iter(etree.Element):
        if el_id := el.get("id"):
            el.set("id", make_uid(key, el_id))
    for a, href in _with(root, "a", "href"):
        if is_permalink_line(a):
            parts = split_url(href) if _is_site_url(table.site, href) else None
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
            report("error", f"dangling link {href}: {t.reason}", href, "dangling-link")
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
        t = resolve_src(table, src, key)
        if t.kind == "image":
            counts["image"] = counts.get("image", 0) + 1
            img.set("src", t.path if t.path else t.url)
            if t.path and t.path not in images:
                images.append(t.path)
        elif t.kind == "refused":
            report("warning", t.reason, src, "refused-url")
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
