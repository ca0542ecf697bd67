"""The URL helpers the link table and the resolver share: splitting a URL without raising,
short links (``/go/name/``), the website's own host, a site path made comparable, and the
"Did you mean" suggestion."""

from __future__ import annotations

import difflib
import re
from urllib.parse import SplitResult, unquote, urlsplit

from ..site import Site

#: A link written as a bare domain ("example.org/x"), which a browser would read as a path.
DOMAIN_LIKE = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:/|$)", re.I)
#: Redirects followed before a chain counts as a loop.
MAX_HOPS = 8
#: Schemes a book never follows.
REFUSED_SCHEMES = {"file", "javascript", "vbscript"}
#: File suffixes of the images a link may point at.
IMAGE_EXT = re.compile(r"\.(png|jpe?g|gif|svg|webp|avif|bmp|tiff?)$", re.I)


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


def is_site_url(site: Site, url: str) -> bool:
    """Whether ``url`` is a path of the site or an http(s) URL on its own host."""
    parts = split_url(url)
    if parts is None:
        return False
    return not parts.scheme or (parts.scheme in ("http", "https") and is_own_host(site, parts.netloc))


def norm_path(path: str) -> str:
    """A site path as pages are looked up by: unquoted, lower case, no index.html, .md or end slash."""
    path = unquote(path).lower()
    if path.endswith("/index.html"):
        path = path[: -len("index.html")]
    if path.endswith(".md"):
        path = path[:-3]
    return "/" + path.strip("/") if path.strip("/") else "/"


def suggest(word: str, candidates, prefix: str = "") -> str:
    """``. Did you mean 'x'?`` for the closest of ``candidates``, or "" when none is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f". Did you mean '{prefix}{close[0]}'?" if close else ""
