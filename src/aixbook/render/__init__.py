"""Renderers: one module per output format, all behind one interface.

Each renderer module has:

- ``SUFFIX``: the file name suffix of what it writes (".pdf");
- ``check(book) -> list[Diagnostic]``: content problems only this format shows
  (the PDF: characters no shipped font can draw);
- ``render(book, target, options) -> RenderResult``: write the book to ``target``
  (a temporary file the build renames into place).

``RENDERERS`` maps format names to those modules, as Sphinx's builder table
does; modules are imported only when their format is asked for.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from ..errors import ConfigError
from ..trust import file_name_problem

#: Format name → renderer module.
RENDERERS: dict[str, str] = {
    "pdf": "aixbook.render.pdf",
    "epub": "aixbook.render.epub",
    "html": "aixbook.render.html",
}
FORMATS = tuple(RENDERERS)


@dataclass(frozen=True)
class RenderOptions:
    """How to render, beyond what the book's config says.

    preview: one chapter or section: no front page or contents, and a plain
        (untagged) PDF, which is faster.
    jobs: how many processes lay out the PDF's parts (None: every usable CPU;
        1: in this process).
    cache_dir: where laid-out parts are kept between builds (None: nowhere).
    part: one chapter (its key) of the release PDF, as it prints there: laid out as the
        build lays it out (from ``cache_dir`` when the build or a preview did), with its
        running heads and page numbers; links to other chapters go to ``elsewhere``.
    elsewhere: the web address of each id (for ``part``).
    previous: the file this render replaces (``build.render_to`` says): when the cache
        recorded that these very inputs wrote it, and it is unchanged, it is the output.
    """

    preview: bool = False
    jobs: int | None = None
    cache_dir: Path | None = None
    part: str | None = None
    elsewhere: Mapping[str, str] = field(default_factory=dict)
    previous: Path | None = None


@dataclass(frozen=True)
class RenderWarning:
    """Something a renderer warned about, labelled with the renderer."""

    renderer: str
    message: str

    def __str__(self) -> str:
        return f"{self.renderer}: warning: {self.message}"


@dataclass
class RenderResult:
    """What rendering one format gave: its page count (PDF), warnings, and the parts it
    laid out (those not taken from the cache, in the order they were laid out)."""

    pages: int = 0
    warnings: list[RenderWarning] = field(default_factory=list)
    laid_out: list[str] = field(default_factory=list)


def direction_css(book, *names: str) -> str:
    """The stylesheets ``names`` (files in styles/) for a right-to-left book; "" for any other."""
    from ..resources import STYLES_DIR

    if book.config.direction != "rtl":
        return ""
    return "\n".join((STYLES_DIR / name).read_text(encoding="utf-8") for name in names)


def get_renderer(fmt: str) -> ModuleType:
    """The renderer module for format ``fmt`` (a key of ``RENDERERS``)."""
    return importlib.import_module(RENDERERS[fmt])


def output_path(folder: Path, name: str, fmt: str) -> Path:
    """Where format ``fmt`` of a book named ``name`` goes in ``folder`` (never outside it).

    Raises:
        ConfigError: ``name`` is not a file name (``../x``, ``/abs/x``, ``a/b``).
    """
    if problem := file_name_problem(name):
        raise ConfigError(f"the output name {problem}")
    return Path(folder) / f"{name}{get_renderer(fmt).SUFFIX}"


class _Collector(logging.Handler):
    def __init__(self, label: str, into: list[RenderWarning]) -> None:
        super().__init__(logging.WARNING)
        self.label = label
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        message = _with_cause(record)
        # About this machine's libraries, not about the book (and repeated for every
        # font): one line naming the package to install instead, not counted by --strict.
        if "HarfBuzz" in message:
            from ..doctor import warn_slow_subsetting

            warn_slow_subsetting()
            return
        self.into.append(RenderWarning(self.label, message))


def _with_cause(record: logging.LogRecord) -> str:
    """The record's message; where it ends with an exception that says nothing (WeasyPrint's
    "Failed to load image at …: " for an ImageLoadingError), with what caused it."""
    message = record.getMessage()
    args = record.args if isinstance(record.args, tuple) else ()
    for arg in args:
        cause = arg.__cause__ if isinstance(arg, BaseException) and not str(arg) else None
        if cause is not None and message.endswith(": "):
            return message + (str(cause) or type(cause).__name__)
    return message


@contextlib.contextmanager
def capture_warnings(logger: str, label: str) -> Iterator[list[RenderWarning]]:
    """Collect the WARNING-and-above records of ``logger`` while inside, labelled ``label``."""
    found: list[RenderWarning] = []
    handler = _Collector(label, found)
    log = logging.getLogger(logger)
    log.addHandler(handler)
    try:
        yield found
    finally:
        log.removeHandler(handler)
