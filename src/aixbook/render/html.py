"""The one-page HTML renderer: the whole book in one file, styles inlined, images and the
book's fonts (webfonts.py) beside it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .. import output
from ..assemble import Document, assemble
from ..model import Book
from ..resources import STYLES_DIR
from . import RenderOptions, RenderResult, direction_css, webfonts

SUFFIX = ".html"
#: No script runs and nothing is fetched from anywhere but the book's own folder; ``serve``
#: sends the same policy as a header (and names its reload script in it).
CSP = "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self'"
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'


def check(book: Book) -> list:
    """Nothing beyond the book's own diagnostics: a browser draws every character it has a font for."""
    return []


def document(book: Book, options: RenderOptions = RenderOptions()) -> Document:
    """The one-page HTML document, styles inlined so the file stands alone, under ``CSP``."""
    css = "\n".join((STYLES_DIR / n).read_text(encoding="utf-8") for n in ("base.css", "html.css"))
    css = css.replace("@import url(fonts.css);", "").replace("@import url(base.css);", "")
    css = webfonts.font_css() + "\n" + css  # the files: render() writes them beside the page
    if extra := direction_css(book, "bidi.css", "rtl.css"):
        css += "\n" + extra
    show_front = not options.preview
    doc = assemble(
        book,
        inline_css=css,
        body_class="book screen",
        front=show_front,
        toc=show_front,
        colophon="screen" if show_front else "",
    )
    # The policy is the first thing in <head>: it covers everything after it.
    return replace(doc, html=doc.html.replace("<head>", "<head>\n" + CSP_META, 1))


def render(book: Book, target: Path, options: RenderOptions = RenderOptions()) -> RenderResult:
    """Write the HTML to ``target``, its images and fonts into ``target``'s folder."""
    doc = document(book, options)
    folder = Path(target).parent
    # the page first: a full disk is then reported at the page, and leaves no fonts/ behind
    Path(target).write_text(doc.html, encoding="utf-8")
    output.copy_resources(doc.resources, folder)
    fonts = webfonts.font_files(doc.html)
    output.copy_resources({rel: src for rel, src in fonts.items() if isinstance(src, Path)}, folder)
    for rel, data in fonts.items():
        if isinstance(data, bytes):
            with output.explained(folder / rel):
                output.write_bytes(folder / rel, data)
    return RenderResult()
