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


def _interrupt(signum, frame):
    from .output import INTERRUPTED
    INTERRUPTED.set()
    raise KeyboardInterrupt


def run(fn):
    """Run ``fn``; an expected failure prints one line and exits with its status.

    SIGTERM is handled like Ctrl-C, so temporary files are removed either way.
    """
    import signal
    import threading
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, _interrupt)
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
        # WeasyPrint's warnings are collected by the build and printed (and counted
        # by --strict) as part of its summary, not as raw log lines.
        for name in ("weasyprint", "aixbook.render"):
            logging.getLogger(name).propagate = False
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
@click.option("--allow-remote", is_flag=True, default=None,
              help="Fetch http(s) images (10 s timeout, 10 MB cap); default: show them as links.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Processes laying out the PDF's chapters (default: every usable CPU, or book.toml).")
def build(site, formats, output_dir, config_path, strict, paper, xref_pages, toc_depth, allow_remote, jobs):
    """Build the book: PDF, EPUB and one-page HTML into output/."""
    from .build import DEFAULT_FORMATS
    from .build import build as do_build

    progress = _progress()

    def go():
        try:
            return do_build(site or Path("book"), formats or DEFAULT_FORMATS, output_dir or Path("output"),
                            config_path, strict, progress=progress, paper=paper,
                            xref_pages=xref_pages, toc_depth=toc_depth, allow_remote=allow_remote, jobs=jobs)
        finally:
            if progress:
                progress.stop()

    result = run(go)
    print_diagnostics(result.book.diagnostics, quiet=State.verbosity < 0)
    if State.verbosity >= 0:
        for w in result.render_warnings:
            click.echo(str(w), err=True)
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


def _cache(output_dir: Path):
    from .cache import ChapterCache
    return ChapterCache(output_dir / ".cache")


def _open(target: str) -> None:
    """Open a file or URL with the system's viewer."""
    import webbrowser
    if not webbrowser.open(target if "://" in target else Path(target).resolve().as_uri()):
        click.echo(f"no viewer found to open {target}", err=True)


@main.command()
@click.argument("chapter")
@click.argument("site", required=False, type=click.Path(path_type=Path))
@click.option("-o", "--output-dir", type=click.Path(path_type=Path), default=None, help=OUTPUT_HELP)
@click.option("-c", "--config", "config_path", type=click.Path(path_type=Path), default=None, help=CONFIG_HELP)
@click.option("--html", "as_html", is_flag=True, help="Write HTML instead of PDF.")
@click.option("--open", "open_", is_flag=True, help="Open the result with the system's viewer.")
@click.option("--watch", is_flag=True, help="Rebuild whenever the chapter, its images, the config or styles change.")
@click.option("--serve", is_flag=True, help="With --html: serve it on 127.0.0.1 and reload the browser on change.")
@click.option("--port", type=int, default=8000, show_default=True, help="Port for --serve.")
def preview(chapter, site, output_dir, config_path, as_html, open_, watch, serve, port):
    """Preview one chapter or section: a number ("2", "2.2"), file stem, short link name or title words."""
    from .preview import render_preview

    site = site or Path("book")
    output_dir = output_dir or Path("output")
    cache = _cache(output_dir)
    fmt = "html" if as_html or serve else "pdf"

    def once():
        start = time.perf_counter()
        path, book = render_preview(site, chapter, output_dir, cache=cache, fmt=fmt, config_path=config_path)
        print_diagnostics(book.diagnostics, quiet=State.verbosity < 0)
        return path, book, time.perf_counter() - start

    path, book, secs = run(once)
    out.print(f"{_rel(path)}  ({secs:.2f} s)", markup=False)
    keys = [book.chapters[0].chapter.key]
    if serve:
        _serve_loop(site, config_path, cache, path, lambda: run(once)[0], keys, port, open_)
        return
    if open_:
        _open(str(path))
    if watch:
        _watch_forever(site, config_path, cache, keys, lambda: run(once)[0])


def _watch_forever(site, config_path, cache, keys, rebuild_once, on_rebuilt=None) -> None:
    """Rebuild on every change until Ctrl-C; one line per rebuild, errors keep the watch going."""
    import threading
    from .book import gather
    from .serve import watch_loop, watched_files

    stop = threading.Event()
    last: list[set[Path]] = [watched_files(gather(site, config_path, cache=cache), keys)]

    def files() -> set[Path]:
        try:
            last[0] = watched_files(gather(site, config_path, cache=cache), keys)
        except AixbookError:
            pass                                   # a broken file: keep watching what we had
        return last[0]

    def rebuild() -> None:
        start = time.perf_counter()
        try:
            path = rebuild_once()
        except SystemExit:
            return                                 # run() printed the one-line error
        if on_rebuilt:
            on_rebuilt()
        out.print(f"{time.strftime('%H:%M:%S')} rebuilt {_rel(path)} in {time.perf_counter() - start:.2f} s",
                  markup=False)

    click.echo("watching for changes; Ctrl-C stops", err=True)
    try:
        watch_loop(files, rebuild, stop, on_error=lambda e: click.echo(f"error: {e}", err=True))
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        click.echo("stopped", err=True)


def _serve_loop(site, config_path, cache, page_path: Path, rebuild_once, keys, port, open_) -> None:
    from .serve import PreviewServer
    try:
        server = PreviewServer(page_path.parent, page_path.name, port)
    except OSError as exc:
        click.echo(f"serve: cannot listen on 127.0.0.1:{port}: {exc.strerror}", err=True)
        sys.exit(2)
    server.serve_in_thread()
    out.print(f"serving {server.url}  (Ctrl-C stops)", markup=False)
    if open_:
        _open(server.url)
    try:
        _watch_forever(site, config_path, cache, keys, rebuild_once, on_rebuilt=server.bump)
    finally:
        server.close()


@main.command()
@click.argument("site", required=False, type=click.Path(path_type=Path))
@click.option("-o", "--output-dir", type=click.Path(path_type=Path), default=None, help=OUTPUT_HELP)
@click.option("-c", "--config", "config_path", type=click.Path(path_type=Path), default=None, help=CONFIG_HELP)
@click.option("--port", type=int, default=8000, show_default=True, help="Port on 127.0.0.1.")
@click.option("--open", "open_", is_flag=True, help="Open the page in the browser.")
def serve(site, output_dir, config_path, port, open_):
    """Serve the one-page HTML of the book on 127.0.0.1; rebuild and reload on change."""
    from .book import load_book
    from .build import output_file, render_to

    site = site or Path("book")
    folder = (output_dir or Path("output")) / "serve"
    cache = _cache(output_dir or Path("output"))

    def once():
        book = load_book(site, config_path, cache=cache)
        print_diagnostics(book.diagnostics, quiet=True)
        final = output_file(folder, book, "html")
        render_to(book, "html", final)
        return final

    path = run(once)
    _serve_loop(site, config_path, cache, path, lambda: run(once), None, port, open_)


if __name__ == "__main__":  # pragma: no cover
    main()
