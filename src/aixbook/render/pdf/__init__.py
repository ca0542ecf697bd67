"""The PDF renderer: the assembled HTML document + print styles → PDF with WeasyPrint,
fetching only what the book names."""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from ...assemble import assemble, contents_label
from ...diagnostics import Diagnostic
from ...doctor import warn_if_internals_differ, warn_if_subsetting_is_slow, weasyprint
from ...errors import BuildError
from ...model import Book
from .. import RenderOptions, RenderResult, direction_css
from .weasy import BASE_URL, isolate_fontconfig, make_fetcher, render_document, stylesheets

__all__ = [
    "BASE_URL",
    "SUFFIX",
    "check",
    "isolate_fontconfig",
    "make_fetcher",
    "render",
    "render_document",
    "stylesheets",
]

if TYPE_CHECKING:
    from .metadata import PdfMeta

log = logging.getLogger(__name__)

SUFFIX = ".pdf"

_NOT_DRAWN = {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0xFE0E, 0xFE0F, 0x00AD}


def shipped_coverage() -> frozenset[int]:
    """Every code point some shipped font has a glyph for (coverage.py)."""
    from .coverage import shipped

    return shipped()


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


def prepare() -> None:
    """What rendering will need, loaded ahead (the build does it while the chapters are
    parsed in other processes): WeasyPrint and its libraries, the shipped fonts' coverage,
    the print stylesheet."""
    weasyprint()
    shipped_coverage()
    stylesheets()


def check(book: Book) -> list[Diagnostic]:
    """What only the PDF shows: characters no shipped font can draw."""
    return uncovered_characters(book)


def render(book: Book, target: Path, options: RenderOptions = RenderOptions()) -> RenderResult:
    """Write ``book`` as a PDF to ``target``: front page, contents and every chapter, tagged as
    the config's ``pdf_variant`` says; a preview has neither front page nor contents and is untagged.

    The release PDF is laid out in parts (front matter, each chapter), ``options.jobs``
    at a time, reusing parts kept in ``options.cache_dir`` (render/pdf/pipeline.py); as
    one document where the WeasyPrint internals combining needs do not fit (internals.py).

    Returns the page count and what WeasyPrint warned about (missing resources,
    unknown anchors); raises nothing for those: a strict build decides.

    Raises:
        BuildError: a part could not be laid out (one line naming it).
    """
    warn_if_internals_differ()
    if options.preview or not parts_usable():
        ready()
    if options.preview:
        doc = assemble(book, front=False, toc=False, body_class="book preview", hyphenate=True)
        return render_document(doc, target, paper=book.config.paper, pdf_variant=None, extra_css=book_css(book))
    from . import internals

    if not internals.usable("parts"):  # the warning above said so
        if options.part:
            raise BuildError("a chapter of the release PDF needs the parts pipeline (see aixbook doctor)")
        return render_single(book, target)
    if options.part:
        from .onepart import render_part

        return render_part(book, options.part, target, options)
    from .pipeline import render_parts

    return render_parts(book, target, options)


def ready() -> None:
    """Before the first layout: a missing system library is one clear line, not a traceback
    (the parts pipeline calls it once it knows it must lay out or combine anything)."""
    weasyprint()
    warn_if_subsetting_is_slow()


def parts_usable() -> bool:
    """Whether the release PDF can be laid out in parts here (WeasyPrint's internals fit)."""
    from . import internals

    return internals.usable("parts")


def render_single(book: Book, target: Path) -> RenderResult:
    """The release PDF as one WeasyPrint document: what the parts must reproduce (tests
    compare the two)."""
    import pikepdf

    from .footers import edition_css
    from .metadata import stamp

    variant = None if book.config.pdf_variant == "none" else book.config.pdf_variant
    extra = book_css(book) + edition_css(book.edition.name)
    result = render_document(
        assemble(book, hyphenate=True, colophon="pdf"),
        target,
        paper=book.config.paper,
        pdf_variant=variant,
        extra_css=extra,
    )
    with pikepdf.open(target, allow_overwriting_input=True) as pdf:
        stamp(pdf, pdf_meta(book))
        pdf.save(target, deterministic_id=True)
    return result


def pdf_meta(book: Book) -> PdfMeta:
    """What the release PDF's metadata says beyond WeasyPrint's: edition, identifier, variant."""
    from .metadata import PdfMeta

    variant = None if book.config.pdf_variant == "none" else book.config.pdf_variant
    return PdfMeta(edition=book.edition.name, identifier=book.config.identifier or "", variant=variant)


def book_css(book: Book) -> str:
    """What this book adds to print.css: the right-to-left layout, and the contents' running
    head in the book's language."""
    extra = direction_css(book, "bidi.css", "rtl.css", "print-rtl.css")
    if (label := contents_label(book)) != "Contents" and book.config.direction != "rtl":
        quoted = label.replace('"', "")
        extra += f'@page toc {{ @top-left {{ content: "{quoted}"; }} }}'
    return extra
