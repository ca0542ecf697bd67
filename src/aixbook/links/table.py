"""What links are resolved against: chapter keys and ids, the site's short links and pages
(``build_table``). The URL helpers are in urls.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..diagnostics import Diagnostic
from ..model import Chapter
from ..site import Redirect, Site, content_files, ref_url
from .urls import MAX_HOPS, is_site_url, norm_path, short_name, split_url, suggest

_NCNAME_BAD = re.compile(r"[^\w.-]", re.UNICODE)


#: The ids of the pages the book adds to the site's: the front page, the colophon and the
#: contents, and their titles. Each starts with a capital letter: a short name is lower
#: case (``urls.short_name``), so /go/toc/ stays free to name a heading of the site, as a
#: PDF destination and an EPUB id; and no chapter's key is one of them (``chapter_key``).
FRONT_ID = "Front-page"
COLOPHON_ID = "Colophon"
CONTENTS_ID = "Contents"
OWN_IDS = frozenset(
    {FRONT_ID, COLOPHON_ID, f"{COLOPHON_ID}-title", f"{COLOPHON_ID}-cite", CONTENTS_ID, f"{CONTENTS_ID}-title"}
)


def chapter_key(stem: str, taken: set[str]) -> str:
    """An XML-safe id prefix for a chapter: "2_threats" → "ch-2_threats"; never one of
    ``OWN_IDS`` (a page "Contents.md" is "Contents-2")."""
    key = _NCNAME_BAD.sub("-", stem) or "chapter"
    if not (key[0].isalpha() or key[0] == "_"):
        key = "ch-" + key
    base, n = key, 1
    while key in taken or key in OWN_IDS:
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
        table.pages[norm_path(ch.source.url)] = ch.key
        table.chapter_urls[ch.key] = ch.source.url
        table.files[ch.key] = ch.source.path
        table.ids[ch.key] = ch.ids
    for name, red in redirects.items():
        table.shorts[name] = Short(destination=red.destination)
    for red in redirects.values():
        dest = split_url(red.destination) or urlsplit("")
        key = table.pages.get(norm_path(dest.path)) if not dest.scheme else None
        if key is not None and dest.fragment and unquote(dest.fragment) not in table.ids[key]:
            diags.append(
                Diagnostic(
                    "error",
                    f"redirect {red.source} → {red.destination}: anchor #{dest.fragment} exists on "
                    f"no page{suggest(dest.fragment, table.ids[key], prefix='#')}",
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
            if nxt == name or len(chain) > MAX_HOPS:
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
            parts = split_url(url) if is_site_url(site, url) else None
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
