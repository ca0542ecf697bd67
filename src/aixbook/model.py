"""The data that flows through the pipeline (all immutable).

Source ─parse→ Chapter ─links→ Book. Every stage returns new objects; none
mutates what it was given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .diagnostics import Diagnostic

if TYPE_CHECKING:  # only for the type checker: model depends on diagnostics.py alone
    from .config import BookConfig
    from .site import Site


@dataclass(frozen=True)
class Source:
    """One Markdown page of the site, in book order."""

    path: Path  # the .md file
    stem: str  # file name without .md, e.g. "2_threats_through_use"
    url: str  # site path of the page, e.g. "/docs/2_threats_through_use/"
    title: str  # the title the book shows for it
    weight: int | None
    front_matter: dict
    body: str  # Markdown after the front matter
    body_line: int  # 1-based line of the file where ``body`` starts
    level: int = 1  # depth in the book: 1 = a chapter, 2 = a page of a chapter's section, …
    number: str = ""  # place in the book's tree: "3.7.1" ("" in a book from a list or menu)
    is_section: bool = False  # a section's own page (_index.md): its pages follow, one level below
    lang: str = ""  # the Hugo language the page is in ("" = the site has one language)
    markup: tuple[str, ...] = ()  # the site's Markdown extras: "emoji", "dt-ids" (markdown.render)


@dataclass(frozen=True)
class Heading:
    """A heading of a chapter: ``id`` is Hugo's page-local id, ``uid`` book-unique."""

    level: int
    text: str
    id: str
    line: int
    uid: str = ""


@dataclass(frozen=True)
class Chapter:
    """A parsed page: its HTML fragment with links not yet resolved."""

    source: Source
    key: str  # XML-safe, book-unique prefix for ids of this chapter
    html: str
    headings: tuple[Heading, ...]
    ids: frozenset[str]  # every id in ``html`` (Hugo's, before prefixing)
    permalinks: tuple[tuple[str, str, int], ...]  # (short name, heading id, line)
    diagnostics: tuple[Diagnostic, ...] = ()


LinkKind = Literal["internal", "site", "external", "dangling", "image", "missing-image", "refused", "refused-path"]


@dataclass(frozen=True)
class LinkTarget:
    """Where one href/src goes, decided once; renderers only choose the spelling.

    - internal: ``uid`` is a book-unique id (``chapter`` is its chapter key)
    - site: a page of the website that is not in the book → ``url``
    - external: anything else on the web → ``url``
    - dangling: cannot be resolved → ``url`` on the website, ``reason`` says why
    - image / missing-image: ``path`` relative to the site's static folder; an image's
      ``reason`` says why it cannot be shown (a file no image format reads), if so
    - refused: a URL a book never follows (file:, javascript:, out of the site)
    - refused-path: a file of the site that links out of it (``Site.may_read`` says no)
    """

    kind: LinkKind
    url: str = ""
    chapter: str = ""
    uid: str = ""
    path: str = ""
    reason: str = ""


@dataclass(frozen=True)
class LinkStats:
    internal: int = 0
    site: int = 0
    external: int = 0
    dangling: int = 0
    images: int = 0
    missing_images: int = 0

    @classmethod
    def from_counts(cls, counts: dict) -> LinkStats:
        """From the per-kind counts the link stage keeps (keys are LinkTarget kinds)."""
        return cls(
            internal=counts.get("internal", 0),
            site=counts.get("site", 0),
            external=counts.get("external", 0),
            dangling=counts.get("dangling", 0),
            images=counts.get("image", 0),
            missing_images=counts.get("missing-image", 0),
        )


@dataclass(frozen=True)
class ResolvedChapter:
    """A chapter whose ids are book-unique and whose hrefs are resolved.

    In ``html`` an internal link is ``href="#uid"``, an image ``src`` is its path
    relative to the site's static folder, and everything else is an absolute URL.
    """

    chapter: Chapter
    html: str
    headings: tuple[Heading, ...]
    images: tuple[str, ...]  # static-relative paths of images shown, in order
    missing_images: tuple[str, ...]
    remote_images: tuple[str, ...] = ()  # http(s) image URLs kept (only with allow_remote)


UNVERSIONED = "unversioned"


@dataclass(frozen=True)
class Edition:
    """The edition a book is built as.

    name: what the outputs print ("v1.2", "2026-08-22 · 5413fde", "unversioned", or
        ``--edition``'s text).
    commit: the full commit id of the content ("" when unknown).
    date: the commit's date, YYYY-MM-DD ("" when unknown).
    tag: the tag ``git describe`` named the edition after ("" when none).
    repository: the repository's web address, when its remote is on github.com ("").
    dirty: tracked files differ from the commit.
    """

    name: str = UNVERSIONED
    commit: str = ""
    date: str = ""
    tag: str = ""
    repository: str = ""
    dirty: bool = False

    @property
    def short(self) -> str:
        return self.commit[:7]

    @property
    def commit_url(self) -> str:
        """The commit's page on GitHub ("" when the remote is not known to be there)."""
        return f"{self.repository}/commit/{self.commit}" if self.repository and self.commit else ""

    @property
    def file_name(self) -> str:
        """The edition as a part of a file name: "2026-08-22-5413fde", "v1.2"."""
        return file_name_part(self.name)


def file_name_part(text: str) -> str:
    """``text`` with every character a file name should not hold made "-" (runs as one)."""
    part = re.sub(r"[^A-Za-z0-9._+-]+", "-", text).strip("-.")
    return part or UNVERSIONED


@dataclass(frozen=True)
class Book:
    """Everything a renderer needs: metadata, chapters in order, diagnostics."""

    config: BookConfig
    site: Site
    chapters: tuple[ResolvedChapter, ...]
    anchors: dict = field(default_factory=dict)  # uid → chapter key
    stats: LinkStats = LinkStats()
    diagnostics: tuple[Diagnostic, ...] = ()
    remote_images: dict = field(default_factory=dict)  # URL → fetched file (--allow-remote)
    short_names: dict = field(default_factory=dict)  # short link name (/go/NAME/) → the uid it lands on
    edition: Edition = field(default_factory=Edition)  # what the book is cited as (edition.py)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]
