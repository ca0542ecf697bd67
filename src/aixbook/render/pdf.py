"""The PDF renderer: the assembled HTML document + print styles → PDF with WeasyPrint,
fetching only what the book names."""

from __future__ import annotations

import logging
import os
import unicodedata
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..assemble import Document, assemble, contents_label
from ..doctor import weasyprint
from ..model import Book, Diagnostic
from ..resources import FONTS_DIR, STYLES_DIR
from . import RenderOptions, RenderResult, capture_warnings, direction_css

log = logging.getLogger(__name__)

SUFFIX = ".pdf"

# The document's base URL. ".invalid" never resolves, and the fetcher below
# answers every request itself, so nothing ever reaches the network.
BASE_URL = "https://aixbook.invalid/"
STYLES_URL = BASE_URL + "styles/"


def _isolate_fontconfig() -> None:
    # Emoji runs make Pango ask Fontconfig for "emoji" whatever the CSS says; an
    # isolated config that sees only the shipped fonts keeps the PDF identical on
    # every machine.
    os.environ.setdefault("FONTCONFIG_FILE", str(FONTS_DIR / "fonts.conf"))


_NOT_DRAWN = {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0xFE0E, 0xFE0F, 0x00AD}


@lru_cache(maxsize=1)
def shipped_coverage() -> frozenset[int]:
    """Every code point some shipped font has a glyph for."""
    from fontTools.ttLib import TTFont

    covered: set[int] = set()
    for font in sorted(FONTS_DIR.glob("*.[ot]tf")):
        with TTFont(font, lazy=True, fontNumber=0) as tt:
            cmap = tt.getBestCmap() or {}
            covered.update(cmap)
    return frozenset(covered)


def uncovered_characters(book) -> list[Diagnostic]:
    """A warning for each character no shipped font can draw, at its first occurrence."""
    covered = shipped_coverage()
    seen: set[str] = set()
    diags: list[Diagnostic] = []
    for rc in book.chapters:
        src = rc.chapter.source
        for no, line in enumerate(src.body.splitlines(), src.body_line):
            for ch in line:
                cp = ord(ch)
                if cp < 0x80 or ch in seen or cp in covered or cp in _NOT_DRAWN or 0xE0100 <= cp <= 0xE01EF:
                    continue
                seen.add(ch)
                if unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Mn"):
                    continue
                diags.append(
                    Diagnostic(
                        "warning",
                        f"no shipped font has a glyph for {ch!r} (U+{cp:04X} "
                        f"{unicodedata.name(ch, 'unnamed')}); it will print as a box",
                        src.path,
                        no,
                        "no-glyph",
                    )
                )
    return diags


def make_fetcher(resources: dict[str, Path]):
    """A WeasyPrint URL fetcher that serves the document's resources and the tool's
    styles and fonts, and refuses everything else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    styles_root = STYLES_DIR.resolve()

    class SandboxFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith(BASE_URL):
                rel = unquote(urlsplit(url).path).lstrip("/")
                if rel in resources:
                    return URLFetcherResponse(url, body=resources[rel].read_bytes())
                if rel.startswith("styles/"):
                    file = (STYLES_DIR / rel[len("styles/") :]).resolve()
                    if file.is_file() and file.is_relative_to(styles_root):
                        return URLFetcherResponse(url, body=file.read_bytes())
            raise ValueError(f"refused to fetch {url} (not a file of this book)")

    return SandboxFetcher(allowed_protocols=("https", "data"), timeout=1)


def stylesheets(paper: str = "A4", extra_css: str = "") -> list:
    from weasyprint import CSS

    fetcher = make_fetcher({})
    sheets = [CSS(url=STYLES_URL + "print.css", url_fetcher=fetcher)]
    tail = "" if paper == "A4" else f"@page {{ size: {paper}; }}"
    if tail or extra_css:
        sheets.append(CSS(string=tail + extra_css, base_url=STYLES_URL, url_fetcher=fetcher))
    return sheets


def check(book: Book) -> list[Diagnostic]:
    """What only the PDF shows: characters no shipped font can draw."""
    return uncovered_characters(book)


def render(book: Book, target: Path, options: RenderOptions = RenderOptions()) -> RenderResult:
    """Write ``book`` as a PDF to ``target``: front page, contents and every chapter, tagged as
    the config's ``pdf_variant`` says; a preview has neither front page nor contents and is untagged.

    Returns the page count and what WeasyPrint warned about (missing resources,
    unknown anchors); raises nothing for those: a strict build decides.
    """
    weasyprint()  # a missing system library is one clear line, not a traceback
    if options.preview:
        doc = assemble(book, front=False, toc=False, body_class="book preview")
        variant = None
    else:
        doc = assemble(book)
        variant = None if book.config.pdf_variant == "none" else book.config.pdf_variant
    extra = direction_css(book, "bidi.css", "rtl.css", "print-rtl.css")
    if (label := contents_label(book)) != "Contents" and book.config.direction != "rtl":
        quoted = label.replace('"', "")
        extra += f'@page toc {{ @top-left {{ content: "{quoted}"; }} }}'
    return render_document(doc, target, paper=book.config.paper, pdf_variant=variant, extra_css=extra)


def render_document(
    doc: Document, target: Path, *, paper: str = "A4", pdf_variant: str | None = None, extra_css: str = ""
) -> RenderResult:
    """Render the HTML document ``doc`` to the file ``target``."""
    _isolate_fontconfig()
    from weasyprint import HTML

    with capture_warnings("weasyprint", "pdf") as warnings:
        html = HTML(string=doc.html, base_url=BASE_URL, url_fetcher=make_fetcher(doc.resources))
        document = html.render(
            stylesheets=stylesheets(paper, extra_css), pdf_variant=pdf_variant, pdf_tags=pdf_variant is not None
        )
        document.write_pdf(str(target), pdf_variant=pdf_variant, pdf_tags=pdf_variant is not None)
    return RenderResult(pages=len(document.pages), warnings=warnings)
