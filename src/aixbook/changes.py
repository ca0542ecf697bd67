"""``build --changes-since OLD``: the book with its changes shown, as a redline does.

From a ``diff.BookDiff`` whose NEW side is the book being built:

- each changed block (paragraph, list item, table row, figure …) of an added, changed or
  moved section gets the class ``aixbook-changed`` and a label for screen readers
  (``aixbook-change-label``: "Changed:"); the stylesheets draw the change bar;
- where blocks were removed, a note says how many words (``aixbook-removed``); the removed
  text itself is not shown;
- an annex chapter, "Changes since X", lists the sections added, changed, moved and
  removed (each with a link: the PDF prints its page) and the short links retargeted.

Blocks of a matched section are matched with difflib on their normalised text.
"""

from __future__ import annotations

import html as htmllib
from dataclasses import replace
from difflib import SequenceMatcher

from lxml import etree

from . import htmlfrag
from .diff import HEADINGS, BookDiff, Section, Side
from .model import Book, Chapter, Heading, ResolvedChapter, Source

ANNEX_KEY = "aixbook-changes"
CHANGED, REMOVED, LABEL = "aixbook-changed", "aixbook-removed", "aixbook-change-label"
#: The blocks a change bar marks: the innermost of these that holds the text.
BLOCKS = frozenset({"p", "li", "tr", "pre", "dt", "dd", "figure", "blockquote", "table", "img"})


def _own_text(el) -> str:
    """The block's text without the text of the blocks inside it (an image is its source)."""
    out: list[str] = []

    def walk(e, top: bool) -> None:
        if not isinstance(e.tag, str):
            return
        if not top and e.tag in BLOCKS:
            return
        if e.tag == "img":
            out.append(f"[image {e.get('src') or ''}]")
        if e.text:
            out.append(e.text)
        for child in e:
            walk(child, False)
            if child.tail:
                out.append(child.tail)

    walk(el, True)
    return " ".join(" ".join(out).split())


def section_blocks(root, rc: ResolvedChapter) -> list[list]:
    """The blocks of each section of the chapter (local indices as ``diff.chapter_sections``
    gives them), in document order; footnotes are left out."""
    heads = {h.uid for h in rc.headings}
    sections: list[list] = [[]]
    cur = 0

    def walk(el) -> None:
        nonlocal cur
        if not isinstance(el.tag, str):
            return
        if el.tag in HEADINGS and el.get("id") in heads:
            sections.append([])
            cur = len(sections) - 1
            return
        if el.tag == "section" and "footnotes" in (el.get("class") or "").split():
            return
        if el.tag in BLOCKS and (el.tag != "img" or not _in_block(el)) and _own_text(el):
            sections[cur].append(el)
        for child in el:
            walk(child)

    for child in root:
        walk(child)
    return sections


def _in_block(el) -> bool:
    return any(a.tag in BLOCKS for a in el.iterancestors())


def _chapter_starts(side: Side) -> list[int]:
    return [i for i, s in enumerate(side.sections) if s.level == 0]


def _locate(side: Side, index: int) -> tuple[int, int]:
    """(chapter index, section index in that chapter) of ``side.sections[index]``."""
    starts = _chapter_starts(side)
    chapter = max(i for i, start in enumerate(starts) if start <= index)
    return chapter, index - starts[chapter]


def _label(el) -> None:
    """The class and, first in the block, a label screen readers say (not colour alone)."""
    htmlfrag.add_class(el, CHANGED)
    host = el
    if el.tag == "tr":
        cells = [c for c in el if isinstance(c.tag, str)]
        if not cells:
            return
        host = cells[0]
    elif el.tag in ("img", "table"):
        return
    span = etree.Element("span")
    span.set("class", LABEL)
    span.text = "Changed: "
    span.tail, host.text = host.text, None
    host.insert(0, span)


def _removed_note(like, words: int, after: bool) -> None:
    """A note ``removed: N words`` next to ``like``, of a kind that may stand there."""
    tag = {"li": "li", "tr": "tr", "dt": "dd", "dd": "dd"}.get(like.tag, "p")
    note = etree.Element(tag)
    note.set("class", REMOVED)
    note.set("role", "note")
    text = f"removed: {words} word{'s' if words != 1 else ''}"
    if tag == "tr":
        cell = etree.SubElement(note, "td")
        cell.set("colspan", str(max(1, len([c for c in like if isinstance(c.tag, str)]))))
        cell.text = text
    else:
        note.text = text
    if after:
        note.tail, like.tail = like.tail, None
        like.addnext(note)
    else:
        like.addprevious(note)
        note.tail = None


def _heading(root, uid: str):
    for el in root.iter(*HEADINGS):
        if el.get("id") == uid:
            return el
    return None


def mark_chapter(rc: ResolvedChapter, changes: dict[int, bool], old_texts: dict[int, list[str]]) -> str:
    """The chapter's HTML with its changed blocks marked. ``changes`` maps a section (local
    index) to True when it was added (every block is new), else its blocks are compared
    with the OLD ones' texts, ``old_texts[local]``."""
    root = htmlfrag.parse(rc.html)
    blocks = section_blocks(root, rc)
    for local, added in changes.items():
        mine = blocks[local] if local < len(blocks) else []
        if added:
            for el in mine:
                _label(el)
            continue
        texts = [_own_text(el) for el in mine]
        before = old_texts.get(local, [])
        ops = SequenceMatcher(None, before, texts, autojunk=False).get_opcodes()
        for op, i1, i2, j1, j2 in ops:
            if op in ("replace", "insert"):
                for el in mine[j1:j2]:
                    _label(el)
            if op == "delete":
                words = sum(len(t.split()) for t in before[i1:i2])
                if j1 < len(mine):
                    _removed_note(mine[j1], words, after=False)
                elif mine:
                    _removed_note(mine[-1], words, after=True)
                else:
                    heads = list(rc.headings)
                    at = _heading(root, heads[local - 1].uid) if 0 < local <= len(heads) else None
                    if at is not None:
                        _removed_note(at, words, after=True)
    return htmlfrag.serialize(root)


def _old_texts(d: BookDiff, index: int, parsed: dict[int, list[list]]) -> list[str]:
    """The texts of the blocks of OLD's section ``index`` (each chapter parsed once: ``parsed``)."""
    chapter, local = _locate(d.old, index)
    if chapter not in parsed:
        rc = d.old.book.chapters[chapter]
        parsed[chapter] = section_blocks(htmlfrag.parse(rc.html), rc)
    blocks = parsed[chapter]
    return [_own_text(el) for el in blocks[local]] if local < len(blocks) else []


def uid_of(side: Side, index: int) -> str:
    """The book id a link to ``side.sections[index]`` goes to."""
    chapter, _ = _locate(side, index)
    rc = side.book.chapters[chapter]
    s = side.sections[index]
    if s.level == 0:
        return rc.chapter.key
    return next((h.uid for h in rc.headings if h.id == s.id), rc.chapter.key)


def edition_label(d: BookDiff) -> str:
    return d.old.label + (f" ({d.old.revision[:12]})" if d.old.revision else "")


def _sections(n: int, status: str) -> str:
    return f"{n} section{'' if n == 1 else 's'} {status}"


def annex(d: BookDiff, title: str) -> ResolvedChapter:
    """The annex chapter: what changed, each section linked (the PDF prints its page)."""
    esc = htmllib.escape
    index = {id(s): i for i, s in enumerate(d.new.sections)}
    headings: list[Heading] = []
    parts = [
        f"<p>This edition compared with {esc(edition_label(d))}: "
        + ", ".join(_sections(d.count(s), s) for s in ("added", "changed", "moved", "removed"))
        + ". Changed text is marked with a bar in the margin.</p>"
    ]

    def name(s: Section) -> str:
        return esc(s.chapter_title if s.level == 0 else f"{s.chapter_title} › {s.title}")

    for status, heading in (("added", "Added"), ("changed", "Changed"), ("moved", "Moved"), ("removed", "Removed")):
        items = [c for c in d.sections if c.status == status]
        if not items:
            continue
        uid = f"{ANNEX_KEY}--{status}"
        headings.append(Heading(2, heading, status, 0, uid))
        parts.append(f'<h2 id="{uid}">{heading}</h2>')
        parts.append("<ul>")
        for c in items:
            if c.new is None:
                assert c.old is not None
                parts.append(f"<li>{name(c.old)} ({c.words_removed} words)</li>")
                continue
            link = f'<a class="xref" href="#{uid_of(d.new, index[id(c.new)])}">{name(c.new)}</a>'
            extra = ""
            if status == "changed":
                extra = f" (+{c.words_added} −{c.words_removed} words)"
            elif status == "moved" and c.old is not None:
                extra = f", from {esc(c.old.chapter_title)}"
            parts.append(f"<li>{link}{extra}</li>")
        parts.append("</ul>")
    retargeted = [x for x in d.shorts if x.status != "added"]
    if retargeted:
        uid = f"{ANNEX_KEY}--short-links"
        headings.append(Heading(2, "Short links", "short-links", 0, uid))
        parts.append(f'<h2 id="{uid}">Short links</h2>')
        parts.append("<p>These short links now lead elsewhere, or nowhere: citations of them changed meaning.</p>")
        parts.append("<ul>")
        parts += [
            f"<li><code>/go/{esc(x.name)}/</code>: {esc(x.old)} → {esc(x.new or 'removed')}</li>" for x in retargeted
        ]
        parts.append("</ul>")
    html = "\n".join(parts)
    site = d.new.book.site
    src = Source(
        path=site.content_dir / f"{ANNEX_KEY}.md",
        stem=ANNEX_KEY,
        url=f"/{ANNEX_KEY}/",
        title=title,
        weight=None,
        front_matter={},
        body="",
        body_line=1,
    )
    chapter = Chapter(src, ANNEX_KEY, html, tuple(headings), frozenset(h.id for h in headings), ())
    return ResolvedChapter(chapter, html, tuple(headings), (), ())


def with_changes(d: BookDiff) -> Book:
    """NEW's book with its changed blocks marked and the annex at its end."""
    book = d.new.book
    by_chapter: dict[int, dict[int, bool]] = {}
    old_texts: dict[int, dict[int, list[str]]] = {}
    index = {id(s): i for i, s in enumerate(d.new.sections)}
    old_index = {id(s): i for i, s in enumerate(d.old.sections)}
    parsed: dict[int, list[list]] = {}
    for c in d.sections:
        if c.new is None:
            continue
        if c.status != "added" and not (c.words_added or c.words_removed):
            continue
        chapter, local = _locate(d.new, index[id(c.new)])
        by_chapter.setdefault(chapter, {})[local] = c.status == "added"
        if c.status != "added":
            assert c.old is not None
            old_texts.setdefault(chapter, {})[local] = _old_texts(d, old_index[id(c.old)], parsed)
    chapters = list(book.chapters)
    for chapter, changes in by_chapter.items():
        rc = chapters[chapter]
        chapters[chapter] = replace(rc, html=mark_chapter(rc, changes, old_texts.get(chapter, {})))
    title = f"Changes since {edition_label(d)}"
    extra = annex(d, title)
    chapters.append(extra)
    anchors = dict(book.anchors) | {ANNEX_KEY: ANNEX_KEY} | {h.uid: ANNEX_KEY for h in extra.headings}
    return replace(book, chapters=tuple(chapters), anchors=anchors)
