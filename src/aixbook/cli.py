"""The command line: a few click decorators per command and a call into the library."""
from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

import click
from rich.console import Console

from . import __version__
from .errors import AixbookError

SITE_HELP = "Hugo site folder, or a repository root holding one (default: book/)."
CONFIG_HELP = "book.toml to use (default: book.toml in the site or project root)."
OUTPUT_HELP = "Folder for the outputs (default: output/ in the current folder)."
STRICT_HELP = "Treat every warning as an error."
FORMAT_HELP = "Output format; repeat for several (default: pdf, epub and html)."

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


class State:
    verbosity = 0


def _rel(path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def print_diagnostics(diags, quiet: bool = False) -> None:
    for d in diags:
        if quiet and d.severity == "info":
            continue
        where = ""
        if d.path is not None:
            where = f"{_rel(d.path)}:{d.line}: " if d.line else f"{_rel(d.path)}: "
        colour = {"error": "red", "warning": "yellow"}.get(d.severity)
        click.echo(f"{where}{click.style(d.severity, fg=colour)}: {d.message}", err=True)


def run(fn):
    """Run ``fn``; an expected failure prints one line and exits with its status."""
    try:
        return fn()
    except AixbookError as exc:
        click.echo(f"{exc.category}: {exc}" if not getattr(exc, "path", None) else str(exc), err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted; previous outputs are untouched", err=True)
        sys.exit(130)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aixbook")
@click.option("-v", "--verbose", count=True, help="More output (repeat for debug logging).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
def main(verbose: int, quiet: bool) -> None:
    """aixbook: publish the OWASP AI Exchange (a Hugo site) as PDF, EPUB and HTML."""
    State.verbosity = -1 if quiet else verbose
    level = logging.WARNING if verbose == 0 else (logging.INFO if verbose == 1 else logging.DEBUG)
    logging.basicConfig(level=level, format="%(name)s: %(message)s")
    if verbose < 2:
        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        logging.getLogger("fontTools").setLevel(logging.ERROR)


def _progress():
    if State.verbosity < 0 or not err.is_terminal:
        return None
    from rich.progress import Progress
    prog = Progress(console=err, transient=True)
    tasks: dict[str, int] = {}

    def update(step: str, done: int, total: int) -> None:
        if not prog.live.is_started:
            prog.start()
        if step not in tasks:
            tasks[step] = prog.add_task(step, total=total)
        prog.update(tasks[step], completed=done, total=total)
        if step.startswith("render") and done >= total:
            pass
    update.stop = prog.stop  # type: ignore[attr-defined]
    return update


@main.command()
@click.argument("site", required=False, type=click.Path(path_type=Path))
@click.option("-f", "--format", "formats", multiple=True, type=click.Choice(["pdf", "epub", "html"]),
              help=FORMAT_HELP)
@click.option("-o", "--output-dir", type=click.Path(path_type=Path), default=None, help=OUTPUT_HELP)
@click.option("-c", "--config", "config_path", type=click.Path(path_type=Path), default=None, help=CONFIG_HELP)
@click.option("--strict", is_flag=True, default=False, help=STRICT_HELP)
@click.option("--paper", type=click.Choice(["A4", "Letter"], case_sensitive=False), default=None,
              help="Paper size of the PDF (default: A4, or book.toml).")
@click.option("--xref-pages/--no-xref-pages", default=None, help="Add '(p. N)' after internal links in the PDF.")
@click.option("--toc-depth", type=click.IntRange(1, 4), default=None, help="Heading levels in the contents.")
def build(site, formats, output_dir, config_path, strict, paper, xref_pages, toc_depth):
    """Build the book: PDF, EPUB and one-page HTML into output/."""
    from .build import DEFAULT_FORMATS
    from .build import build as do_build

    progress = _progress()

    def go():
        try:
            return do_build(site or Path("book"), formats or DEFAULT_FORMATS, output_dir or Path("output"),
                            config_path, strict, progress=progress, paper=paper and paper.title().replace("A4", "A4"),
                            xref_pages=xref_pages, toc_depth=toc_depth)
        finally:
            if progress:
                progress.stop()

    result = run(go)
    print_diagnostics(result.book.diagnostics, quiet=State.verbosity < 0)
    if State.verbosity >= 0:
        for w in result.render_warnings:
            click.echo(f"weasyprint: warning: {w}", err=True)
        _summary(result)


def _summary(result) -> None:
    s = result.book.stats
    warnings = len(result.book.warnings) + len(result.render_warnings)
    for fmt, path in result.outputs.items():
        out.print(f"wrote {_rel(path)}")
    pages = f"{result.pages} pages, " if result.pages else ""
    out.print(f"{len(result.book.chapters)} chapters, {pages}links: {s.internal} resolved, {s.site} to the "
              f"website, {s.external} external, {s.dangling} dangling; images: {s.images} shown, "
              f"{s.missing_images} missing; {len(result.book.errors)} errors, {warnings} warnings; "
              f"{result.seconds:.1f} s")


@main.command()
@click.argument("site", required=False, type=click.Path(path_type=Path))
@click.option("-c", "--config", "config_path", type=click.Path(path_type=Path), default=None, help=CONFIG_HELP)
@click.option("--strict", is_flag=True, default=False, help=STRICT_HELP)
def check(site, config_path, strict):
    """Read the site and resolve every link without rendering; exit 1 on errors."""
    from .book import load_book

    start = time.perf_counter()
    book = run(lambda: load_book(site or Path("book"), config_path))
    seconds = time.perf_counter() - start
    print_diagnostics(book.diagnostics)
    s = book.stats
    heads = sum(len(rc.headings) for rc in book.chapters)
    if State.verbosity >= 0:
        out.print(f"{len(book.chapters)} chapters, {heads} headings; links: {s.internal} resolved, "
                  f"{s.site} to the website, {s.external} external, {s.dangling} dangling; images: "
                  f"{s.images} found, {s.missing_images} missing; {len(book.errors)} errors, "
                  f"{len(book.warnings)} warnings ({seconds:.2f} s)")
    if book.errors or (strict and book.warnings):
        sys.exit(1)


@main.command()
@click.argument("site", required=False, type=click.Path(path_type=Path))
@click.option("-c", "--config", "config_path", type=click.Path(path_type=Path), default=None, help=CONFIG_HELP)
def chapters(site, config_path):
    """List the chapters in book order: number, title, source file."""
    from .book import load_sources
    from .config import load_config
    from .site import load_site

    def go():
        s = load_site(site or Path("book"))
        cfg = load_config(config_path, s.root, s.project_root)
        return load_sources(s, cfg)

    for i, src in enumerate(run(go), 1):
        out.print(f"{i:>2}  {src.title:<45} {_rel(src.path)}", highlight=False, markup=False)


if __name__ == "__main__":  # pragma: no cover
    main()
