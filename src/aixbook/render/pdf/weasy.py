"""WeasyPrint, set up the way every PDF of the book needs it: the sandboxed fetcher, the
print stylesheets (parsed once per process), the isolated font configuration, and the
finisher that makes table headers accessible (/Scope and an /IDTree).

Both paths use it: the one-document render (previews, and the reference the parts are
tested against) and each part of the release PDF.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ...resources import FONTS_DIR, STYLES_DIR
from .. import RenderResult, capture_warnings
from .tagging import Tagging

# The document's base URL. ".invalid" never resolves, and the fetcher below
# answers every request itself, so nothing ever reaches the network.
BASE_URL = "https://aixbook.invalid/"
STYLES_URL = BASE_URL + "styles/"


def isolate_fontconfig() -> None:
    """Emoji runs make Pango ask Fontconfig for "emoji" whatever the CSS says; an
    isolated config that sees only the shipped fonts keeps the PDF identical on
    every machine."""
    os.environ.setdefault("FONTCONFIG_FILE", str(FONTS_DIR / "fonts.conf"))


@contextmanager
def collector_paused():
    """Python's cyclic garbage collector paused while WeasyPrint lays out and writes.

    A layout allocates millions of small objects that live until it ends; the collector
    runs thousands of times through one and frees almost nothing (a fifth of the time of
    a chapter). In a worker it stays off: the process ends when its part is done. In this
    process it comes back afterwards and frees the layout's garbage in one pass."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def weasyprint_html():
    """WeasyPrint's ``HTML`` class, with the shipped fonts' config and the guarded patches in place."""
    from . import patches

    isolate_fontconfig()
    patches.apply()
    from weasyprint import HTML

    return HTML


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


def styles_digest() -> str:
    """A hash of every stylesheet and font the PDF can use: a change to any of them
    changes every page."""
    h = hashlib.sha256()
    for folder in (STYLES_DIR, FONTS_DIR):
        for file in sorted(folder.iterdir()):
            if file.is_file():
                h.update(file.name.encode() + b"\0" + hashlib.sha256(file.read_bytes()).digest())
    return h.hexdigest()


def stylesheets(paper: str = "A4", extra_css: str = "") -> list:
    """The print stylesheets, for ``paper`` and with ``extra_css`` last.

    print.css is parsed once per process for each version of the files (a book has a
    dozen parts, and parsing it costs half a second); what WeasyPrint logged while
    parsing is logged again at every use, so each render reports it."""
    from weasyprint import CSS

    main, records = _print_css(styles_digest())
    for record in records:
        logging.getLogger(record.name).handle(record)
    sheets = [main]
    tail = "" if paper == "A4" else f"@page {{ size: {paper}; }}"
    if tail or extra_css:
        sheets.append(CSS(string=tail + extra_css, base_url=STYLES_URL, url_fetcher=make_fetcher({})))
    return sheets


@lru_cache(maxsize=4)
def _print_css(_digest: str) -> tuple:
    from weasyprint import CSS

    kept: list[logging.LogRecord] = []

    def keep(record: logging.LogRecord) -> bool:
        kept.append(record)
        return False  # logged by ``stylesheets`` at each use instead

    log = logging.getLogger("weasyprint")
    log.addFilter(keep)
    try:
        sheet = CSS(url=STYLES_URL + "print.css", url_fetcher=make_fetcher({}))
    finally:
        log.removeFilter(keep)
    return sheet, tuple(r for r in kept if r.levelno >= logging.WARNING)


def write_options(pdf_variant: str | None) -> dict:
    from .metadata import weasy_variant

    return {"pdf_variant": weasy_variant(pdf_variant), "pdf_tags": pdf_variant is not None}


def render_document(
    doc, target: Path, *, paper: str = "A4", pdf_variant: str | None = None, extra_css: str = ""
) -> RenderResult:
    """Render the HTML document ``doc`` (an ``assemble.Document``) to the file ``target``
    as one WeasyPrint document."""
    HTML = weasyprint_html()
    with capture_warnings("weasyprint", "pdf") as warnings, collector_paused():
        html = HTML(string=doc.html, base_url=BASE_URL, url_fetcher=make_fetcher(doc.resources))
        opts = write_options(pdf_variant)
        document = html.render(stylesheets=stylesheets(paper, extra_css), **opts)
        document.write_pdf(str(target), finisher=Tagging() if pdf_variant else None, **opts)
    return RenderResult(pages=len(document.pages), warnings=warnings)
