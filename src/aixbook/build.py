"""Build orchestration: load the book, check strictness, run each renderer, sum up.

Renderers are looked up in ``render.RENDERERS``; every file goes through
``output`` (atomic writes), so a failed or interrupted build leaves the
previous output untouched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import output, timings
from .book import load_book
from .diagnostics import Diagnostic, with_severities
from .errors import BuildError, NoPagesError
from .model import Book
from .render import FORMATS, RenderOptions, RenderResult, RenderWarning, get_renderer
from .timings import Timings

log = logging.getLogger(__name__)

DEFAULT_FORMATS = FORMATS


@dataclass
class BuildResult:
    """What a build made and found."""

    book: Book
    outputs: dict[str, Path] = field(default_factory=dict)
    pages: int = 0
    render_warnings: list[RenderWarning] = field(default_factory=list)
    seconds: float = 0.0
    timings: Timings | None = None  # each stage's wall time (build --timings)
    chapter_pdfs: dict[str, Path] = field(default_factory=dict)  # chapter key → its PDF (--split chapters)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return list(self.book.diagnostics)


def fetch_remote_images(book: Book, folder: Path) -> Book:
    """The book with its remote images fetched (bounded in time and size)."""
    from .locate import Locator
    from .remote import fetch_images

    where: dict[str, tuple[Path, int]] = {}  # each URL's first page and line
    for rc in book.chapters:
        locator = Locator(rc.chapter.source)
        for url in rc.remote_images:
            where.setdefault(url, (rc.chapter.source.path, locator.line(url)))
    if not where:
        return book
    got, failed = fetch_images(list(where), folder, book.config.remote_hosts)
    diags = with_severities(
        [
            Diagnostic("warning", f"remote image {url} not fetched: {why}", *where[url], code="remote-fetch")
            for url, why in failed.items()
        ],
        book.config.diagnostics,
    )
    return replace(book, remote_images=got, diagnostics=book.diagnostics + diags)


def strict_failures(book: Book, render_warnings: Iterable[RenderWarning] = ()) -> list[str]:
    """Everything a ``--strict`` build refuses: every error and warning."""
    return [str(d) for d in book.diagnostics if d.severity in ("error", "warning")] + [str(w) for w in render_warnings]


def render_to(
    book: Book, fmt: str, final: Path, options: RenderOptions = RenderOptions(), strict: bool = False
) -> RenderResult:
    """Render format ``fmt`` of ``book`` into the file ``final``, atomically.

    Raises:
        BuildError: ``strict`` and the renderer warned, or the disk is full; ``final`` is
            left as it was.
        ConfigError: ``final`` cannot be written there (read-only, not a folder).
    """
    renderer = get_renderer(fmt)
    if options.cache_dir is not None:
        options = replace(options, previous=final)  # the output it may be again (render/pdf/outputs.py)
    with output.explained(final), output.atomic_path(final) as tmp:
        result = renderer.render(book, tmp, options)
        if strict and result.warnings:
            raise BuildError(
                f"--strict: the {fmt} renderer warned {len(result.warnings)} time(s), "
                f"{final.name} not written; first: {result.warnings[0]}"
            )
    return result


def build(
    site_dir: Path | str = "book",
    formats=DEFAULT_FORMATS,
    output_dir: Path | str = "output",
    config_path: Path | None = None,
    strict: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    changes_since: str | None = None,
    split: str | None = None,
    **overrides,
) -> BuildResult:
    """Build ``formats`` of the book at ``site_dir`` into ``output_dir``.

    Args:
        site_dir: a Hugo site, or a repository root that holds one.
        formats: any of "pdf", "epub", "html".
        output_dir: the folder to write into (created when missing).
        config_path: a book.toml (default: found beside the site).
        strict: fail on any warning (content or renderer); nothing is written then.
        progress: ``progress(step, done, total)``.
        changes_since: a git revision of the repository holding ``site_dir``, or a site
            folder: the book shows what changed since then (``changes.with_changes``).
        split: "chapters": with the PDF, one PDF per chapter (NAME-STEM.pdf) from the
            release PDF's parts, with the book's page numbers and headers.
        overrides: BookConfig fields from the command line.

    Returns:
        BuildResult with the files written, page count and diagnostics.

    Raises:
        ConfigError, SourceError: bad configuration or content, or an output folder that
            cannot be written.
        BuildError: a strict build found problems, rendering failed, or the disk is full.
    """
    start = time.perf_counter()
    with timings.recording() as clock:
        output.reset_interrupt()
        bad = [f for f in formats if f not in FORMATS]
        if bad:
            raise BuildError(f"unknown format {', '.join(bad)} (choose from {', '.join(FORMATS)})")
        from .cache import ChapterCache

        out_dir = Path(output_dir)
        cache = ChapterCache(out_dir / ".cache")
        if changes_since is not None:
            from .changes import with_changes
            from .diff import diff_books

            compared = diff_books(changes_since, None, Path(site_dir), config_path, cache, overrides=overrides)
            book = with_changes(compared)
        else:
            # the PDF renderer's imports, while other processes parse the chapters
            ahead = getattr(get_renderer("pdf"), "prepare", None) if "pdf" in formats else None
            book = load_book(site_dir, config_path, progress=progress, cache=cache, meanwhile=ahead, **overrides)
        # After the configuration is known good (a bad one creates nothing, not even the folder)
        # and before anything is rendered: a folder we cannot write is one line.
        output.prepare(out_dir)
        if strict and (failures := strict_failures(book)):
            raise BuildError(f"--strict: {len(failures)} problem(s), nothing written; first: {failures[0]}")
        if book.config.allow_remote:
            with timings.stage("fetch remote images"):
                book = fetch_remote_images(book, out_dir / ".cache" / "remote")
        result = BuildResult(book=book)
        for fmt in formats:
            if progress:
                progress(f"render {fmt}", 0, 1)
            with timings.stage(f"check {fmt}"):
                found = with_severities(get_renderer(fmt).check(book), book.config.diagnostics)
            if found:
                book = replace(book, diagnostics=book.diagnostics + tuple(found))
                result.book = book
                if strict:
                    raise BuildError(f"--strict: {found[0]}")
            final = output_file(out_dir, book, fmt)
            options = RenderOptions(jobs=book.config.jobs, cache_dir=out_dir / ".cache")
            with timings.stage(f"render {fmt}"):
                res = render_to(book, fmt, final, options, strict=strict)
            result.render_warnings.extend(res.warnings)
            result.pages = res.pages or result.pages
            result.outputs[fmt] = final
            if fmt == "pdf" and split == "chapters":
                with timings.stage("chapter PDFs"):
                    result.chapter_pdfs = split_chapters(book, out_dir, options)
            if progress:
                progress(f"render {fmt}", 1, 1)
        result.seconds = time.perf_counter() - start
        result.timings = clock
        return result


def build_languages(
    site_dir: Path | str = "book",
    formats=DEFAULT_FORMATS,
    output_dir: Path | str = "output",
    config_path: Path | None = None,
    strict: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    **overrides,
) -> list[BuildResult]:
    """``build`` once for every language of the site, in Hugo's order: one book each
    (``hextra.pdf``, ``hextra.fa.pdf``, …). Same arguments as ``build``.

    A language whose content has no page in the book's section gets no book: a warning
    (``empty-language``, naming its folder) in the first book's report, or, with
    ``strict``, a BuildError before anything is written.

    Raises:
        NoPagesError: no language has pages.
    """
    from .book import list_chapters, site_languages

    overrides.pop("content_language", None)
    keys, empty = [], []
    environment = overrides.get("environment")
    for key in site_languages(site_dir, environment):
        try:
            list_chapters(site_dir, config_path, key, environment)
        except NoPagesError as exc:
            empty.append((key, exc))
            continue
        keys.append(key)
    if not keys:
        raise empty[0][1]
    skipped = [
        Diagnostic("warning", f"no book for language {key}: {exc.message}", exc.path, exc.line, "empty-language")
        for key, exc in empty
    ]
    if strict and skipped:
        raise BuildError(f"--strict: nothing written; first: {skipped[0]}")
    results = [
        build(site_dir, formats, output_dir, config_path, strict, progress, content_language=key, **overrides)
        for key in keys
    ]
    first = results[0]
    found = with_severities(skipped, first.book.config.diagnostics)
    first.book = replace(first.book, diagnostics=first.book.diagnostics + found)
    return results


def split_chapters(book: Book, out_dir: Path, options: RenderOptions) -> dict[str, Path]:
    """Each chapter of the release PDF as a PDF of its own, NAME-STEM.pdf, written
    atomically (all or none): the parts the release PDF was just made of, their footers
    laid out again in parallel, links into other chapters to the website."""
    import contextlib

    from .book import web_addresses
    from .render.pdf import parts_usable

    if not parts_usable():
        raise BuildError(
            "--split chapters needs the PDF in parts, which this WeasyPrint does not allow (aixbook doctor)"
        )
    from .render.pdf.onepart import render_chapters

    name = book.config.output_name or "book"
    finals = {
        rc.chapter.key: output_file(out_dir, book, "pdf", f"{name}-{rc.chapter.source.stem}") for rc in book.chapters
    }
    elsewhere = web_addresses(book.site, [rc.chapter for rc in book.chapters])
    with contextlib.ExitStack() as stack:
        temps = {key: stack.enter_context(output.atomic_path(final)) for key, final in finals.items()}
        render_chapters(book, temps, replace(options, elsewhere=elsewhere))
    return finals


def output_file(folder: Path, book: Book, fmt: str, name: str | None = None) -> Path:
    """Where format ``fmt`` of ``book`` goes in ``folder`` (named after the book unless ``name``)."""
    from .render import output_path

    return output_path(folder, name or book.config.output_name or "book", fmt)
