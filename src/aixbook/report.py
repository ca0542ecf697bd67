"""Diagnostics and summaries for people and for machines: text, GitHub Actions, JSON.

- ``text``: ``file:line: severity: message`` lines (paths relative to the current folder);
- ``github``: one workflow command per diagnostic (``::error file=…,line=…,title=…::…``),
  paths relative to the repository root so annotations land on the pull request's diff,
  and a Markdown summary appended to ``$GITHUB_STEP_SUMMARY`` when it is set;
- ``json``: one document (``REPORT_VERSION``) with the summary figures and every diagnostic.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic
from .model import Book
from .timings import Timings

REPORT_VERSION = 1
FORMATS = ("text", "github", "json")


def default_format() -> str:
    """``github`` inside GitHub Actions, else ``text``."""
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


@dataclass
class Summary:
    """The figures a build or check ends with."""

    command: str
    chapters: int
    headings: int = 0
    pages: int = 0
    links: dict[str, int] = field(default_factory=dict)
    images: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    warnings: int = 0
    seconds: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        command: str,
        book: Book,
        *,
        extra_warnings: int = 0,
        pages: int = 0,
        seconds: float = 0.0,
        outputs: dict[str, Path] | None = None,
    ) -> Summary:
        s = book.stats
        return cls(
            command=command,
            chapters=len(book.chapters),
            headings=sum(len(rc.headings) for rc in book.chapters),
            pages=pages,
            links={"resolved": s.internal, "website": s.site, "external": s.external, "dangling": s.dangling},
            images={"shown": s.images, "missing": s.missing_images},
            errors=len(book.errors),
            warnings=len(book.warnings) + extra_warnings,
            seconds=round(seconds, 2),
            outputs={fmt: str(p) for fmt, p in (outputs or {}).items()},
        )


def _links_and_images(summary: Summary, images: str) -> str:
    links, found = summary.links, summary.images
    return (
        f"links: {links['resolved']} resolved, {links['website']} to the website, {links['external']} external, "
        f"{links['dangling']} dangling; images: {found['shown']} {images}, {found['missing']} missing; "
        f"{summary.errors} errors, {summary.warnings} warnings"
    )


def build_sentence(summary: Summary, seconds: float) -> str:
    """The line a build ends with (``seconds`` as measured: the summary's are rounded)."""
    pages = f"{summary.pages} pages, " if summary.pages else ""
    return f"{summary.chapters} chapters, {pages}{_links_and_images(summary, 'shown')}; {seconds:.1f} s"


def check_sentence(summary: Summary, seconds: float) -> str:
    """The line ``aixbook check`` ends with."""
    counts = _links_and_images(summary, "found")
    return f"{summary.chapters} chapters, {summary.headings} headings; {counts} ({seconds:.2f} s)"


def relative(path: Path | None, root: Path | None) -> str:
    """``path`` relative to ``root`` (the repository), else to the current folder, else as it is."""
    if path is None:
        return ""
    for base in (root, Path.cwd()):
        if base is None:
            continue
        try:
            # The folder resolved, not the file: a symbolic link is reported as itself, not where it points.
            where = Path(path).parent.resolve() / Path(path).name
            return Path(os.path.relpath(where, Path(base).resolve())).as_posix()
        except ValueError:
            continue
    return str(path)


# What would break a line or hide text on a terminal: control characters, the line and
# paragraph separators, and the bidirectional overrides and isolates.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def one_line(text: str) -> str:
    """``text`` as one line for people: a newline (or another control character) in it is
    written as Python writes it in a string (``\\n``), so one line stays one line."""
    return _UNSAFE.sub(lambda m: repr(m.group())[1:-1], text)


def quote_name(name: str) -> str:
    """A file name as printed: as it is, or quoted as Python quotes a string when it holds
    a character that would break the line or could not be seen (``'a\\nb.md'``)."""
    return name if name.isprintable() else repr(name)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_warning(text: str, title: str) -> str:
    """A workflow command for a warning that is not a diagnostic (a renderer's)."""
    return f"::warning title={_escape_property(title)}::{_escape_data(text)}"


class LogFormatter(logging.Formatter):
    """Log records as ``name: message``, one line each: for people, the message made one
    line (``one_line``); for GitHub Actions (``github``), the whole record escaped as
    workflow-command data, so no library's text (WeasyPrint repeats the CSS it ignored,
    newlines and all) starts a line that the runner would read as a command."""

    def __init__(self, github: bool = False) -> None:
        super().__init__("%(name)s: %(message)s")
        self.github = github

    def formatMessage(self, record: logging.LogRecord) -> str:
        return one_line(super().formatMessage(record))

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return _escape_data(text) if self.github else text


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(d: Diagnostic, root: Path | None) -> str:
    """One GitHub Actions workflow command for ``d``."""
    command = {"error": "error", "warning": "warning"}.get(d.severity, "notice")
    props = []
    if d.path is not None:
        props.append(f"file={_escape_property(relative(d.path, root))}")
        if d.line:
            props.append(f"line={d.line}")
    title = (d.code or d.severity).replace("-", " ")
    props.append(f"title={_escape_property(title)}")
    return f"::{command} {','.join(props)}::{_escape_data(d.message)}"


def repository_root(project_root: Path) -> Path:
    """What report paths are relative to: the GitHub workspace when the site is inside it
    (annotations must name files from the repository root), else the folder the user named."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if workspace:
        ws = Path(workspace).resolve()
        if Path(project_root).resolve().is_relative_to(ws):
            return ws
    return Path(project_root)


def as_json(
    summary: Summary, diagnostics: list[Diagnostic], root: Path | None, render_warnings: list[str] | None = None
) -> str:
    """The whole report as one JSON document."""
    doc: dict[str, Any] = {
        "version": REPORT_VERSION,
        "summary": summary.__dict__,
        "render_warnings": list(render_warnings or []),
        "diagnostics": [
            {
                "severity": d.severity,
                "code": d.code,
                "path": relative(d.path, root) if d.path is not None else None,
                "line": d.line,
                "message": d.message,
                "suggestion": _suggestion(d.message),
            }
            for d in diagnostics
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)


def _suggestion(message: str) -> str | None:
    marker = "Did you mean "
    if marker not in message:
        return None
    return message.split(marker, 1)[1].rstrip("?").strip().strip("'")


def step_summary(summary: Summary) -> str:
    """A short Markdown summary for ``$GITHUB_STEP_SUMMARY``."""
    links = summary.links
    rows = [
        ("chapters", summary.chapters),
        ("pages", summary.pages or "–"),
        ("links resolved", links.get("resolved", 0)),
        ("links to the website", links.get("website", 0)),
        ("dangling links", links.get("dangling", 0)),
        ("missing images", summary.images.get("missing", 0)),
        ("errors", summary.errors),
        ("warnings", summary.warnings),
    ]
    out = [f"### aixbook {summary.command}", "", "| | |", "|---|---:|"]
    out += [f"| {name} | {value} |" for name, value in rows]
    if summary.outputs:
        out += ["", "Outputs: " + ", ".join(f"`{p}`" for p in summary.outputs.values())]
    return "\n".join(out) + "\n"


def write_step_summary(summary: Summary) -> None:
    """Append the Markdown summary to the file ``$GITHUB_STEP_SUMMARY`` names, if any."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as fh:
        fh.write(step_summary(summary))


def timings_table(t: Timings) -> str:
    """``build --timings``: one line per stage, in the order they started, with the process
    it ran on and its start and end from the build's start; then what the workers did."""
    rows = t.rows()
    width = max([len(name) for name, *_ in rows] + [5])
    lines = [f"{'stage':<{width}}  {'where':<9} {'start':>7} {'end':>7} {'seconds':>8}"]
    lines += [f"{n:<{width}}  {w:<9} {a:7.2f} {b:7.2f} {s:8.2f}" for n, w, a, b, s in rows]
    layouts = [s for s in t.stages if s.name.startswith("layout ")]
    if layouts:
        busy = sum(s.seconds for s in layouts)
        span = max(s.end for s in layouts) - min(s.start for s in layouts)
        workers = len({s.worker for s in layouts})
        lines.append(
            f"{len(layouts)} layouts: {busy:.2f} s of work on {workers} process(es), "
            f"{span:.2f} s from the first start to the last end"
        )
    return "\n".join(lines)
