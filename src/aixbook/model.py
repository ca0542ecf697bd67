"""The data that flows through the pipeline (all immutable).

Source ─parse→ Chapter ─links→ Book. Every stage returns new objects; none
mutates what it was given.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # only for the type checker: model stays a leaf
    from .config import BookConfig
    from .site import Site

Severity = Literal["error", "warning", "info"]


#: Every diagnostic code, its default severity and what it means. Codes are stable:
#: book.toml's ``[diagnostics]`` table and CI annotations refer to them.
CODES: dict[str, tuple[Severity, str]] = {
    "dangling-link": ("error", "a link whose target exists nowhere (it points at the website)"),
    "redirect-anchor": ("error", "a firebase.json redirect to an anchor that exists on no page"),
    "redirect-loop": ("error", "firebase.json redirects that lead back to themselves"),
    "duplicate-short-link": ("error", "a short link defined twice with different targets"),
    "duplicate-id": ("error", "a heading id given twice with {#id} on one page"),
    "missing-image": ("error", "an image that is not in the site"),
    "unreadable-image": ("error", "an image file that no image format reads (it shows as a placeholder)"),
    "duplicate-permalink": ("warning", "a 'Permalink:' name used for two headings"),
    "relative-short-link": ("warning", "a short link written relative (go/x/), which breaks on the website"),
    "no-scheme": ("warning", "a link to a domain without http(s)://"),
    "not-in-checkout": ("warning", "a site path that is neither a page nor a file of this checkout"),
    "refused-url": ("warning", "a file:, javascript: or vbscript: URL, or a path leaving the site"),
    "refused-path": ("warning", "a file outside the site (a symbolic link, .. or an absolute path): left out"),
    "remote-image": ("warning", "an image on another host, shown as a link (see --allow-remote)"),
    "remote-fetch": ("warning", "a remote image that could not be fetched with --allow-remote"),
    "dropped-html": ("warning", "raw HTML or CSS a book does not keep (allowlist), dropped"),
    "malformed-html": ("warning", "a malformed tag such as <br<a …>, repaired"),
    "control-character": ("warning", "control characters in the text, removed"),
    "unsupported-shortcode": ("warning", "a Hugo shortcode the book cannot render; its inner text is kept"),
    "no-glyph": ("warning", "a character no shipped font can draw (it prints as a box)"),
    "heading-skip": ("warning", "a heading that skips a level (#### right under ##)"),
    "empty-table-header": ("warning", "a table header cell with no text"),
    "short-table-row": ("warning", "a table row with fewer cells than the table has columns (padded in the book)"),
    "missing-alt": ("warning", "an image without alt text (the message names the alt the book uses)"),
    "vague-link-text": ("warning", "a link whose text is only a URL or “here”"),
    "empty-language": ("warning", "a site language with no page in the book's section: no book is written for it"),
    "missing-translation": ("warning", "a page of the book's section that this language has no translation of"),
    "input-too-large": ("error", "nesting, a line or a page past the book's limits (see Security): the build stops"),
}
#: Codes of errors that stop the build: book.toml cannot lower or drop them.
REFUSALS = frozenset({"input-too-large"})


@dataclass(frozen=True)
class Diagnostic:
    """A problem found in the content, located at ``path:line``, with a stable ``code`` (see CODES)."""

    severity: Severity
    message: str
    path: Path | None = None
    line: int | None = None
    code: str = ""

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return f"{where}{self.severity}: {self.message}"


def with_severities(
    diagnostics: tuple[Diagnostic, ...] | list[Diagnostic], table: tuple[tuple[str, str], ...]
) -> tuple[Diagnostic, ...]:
    """``diagnostics`` with book.toml's ``[diagnostics]`` severities applied: "ignore" drops a code."""
    wanted = dict(table)
    out = []
    for d in diagnostics:
        severity = wanted.get(d.code)
        if severity == "ignore":
            continue
        if severity in ("error", "warning") and severity != d.severity:
            d = replace(d, severity="error" if severity == "error" else "warning")
        out.append(d)
    return tuple(out)


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

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]
