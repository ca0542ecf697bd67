"""The preview server: one folder on 127.0.0.1, its page with a reload script, nothing else.

What a browser, or anything else that can reach the port, gets:

- only requests whose ``Host`` is ``127.0.0.1:PORT``, ``localhost:PORT`` or ``[::1]:PORT`` are
  answered (403 otherwise, a missing ``Host`` included), so a DNS-rebinding page cannot read the book;
- only regular files under the folder after resolving symlinks, no dot files, no listings (404);
  a path with a NUL or another control character, or not UTF-8, is a 400;
- every response carries a Content-Security-Policy that allows no script and no remote load; the
  page's allows one script, the reload script, by a nonce drawn for that response;
- a client that goes away, resets or stalls costs a debug log line, never a traceback; a connection
  that sends nothing for ``timeout`` seconds, or has not sent its request head ``timeout`` seconds
  after it was accepted, is closed.
"""

from __future__ import annotations

import contextlib
import html.parser
import http.server
import logging
import mimetypes
import os
import re
import secrets
import shutil
import socket
import sys
import threading
import time
import urllib.parse
from pathlib import Path

log = logging.getLogger(__name__)

RELOAD_PATH = "/__aixbook/version"
# How often serve_forever looks for shutdown() and for clients slow to send their
# request line: stopping the server takes at most this long (the default is 0.5 s).
POLL_S = 0.1
#: What every response allows: no script, nothing from another origin, no framing, no forms.
CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# The script asks for the version once at once, then every 0.7 s, and reloads when it changes.
_RELOAD_JS = (
    "(function(){var v=null;function poll(){fetch('" + RELOAD_PATH + "',{cache:'no-store'})"
    ".then(function(r){return r.text()}).then(function(t){if(v!==null&&t!==v){location.reload()}v=t})"
    ".catch(function(){})}poll();setInterval(poll,700)})();"
)
_BAD_PATH = re.compile(r"[\x00-\x1f\x7f]")


def page_csp(nonce: str) -> str:
    """The page's policy: ``CSP`` plus the reload script (by ``nonce``) and its fetch."""
    return f"{CSP}; script-src 'nonce-{nonce}'; connect-src 'self'"


def reload_script(nonce: str) -> str:
    return f'<script nonce="{nonce}">{_RELOAD_JS}</script>'


class _Found(Exception):
    pass


class _HeadScan(html.parser.HTMLParser):
    """Where ``<head>``'s start tag ends, and the spans of its CSP ``<meta>`` elements."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.head_end: int | None = None
        self.metas: list[tuple[int, int]] = []

    def _here(self) -> int:
        line, col = self.getpos()
        return self.starts[line - 1] + col

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            raise _Found
        tag_text = self.get_starttag_text() or ""
        if tag == "head" and self.head_end is None:
            self.head_end = self._here() + len(tag_text)
        elif tag == "meta" and self.head_end is not None:
            equiv = next((v for k, v in attrs if k == "http-equiv"), None) or ""
            if equiv.strip().lower() == "content-security-policy":
                self.metas.append((self._here(), self._here() + len(tag_text)))

    def handle_endtag(self, tag):
        if tag == "head":
            raise _Found


def with_reload_slot(page: str) -> tuple[str, str] | None:
    """``page`` cut in two where the reload script goes (right after ``<head>``), with every
    Content-Security-Policy ``<meta>`` of its head taken out: such a policy would apply on top of
    the server's and block the script. None if the page has no ``<head>`` start tag."""
    scan = _HeadScan(page)
    try:
        scan.feed(page)
        scan.close()
    except _Found:
        pass
    if scan.head_end is None:
        return None
    rest, last = [], scan.head_end
    for start, end in scan.metas:
        rest.append(page[last:start])
        last = end
    rest.append(page[last:])
    return page[: scan.head_end], "".join(rest)


class _HTTPServer(http.server.ThreadingHTTPServer):
    """One thread per connection; a connection that has not sent its whole request head
    ``head_deadline`` seconds after it was accepted is shut (a client that trickles a byte
    now and then defeats the socket timeout alone)."""

    daemon_threads = True
    request_queue_size = 128  # the default (5) made simultaneous requests wait for seconds

    def __init__(self, address, handler, head_deadline: float):
        super().__init__(address, handler)
        self.head_deadline = head_deadline
        self._reading: dict[socket.socket, float] = {}
        self._reading_lock = threading.Lock()

    def process_request(self, request, client_address):
        with self._reading_lock:
            self._reading[request] = time.monotonic() + self.head_deadline
        super().process_request(request, client_address)

    def head_read(self, request) -> None:
        with self._reading_lock:
            self._reading.pop(request, None)

    def shutdown_request(self, request):
        self.head_read(request)
        super().shutdown_request(request)

    def service_actions(self):  # called by serve_forever at least every POLL_S
        now = time.monotonic()
        with self._reading_lock:
            late = [s for s, deadline in self._reading.items() if deadline < now]
            for s in late:
                del self._reading[s]
        for s in late:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            log.debug("serve: client %s went away: %s", client_address, exc)
        else:
            log.warning("serve: answering %s failed: %s", client_address, exc)
            log.debug("serve: the failure", exc_info=True)


class PreviewServer:
    """Serves ``page`` (and files under ``folder``) on 127.0.0.1 and tells browsers to reload
    when ``version`` changes. ``timeout``: seconds a connection may stay silent."""

    def __init__(self, folder: Path, page: str, port: int = 8000, timeout: float = 10.0):
        self.folder = Path(folder)
        self.page = page
        self.version = 0
        self._page_cache: tuple[tuple[int, int], tuple[str, str] | None] | None = None
        self._lock = threading.Lock()
        self.httpd = _HTTPServer(("127.0.0.1", port), _handler(self, timeout), head_deadline=timeout)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def allowed_hosts(self) -> set[str]:
        names = ("127.0.0.1", "localhost", "[::1]")
        hosts = {f"{n}:{self.port}" for n in names}
        return hosts | set(names) if self.port == 80 else hosts

    def bump(self) -> None:
        self.version += 1

    def page_parts(self) -> tuple[str, str] | None:
        """The page cut for the reload script (``with_reload_slot``), read again when it changes.
        Raises OSError while there is no page yet."""
        file = self.folder / self.page
        st = file.stat()
        key = (st.st_mtime_ns, st.st_size)
        with self._lock:
            if self._page_cache is None or self._page_cache[0] != key:
                self._page_cache = (key, with_reload_slot(file.read_text(encoding="utf-8")))
            return self._page_cache[1]

    def file_for(self, path: str) -> Path | None:
        """The file a decoded request path names: a regular file under the folder after
        resolving, not a dot file; else None."""
        parts = [p for p in path.split("/") if p]
        if any(p.startswith(".") for p in parts):
            return None
        root = self.folder.resolve()
        target = root.joinpath(*parts).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            return None
        return target

    def serve_in_thread(self) -> threading.Thread:
        t = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": POLL_S}, name="aixbook-serve", daemon=True
        )
        t.start()
        return t

    def close(self) -> None:
        try:
            self.httpd.shutdown()
        finally:
            self.httpd.server_close()


def _handler(server: PreviewServer, timeout_s: float) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        timeout = timeout_s
        csp = CSP

        def version_string(self):
            return "aixbook"

        def parse_request(self):
            try:
                return super().parse_request()
            finally:
                self.server.head_read(self.connection)  # type: ignore[attr-defined]

        def log_message(self, format, *args):  # quiet: the CLI prints rebuilds
            log.debug("serve: " + format, *args)

        def end_headers(self):
            self.send_header("Content-Security-Policy", self.csp)
            for name, value in SECURITY_HEADERS.items():
                self.send_header(name, value)
            super().end_headers()

        def do_GET(self):
            self._answer(body=True)

        def do_HEAD(self):
            self._answer(body=False)

        def _answer(self, body: bool) -> None:
            if (self.headers.get("Host") or "").strip().lower() not in server.allowed_hosts():
                return self.send_error(403, "unknown Host")
            raw = self.path.split("?", 1)[0].split("#", 1)[0]
            try:
                path = urllib.parse.unquote(raw, errors="strict")
            except UnicodeDecodeError:
                return self.send_error(400, "the path is not UTF-8")
            if not path.startswith("/") or _BAD_PATH.search(path):
                return self.send_error(400, "bad path")
            if path == RELOAD_PATH:
                return self._send(str(server.version).encode(), "text/plain; charset=utf-8", body)
            if path in ("/", "/" + server.page):
                return self._page(body)
            file = server.file_for(path)
            if file is None:
                return self.send_error(404)
            try:
                f = file.open("rb")
            except OSError:
                return self.send_error(404)
            with f:
                self.send_response(200)
                self.send_header("Content-Type", mimetypes.guess_type(file.name)[0] or "application/octet-stream")
                self.send_header("Content-Length", str(os.fstat(f.fileno()).st_size))
                self.end_headers()
                if body:
                    shutil.copyfileobj(f, self.wfile)

        def _page(self, body: bool) -> None:
            try:
                parts = server.page_parts()
            except OSError:
                return self.send_error(503, "the first build has not finished")
            if parts is None:
                return self.send_error(500, "the page has no <head>")
            nonce = secrets.token_urlsafe(18)
            self.csp = page_csp(nonce)
            data = (parts[0] + reload_script(nonce) + parts[1]).encode("utf-8")
            self._send(data, "text/html; charset=utf-8", body)

        def _send(self, data: bytes, ctype: str, body: bool) -> None:
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if body:
                self.wfile.write(data)

    return Handler
