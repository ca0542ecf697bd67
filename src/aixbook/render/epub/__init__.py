"""Book → EPUB 3 (ebooklib): one XHTML file per chapter (large ones split at h2),
a nested nav with landmarks, an NCX, a cover, accessibility metadata.

- ``xhtml``: the chapters' HTML made into EPUB's XHTML, links pointed at files;
- ``split``: large chapters in several files, and the package's file names;
- ``package``: images and cover, metadata, nav and landmarks, the reproducible zip.

Here they run in order: every chapter is made and split first, so that each
``href="#uid"`` can then be pointed at the file that holds ``uid``.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

from ebooklib import epub
from lxml import etree

from ...a11y import measure
from ...assemble import build_date, contents_label, front_page, human_date, is_index_chapter, toc_html
from ...colophon import TITLE as colophon_title
from ...colophon import colophon_html
from ...diagnostics import Diagnostic
from ...links import FRONT_ID
from ...model import Book
from ...resources import STYLES_DIR
from .. import RenderOptions, RenderResult, capture_warnings, direction_css
from . import package as pkg
from .fonts import FALLBACKS, FOLDER, embedded
from .split import SPLIT_BYTES, Part, item_id, split, unique_name
from .xhtml import (
    EPUB_TYPE,
    STYLESHEET,
    XHTML_NS,
    chapter_section,
    cover_page,
    fragment,
    index_ids,
    page,
    rewrite,
    sanitize,
    wrap,
)

__all__ = ["SPLIT_BYTES", "SUFFIX", "check", "render", "render_epub"]

log = logging.getLogger(__name__)

SUFFIX = ".epub"


def check(book: Book) -> list[Diagnostic]:
    """Nothing beyond the book's own diagnostics: e-readers bring their own fonts."""
    return []


def render(book: Book, target: Path, options: RenderOptions = RenderOptions()) -> RenderResult:
    """Write ``book`` as an EPUB 3 file to ``target``; warnings are the links it could not place."""
    with capture_warnings(__name__, "epub") as warnings:
        render_epub(book, target)
    return RenderResult(warnings=warnings)


def render_epub(book: Book, path: Path | str) -> Path:
    """Write ``book`` as an EPUB 3 file to ``path``.

    Args:
        book: a Book from ``load_book``.
        path: the file to write (the caller renames it into place).

    Returns:
        ``path``.

    Raises:
        BuildError: a page could not be made well-formed.
        OSError: the file could not be written (``build.render_to`` words it).
    """
    start = time.perf_counter()
    path = Path(path)
    cfg = book.config
    lang = cfg.language or "en"
    direction = cfg.direction or "ltr"
    contents = contents_label(book)
    title = cfg.title or "Untitled"
    stamp = build_date()

    # Chapters first: split them, then learn which file holds every id.
    resources: dict[str, Path] = {}
    parts, first_file, generated_alt = _chapter_parts(book, resources)
    file_of: dict[str, str] = {}
    for part in parts:
        index_ids(part.section, part.name, file_of)
    file_of.update(first_file)  # a chapter's own id: its first file
    short_name_ids(book, parts, file_of)

    front_resources: dict[str, Path] = {}
    front = fragment(front_page(book, front_resources))
    sanitize(front, book)
    for img in front.iter("img"):
        if not (img.get("alt") or "").strip():
            img.set("alt", "")
            img.set("role", "presentation")  # title artwork: the cover page shows it already
    index_ids(front, "front.xhtml", {})
    colophon = _colophon(book)
    toc_root = fragment(toc_html(book, list(book.chapters), cfg.toc_depth))
    sanitize(toc_root, book)

    images = pkg.Package()
    for url, file in {**resources, **front_resources}.items():
        images.add(url, file)
    cover_name, cover_alt = pkg.cover_image(book, front, front_resources, images)

    # Links and images, now that every file is known.
    unresolved: list[str] = []
    own = [(front, "front.xhtml"), (colophon, COLOPHON_FILE), (toc_root, "toc.xhtml")]
    for root, name in [*((p.section, p.name) for p in parts), *own]:
        rewrite(root, name, file_of, book, images.names, unresolved)
    for uid in unresolved:
        log.warning("EPUB: link to #%s has no target in the book; written as plain text", uid)

    eb = epub.EpubBook()
    eb.FOLDER_NAME = "EPUB"
    pkg.metadata(eb, book, title, lang, stamp)
    by_chapter: dict[str, list] = {}
    for part in parts:
        by_chapter.setdefault(part.chapter.chapter.key, []).append(part.section)
    facts = measure([[front], [colophon], [toc_root], *by_chapter.values()])
    pkg.accessibility(
        eb, has_images=bool(images.files) or cover_name is not None, authored_alt=generated_alt == 0, facts=facts
    )
    roots = [front, colophon, toc_root, *(p.section for p in parts)]
    font_rules, font_files = embedded("".join(t for root in roots for t in root.itertext()))
    css = _stylesheet(book, font_rules, [f.name for f in font_files])
    eb.add_item(epub.EpubItem(uid="style", file_name=STYLESHEET, media_type="text/css", content=css))
    for f in font_files:
        eb.add_item(
            epub.EpubItem(uid=item_id("font", f.name), file_name=f.name, media_type=f.media_type, content=f.data)
        )
    for name, file in images.files.items():
        data = pkg.image_bytes(file, name in images.convert)
        if name == cover_name:
            eb.set_cover(name, data, create_page=False)
        else:
            eb.add_item(epub.EpubImage(uid=item_id("img", name), file_name=name, content=data))
    if cover_name is None:
        cover_name = unique_name("images/cover.svg", images.taken)
        cover_alt = f"Cover of {title}"
        eb.set_cover(cover_name, pkg.svg_cover(book).encode("utf-8"), create_page=False)

    spine = [
        pkg.Page("cover", "cover.xhtml", "Cover", cover_page(title, lang, cover_name, cover_alt, direction)),
        pkg.Page(
            "front",
            "front.xhtml",
            title,
            page(
                title,
                lang,
                wrap("section", front, cls="front-page", etype="titlepage", id_=FRONT_ID),
                body_class="front",
                direction=direction,
            ),
        ),
        pkg.Page(
            "colophon",
            COLOPHON_FILE,
            colophon_title,
            page(colophon_title, lang, colophon[0], body_class="colophon", direction=direction),
        ),
        pkg.Page(
            "toc-page",
            "toc.xhtml",
            contents,
            page(contents, lang, wrap("section", toc_root, cls="toc-page"), body_class="toc", direction=direction),
        ),
    ]
    for part in parts:
        body_class = "index" if is_index_chapter(part.chapter) else "chapter"
        spine.append(
            pkg.Page(
                item_id("x", part.name),
                part.name,
                part.title,
                page(part.title, lang, part.section, body_class=body_class, direction=direction),
            )
        )
    for item in spine:
        eb.add_item(item)
    eb.spine = spine

    if direction == "rtl":
        eb.set_direction("rtl")  # the spine's page-progression-direction
    nav = epub.EpubNav(
        uid="nav", file_name="nav.xhtml", title=contents, direction="rtl" if direction == "rtl" else None
    )
    nav.add_link(href=STYLESHEET, rel="stylesheet", type="text/css")
    eb.add_item(nav)
    eb.add_item(epub.EpubNcx())
    entries = pkg.nav_tree(book, file_of, first_file) or [pkg.NavEntry("front.xhtml", title, "nav-front")]
    eb.toc = pkg.ebooklib_toc(entries)
    eb.guide = pkg.landmarks(book, parts, first_file, contents)

    data = pkg.write(eb, stamp, lang)
    path.write_bytes(data)  # a failure is worded by the build, naming the final file
    log.info(
        "EPUB: %d pages, %d images, %.0f KB in %.2f s",
        len(spine),
        len(images.files),
        len(data) / 1024,
        time.perf_counter() - start,
    )
    return path


COLOPHON_FILE = "colophon.xhtml"


def _colophon(book: Book) -> etree._Element:
    """The colophon as the PDF has it on its second page (colophon.py), a document of its
    own after the title page: not in the nav's contents, as the PDF's is not in its outline
    (a reader looks for it by the title page, not in the contents)."""
    root = fragment(colophon_html(book, human_date(build_date())))
    sanitize(root, book)
    section = root[0]
    section.set(EPUB_TYPE, "colophon")
    section.set("role", "doc-colophon")
    index_ids(root, COLOPHON_FILE, {})
    return root


_XML_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def short_name_ids(book: Book, parts: list[Part], file_of: dict[str, str]) -> None:
    """Each short link name (``/go/NAME/``) an id of its own in the file of the heading it
    names, as the PDF has it as a destination (``chapter.xhtml#NAME``): an empty element
    at the start of the heading, where no element of the book has that id already."""
    by_file = {part.name: part for part in parts}
    for name, uid in sorted(book.short_names.items()):
        part = by_file.get(file_of.get(uid, ""))
        if name in file_of or part is None or not _XML_ID.fullmatch(name):
            continue
        target = next((el for el in part.section.iter() if el.get("id") == uid), None)
        if target is None:
            continue
        marker = etree.Element(f"{{{XHTML_NS}}}span" if target.tag.startswith("{") else "span")
        marker.set("id", name)
        marker.tail, target.text = target.text, None
        target.insert(0, marker)
        file_of[name] = part.name


def _stylesheet(book: Book, font_rules: str = "", font_files: list[str] | None = None) -> bytes:
    css = (STYLES_DIR / "epub.css").read_text(encoding="utf-8")
    if font_rules:
        # The embedded fallbacks first in every stack; each covers only its unicode-range.
        names = set(font_files or ())
        stack = ", ".join(fam for fam, faces in FALLBACKS if f"{FOLDER}/{faces[0][0]}" in names)
        for generic in ("sans-serif", "monospace"):
            css = css.replace(f"font-family: {generic};", f"font-family: {stack}, {generic};")
        css = f"{font_rules}\n{css}\nbody {{ font-family: {stack}; }}\n"
    extra = direction_css(book, "rtl.css")
    return (css + "\n" + extra if extra else css).encode("utf-8")


def _chapter_parts(book: Book, resources: dict[str, Path]) -> tuple[list[Part], dict[str, str], int]:
    """Every chapter as one or more files; {chapter key: first file}; how many alt texts were made up."""
    taken: set[str] = {"cover.xhtml", "front.xhtml", COLOPHON_FILE, "toc.xhtml", "nav.xhtml"}
    parts: list[Part] = []
    first_file: dict[str, str] = {}
    made_up = 0
    for rc in book.chapters:
        section, n_alt = chapter_section(book, rc, resources)
        made_up += n_alt
        chapter_parts = split(rc, section, taken)
        first_file[rc.chapter.key] = chapter_parts[0].name
        parts.extend(chapter_parts)
    return parts, first_file, made_up
