"""Rebuild on change (watchfiles) and a live-reloading HTML preview server."""
from __future__ import annotations

import contextlib
import http.server
import logging
import threading
from pathlib import Path
from typing import Callable, Iterable

from .book import Gathered

log = logging.getLogger(__name__)

RELOAD_PATH = "/__aixbook/version"
RELOAD_SCRIPT = (
    "<script>(function(){var v=null;setInterval(function(){fetch('" + RELOAD_PATH + "',{cache:'no-store'})"
    ".then(function(r){return r.text()}).then(function(t){if(v!==null&&t!==v){location.reload()}v=t})"
    ".catch(function(){})},700)})();</script>")


def watched_files(g: Gathered, chapter_keys: Iterable[str] | None = None) -> set[Path]:
    """What a preview depends on: chapter sources, their images, the site config,
    firebase.json, book.toml and the stylesheets."""
    from .links import image_file, resolve_src
    from .resources import STYLES_DIR
    import re
    keys = set(chapter_keys) if chapter_keys is not None else {c.key for c in g.chapters}
    files = {g.site.config_path}
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
    files.update(p for p in STYLES_DIR.glob("*.css"))
    return {p.resolve() for p in files}


def watch_loop(files: Callable[[], set[Path]], rebuild: Callable[[], None],
               stop: threading.Event, on_error: Callable[[Exception], None] | None = None,
               debounce_ms: int = 150) -> None:
    """Call ``rebuild()`` whenever one of ``files()`` changes, until ``stop`` is set.

    ``files`` is asked again after every rebuild (a chapter may start using a new image).
    """
    from watchfiles import watch

    while not stop.is_set():
        wanted = files()
        folders = sorted({p.parent for p in wanted if p.parent.exists()})
        changed = False
        for changes in watch(*folders, watch_filter=lambda _c, path: Path(path).resolve() in wanted,
                             stop_event=stop, debounce=debounce_ms, rust_timeout=500,
                             yield_on_timeout=False, raise_interrupt=True):
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


class PreviewServer:
    """Serves ``page`` (and files next to it) on 127.0.0.1 and tells browsers to reload
    when ``version`` changes."""

    def __init__(self, folder: Path, page: str, port: int = 8000):
        self.folder = Path(folder)
        self.page = page
        self.version = 0
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):
                super().__init__(*a, directory=str(server.folder), **kw)

            def log_message(self, fmt, *args):  # quiet: the CLI prints rebuilds
                log.debug(fmt, *args)

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                if path == RELOAD_PATH:
                    return self._send(str(server.version).encode(), "text/plain")
                if path in ("/", "/" + server.page):
                    file = server.folder / server.page
                    try:
                        body = file.read_text(encoding="utf-8")
                    except OSError:
                        return self.send_error(503, "the first build has not finished")
                    body = body.replace("</body>", RELOAD_SCRIPT + "</body>", 1)
                    return self._send(body.encode("utf-8"), "text/html; charset=utf-8")
                return super().do_GET()

            def _send(self, data: bytes, ctype: str):
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def bump(self) -> None:
        self.version += 1

    def serve_in_thread(self) -> threading.Thread:
        t = threading.Thread(target=self.httpd.serve_forever, name="aixbook-serve", daemon=True)
        t.start()
        return t

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.httpd.shutdown()
        self.httpd.server_close()

