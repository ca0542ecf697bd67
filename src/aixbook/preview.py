"""Preview one chapter, or one section, as it will print — without the whole book.

Every chapter is still read (links need all anchors) but from the on-disk
cache where unchanged; only the previewed part is resolved and rendered.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NoReturn

from . import htmlfrag, output
from .book import Gathered, book_from, gather
from .errors import AixbookError
from .links import make_uid, resolve_chapter, resolve_href, short_name
from .model import Book, Chapter, Heading, LinkStats, ResolvedChapter

log = logging.getLogger(__name__)


class SelectionError(AixbookError):
    """The chapter or section asked for is unknown or ambiguous (exit status 2)."""

    category = "preview"
    exit_code = 2


@dataclass(frozen=True)
class Selection:
    chapter: Chapter
    heading: Heading | None = None  # a section; None = the whole chapter

    @property
    def slug(self) -> str:
        base = self.chapter.source.stem
        return f"{base}--{self.heading.id}" if self.heading else base

    @property
    def label(self) -> str:
        return self.heading.text if self.heading else self.chapter.source.title


_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)*)\.?(?:\s|$)")


def _number(text: str) -> str | None:
    m = _NUMBER.match(text)
    return m.group(1) if m else None


def select(g: Gathered, query: str) -> Selection:
    """Find the chapter or section ``query`` names.

    Tried in order: chapter number ("2"), the page's number in a section's tree ("3.7.2"),
    section number ("2.2"), file stem,
    short link name ("promptinjection"), words of a chapter title ("input threats").
    """
    q = query.strip()
    chapters = list(g.chapters)
    if re.fullmatch(r"\d+", q):
        hits = [c for c in chapters if _number(c.source.title) == q]
        if len(hits) == 1:
            return Selection(hits[0])
    # A book made from a section's tree numbers its pages (3, 3.7, 3.7.2): those first.
    tree = [c for c in chapters if c.source.number and c.source.number == q.rstrip(".")]
    if len(tree) == 1:
        return Selection(tree[0])
    if re.fullmatch(r"\d+(?:\.\d+)+\.?", q):
        want = q.rstrip(".")
        sections = [Selection(c, h) for c in chapters for h in c.headings if _number(h.text) == want]
        if len(sections) == 1:
            return sections[0]
        if not sections:
            raise SelectionError(
                f"no section is numbered {want}; numbered sections of chapter "
                f"{want.split('.')[0]}: "
                + ", ".join(
                    n
                    for c in chapters
                    if _number(c.source.title) == want.split(".")[0]
                    for h in c.headings
                    if (n := _number(h.text))
                )
            )
        _fail(query, sections, "sections")
    hits = [c for c in chapters if c.source.stem.lower() == q.lower()]
    if hits:
        return Selection(hits[0])
    name = short_name(f"/go/{q}/") if re.fullmatch(r"[\w-]+", q) else None
    if name:
        target = _short_target(g, name)
        if target is not None:
            return target
    words = [w for w in re.findall(r"\w+", q.lower())]
    hits = [c for c in chapters if words and all(w in c.source.title.lower() for w in words)]
    if len(hits) == 1:
        return Selection(hits[0])
    return _fail(query, [Selection(c) for c in (hits or chapters)], "chapters" if hits else None)


def _short_target(g: Gathered, name: str) -> Selection | None:
    t = resolve_href(g.table, f"/go/{name}/", g.chapters[0].key).target
    if t.kind != "internal":
        return None
    chapter = next(c for c in g.chapters if c.key == t.chapter)
    heading = next((h for h in chapter.headings if make_uid(chapter.key, h.id) == t.uid), None)
    return Selection(chapter, heading)


def _fail(query: str, candidates: list[Selection], kind: str | None) -> NoReturn:
    listing = "; ".join(f"{_number(s.label) or s.chapter.source.stem}: {s.label}" for s in candidates[:20])
    if kind:
        raise SelectionError(f"'{query}' is ambiguous; it matches {len(candidates)} {kind}: {listing}")
    raise SelectionError(f"no chapter or section matches '{query}'. Chapters: {listing}")


def section_html(rc: ResolvedChapter, heading: Heading) -> tuple[str, tuple[Heading, ...]]:
    """The heading and everything under it, up to the next heading of its level or higher."""
    root = htmlfrag.parse(rc.html)
    keep, inside = [], False
    for el in root:
        m = re.fullmatch(r"h([1-6])", el.tag if isinstance(el.tag, str) else "")
        if inside and m and int(m.group(1)) <= heading.level:
            break
        if el.get("id") == heading.uid:
            inside = True
        if inside:
            keep.append(el)
    html = "".join(htmlfrag.to_html(e) for e in keep)
    i = next(i for i, h in enumerate(rc.headings) if h.uid == heading.uid)
    heads = [rc.headings[i]]
    for h in rc.headings[i + 1 :]:
        if h.level <= heading.level:
            break
        heads.append(h)
    return html, tuple(heads)


def preview_book(g: Gathered, sel: Selection, resolved: tuple[ResolvedChapter, dict, list] | None = None) -> Book:
    """A one-chapter Book: links outside the previewed part point at the website.
    ``resolved``: the chapter already resolved (with its counts and diagnostics)."""
    if resolved is None:
        counts: dict = {}
        rc, diags = resolve_chapter(g.table, sel.chapter, counts)
    else:
        rc, counts, diags = resolved
    if sel.heading is not None:
        heading = next(h for h in rc.headings if h.id == sel.heading.id)
        html, heads = section_html(rc, heading)
        rc = replace(rc, html=html, headings=heads)
        lines = _line_range(sel.chapter, heading)
        diags = [d for d in diags if d.line is None or lines[0] <= d.line < lines[1]]
    rc = replace(rc, html=_external_anchors(rc.html, rc.chapter.key, g))
    return book_from(g, [rc], LinkStats.from_counts(counts), diags, all_diagnostics=False)


def _line_range(ch: Chapter, heading: Heading) -> tuple[int, int]:
    after = [h.line for h in ch.headings if h.line > heading.line and h.level <= heading.level]
    return heading.line, (after[0] if after else 10**9)


def _external_anchors(html: str, key: str, g: Gathered) -> str:
    """Links to ids that are not in this preview go to their website address."""
    root = htmlfrag.parse(html)
    ids = htmlfrag.ids_of(root) | {key}
    for a in root.iter("a"):
        href = a.get("href") or ""
        if href.startswith("#") and href[1:] not in ids:
            a.set("href", g.web_url(href[1:]))
    return htmlfrag.serialize(root)


def render_preview(
    site_dir, query: str, output_dir: Path, *, cache=None, fmt: str = "pdf", config_path=None
) -> tuple[Path, Book]:
    """Write ``output_dir/preview/<chapter>.pdf`` (or .html) for the chapter/section ``query``."""
    from .build import render_to
    from .render import RenderOptions, output_path

    output.reset_interrupt()  # an earlier interrupted build in this process must not stop this one
    g = gather(site_dir, config_path, cache=cache)
    sel = select(g, query)
    final = output_path(Path(output_dir) / "preview", sel.slug, fmt)
    if fmt == "pdf" and sel.heading is None and _pdf_parts_usable():
        # A chapter: its pages as the release PDF has them, from the build's part cache.
        # Every chapter is resolved once, the previewed one's counts and diagnostics kept.
        resolved: list[ResolvedChapter] = []
        link_diags: list = []
        total: Counter[str] = Counter()
        mine = None
        for ch in g.chapters:
            counts: dict = {}
            rc, diags = resolve_chapter(g.table, ch, counts)
            resolved.append(rc)
            link_diags.extend(diags)
            total.update(counts)
            if ch.key == sel.chapter.key:
                mine = (rc, counts, diags)
        book = preview_book(g, sel, mine)
        whole = book_from(g, resolved, LinkStats.from_counts(total), link_diags, all_diagnostics=False)
        options = RenderOptions(
            jobs=whole.config.jobs,
            cache_dir=Path(output_dir) / ".cache",
            part=sel.chapter.key,
            elsewhere=g.web_urls(),
        )
        result = render_to(whole, fmt, final, options)
    else:
        book = preview_book(g, sel)
        result = render_to(book, fmt, final, RenderOptions(preview=True))
    log.info("preview %s: laid out %s", sel.slug, ", ".join(result.laid_out) or "nothing (all from the part cache)")
    return final, book


def _pdf_parts_usable() -> bool:
    from .render.pdf import parts_usable  # only a PDF preview loads the PDF renderer

    return parts_usable()
