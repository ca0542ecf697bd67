"""Keep a preview or the book's one-page HTML up to date while writing: rebuild on
change (watchfiles), serve with live reload, stop cleanly on Ctrl-C.

No click here: a session tells its user what happens through a ``Report``, which
the CLI implements by printing. Ctrl-C (``KeyboardInterrupt``) ends a session
wherever it lands, waiting for changes or in the middle of a rebuild, and is
re-raised for the caller; the previous output stays untouched (see ``output``).
"""

from __future__ import annotations

import logging
import re
import threading
import time
import webbrowser
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import htmlfrag, output
from .book import Gathered, gather, load_book
from .build import output_file, render_to
from .cache import ChapterCache
from .errors import AixbookError
from .frontpage import assets_dir, front_page_file
from .links import image_file, resolve_src
from .model import Book
from .preview import render_preview
from .resources import STYLES_DIR

if TYPE_CHECKING:
    from .livereload import PreviewServer

log = logging.getLogger(__name__)

Build = Callable[[], tuple[Path, Book]]


class ServeError(AixbookError):
    """The preview server cannot start (exit status 2)."""

    category, exit_code = "serve", 2


def watched_files(g: Gathered, chapter_keys: Iterable[str] | None = None) -> set[Path]:
    """What a preview depends on, resolved: chapter sources, their images, the site config,
    firebase.json, book.toml, the stylesheets and, for the whole book, the front page and its
    artwork. A file that resolves outside the site, the config's folder and aixbook's styles
    is not watched (the book does not read it either)."""
    whole = chapter_keys is None
    keys = set(chapter_keys) if chapter_keys is not None else {c.key for c in g.chapters}
    files = {g.site.config_path, *g.site.config_files}
    if g.site.firebase_path:
        files.add(g.site.firebase_path)
    if g.config.base_dir and (Path(g.config.base_dir) / "book.toml").is_file():
        files.add(Path(g.config.base_dir) / "book.toml")
    for ch in g.chapters:
        if ch.key not in keys:
            continue
        files.add(ch.source.path)
        for src in re.findall(r'<img[^>]*\ssrc="([^"]+)"', ch.html):
            t = resolve_src(g.table, src, ch.key)
            if t.kind in ("image", "missing-image") and t.path:
                files.add(image_file(g.site, t.path))
    if whole:
        files.update(_front_page_files(g))
    files.update(p for p in STYLES_DIR.glob("*.css"))
    roots = [Path(r).resolve() for r in (g.site.project_root, g.site.root, g.config.base_dir, STYLES_DIR) if r]
    resolved = (p.resolve() for p in files)
    return {p for p in resolved if any(p.is_relative_to(r) for r in roots)}


def _front_page_files(g: Gathered) -> set[Path]:
    """The front page file and the artwork it names (``assets/…``)."""
    page = front_page_file(g.site, g.config)
    if page is None or not page.is_file():
        return set()
    try:
        text = page.read_text(encoding="utf-8", errors="replace").replace("{{ASSETS_DIR}}", "assets")
    except OSError:
        return set()
    base = assets_dir(g.site, g.config)
    art = {img.get("src", "") for img in htmlfrag.parse(text).iter("img")}
    return {page} | {base / src[len("assets/") :] for src in art if src.startswith("assets/")}


def watched_folders(files: set[Path]) -> set[Path]:
    """The folders the watch registers for ``files`` (resolved paths from ``watched_files``):
    the folder of each, alone, never its subfolders, so a symlink in it is never followed."""
    return {p.parent for p in files if p.parent.is_dir()}


# How often the watch and the server look at their stop signal: Ctrl-C, or a test
# ending its server, answers within a tenth of a second (it was half a second).
STOP_POLL_MS = 100


def watch_loop(
    files: Callable[[], set[Path]],
    rebuild: Callable[[], None],
    stop: threading.Event,
    on_error: Callable[[Exception], None] | None = None,
    debounce_ms: int = 150,
) -> None:
    """Call ``rebuild()`` whenever one of ``files()`` changes, until ``stop`` is set.

    ``files`` is asked again after every rebuild (a chapter may start using a new image).
    Each folder of ``watched_folders`` is watched alone (one inotify watch each).
    """
    from watchfiles import watch

    while not stop.is_set():
        wanted = files()
        folders = sorted(watched_folders(wanted))
        changed = False

        def is_wanted(_change, path: str, wanted: set[Path] = wanted) -> bool:
            return Path(path) in wanted

        for changes in watch(
            *folders,
            watch_filter=is_wanted,
            stop_event=stop,
            debounce=debounce_ms,
            rust_timeout=STOP_POLL_MS,  # how soon a set ``stop`` is seen
            yield_on_timeout=False,
            raise_interrupt=True,
            recursive=False,
        ):
            if changes:
                changed = True
                break
        if changed and not stop.is_set():
            try:
                rebuild()
            except Exception as exc:  # keep watching: the author fixes the file and saves again
                if on_error:
                    on_error(exc)
                else:
                    raise


def _silent(*_args) -> None:
    pass


@dataclass(frozen=True)
class Report:
    """What a session tells its user, as callbacks; silent by default. The CLI prints them.

    - ``built(path, book, seconds, rebuilt)``: ``path`` was written (``rebuilt``: by the watch);
    - ``failed(exc)``: a rebuild failed; the watch goes on (the author fixes the file and saves);
    - ``status(message)``: a line about the session itself: watching, stopped, no viewer;
    - ``serving(url)``: the server listens at ``url``.
    """

    built: Callable[[Path, Book, float, bool], None] = _silent
    failed: Callable[[Exception], None] = _silent
    status: Callable[[str], None] = _silent
    serving: Callable[[str], None] = _silent


def preview_session(
    site_dir: Path | str,
    query: str,
    output_dir: Path | str,
    *,
    fmt: str = "pdf",
    config_path: Path | None = None,
    watch: bool = False,
    serve: bool = False,
    port: int = 8000,
    open_: bool = False,
    report: Report | None = None,
) -> Path:
    """Write the preview of chapter or section ``query``; then, as asked, open it, serve it
    (as HTML) with live reload, and rebuild it on every change until Ctrl-C.

    Returns:
        The preview's path (``output_dir/preview/<chapter>.pdf`` or ``.html``).

    Raises:
        ConfigError, SourceError, SelectionError: the first build failed.
        ServeError: ``serve`` and the port is taken.
        KeyboardInterrupt: Ctrl-C ended the watch.
    """
    report = report or Report()
    folder = Path(output_dir)
    cache = ChapterCache(folder / ".cache")
    fmt = "html" if serve else fmt

    def build() -> tuple[Path, Book]:
        return render_preview(site_dir, query, folder, cache=cache, fmt=fmt, config_path=config_path)

    path, book = _build_once(build, report, rebuilt=False)
    files = _dependencies(site_dir, config_path, cache, [rc.chapter.key for rc in book.chapters])
    _keep_fresh(path, build, files, report, watch=watch, serve=serve, port=port, open_=open_)
    return path


def serve_book(
    site_dir: Path | str,
    output_dir: Path | str,
    *,
    config_path: Path | None = None,
    port: int = 8000,
    open_: bool = False,
    report: Report | None = None,
) -> None:
    """Serve the one-page HTML of the whole book (written to ``output_dir/serve``) on 127.0.0.1,
    rebuilt and reloaded in the browser on every change, until Ctrl-C.

    Raises:
        ConfigError, SourceError: the first build failed.
        ServeError: the port is taken.
        KeyboardInterrupt: Ctrl-C ended the session.
    """
    report = report or Report()
    cache = ChapterCache(Path(output_dir) / ".cache")

    def build() -> tuple[Path, Book]:
        return build_page(site_dir, Path(output_dir) / "serve", config_path, cache)

    path, _ = _build_once(build, report, rebuilt=False)
    files = _dependencies(site_dir, config_path, cache, None)
    _keep_fresh(path, build, files, report, watch=True, serve=True, port=port, open_=open_)


def build_page(
    site_dir: Path | str, folder: Path, config_path: Path | None = None, cache: ChapterCache | None = None
) -> tuple[Path, Book]:
    """Write the one-page HTML of the book into ``folder``; return its path and the book."""
    output.reset_interrupt()  # an earlier interrupted build in this process must not stop this one
    book = load_book(site_dir, config_path, cache=cache)
    final = output_file(folder, book, "html")
    render_to(book, "html", final)
    return final, book


def watch_forever(files: Callable[[], set[Path]], rebuild: Callable[[], None], report: Report) -> None:
    """Call ``rebuild()`` on every change of ``files()`` until Ctrl-C, which is re-raised.
    A failed rebuild is reported and the watch goes on."""
    stop = threading.Event()
    report.status("watching for changes; Ctrl-C stops")
    try:
        watch_loop(files, rebuild, stop, on_error=report.failed)
    finally:
        stop.set()
        report.status("stopped")


def open_in_viewer(target: str, report: Report) -> None:
    """Open a file or URL with the system's viewer."""
    if not webbrowser.open(target if "://" in target else Path(target).resolve().as_uri()):
        report.status(f"no viewer found to open {target}")


def _build_once(build: Build, report: Report, rebuilt: bool) -> tuple[Path, Book]:
    start = time.perf_counter()
    path, book = build()
    report.built(path, book, time.perf_counter() - start, rebuilt)
    return path, book


def _rebuild(build: Build, report: Report, server: PreviewServer | None) -> None:
    try:
        _build_once(build, report, rebuilt=True)
    except Exception:
        if not output.INTERRUPTED.is_set():
            raise
    # Ctrl-C may land where its KeyboardInterrupt is swallowed (a C callback of the
    # renderer); the flag it set still ends the watch.
    if output.INTERRUPTED.is_set():
        raise KeyboardInterrupt
    if server is not None:
        server.bump()


def _dependencies(site_dir, config_path, cache, keys: list[str] | None) -> Callable[[], set[Path]]:
    """``files()`` for the watch, read again after every rebuild; while a file is broken,
    the last good set is kept."""
    last: set[Path] | None = None

    def files() -> set[Path]:
        nonlocal last
        try:
            last = watched_files(gather(site_dir, config_path, cache=cache), keys)
        except AixbookError:
            if last is None:
                raise
        return last

    return files


def _keep_fresh(
    path: Path,
    build: Build,
    files: Callable[[], set[Path]],
    report: Report,
    *,
    watch: bool,
    serve: bool,
    port: int,
    open_: bool,
) -> None:
    server = None
    if serve:
        try:
            from .livereload import PreviewServer  # (an HTTP server: only when serving)

            server = PreviewServer(path.parent, path.name, port)
        except OSError as exc:
            raise ServeError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from exc
        server.serve_in_thread()
        report.serving(server.url)
    try:
        if open_:
            open_in_viewer(server.url if server else str(path), report)
        if watch or serve:
            watch_forever(files, lambda: _rebuild(build, report, server), report)
    finally:
        if server is not None:
            server.close()
