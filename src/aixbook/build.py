"""Build orchestration: the only code that writes into the output folder.

Every output is written to a temporary file beside its final name and renamed
into place only when complete, so a failed or interrupted build leaves the
previous output untouched.
"""
from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

from .assemble import Document, assemble
from .book import load_book
from .errors import BuildError
from .model import Book, Diagnostic

log = logging.getLogger(__name__)

FORMATS = ("pdf", "epub", "html")
DEFAULT_FORMATS = ("pdf", "epub", "html")


@dataclass
class BuildResult:
    """What a build made and found."""

    book: Book
    outputs: dict[str, Path] = field(default_factory=dict)
    pages: int = 0
    render_warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return list(self.book.diagnostics)


# Set by the CLI's SIGINT/SIGTERM handler. The KeyboardInterrupt it raises can be
# swallowed when the signal lands inside a C callback of the renderer; the flag still
# stops the half-made file from replacing the previous output.
INTERRUPTED = threading.Event()


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """A temporary path in ``final``'s folder, renamed to ``final`` only on success."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if INTERRUPTED.is_set():
            raise KeyboardInterrupt
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, final)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def write_bytes_atomic(final: Path, data: bytes) -> None:
    with atomic_path(final) as tmp:
        tmp.write_bytes(data)


def fetch_remote_images(book: Book, folder: Path) -> Book:
    """The book with its remote images fetched (bounded in time and size)."""
    from .remote import fetch_images
    srcs = [url for rc in book.chapters for url in rc.remote_images]
    if not srcs:
        return book
    got, diags = fetch_images(srcs, folder)
    return replace(book, remote_images=got, diagnostics=book.diagnostics + tuple(diags))


def strict_failures(book: Book, render_warnings: list[str] = ()) -> list[str]:
    """Everything a ``--strict`` build refuses: every error and warning."""
    return [str(d) for d in book.diagnostics if d.severity in ("error", "warning")] + [
        f"weasyprint: {w}" for w in render_warnings]


def write_html(book: Book, doc: Document, out_dir: Path, name: str) -> Path:
    """The one-page HTML with its images and styles next to it."""
    for rel, src in doc.resources.items():
        dest = out_dir / rel
        if not dest.exists() or dest.stat().st_size != src.stat().st_size:
            write_bytes_atomic(dest, src.read_bytes())
    final = out_dir / f"{name}.html"
    with atomic_path(final) as tmp:
        tmp.write_text(doc.html, encoding="utf-8")
    return final


def html_document(book: Book, chapters=None, **kw) -> Document:
    """The one-page HTML document, styles inlined so the file stands alone."""
    from .resources import STYLES_DIR
    css = "\n".join((STYLES_DIR / n).read_text(encoding="utf-8") for n in ("base.css", "html.css"))
    css = css.replace("@import url(fonts.css);", "").replace("@import url(base.css);", "")
    return assemble(book, chapters, inline_css=css, body_class="book screen", **kw)


def build(site_dir: Path | str = "book", formats=DEFAULT_FORMATS, output_dir: Path | str = "output",
          config_path: Path | None = None, strict: bool = False,
          progress: Callable[[str, int, int], None] | None = None, **overrides) -> BuildResult:
    """Build ``formats`` of the book at ``site_dir`` into ``output_dir``.

    Args:
        site_dir: a Hugo site, or a repository root that holds one.
        formats: any of "pdf", "epub", "html".
        output_dir: the folder to write into (created when missing).
        config_path: a book.toml (default: found beside the site).
        strict: fail on any warning (content or renderer); nothing is written then.
        progress: ``progress(step, done, total)``.
        overrides: BookConfig fields from the command line.

    Returns:
        BuildResult with the files written, page count and diagnostics.

    Raises:
        ConfigError, SourceError: bad configuration or content.
        BuildError: a strict build found problems, or rendering failed.
    """
    start = time.perf_counter()
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise BuildError(f"unknown format {', '.join(bad)} (choose from {', '.join(FORMATS)})")
    from .cache import ChapterCache
    book = load_book(site_dir, config_path, progress=progress, cache=ChapterCache(Path(output_dir) / ".cache"),
                     **overrides)
    if strict and (failures := strict_failures(book)):
        raise BuildError(f"--strict: {len(failures)} problem(s), nothing written; first: {failures[0]}")
    out_dir = Path(output_dir)
    if book.config.allow_remote:
        book = fetch_remote_images(book, out_dir / ".cache" / "remote")
    name = book.config.output_name
    result = BuildResult(book=book)
    for fmt in formats:
        if progress:
            progress(f"render {fmt}", 0, 1)
        if fmt == "pdf":
            from .pdf import render_pdf, uncovered_characters
            glyphs = uncovered_characters(book)
            if glyphs:
                book = replace(book, diagnostics=book.diagnostics + tuple(glyphs))
                result.book = book
                if strict:
                    raise BuildError(f"--strict: {glyphs[0]}")
            doc = assemble(book)
            final = out_dir / f"{name}.pdf"
            with atomic_path(final) as tmp:
                variant = None if book.config.pdf_variant == "none" else book.config.pdf_variant
                res = render_pdf(doc, tmp, paper=book.config.paper, pdf_variant=variant)
                result.render_warnings.extend(res.warnings)
                if strict and res.warnings:
                    raise BuildError(f"--strict: WeasyPrint warned {len(res.warnings)} time(s), "
                                     f"{final.name} not written; first: {res.warnings[0]}")
            result.pages = res.pages
            result.outputs["pdf"] = final
        elif fmt == "epub":
            from .epub import render_epub
            final = out_dir / f"{name}.epub"
            from .pdf import WarningCollector
            collector = WarningCollector()
            logging.getLogger("aixbook.epub").addHandler(collector)
            try:
                with atomic_path(final) as tmp:
                    render_epub(book, tmp)
                    if strict and collector.messages:
                        raise BuildError(f"--strict: {collector.messages[0]}; {final.name} not written")
            finally:
                logging.getLogger("aixbook.epub").removeHandler(collector)
            result.render_warnings.extend(collector.messages)
            result.outputs["epub"] = final
        elif fmt == "html":
            result.outputs["html"] = write_html(book, html_document(book), out_dir, name)
        if progress:
            progress(f"render {fmt}", 1, 1)
    result.seconds = time.perf_counter() - start
    return result
