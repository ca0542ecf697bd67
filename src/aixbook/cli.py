"""The command line: a few click decorators per command and one call into the library.

Only this module knows click. The library raises ``AixbookError``; ``AixbookGroup``
turns it (and Ctrl-C) into a ``CliError`` in one place: one line on stderr and the
error's exit status.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import click
from rich.console import Console

from . import __version__, output
from .diagnostics import located
from .errors import AixbookError

MAIN_HELP = "aixbook: publish the OWASP AI Exchange (a Hugo site) as PDF, EPUB and HTML."
BUILD_HELP = "Build the book: PDF, EPUB and one-page HTML into output/."
CHECK_HELP = "Read the site and resolve every link without rendering; exit 1 on errors."
CHAPTERS_HELP = "List the chapters in book order: number, title, source file."
PREVIEW_HELP = 'Preview one chapter or section: a number ("2", "2.2"), file stem, short link name or title words.'
SERVE_HELP = "Serve the one-page HTML of the book on 127.0.0.1; rebuild and reload on change."
DIFF_HELP = (
    "What changed between two editions, as a reader sees it: sections added, removed, moved or changed, "
    "short links retargeted, new diagnostics. OLD and NEW are git revisions of the repository holding "
    "--site, or site folders; NEW defaults to the working tree."
)
DOCTOR_HELP = "Print what this machine gives aixbook: versions, Pango, HarfBuzz, fonts (paste it into bug reports)."

CONFIG_HELP = "book.toml to use (default: book.toml in the site or project root)."
OUTPUT_HELP = "Folder for the outputs (default: output/ in the current folder)."
STRICT_HELP = "Treat every warning as an error."
FORMAT_HELP = "Output format; repeat for several (default: pdf, epub and html)."
PAPER_HELP = "Paper size of the PDF (default: A4, or book.toml)."
XREF_HELP = "Add '(p. N)' after internal links in the PDF."
TOC_HELP = "Heading levels in the contents."
REMOTE_HELP = "Fetch http(s) images (10 s for the whole transfer, 10 MB cap); default: show them as links."
ALLOW_HOST_HELP = "With --allow-remote: fetch from HOST even on a loopback or private address (repeatable)."
HTML_HELP = "Write HTML instead of PDF."
OPEN_HELP = "Open the result with the system's viewer."
WATCH_HELP = "Rebuild whenever the chapter, its images, the config or styles change."
SERVE_FLAG_HELP = "Serve it as HTML on 127.0.0.1 and reload the browser on change."
PORT_HELP = "Port on 127.0.0.1."
JOBS_HELP = "Processes laying out the PDF's parts (default: every usable CPU, or book.toml's jobs)."
NAME_HELP = (
    "File name of the outputs, without suffix (default: book.toml's output_name, else the title's slug); "
    "{edition} stands for the edition (OWASP-AI-Exchange-{edition})."
)
EDITION_HELP = (
    "The edition the outputs name (default: book.toml's edition, else `git describe --tags` of the "
    'content, else its commit\'s date and id, else "unversioned").'
)
LANG_HELP = "The site language to build (a key of hugo.yaml's languages, e.g. fa); default: the default language."
CHANGES_SINCE_HELP = (
    "Show what changed since OLD (a git revision of the repository holding SITE, or a site folder): "
    "an annex listing the changes, a bar beside each changed block."
)
ENVIRONMENT_HELP = (
    "The Hugo environment: its config/ENVIRONMENT folder is merged over config/_default "
    "(default: production, as hugo builds; or book.toml's environment)."
)
ALL_LANGUAGES_HELP = "Build one book per site language (name.pdf, name.fa.pdf, …)."
SPLIT_HELP = (
    "chapters: with the PDF, also one PDF per chapter (NAME-STEM.pdf), from the release PDF's parts, "
    "with its page numbers and headers."
)
TIMINGS_HELP = (
    "Print each stage's wall time: read, parse, resolve, each PDF part's layout (on which worker), "
    "footers, combine, write."
)
DIFF_SITE_HELP = "The site (or repository root) in the working tree; revisions are read at the same place."
DIFF_PDF_HELP = (
    "Also build both editions' release PDFs into the output folder (NAME.old.pdf, NAME.new.pdf) "
    "and compare their page counts."
)
FAIL_ON_HELP = "Exit 1 when a short link that resolved in OLD resolves to nothing in NEW."
REPORT_HELP = (
    "How to report diagnostics: text, github (workflow commands and a step summary) or json "
    "(one document on stdout). Default: github inside GitHub Actions, else text."
)

INTERRUPTED_MESSAGE = "interrupted; previous outputs are untouched"

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)

site_argument = click.argument("site", required=False, default="book", type=click.Path(path_type=Path))
config_option = click.option(
    "-c", "--config", "config_path", type=click.Path(path_type=Path), default=None, help=CONFIG_HELP
)
output_option = click.option("-o", "--output-dir", type=click.Path(path_type=Path), default="output", help=OUTPUT_HELP)
strict_option = click.option("--strict", is_flag=True, default=False, help=STRICT_HELP)
port_option = click.option("--port", type=int, default=8000, show_default=True, help=PORT_HELP)
open_option = click.option("--open", "open_", is_flag=True, help=OPEN_HELP)
lang_option = click.option("--lang", "content_language", default=None, help=LANG_HELP)
environment_option = click.option("-e", "--environment", default=None, metavar="ENV", help=ENVIRONMENT_HELP)
report_option = click.option(
    "--report", "report_format", type=click.Choice(["text", "github", "json"]), default=None, help=REPORT_HELP
)


@dataclass
class Verbosity:
    """``ctx.obj``: how much the commands print (-1 with -q, 1 with -v, 2 with -vv)."""

    level: int = 0

    @property
    def quiet(self) -> bool:
        return self.level < 0


class CliError(click.ClickException):
    """An expected failure as click sees it: one line on stderr, then exit status 1 (content)."""

    def show(self, file=None) -> None:
        from .report import one_line

        click.echo(one_line(self.message), file=file, err=True)


class CliConfigError(CliError):
    """Exit status 2: the configuration, or what was asked for, cannot be used."""

    exit_code = 2


class CliInterrupted(CliError):
    """Exit status 130 (128 + SIGINT, as shells report it): Ctrl-C or SIGTERM."""

    exit_code = 130


_BY_STATUS: dict[int, type[CliError]] = {cls.exit_code: cls for cls in (CliError, CliConfigError, CliInterrupted)}


def _interrupt(signum, frame):
    output.INTERRUPTED.set()
    raise KeyboardInterrupt


@contextlib.contextmanager
def _interrupts_stop_cleanly():
    """SIGTERM is handled like Ctrl-C; both mark ``output.INTERRUPTED``, so no half-made
    file replaces a previous output even where the KeyboardInterrupt gets swallowed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class AixbookGroup(click.Group):
    """The one place where library errors and interrupts become exit statuses."""

    def invoke(self, ctx: click.Context):
        with _interrupts_stop_cleanly():
            try:
                return super().invoke(ctx)
            except AixbookError as exc:
                raise _BY_STATUS.get(exc.exit_code, CliError)(exc.one_line()) from exc
            except KeyboardInterrupt:
                raise CliInterrupted(INTERRUPTED_MESSAGE) from None


@click.group(cls=AixbookGroup, help=MAIN_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aixbook")
@click.option("-v", "--verbose", count=True, help="More output (repeat for debug logging).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool) -> None:
    ctx.obj = Verbosity(-1 if quiet else verbose)
    level = logging.WARNING if verbose == 0 else (logging.INFO if verbose == 1 else logging.DEBUG)
    logging.basicConfig(level=level, handlers=[_LOG_HANDLER])
    _log_for(None)
    if verbose < 2:
        # WeasyPrint's warnings are collected by the build and printed (and counted
        # by --strict) as part of its summary, not as raw log lines.
        for name in ("weasyprint", "aixbook.render"):
            logging.getLogger(name).propagate = False
        logging.getLogger("fontTools").setLevel(logging.ERROR)


@main.command(help=BUILD_HELP)
@site_argument
@click.option("-f", "--format", "formats", multiple=True, type=click.Choice(["pdf", "epub", "html"]), help=FORMAT_HELP)
@output_option
@config_option
@strict_option
@click.option("--paper", type=click.Choice(["A4", "Letter"], case_sensitive=False), default=None, help=PAPER_HELP)
@click.option("--xref-pages/--no-xref-pages", default=None, help=XREF_HELP)
@click.option("--toc-depth", type=click.IntRange(1, 4), default=None, help=TOC_HELP)
@click.option("--allow-remote", is_flag=True, default=None, help=REMOTE_HELP)
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="HOST", help=ALLOW_HOST_HELP)
@click.option("--name", "output_name", default=None, help=NAME_HELP)
@click.option("--edition", default=None, metavar="TEXT", help=EDITION_HELP)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help=JOBS_HELP)
@lang_option
@environment_option
@click.option("--all-languages", is_flag=True, default=False, help=ALL_LANGUAGES_HELP)
@click.option("--timings", "show_timings", is_flag=True, default=False, help=TIMINGS_HELP)
@click.option("--split", type=click.Choice(["chapters"]), default=None, help=SPLIT_HELP)
@click.option("--changes-since", "changes_since", metavar="OLD", default=None, help=CHANGES_SINCE_HELP)
@report_option
@click.pass_obj
def build(
    v: Verbosity,
    site,
    formats,
    output_dir,
    config_path,
    strict,
    paper,
    xref_pages,
    toc_depth,
    allow_remote,
    allow_hosts,
    output_name,
    edition,
    jobs,
    content_language,
    environment,
    all_languages,
    show_timings,
    split,
    changes_since,
    report_format,
):
    from . import build as builder

    _log_for(report_format)
    with _progress(v) as progress:
        made = (builder.build_languages if all_languages else builder.build)(
            site,
            formats or builder.DEFAULT_FORMATS,
            output_dir,
            config_path,
            strict,
            progress=progress,
            paper=paper,
            xref_pages=xref_pages,
            toc_depth=toc_depth,
            allow_remote=allow_remote,
            remote_hosts=allow_hosts or None,
            output_name=output_name,
            edition=edition,
            jobs=jobs,
            content_language=content_language,
            changes_since=changes_since,
            split=split,
            environment=environment,
        )
    for result in made if isinstance(made, list) else [made]:
        _print_build(v, result, report_format)
        if show_timings and result.timings is not None:
            from .report import default_format, timings_table

            (out if (report_format or default_format()) == "text" else err).print(timings_table(result.timings))


@main.command(help=CHECK_HELP)
@site_argument
@config_option
@strict_option
@output_option
@lang_option
@environment_option
@report_option
@click.pass_obj
def check(v: Verbosity, site, config_path, strict, output_dir, content_language, environment, report_format):
    from .book import load_book
    from .cache import ChapterCache

    _log_for(report_format)
    start = time.perf_counter()
    book = load_book(
        site,
        config_path,
        cache=ChapterCache(Path(output_dir) / ".cache"),
        content_language=content_language,
        environment=environment,
    )
    _print_check(v, book, time.perf_counter() - start, report_format)
    if book.errors or (strict and book.warnings):
        raise click.exceptions.Exit(1)


@main.command(help=DIFF_HELP)
@click.argument("old")
@click.argument("new", required=False)
@click.option("-s", "--site", type=click.Path(path_type=Path), default=".", help=DIFF_SITE_HELP)
@config_option
@output_option
@report_option
@click.option("--fail-on", "fail_on", multiple=True, type=click.Choice(["broken-permalink"]), help=FAIL_ON_HELP)
@click.option("--pdf", "with_pdf", is_flag=True, help=DIFF_PDF_HELP)
def diff(old, new, site, config_path, output_dir, report_format, fail_on, with_pdf):
    from . import diffreport, report
    from .cache import ChapterCache
    from .diff import diff_books

    _log_for(report_format)
    result = diff_books(
        old,
        new,
        site,
        config_path,
        cache=ChapterCache(Path(output_dir) / ".cache"),
        pdf_dir=Path(output_dir) if with_pdf else None,
    )
    fmt = report_format or report.default_format()
    if fmt == "json":
        click.echo(diffreport.as_json(result))
    elif fmt == "github":
        for line in diffreport.github_lines(result):
            click.echo(line)
        summary = diffreport.write_step_summary(result)
        if summary is not None:
            click.echo(summary, nl=False)
    else:
        out.print(diffreport.as_text(result), markup=False)
    if "broken-permalink" in fail_on and result.broken_permalinks:
        raise click.exceptions.Exit(1)


@main.command(help=DOCTOR_HELP)
def doctor():
    from .doctor import report

    lines, ok = report()
    for label, value in lines:
        out.print(f"{label + ':':<22}{value}", markup=False)
    if not ok:
        raise click.exceptions.Exit(1)


@main.command(help=CHAPTERS_HELP)
@site_argument
@config_option
@lang_option
@environment_option
def chapters(site, config_path, content_language, environment):
    from .book import list_chapters
    from .report import one_line

    for i, src in enumerate(list_chapters(site, config_path, content_language, environment), 1):
        label = "  " * (src.level - 1) + f"{src.number or i:>2}  {one_line(src.title)}"
        out.print(f"{label:<49} {_rel(src.path)}", markup=False)


@main.command(help=PREVIEW_HELP)
@click.argument("chapter")
@site_argument
@output_option
@config_option
@click.option("--html", "as_html", is_flag=True, help=HTML_HELP)
@open_option
@click.option("--watch", is_flag=True, help=WATCH_HELP)
@click.option("--serve", is_flag=True, help=SERVE_FLAG_HELP)
@port_option
@click.pass_obj
def preview(v: Verbosity, chapter, site, output_dir, config_path, as_html, open_, watch, serve, port):
    from .serve import preview_session

    preview_session(
        site,
        chapter,
        output_dir,
        fmt="html" if as_html else "pdf",
        config_path=config_path,
        watch=watch,
        serve=serve,
        port=port,
        open_=open_,
        report=_report(v),
    )


@main.command(help=SERVE_HELP)
@site_argument
@output_option
@config_option
@port_option
@open_option
@click.pass_obj
def serve(v: Verbosity, site, output_dir, config_path, port, open_):
    from .serve import serve_book

    serve_book(site, output_dir, config_path=config_path, port=port, open_=open_, report=_report(v))


# What the commands print.


class _StderrHandler(logging.StreamHandler):
    """Log records to whatever ``sys.stderr`` is now (click's test runner swaps it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


_LOG_HANDLER = _StderrHandler()


def _log_for(report_format: str | None) -> None:
    """Log lines as the report needs them: escaped as workflow-command data for GitHub
    Actions, one line each for people."""
    from .report import LogFormatter, default_format

    _LOG_HANDLER.setFormatter(LogFormatter(github=(report_format or default_format()) == "github"))


def _rel(path) -> str:
    """A path as printed: relative to the current folder, quoted if it would break the line."""
    from .report import quote_name

    try:
        return quote_name(os.path.relpath(path))
    except ValueError:
        return quote_name(str(path))


def print_diagnostics(diags, quiet: bool = False) -> None:
    from .report import one_line

    for d in diags:
        if quiet and d.severity == "info":
            continue
        colour = {"error": "red", "warning": "yellow"}.get(d.severity)
        text = f"{click.style(d.severity, fg=colour)}: {one_line(d.message)}"
        click.echo(located(text, None if d.path is None else _rel(d.path), d.line), err=True)


@contextlib.contextmanager
def _progress(v: Verbosity):
    if v.quiet or not err.is_terminal:
        yield None
        return
    from rich.progress import Progress

    tasks: dict[str, object] = {}
    with Progress(console=err, transient=True) as prog:

        def update(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = prog.add_task(step, total=total)
            prog.update(tasks[step], completed=done, total=total)  # type: ignore[arg-type]

        yield update


def _print_build(v: Verbosity, result, report_format: str | None = None) -> None:
    from . import report
    from .report import Summary

    warnings = [str(w) for w in result.render_warnings]
    summary = Summary.of(
        "build",
        result.book,
        extra_warnings=len(warnings),
        pages=result.pages,
        seconds=result.seconds,
        outputs=result.outputs,
    )
    if _machine_report(v, result.book, summary, report_format, warnings):
        return
    if v.quiet:
        return
    for w in warnings:
        click.echo(report.one_line(w), err=True)
    for path in result.outputs.values():
        out.print(f"wrote {_rel(path)}", markup=False)
    if result.chapter_pdfs:
        folder = next(iter(result.chapter_pdfs.values())).parent
        out.print(f"wrote {len(result.chapter_pdfs)} chapter PDFs into {_rel(folder)}", markup=False)
    out.print(report.build_sentence(summary, result.seconds), markup=False)


def _print_check(v: Verbosity, book, seconds: float, report_format: str | None = None) -> None:
    from .report import Summary, check_sentence

    summary = Summary.of("check", book, seconds=seconds)
    if _machine_report(v, book, summary, report_format, []):
        return
    if v.quiet:
        return
    out.print(check_sentence(summary, seconds), markup=False)


def _machine_report(v: Verbosity, book, summary, report_format: str | None, render_warnings: list[str]) -> bool:
    """Print the diagnostics as ``report_format`` asks; True when that was the whole report (JSON)."""
    from . import report

    fmt = report_format or report.default_format()
    root = report.repository_root(book.site.project_root)
    if fmt == "json":
        click.echo(report.as_json(summary, list(book.diagnostics), root, render_warnings))
        for path in summary.outputs.values():
            click.echo(f"wrote {_rel(path)}", err=True)  # people's text: stderr
        return True
    if fmt == "github":
        for d in book.diagnostics:
            click.echo(report.github_line(d, root))
        for w in render_warnings:
            click.echo(report.github_warning(w, "renderer"))
        report.write_step_summary(summary)
        return False
    print_diagnostics(book.diagnostics, quiet=v.quiet)
    return False


def _report(v: Verbosity):
    """A preview or serve session (``serve.Report``), printed."""
    from .serve import Report

    return Report(
        built=partial(_print_built, v),
        failed=_print_failed,
        status=partial(click.echo, err=True),
        serving=lambda url: out.print(f"serving {url}  (Ctrl-C stops)", markup=False),
    )


def _print_built(v: Verbosity, path: Path, book, seconds: float, rebuilt: bool) -> None:
    print_diagnostics(book.diagnostics, quiet=v.quiet)
    if rebuilt:
        out.print(f"{time.strftime('%H:%M:%S')} rebuilt {_rel(path)} in {seconds:.2f} s", markup=False)
    else:
        out.print(f"{_rel(path)}  ({seconds:.2f} s)", markup=False)


def _print_failed(exc: Exception) -> None:
    from .report import one_line

    click.echo(one_line(exc.one_line() if isinstance(exc, AixbookError) else f"error: {exc}"), err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
