"""Resolve every href and src of the book, once, to a LinkTarget.

``resolve_href``/``resolve_src`` are pure functions of a ``LinkTable`` (what
the site and all chapters define) and are table-tested. ``resolve_chapters``
applies them to the parsed chapters and gives each id a book-unique name.
"""

from __future__ import annotations

import difflib
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, unquote, urljoin, urlsplit

from lxml import etree

from . import htmlfrag
from .htmlfrag import add_class
from .locate import Locator
from .markdown import is_permalink_line
from .model import Chapter, Diagnostic, Heading, LinkStats, LinkTarget, ResolvedChapter
from .site import Redirect, Site, content_files, ref_url

_NCNAME_BAD = re.compile(r"[^\w.-]", re.UNICODE)
_DOMAIN_LIKE = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:/|$)", re.I)
_MAX_HOPS = 8
_REFUSED_SCHEMES = {"file", "javascript", "vbscript"}
_IMAGE_EXT = re.compile(r"\.(png|jpe?g|gif|svg|webp|avif|bmp|tiff?)$", re.I)


def chapter_key(stem: str, taken: set[str]) -> str:
    """An XML-safe id prefix for a chapter: "2_threats" → "ch-2_threats"."""
    key = _NCNAME_BAD.sub("-", stem) or "chapter"
    if not (key[0].isalpha() or key[0] == "_"):
        key = "ch-" + key
    base, n = key, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    taken.add(key)
    return key


def make_uid(key: str, local_id: str) -> str:
    """The book-unique, XML-safe id of ``local_id`` in chapter ``key``."""
    return f"{key}--{_NCNAME_BAD.sub('-', local_id)}"


@dataclass(frozen=True)
class Short:
    """Where a short name goes: a redirect destination, or a heading named by a Permalink line."""

    destination: str = ""  # from firebase.json
    chapter: str = ""  # from a Permalink line: chapter key …
    local_id: str = ""  # … and heading id


@dataclass
class LinkTable:
    """Everything links are resolved against: built once from the site and all chapters."""

    site: Site
    pages: dict[str, str] = field(default_factory=dict)  # "/docs/x" → chapter key
    chapter_urls: dict[str, str] = field(default_factory=dict)  # chapter key → "/docs/x/"
    ids: dict[str, frozenset[str]] = field(default_factory=dict)  # chapter key → Hugo ids
    shorts: dict[str, Short] = field(default_factory=dict)
    allow_remote: bool = False
    files: dict[str, Path] = field(default_factory=dict)  # chapter key → its content file (for relref)
    _content: dict[str, Path] | None = None  # the language's content files, read at the first relref

    def ref(self, ref: str, key: str) -> str | None:
        """The site path a ``{{< relref >}}`` in chapter ``key`` names (Hugo's lookup), or None."""
        if self._content is None:
            self._content = content_files(self.site, self.site.lang or self.site.default_lang)
        return ref_url(self.site, ref, self.files[key], self._content)

    def web(self, path: str) -> str:
        return self.site.web_url(path)


def split_url(url: str) -> SplitResult | None:
    """``urlsplit``, or None for a malformed URL (e.g. ``https://[x``) instead of ValueError."""
    try:
        return urlsplit(url)
    except ValueError:
        return None


_SHORT = re.compile(r"^/?(?:go|goto)/([^/?#]+)/?$")


def short_name(path: str) -> str | None:
    """``/go/name/`` or ``/goto/name`` → ``name`` (the two prefixes are one namespace)."""
    m = _SHORT.match(path)
    return m.group(1).lower() if m else None


def is_own_host(site: Site, netloc: str) -> bool:
    """Whether ``netloc`` is the website's own host (with or without ``www.``)."""
    own = (split_url(site.base_url) or urlsplit("")).netloc.lower()
    netloc = netloc.lower()
    return bool(own) and netloc in {own, "www." + own, own.removeprefix("www.")}


def short_redirects(site: Site) -> tuple[dict[str, Redirect], list[Diagnostic]]:
    """The site's redirects by short name; a name defined twice with different targets is an error."""
    by_name: dict[str, Redirect] = {}
    diags: list[Diagnostic] = []
    for red in site.redirects:
        name = short_name(red.source)
        if name is None:
            continue
        old = by_name.get(name)
        if old is None:
            by_name[name] = red
        elif _norm_dest(old.destination) != _norm_dest(red.destination):
            diags.append(
                Diagnostic(
                    "error",
                    f"short link '{name}' is defined twice with different targets: "
                    f"{old.destination} (line {old.line}) and {red.destination}",
                    site.firebase_path,
                    red.line or None,
                    code="duplicate-short-link",
                )
            )
    return by_name, diags


def _norm_dest(dest: str) -> str:
    parts = split_url(dest) or urlsplit("")
    return parts.path.rstrip("/") + ("#" + parts.fragment if parts.fragment else "")


def build_table(site: Site, chapters: list[Chapter], allow_remote: bool = False) -> tuple[LinkTable, list[Diagnostic]]:
    table = LinkTable(site=site, allow_remote=allow_remote)
    redirects, diags = short_redirects(site)
    for ch in chapters:
        table.pages[_norm_path(ch.source.url)] = ch.key
        table.chapter_urls[ch.key] = ch.source.url
        table.files[ch.key] = ch.source.path
        table.ids[ch.key] = ch.ids
    for name, red in redirects.items():
        table.shorts[name] = Short(destination=red.destination)
    for red in redirects.values():
        dest = split_url(red.destination) or urlsplit("")
        key = table.pages.get(_norm_path(dest.path)) if not dest.scheme else None
        if key is not None and dest.fragment and unquote(dest.fragment) not in table.ids[key]:
            diags.append(
                Diagnostic(
                    "error",
                    f"redirect {red.source} → {red.destination}: anchor #{dest.fragment} exists on "
                    f"no page{_suggest(dest.fragment, table.ids[key], prefix='#')}",
                    site.firebase_path,
                    red.line,
                    code="redirect-anchor",
                )
            )
    for name, red in redirects.items():
        chain, cur = [red.source], red
        while (nxt := _redirect_short(cur.destination)) is not None and nxt in redirects:
            cur = redirects[nxt]
            chain.append(cur.source)
            if nxt == name or len(chain) > _MAX_HOPS:
                diags.append(
                    Diagnostic(
                        "error",
                        f"redirect loop: {' → '.join(chain)}",
                        site.firebase_path,
                        red.line,
                        code="redirect-loop",
                    )
                )
                break
    for ch in chapters:
        for url, local_id, line in ch.permalinks:
            parts = split_url(url) if _is_site_url(site, url) else None
            named = short_name(parts.path) if parts is not None else None
            if named is None or named in redirects:
                continue
            old = table.shorts.get(named)
            if old is not None and (old.chapter, old.local_id) != (ch.key, local_id):
                diags.append(
                    Diagnostic(
                        "warning",
                        f"Permalink name '{named}' is also used for "
                        f"#{old.local_id} in chapter {old.chapter}; keeping the first",
                        ch.source.path,
                        line,
                        code="duplicate-permalink",
                    )
                )
                continue
            table.shorts.setdefault(named, Short(chapter=ch.key, local_id=local_id))
    return table, diags


def _redirect_short(destination: str) -> str | None:
    parts = split_url(destination)
    return short_name(parts.path) if parts is not None and not parts.scheme else None


def _is_site_url(site: Site, url: str) -> bool:
    parts = split_url(url)
    if parts is None:
        return False
    return not parts.scheme or (parts.scheme in ("http", "https") and is_own_host(site, parts.netloc))


def _norm_path(path: str) -> str:
    path = unquote(path).lower()
    if path.endswith("/index.html"):
        path = path[: -len("index.html")]
    if path.endswith(".md"):
        path = path[:-3]
    return "/" + path.strip("/") if path.strip("/") else "/"


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
    if parts.scheme == "relref":  # {{< relref "x" >}}: a page as Hugo finds it
        ref = unquote(href[len("relref:") :]).split("#", 1)[0]
        path = table.ref(ref, key)
        if path is None:
            return Resolution(
                LinkTarget("dangling", url=table.web("/"), reason=f'relref "{ref}" names no page of the site')
            )
        return Resolution(_site_path(table, path, parts.fragment, href, 0))
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


def _suggest(word: str, candidates, prefix: str = "") -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f". Did you mean '{prefix}{close[0]}'?" if close else ""


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
    prefix = table.site.url_prefix().lstrip("/")
    for folder, name in ((table.site.static_dir, rel), (table.site.content_dir, rel)):
        if prefix and folder == table.site.content_dir and rel.startswith(prefix + "/"):
            name = rel[len(prefix) + 1 :]  # a translated page's bundle: /fa/docs/x/a.png is docs/x/a.png
        cand = folder / name
        if cand.is_file():
            if not _really_inside(cand, table.site.root):
                return LinkTarget(
                    "refused", url=src, reason=f"image {src} is a symbolic link that points outside the site"
                )
            where = "" if folder == table.site.static_dir else "_content/"
            return LinkTarget("image", path=where + name, url=table.web(rel))
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
                    "error", f"dangling link {href}: {t.reason}", ch.source.path, locator.line(href), "dangling-link"
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
