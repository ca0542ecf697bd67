"""Book (or part of it) → one HTML document: front page, contents, chapters.

The document names its resources (images, front-page artwork) by relative URL;
``Document.resources`` maps each URL to the file on disk, so every renderer
serves exactly those files and nothing else.
"""

from __future__ import annotations

import html as htmllib
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from lxml import etree

from . import __version__, htmlfrag
from .a11y import fill_alt_texts, fill_empty_headers, label_checkboxes, lift_headings, pad_short_rows
from .colophon import add_edition_line, colophon_html
from .frontpage import front_page_art, site_front_page
from .htmlfrag import add_class, placeholder, text_of
from .hyphenate import Memo, book_language, hyphenate_tree
from .links import CONTENTS_ID, FRONT_ID, image_file
from .model import Book, ResolvedChapter
from .tablefit import hold_spans, keep_whole


@dataclass(frozen=True)
class Document:
    """An assembled HTML document and the files its relative URLs stand for."""

    html: str
    resources: dict[str, Path] = field(default_factory=dict)
    title: str = ""


def _description(book: Book) -> str:
    params = book.site.config.get("params") or {}
    site_text = params.get("description") or params.get("og_description") if isinstance(params, dict) else None
    return str(book.config.subtitle or site_text or book.config.title or "")


def build_date(fmt: str | None = None) -> datetime:
    """The date the build is for: SOURCE_DATE_EPOCH when set (reproducible builds), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC).replace(microsecond=0)


def human_date(d: datetime) -> str:
    return f"{d.day} {d.strftime('%B %Y')}"


def is_index_chapter(rc: ResolvedChapter) -> bool:
    src = rc.chapter.source
    return "index" in src.stem.lower() and src.title.strip().lower().endswith("index")


def chapter_fragment(
    book: Book, rc: ResolvedChapter, resources: dict[str, Path], hyphenate: bool = False, memo: Memo | None = None
) -> str:
    """A chapter's HTML prepared for a book: figures, wide tables, index lists; with
    ``hyphenate``, soft hyphens where its words may break (the print edition's), taken
    from ``memo`` when it hyphenated the same HTML before.

    Shared by the one-page document and the EPUB; registers the images it uses
    (including those fetched with --allow-remote, ``book.remote_images``).
    """
    remote = book.remote_images
    root = htmlfrag.parse(rc.html)
    for img in root.iter("img"):
        src = img.get("src", "")
        if src in rc.images:
            resources[src] = image_file(book.site, src)
        elif src in remote:
            local = "remote/" + remote[src].name
            resources[local] = remote[src]
            img.set("src", local)
        elif "remote" in (img.get("class") or "").split():
            _remote_placeholder(img, src)  # --allow-remote, but the fetch failed
        _figure(img)
    fill_alt_texts(root, rc.chapter.source.title)
    lift_headings(root)
    label_checkboxes(root)
    fill_empty_headers(root)
    pad_short_rows(root)
    for table in root.iter("table"):
        cols = _column_count(table)
        classes = (table.get("class") or "").split()
        if cols >= 6:
            classes.append("wide")
        rows = len(table.findall(".//tr"))
        if rows > 25:
            classes.append("long")
        if keep_whole(table, cols):
            classes.append("short")  # kept on one page (print.css): it leaves at most a third empty
        hold_spans(table)
        if classes:
            table.set("class", " ".join(dict.fromkeys(classes)))
    _break_long_words(root)
    _mark_labels(root)
    if is_index_chapter(rc):
        _index_lists(root)
    if book.config.xref_pages:
        for a in root.iter("a"):
            href = a.get("href", "")
            if href.startswith("#") and "footnote" not in (a.get("class") or ""):
                add_class(a, "xref")
    if hyphenate and (lang := book_language(book)):
        plain = htmlfrag.serialize(root) if memo is not None else ""
        if memo is not None and (known := memo.get(plain, lang)) is not None:
            return known
        hyphenate_tree(root, lang)
        html = htmlfrag.serialize(root)
        if memo is not None:
            memo.put(plain, lang, html)
        return html
    return htmlfrag.serialize(root)


#: Text this short takes one line: after a label, it is kept with what follows it too.
_ONE_LINE = 110


def _mark_labels(root) -> None:
    """Bold labels are run-in headings for what follows ("**Description**" alone, or
    "**Description**<br>text"): print.css keeps two lines of that text with them."""
    for p in list(root.iter("p")):
        if not len(p) or p[0].tag not in ("strong", "b") or (p.text or "").strip():
            continue
        label = p[0]
        if len(p) == 1 and not (label.tail or "").strip():
            add_class(p, "label")  # the text follows in the next block
            nxt = p.getnext()
            short = nxt is not None and nxt.tag in ("p", "blockquote") and len(text_of(nxt)) < _ONE_LINE
            if short and not _opens_section(nxt.getnext()):
                add_class(nxt, "keep-next")
        elif len(p) > 1 and p[1].tag == "br" and not (label.tail or "").strip():
            add_class(p, "label-lead")  # the text follows in the same paragraph, after <br>
            if len(text_of(p)) - len(text_of(label)) < _ONE_LINE and not _opens_section(p.getnext()):
                add_class(p, "keep-next")


def _opens_section(el) -> bool:
    """Nothing, a heading or another label: what came before it is complete (a label's
    one line of text need not be kept with it)."""
    if el is None or el.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        return True
    return el.tag == "p" and len(el) > 0 and el[0].tag in ("strong", "b") and not (el.text or "").strip()


_LONG_WORD = re.compile(r"\S{120,}")


def _break_long_words(root) -> None:
    """Offer a line break every 40 characters in runs of 120+ without one: hyphenating
    or breaking a 100,000-character "word" is quadratic in the layout engine."""

    def fix(text):
        return _LONG_WORD.sub(
            lambda m: "\u200b".join(m.group(0)[i : i + 40] for i in range(0, len(m.group(0)), 40)), text
        )

    for el in root.iter():
        if el.text and len(el.text) >= 120:
            el.text = fix(el.text)
        if el.tail and len(el.tail) >= 120:
            el.tail = fix(el.tail)


def _remote_placeholder(img, src: str) -> None:
    placeholder(img, f"remote image not embedded: {src}", href=src)


def _column_count(table) -> int:
    first = table.find(".//tr")
    if first is None:
        return 0
    return sum(
        int(c.get("colspan", "1") or 1) if (c.get("colspan") or "1").isdigit() else 1
        for c in first
        if c.tag in ("td", "th")
    )


def _figure(img) -> None:
    """An image alone in its paragraph becomes a figure, captioned by its alt/title text."""
    holder = img.getparent()
    if holder is not None and holder.tag == "a" and len(holder) == 1:
        holder = holder.getparent()
        node = img.getparent()
    else:
        node = img
    if holder is None or holder.tag != "p":
        return
    others = [c for c in holder if c is not node and c.tag != "br"]
    text = (holder.text or "") + "".join((c.tail or "") for c in holder)
    if others or text.strip():
        return
    fig = etree.Element("figure")
    fig.set("class", "figure")
    caption = (img.get("title") or img.get("alt") or "").strip()
    for c in list(holder):
        if c is node:
            c.tail = None
            fig.append(c)
    if caption:
        cap = etree.SubElement(fig, "figcaption")
        cap.text = caption
    fig.tail = holder.tail
    holder.getparent().replace(holder, fig)


def _index_lists(root) -> None:
    """Index paragraphs of "[Topic](link)" lines become lists, one entry per line."""
    for p in list(root.iter("p")):
        links = [c for c in p if c.tag == "a"]
        if not links or any(c.tag not in ("a", "br") for c in p):
            continue
        if (p.text or "").strip() or any((c.tail or "").strip() for c in p):
            continue
        ul = etree.Element("ul")
        ul.set("class", "index-entries")
        for a in links:
            li = etree.SubElement(ul, "li")
            a.tail = None
            li.append(a)
            add_class(a, "index-ref")
        ul.tail = p.tail
        p.getparent().replace(p, ul)


# ------------------------------------------------------------ front page


def front_page(book: Book, resources: dict[str, Path]) -> str:
    """The front page fragment with its placeholders filled, sanitized, and artwork registered."""
    date = human_date(build_date())
    cfg = book.config
    found = site_front_page(book.site, cfg, date, book.edition.name)
    if found is None:
        sub = f'<p class="subtitle">{htmllib.escape(cfg.subtitle)}</p>' if cfg.subtitle else ""
        authors = ", ".join(cfg.authors)
        return (
            f'<h1 class="book-title">{htmllib.escape(cfg.title or "")}</h1>{sub}'
            f'<p class="edition">Edition: {htmllib.escape(book.edition.name)}</p>'
            f'<p class="authors">{htmllib.escape(authors)}</p><p class="date">{date}</p>'
        )
    root = found.cleaned.tree
    if not found.places_edition:
        add_edition_line(root, book)
    art, _ = front_page_art(book.site, cfg, root)  # what is refused was reported when the book was read
    resources.update(art)
    for img in root.iter("img"):
        if not (img.get("alt") or "").strip():
            img.set("alt", f"Cover artwork of {book.config.title}")
            img.set("data-alt-generated", "1")
    for el in root.iter(etree.Element):
        if el_id := el.get("id"):
            el.set("id", "front-" + el_id)
    return htmlfrag.serialize(root)


# ---------------------------------------------------------------- TOC


#: "Contents" in the languages a Hugo docs site is often written in (by primary language subtag).
CONTENTS = {
    "ar": "المحتويات",
    "de": "Inhalt",
    "es": "Contenido",
    "fa": "فهرست مطالب",
    "fr": "Sommaire",
    "he": "תוכן העניינים",
    "it": "Indice",
    "ja": "目次",
    "ko": "목차",
    "pt": "Sumário",
    "ru": "Содержание",
    "zh": "目录",
}


def contents_label(book: Book) -> str:
    """The contents' title in the book's language ("Contents" in English and where unknown)."""
    return CONTENTS.get((book.config.language or "en").split("-")[0].lower(), "Contents")


def toc_html(book: Book, chapters: list[ResolvedChapter], depth: int) -> str:
    parts = [
        f'<nav class="toc" id="{CONTENTS_ID}" role="doc-toc" aria-labelledby="{CONTENTS_ID}-title">',
        f'<h1 id="{CONTENTS_ID}-title" class="toc-title">{htmllib.escape(contents_label(book))}</h1>',
        '<ol class="toc-list">',
    ]
    # A page below a section (level 2, 3, …) is listed inside its section's entry.
    stack: list[int] = []
    for rc in chapters:
        level = max(rc.chapter.source.level, 1)
        while len(stack) > 1 and stack[-1] > level:
            parts.append("</li></ol>")
            stack.pop()
        if stack and stack[-1] >= level:
            parts.append("</li>")
        elif stack:
            parts.append(f'<ol class="toc-pages toc-depth-{level}">')
            stack.append(level)
        else:
            stack.append(level)
        cls = "toc-chapter" if level == 1 else f"toc-chapter toc-depth-{level}"
        parts.append(f'<li class="{cls}"><a href="#{rc.chapter.key}">{htmllib.escape(rc.chapter.source.title)}</a>')
        if not is_index_chapter(rc):  # the index's letter headings would only be noise
            parts.append(_toc_children(rc, depth))
    while stack:
        parts.append("</li>" if len(stack) == 1 else "</li></ol>")
        stack.pop()
    parts.append("</ol></nav>")
    return "".join(parts)


def _toc_children(rc: ResolvedChapter, depth: int) -> str:
    heads = [h for h in rc.headings if 2 <= h.level <= depth]
    if not heads:
        return ""
    out: list[str] = []
    stack: list[int] = []
    for h in heads:
        while stack and stack[-1] > h.level:
            out.append("</li></ol>")
            stack.pop()
        if stack and stack[-1] == h.level:
            out.append("</li>")
        else:
            out.append(f'<ol class="toc-level-{h.level}">')
            stack.append(h.level)
        out.append(f'<li class="toc-h{h.level}"><a href="#{h.uid}">{htmllib.escape(h.text)}</a>')
    while stack:
        out.append("</li></ol>")
        stack.pop()
    return "".join(out)


# ------------------------------------------------------------ document


@dataclass(frozen=True)
class Chunk:
    """One piece of the document's body that starts on a new page: the front page, the
    contents, or one chapter. The release PDF lays each out on its own."""

    key: str  # "front", "toc", or the chapter's key (its section id)
    title: str
    html: str
    resources: dict[str, Path] = field(default_factory=dict)


_DATED = re.compile(r'<meta name="dcterms\.(created|modified)" ')


@dataclass(frozen=True)
class Parts:
    """A document cut into chunks: ``html(chunks)`` is the document of those chunks alone,
    with the same head; ``html(all)`` is exactly what ``assemble`` returns."""

    head: str
    body_open: str
    chunks: tuple[Chunk, ...]
    title: str = ""

    def html(self, chunks, dated: bool = True) -> str:
        """The document of ``chunks``; ``dated=False``: without the build's date in the
        head (it only reaches the PDF's metadata, which the combined PDF takes from its
        first part), so a chapter's layout is the same from one build to the next."""
        head = self.head if dated else "\n".join(line for line in self.head.split("\n") if not _DATED.match(line))
        return "\n".join([head, self.body_open, *(c.html for c in chunks), "</body></html>"])

    def document(self, chunks=None) -> Document:
        chunks = self.chunks if chunks is None else tuple(chunks)
        resources: dict[str, Path] = {}
        for c in chunks:
            resources.update(c.resources)
        return Document(html=self.html(chunks), resources=resources, title=self.title)


def assemble(book: Book, chapters: list[ResolvedChapter] | None = None, **options) -> Document:
    """The book (or ``chapters`` of it, a preview) as one HTML document; ``options`` as
    ``assemble_parts`` takes them."""
    return assemble_parts(book, chapters, **options).document()


def assemble_parts(
    book: Book,
    chapters: list[ResolvedChapter] | None = None,
    *,
    front: bool = True,
    toc: bool = True,
    css: tuple[str, ...] = (),
    inline_css: str = "",
    body_class: str = "book",
    hyphenate: bool = False,
    colophon: Literal["", "pdf", "screen"] = "",
    memo: Memo | None = None,
) -> Parts:
    """``assemble``, cut where pages break anyway: the front page, the contents, then each
    chapter.

    Args:
        chapters: a subset to assemble (a preview); default: every chapter.
        front, toc: include the front page / table of contents.
        css: stylesheet URLs to link; inline_css: CSS to put in a <style>.
        hyphenate: soft hyphens where words may break (print: see hyphenate.py).
        colophon: the colophon after the front page: "pdf", the PDF's (it cites the PDF's
            file name too, and is a page of its own); "screen", the one-page HTML's.
        memo: hyphenated chapters kept between builds (hyphenate.Memo).
    """
    cfg = book.config
    chapters = list(book.chapters if chapters is None else chapters)
    date = build_date().strftime("%Y-%m-%dT%H:%M:%SZ")
    esc = htmllib.escape
    head = [
        "<!DOCTYPE html>",
        f'<html lang="{esc(cfg.language or "en")}"' + (' dir="rtl">' if cfg.direction == "rtl" else ">"),
        "<head>",
        '<meta charset="utf-8"/>',
        f"<title>{esc(cfg.title or '')}</title>",
        f'<meta name="author" content="{esc(", ".join(cfg.authors))}"/>',
        f'<meta name="description" content="{esc(_description(book))}"/>',
        f'<meta name="keywords" content="{esc(", ".join(cfg.keywords or ("AI security", "OWASP")))}"/>',
        f'<meta name="generator" content="aixbook {__version__}"/>',
        f'<meta name="dcterms.created" content="{date}"/>',
        f'<meta name="dcterms.modified" content="{date}"/>',
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
    ]
    head += [f'<link rel="stylesheet" href="{esc(u)}"/>' for u in css]
    if inline_css:
        head.append(f"<style>{inline_css}</style>")
    head.append("</head>")
    chunks: list[Chunk] = []
    if front:
        resources: dict[str, Path] = {}
        cover = f'<section class="front-page" id="{FRONT_ID}">{front_page(book, resources)}</section>'
        chunks.append(Chunk("front", "front page", cover, resources))
        if colophon:
            pdf = f"{cfg.output_name or 'book'}.pdf" if colophon == "pdf" else ""
            chunks.append(Chunk("colophon", "colophon", colophon_html(book, human_date(build_date()), pdf)))
    if toc:
        chunks.append(Chunk("toc", "contents", toc_html(book, chapters, cfg.toc_depth)))
    for rc in chapters:
        resources = {}
        cls = "chapter index-chapter" if is_index_chapter(rc) else "chapter"
        src = rc.chapter.source
        if src.level > 1:
            cls += f" depth-{src.level}"  # the outline and the contents nest it below its section
        html = "\n".join(
            [
                f'<section class="{cls}" id="{rc.chapter.key}" data-source="{esc(src.stem)}">',
                f'<h1 class="chapter-title">{esc(src.title)}</h1>',
                chapter_fragment(book, rc, resources, hyphenate, memo),
                "</section>",
            ]
        )
        chunks.append(Chunk(rc.chapter.key, src.title, html, resources))
    return Parts("\n".join(head), f'<body class="{body_class}">', tuple(chunks), cfg.title or "")
