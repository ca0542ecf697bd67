"""Where one href or src goes: ``resolve_href`` and ``resolve_src``, pure functions of a
``LinkTable`` (table-tested)."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from ..model import LinkTarget
from ..site import Site
from .table import LinkTable, make_uid
from .urls import (
    DOMAIN_LIKE,
    IMAGE_EXT,
    MAX_HOPS,
    REFUSED_SCHEMES,
    is_own_host,
    norm_path,
    short_name,
    split_url,
    suggest,
)

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
    if parts.scheme in REFUSED_SCHEMES:
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
        if DOMAIN_LIKE.match(href) and not parts.path.endswith((".md", ".html")):
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
    if hops > MAX_HOPS:
        return LinkTarget("dangling", url=web, reason=f"redirects loop ({original})")
    name = short_name(path)
    if name is not None:
        short = table.shorts.get(name)
        if short is None:
            return LinkTarget(
                "dangling",
                url=web,
                reason=f"short link '{name}' has no redirect in firebase.json and no "
                f"'Permalink:' line{suggest(name, table.shorts)}",
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
    norm = norm_path(path)
    key = table.pages.get(norm)
    if key is not None:
        if not fragment:
            return LinkTarget("internal", chapter=key, uid=key)
        return _anchor(table, key, unquote(fragment), original, table.chapter_urls[key])
    site = table.site
    rel = unquote(path).lstrip("/")
    if rel and _inside(site.static_dir, rel) and site.static_file(rel) is not None:
        return LinkTarget("site", url=web, path=rel)
    if site.page_file(unquote(path)) is not None or norm == "/":
        return LinkTarget("site", url=web)
    if IMAGE_EXT.search(rel):
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
        reason=f"anchor #{local_id} does not exist on {page_url}{suggest(local_id, ids, prefix='#')}",
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
    if parts.scheme in REFUSED_SCHEMES:
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
    static = table.site.static_file(rel)
    for folder, name in ((table.site.static_dir, rel), (table.site.content_dir, rel)):
        if prefix and folder == table.site.content_dir and rel.startswith(prefix + "/"):
            name = rel[len(prefix) + 1 :]  # a translated page's bundle: /fa/docs/x/a.png is docs/x/a.png
        cand = static if folder == table.site.static_dir else table.site.content_file(name)
        if cand is not None and cand.is_file():
            if not table.site.may_read(cand):
                return LinkTarget(
                    "refused-path", url=src, reason=f"image {src} is a symbolic link that points outside the site"
                )
            where = "" if folder == table.site.static_dir else "_content/"
            return LinkTarget("image", path=where + name, url=table.web(rel), reason=image_problem(cand))
    found = _bundle_resource(table, key, unquote(parts.path)) if not parts.path.startswith("/") else None
    if found is not None:
        if not table.site.may_read(found):
            return LinkTarget(
                "refused-path", url=src, reason=f"image {src} is a symbolic link that points outside the site"
            )
        name = table.site.logical_path(found) or ""
        return LinkTarget("image", path="_content/" + name, url=table.web(rel), reason=image_problem(found))
    return LinkTarget(
        "missing-image", path=rel, url=table.web(rel), reason=f"image {src} not found in {table.site.static_dir}"
    )


def _bundle_resource(table: LinkTable, key: str, path: str) -> Path | None:
    """A page bundle's resource named relative to it: the file beside its index.md, found by
    the file's own folder name (the URL is lower-cased: docs/Diff/ is served as /docs/diff/)."""
    file = table.files.get(key)
    if file is None or file.name.split(".", 1)[0] not in ("index", "_index"):
        return None
    cand = Path(posixpath.normpath((file.parent / path).as_posix()))
    return cand if cand.is_file() and table.site.logical_path(cand) is not None else None


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


def image_problem(file: Path) -> str:
    """Why the image ``file`` cannot be shown ("" when it can), as WeasyPrint would find:
    what Pillow cannot identify or verify, unless it is an SVG document."""
    try:
        st = file.stat()
    except OSError as exc:
        return exc.strerror or "cannot be read"
    return _decode_problem(str(file), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=4096)
def _decode_problem(file: str, _mtime: int, _size: int) -> str:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(file) as im:
            im.verify()
        return ""
    except UnidentifiedImageError:
        return _svg_problem(file)
    except Exception as exc:  # Pillow raises SyntaxError, OSError, ValueError… for broken files
        return str(exc).replace(file, "the file") or type(exc).__name__


def _svg_problem(file: str) -> str:
    """ "" for an XML document with an <svg> root (parsed without entities or the
    network), else why not."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    unknown = "cannot identify image file (not a format WeasyPrint reads)"
    try:
        root = etree.parse(file, parser).getroot()
    except etree.XMLSyntaxError as exc:
        return f"not a valid SVG document: {exc.msg}" if file.lower().endswith(".svg") else unknown
    except (OSError, ValueError):
        return unknown
    return "" if isinstance(root.tag, str) and etree.QName(root).localname == "svg" else unknown


def image_file(site: Site, path: str) -> Path:
    """The file on disk of a static-relative image path from ``resolve_src``."""
    if path.startswith("_content/"):
        rel = path[len("_content/") :]
        return site.content_file(rel) or site.content_dir / rel
    return site.static_file(path) or site.static_dir / path
