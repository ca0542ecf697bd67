"""The release PDF cut into parts that are laid out on their own: the front matter (front
page and contents), then each chapter (the Index is one). Pages break between them in the
one-document PDF too, so each part's pages are the same pages.

What a part cannot know alone is supplied as input, and checked after layout:

- page numbers it prints (contents, index, "(p. N)" cross-references): ``target-counter``
  cannot see other documents, so the numbers are written into the HTML as ``data-page``
  and print.css shows ``attr(data-page)`` where it would show ``target-counter``;
- named strings carried over from the parts before it (the running head's book title),
  set on its root element;
- links to other parts: written by WeasyPrint as links to a sentinel address, turned into
  destinations when the parts are combined.

Footers ("n / N") need the final page count: parts are laid out without them, and they
are drawn over the combined pages (footers.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ... import htmlfrag
from ...assemble import Chunk, Parts

#: Where a link to another part points until the parts are combined.
SENTINEL = "https://aixbook-part.invalid/#"
#: Printed where a number is not known yet (the first layout of a cold build).
PLACEHOLDER = "0"
#: Footers are drawn over the combined pages, where the page count is known.
NO_FOOTER = "@page { @bottom-center { content: none !important; } }"


@dataclass(frozen=True)
class PartSource:
    """One part as cut from the assembled document, before any number is known."""

    index: int
    key: str
    title: str
    chunk: str
    resources: dict[str, Path]
    ids: frozenset[str]
    links: frozenset[str]  # ids its internal links point to
    numbered: tuple[str, ...]  # ids whose page number it prints, in order, once each

    @property
    def label(self) -> str:
        return self.title if self.key in ("front", "colophon", "toc") else f"chapter '{self.title}'"


@dataclass(frozen=True)
class PartJob:
    """Everything that decides a part's pages: laid out from this alone."""

    key: str
    label: str
    html: str
    resources: dict[str, Path] = field(hash=False, compare=False)
    extra_css: str
    paper: str
    pdf_variant: str | None
    foreign: frozenset[str]  # ids it links to that live in other parts
    numbers: tuple[tuple[str, str | None], ...]  # (id, printed number) it was given
    strings: tuple[tuple[str, str], ...]  # named strings it inherits
    weight: int = 0  # a guess at its cost, to start the longest first
    record: bool = field(default=False, compare=False)  # keep what resume.py needs (chapters)
    salt: str = field(default="", compare=False)  # partcache.salt, for ``settings``

    def digest(self, salt: str) -> str:
        """A key over every input (resource files by content): same key, same PDF."""
        h = hashlib.sha256(salt.encode())
        for value in (
            self.key,
            self.html,
            self.extra_css,
            self.paper,
            str(self.pdf_variant),
            json.dumps(sorted(self.foreign)),
            json.dumps(self.numbers),
            json.dumps(self.strings),
        ):
            h.update(value.encode("utf-8") + b"\0")
        for rel in sorted(self.resources):
            h.update(rel.encode() + b"\0" + _file_digest(self.resources[rel]))
        return h.hexdigest()

    @property
    def settings(self) -> str:
        """A key over every input but the HTML: a part laid out with the same settings can
        be laid out again from one of its pages after an edit of its HTML (resume.py)."""
        return PartJob(
            self.key, self.label, "", self.resources, self.extra_css, self.paper, self.pdf_variant, self.foreign, (), ()
        ).digest(self.salt)


_digests: dict[tuple[str, int, int], bytes] = {}


def _file_digest(path: Path) -> bytes:
    try:
        st = path.stat()
    except OSError:
        return b"missing"
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _digests:
        _digests[key] = hashlib.sha256(path.read_bytes()).digest()
    return _digests[key]


def is_numbered(a, ancestors: list) -> bool:
    """Whether print.css prints the page number of this link's target (its target-counter
    rules: contents entries, index entries, "(p. N)" cross-references)."""
    classes = (a.get("class") or "").split()
    if "xref" in classes:
        return True
    for el in ancestors:
        el_classes = (el.get("class") or "").split()
        if el.tag == "nav" and "toc" in el_classes:
            return True
        if "index-ref" in classes and el.tag == "section" and "index-chapter" in el_classes:
            return True
    return False


def _with_ancestors(root):
    """Each element under ``root`` (itself first), in document order, with its ancestors."""
    stack: list = []

    def walk(el):
        if not isinstance(el.tag, str):
            return
        yield el, stack
        stack.append(el)
        for child in el:
            yield from walk(child)
        stack.pop()

    yield from walk(root)


def _scan(chunk: str) -> tuple[frozenset[str], frozenset[str], tuple[str, ...]]:
    ids: set[str] = set()
    links: set[str] = set()
    numbered: dict[str, None] = {}
    for el, ancestors in _with_ancestors(htmlfrag.parse(chunk)):
        if el_id := el.get("id"):
            ids.add(el_id)
        href = el.get("href") or ""
        if el.tag == "a" and href.startswith("#") and len(href) > 1:
            links.add(href[1:])
            if is_numbered(el, ancestors):
                numbered.setdefault(href[1:], None)
    return frozenset(ids), frozenset(links), tuple(numbered)


def cut(parts: Parts) -> list[PartSource]:
    """The parts of an assembled document, each with the ids it defines and needs."""
    out = []
    for i, chunk in enumerate(parts.chunks):
        ids, links, numbered = _scan(chunk.html)
        out.append(PartSource(i, chunk.key, chunk.title, chunk.html, dict(chunk.resources), ids, links, numbered))
    return out


def with_numbers(chunk: str, numbers: dict[str, str | None]) -> str:
    """The chunk with each numbered link's target page written as ``data-page`` (none for
    a target no part has: print.css's ``target-counter`` then does what it always does)."""
    if not numbers:
        return chunk
    root = htmlfrag.parse(chunk)
    for el, ancestors in _with_ancestors(root):
        href = el.get("href") or ""
        number = numbers.get(href[1:]) if href.startswith("#") else None
        if el.tag == "a" and number is not None and is_numbered(el, ancestors):
            el.set("data-page", number)
    return htmlfrag.serialize(root)


def css_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ")
    return f'"{escaped}"'


def strings_css(strings: dict[str, str]) -> str:
    """Named strings a part starts with, as the one-document PDF carries them over."""
    if not strings:
        return ""
    values = ", ".join(f"{name} {css_string(value)}" for name, value in sorted(strings.items()))
    return f"html {{ string-set: {values}; }}"


def guess_strings(sources: list[PartSource]) -> list[dict[str, str]]:
    """What each part is likely to inherit, before anything is laid out: the front page's
    title as the book title of the running head (print.css sets ``booktitle`` from it).
    Layout reports the truth and a wrong guess is laid out again."""
    inherited: list[dict[str, str]] = []
    booktitle = ""
    for src in sources:
        inherited.append({"booktitle": booktitle} if booktitle else {})
        if src.key == "front":
            root = htmlfrag.parse(src.chunk)
            for section in root.iter("section"):
                if "front-page" in (section.get("class") or "").split():
                    for h1 in section.iter("h1"):
                        booktitle = " ".join(htmlfrag.text_of(h1).split())
    return inherited


def job_for(
    parts: Parts,
    src: PartSource,
    *,
    numbers: dict[str, str | None],
    strings: dict[str, str],
    foreign: frozenset[str],
    paper: str,
    pdf_variant: str | None,
    book_css: str = "",
    salt: str = "",
) -> PartJob:
    """The job laying out ``src`` with these page numbers (None: a target no part has) and
    inherited strings."""
    given = {t: numbers.get(t, PLACEHOLDER) for t in src.numbered}
    chunk = with_numbers(src.chunk, given)
    # The first part's metadata is the combined PDF's: only it carries the build's date.
    html = parts.html([Chunk(src.key, src.title, chunk)], dated=src.index == 0)
    return PartJob(
        key=src.key,
        label=src.label,
        html=html,
        resources=src.resources,
        extra_css=book_css + NO_FOOTER + strings_css(strings),
        paper=paper,
        pdf_variant=pdf_variant,
        foreign=foreign,
        numbers=tuple(given.items()),
        strings=tuple(sorted(strings.items())),
        weight=len(html) + 200_000 * len(src.resources),
        record=bool(salt) and src.key not in ("front", "colophon", "toc"),
        salt=salt,
    )
