"""What `serve` and the watcher give anyone who can reach the port or write the site:
only the book's own Host is answered, every response carries a CSP, only files under the
served folder are sent, hostile or broken clients cost no traceback and hold no thread for
ever, and a symlink out of the site is never watched."""

from __future__ import annotations

import concurrent.futures
import logging
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from aixbook.book import gather
from aixbook.livereload import RELOAD_PATH, PreviewServer, with_reload_slot
from aixbook.resources import STYLES_DIR
from aixbook.serve import build_page, watch_loop, watched_files, watched_folders
from helpers import SAMPLE, spawn_cli, wait_until, write_site

# What the one-page HTML carries as the first child of <head> (issue 18, item 4).
META_CSP = (
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; font-src 'self'\">"
)
SECRET = "TOP-SECRET-OUTSIDE-THE-FOLDER"


def _page(title: str = "Served page", extra_head: str = META_CSP, body: str = "") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head>{extra_head}<meta charset="utf-8">\n'
        f"<title>{title}</title><style>p {{ color: #333 }}</style></head>\n"
        f"<body><p>Book text</p>{body}</body></html>\n"
    )


def _raw(port: int, request: bytes, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` as it is; (status, headers, body) of the reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def _get(port: int, path: str, host: str | None = "127.0.0.1:{port}") -> tuple[int, dict[str, str], bytes]:
    host_line = f"Host: {host.format(port=port)}\r\n" if host is not None else ""
    return _raw(port, f"GET {path} HTTP/1.1\r\n{host_line}Connection: close\r\n\r\n".encode("latin-1"))


@pytest.fixture
def served(tmp_path):
    """A served folder holding the page, an image, a secret beside it and symlinks out of it."""
    folder = tmp_path / "out" / "serve"
    (folder / "images").mkdir(parents=True)
    (folder / "book.html").write_text(_page(), encoding="utf-8")
    (folder / "images" / "big.png").write_bytes(b"\x89PNG" + os.urandom(4 << 20))
    (tmp_path / "out" / "secret.txt").write_text(SECRET)
    (folder / "leak.txt").symlink_to(tmp_path / "out" / "secret.txt")
    (folder / "images" / "up").symlink_to(tmp_path / "out")
    (folder / ".book.html.1234.part").write_text(SECRET)
    server = PreviewServer(folder, "book.html", port=0, timeout=0.5)
    server.serve_in_thread()
    yield server
    server.close()


@pytest.mark.timeout(30)
def test_the_page_carries_a_csp_whose_nonce_only_the_reload_script_has(served):
    answers = [_get(served.port, "/") for _ in range(2)]
    nonces = []
    for status, headers, body in answers:
        assert status == 200
        csp = headers["content-security-policy"]
        nonce = re.fullmatch(r".*script-src 'nonce-([A-Za-z0-9_-]{20,})'.*", csp).group(1)
        for part in (
            "default-src 'none'",
            "img-src 'self' data:",
            "style-src 'self' 'unsafe-inline'",
            "font-src 'self'",
            "connect-src 'self'",
        ):
            assert part in csp
        page = body.decode()
        assert re.findall(r"<script[^>]*>", page) == [f'<script nonce="{nonce}">']
        assert RELOAD_PATH in page
        assert "Content-Security-Policy" not in page  # the meta would block the script
        assert page.startswith('<!DOCTYPE html>\n<html lang="en"><head><script nonce=')
        assert "<title>Served page</title>" in page and "<p>Book text</p>" in page
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        nonces.append(nonce)
    assert nonces[0] != nonces[1]  # drawn for each response


@pytest.mark.timeout(30)
def test_every_other_answer_allows_no_script_at_all(served):
    for path in (RELOAD_PATH, "/images/big.png", "/nothing-here"):
        status, headers, _ = _get(served.port, path)
        assert status in (200, 404)
        assert "default-src 'none'" in headers["content-security-policy"]
        assert "script-src" not in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
    status, headers, body = _get(served.port, "/images/big.png")
    assert headers["content-type"] == "image/png" and len(body) == 4 + (4 << 20)
    status, headers, body = _raw(served.port, f"HEAD / HTTP/1.0\r\nHost: localhost:{served.port}\r\n\r\n".encode())
    assert status == 200 and body == b"" and "'nonce-" in headers["content-security-policy"]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}", "[::1]:{port}"])
def test_the_servers_own_hosts_are_answered(served, host):
    assert _get(served.port, "/", host)[0] == 200


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "host",
    [
        "evil.example:{port}",
        "evil.example",
        "127.0.0.1",
        "localhost:1",
        "localhost.evil.example:{port}",
        "127.0.0.1:{port}.evil.example",
        "",
        None,
    ],
)
def test_any_other_host_gets_403_and_no_book(served, host):
    for path in ("/", RELOAD_PATH, "/images/big.png"):
        status, _, body = _get(served.port, path, host)
        assert status == 403
        assert b"Book text" not in body and b"PNG" not in body


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "path, status",
    [
        ("/x%00", 400),
        ("/x%00.html", 400),
        ("/%0d%0aSet-Cookie:x=1", 400),
        ("/%ff%fe", 400),
        ("/../../etc/passwd", 404),
        ("/%2e%2e/%2e%2e/etc/passwd", 404),
        ("/%2E%2E%2Fsecret.txt", 404),
        ("//etc/passwd", 404),
        ("/images/../../secret.txt", 404),
        ("/leak.txt", 404),
        ("/images/up/secret.txt", 404),
        ("/.book.html.1234.part", 404),
        ("/images/", 404),
        ("/images", 404),
        ("http://127.0.0.1/x", 400),
    ],
)
def test_bad_and_climbing_paths_are_refused(served, path, status, capfd):
    got, _, body = _raw(served.port, f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{served.port}\r\n\r\n".encode())
    assert got == status
    assert SECRET.encode() not in body and b"root:" not in body
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.timeout(60)
def test_clients_that_reset_cost_no_traceback_and_no_warning(served, capfd, caplog):
    caplog.set_level(logging.DEBUG, logger="aixbook")
    for i in range(30):
        s = socket.create_connection(("127.0.0.1", served.port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        if i % 3 == 0:  # mid-request
            s.sendall(b"GET /images/big.png HTTP/1.1\r\nHo")
        else:  # mid-response: a 4 MB image, reset after its first bytes
            s.sendall(f"GET /images/big.png HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\n\r\n".encode())
            s.recv(100)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends a RST
        s.close()
    assert _get(served.port, "/")[0] == 200
    time.sleep(0.5)  # let the handler threads of the resets finish
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Error" not in err, err[:2000]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert any("went away" in r.getMessage() for r in caplog.records)  # it did see them


@pytest.mark.timeout(120)
def test_200_simultaneous_requests_are_all_answered(served):
    def fetch(i: int) -> int:
        return _get(served.port, RELOAD_PATH if i % 2 else "/")[0]

    with concurrent.futures.ThreadPoolExecutor(200) as pool:
        statuses = list(pool.map(fetch, range(200)))
    assert statuses == [200] * 200
    assert served.httpd.request_queue_size >= 128 and served.httpd.daemon_threads


@pytest.mark.timeout(30)
def test_a_silent_client_blocks_no_one_and_is_dropped_after_the_timeout(served):
    silent = [socket.create_connection(("127.0.0.1", served.port), timeout=10) for _ in range(20)]
    try:
        assert _get(served.port, "/")[0] == 200  # while 20 connections say nothing
        for s in silent:
            assert s.recv(1024) == b""  # closed by the server (0.5 s), not by us (10 s)
    finally:
        for s in silent:
            s.close()


def test_the_csp_meta_is_taken_out_by_parsing_not_by_pattern():
    before, after = with_reload_slot(_page())
    assert before.endswith("<head>") and after.startswith('<meta charset="utf-8">')
    # Other spellings of the same element go too; text that only looks like one stays.
    shown = "<pre>&lt;meta http-equiv=&quot;Content-Security-Policy&quot;&gt;</pre>"
    page = _page(extra_head="<META HTTP-EQUIV='content-security-policy' CONTENT=\"script-src 'none'\" />", body=shown)
    before, after = with_reload_slot(page)
    assert "content-security-policy" not in (before + after).lower().replace(shown.lower(), "")
    assert shown in after and "<title>Served page</title>" in after
    # A <meta> in a <style> is not an element; the one after it in the head is.
    page = _page(extra_head=f"<style>/* {META_CSP} */</style>{META_CSP}")
    before, after = with_reload_slot(page)
    assert (before + after).count("Content-Security-Policy") == 1 and "*/</style><meta charset" in after
    assert with_reload_slot("<p>no head</p>") is None


@pytest.mark.timeout(60)
def test_the_built_page_is_served_with_the_reload_script_and_no_meta_csp(tmp_path):
    site = write_site(tmp_path / "s", {"docs/a.md": "## Hello\n\nA paragraph.\n"})
    page, _ = build_page(site, tmp_path / "o" / "serve")
    server = PreviewServer(page.parent, page.name, port=0)
    server.serve_in_thread()
    try:
        status, headers, body = _get(server.port, "/")
    finally:
        server.close()
    nonce = re.search(r"'nonce-([^']+)'", headers["content-security-policy"]).group(1)
    text = body.decode()
    assert status == 200 and "A paragraph." in text
    assert f'<script nonce="{nonce}">' in text and "Content-Security-Policy" not in text


def _chromium() -> str:
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    pytest.skip("headless Chromium is not installed")


@pytest.mark.slow  # a headless browser
@pytest.mark.timeout(120)
def test_in_chromium_the_reload_script_runs_and_an_injected_one_does_not(tmp_path, caplog):
    browser = _chromium()
    folder = tmp_path / "serve"
    folder.mkdir()
    # A script that got past the sanitizer would retitle the page; the CSP must stop it.
    hostile = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"
    (folder / "book.html").write_text(_page(title="Untouched", body=hostile), encoding="utf-8")
    caplog.set_level(logging.DEBUG, logger="aixbook.livereload")
    server = PreviewServer(folder, "book.html", port=0)
    server.serve_in_thread()
    try:
        proc = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--virtual-time-budget=3000",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--dump-dom",
                server.url,
            ],
            capture_output=True,
            text=True,
            timeout=90,
        )
    finally:
        server.close()
    title = re.search(r"<title>.*?</title>", proc.stdout)
    assert title and title.group(0) == "<title>Untouched</title>", (title, proc.stderr[-500:])
    requests = [r.getMessage() for r in caplog.records if "GET " in r.getMessage()]
    # The reload script ran and kept polling: its first fetch goes out before the page's own
    # <meta> policy is read, the ones on its timer only if that policy was taken out.
    assert sum(f"GET {RELOAD_PATH} " in r and " 200 " in r for r in requests) >= 2, requests


# ------------------------------------------------------------------ the watcher


def _site_with_links_out(tmp_path: Path) -> Path:
    site = write_site(
        tmp_path / "s",
        {"docs/a.md": "## A\n\n![i](/images/i.png)\n", "docs/b.md": "## B\n"},
        files={"static/images/i.png": b"\x89PNG"},
    )
    (site / "static" / "rootlink").symlink_to("/")
    (site / "static" / "usrlink").symlink_to("/usr")
    (site / "static" / "images" / "outside.png").symlink_to(tmp_path / "outside.png")
    (tmp_path / "outside.png").write_bytes(b"\x89PNG")
    return site


def _inside(path: Path, site: Path) -> bool:
    return path.is_relative_to(site.resolve()) or path.is_relative_to(STYLES_DIR.resolve())


def test_the_watched_set_holds_nothing_outside_the_site(tmp_path):
    site = _site_with_links_out(tmp_path)
    page = site / "content/docs/a.md"
    page.write_text(page.read_text() + "\n![o](/images/outside.png)\n")  # an image that resolves outside
    files = watched_files(gather(site))
    folders = watched_folders(files)
    assert site.joinpath("content/docs/a.md").resolve() in files
    assert site.joinpath("static/images/i.png").resolve() in files
    assert [p for p in files | folders if not _inside(p, site)] == []
    assert tmp_path.joinpath("outside.png").resolve() not in files
    assert folders == {
        site.resolve(),
        site.joinpath("content/docs").resolve(),
        site.joinpath("static/images").resolve(),
        STYLES_DIR.resolve(),
    }


def test_the_whole_book_watches_its_front_page_and_artwork_and_a_preview_does_not():
    g = gather(SAMPLE)
    front = {SAMPLE.joinpath("frontpage.html").resolve(), SAMPLE.joinpath("assets/images/cover.png").resolve()}
    assert front <= watched_files(g)
    assert not front & watched_files(g, [g.chapters[0].key])  # a chapter preview shows no front page


def _inotify_watches(pid: int | str = "self") -> int:
    n = 0
    for fd in Path(f"/proc/{pid}/fdinfo").iterdir():
        try:
            n += sum(1 for ln in fd.read_text().splitlines() if ln.startswith("inotify wd:"))
        except OSError:
            pass
    return n


@pytest.mark.timeout(60)
def test_the_watcher_starts_beside_links_to_root_and_usr_and_still_sees_edits(tmp_path):
    site = _site_with_links_out(tmp_path)
    g = gather(site)
    errors: list[BaseException] = []
    rebuilt: list[int] = []
    stop = threading.Event()

    def run():
        try:
            watch_loop(lambda: watched_files(g), lambda: rebuilt.append(1), stop)
        except BaseException as exc:  # the crash this test is about
            errors.append(exc)

    before = _inotify_watches()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    try:
        assert wait_until(lambda: _inotify_watches() > before or errors), "the watcher registered nothing"
        assert errors == [] and t.is_alive()
        assert _inotify_watches() - before == len(watched_folders(watched_files(g))) == 4  # not 15,720
        (site / "content/docs/a.md").write_text("---\ntitle: a\n---\n## A edited\n")
        assert wait_until(lambda: rebuilt), "no rebuild after the edit"
    finally:
        stop.set()
        t.join(10)
    assert not t.is_alive() and errors == []


@pytest.mark.timeout(120)
def test_cli_serve_beside_links_to_root_and_usr(tmp_path):
    site = tmp_path / "book"
    shutil.copytree(SAMPLE, site)
    (site / "static").mkdir(exist_ok=True)
    (site / "static" / "rootlink").symlink_to("/")
    (site / "static" / "usrlink").symlink_to("/usr")
    proc, lines, reader = spawn_cli("serve", site, "-o", tmp_path / "o", "--port", "0", read="both")
    try:
        assert wait_until(lambda: any("watching" in ln for ln in lines) or proc.poll() is not None, 90), lines
        url = next(m.group(0) for ln in lines if (m := re.search(r"http://127\.0\.0\.1:\d+/", ln)))
        assert wait_until(lambda: _inotify_watches(proc.pid) > 0), "the watcher registered nothing"
        assert _inotify_watches(proc.pid) < 20, "the watcher followed a symlink out of the site"
        chapter = next((site / "content/docs").glob("1_*.md"))
        text = chapter.read_text()
        # Saved again every 2 s until the rebuild line: the watch may still be starting on a busy machine.
        for n in range(20):
            chapter.write_text(text + "\nA line written while serving.\n" * (n + 1))
            if wait_until(lambda: any("rebuilt" in ln for ln in lines), 2):
                break
        assert any("rebuilt" in ln for ln in lines), lines
        assert "A line written while serving." in urllib.request.urlopen(url, timeout=10).read().decode()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
        reader.join(5)
    out = "".join(lines)
    assert "Traceback" not in out and "stopped" in out


@pytest.mark.timeout(30)
def test_a_client_that_trickles_its_request_is_dropped_at_the_deadline(served):
    import select

    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as s:
        request = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\nX-Slow: {'a' * 200}\r\n\r\n".encode()
        sent = 0
        for byte in request:  # a byte every 0.1 s: never silent for the 0.5 s socket timeout
            if select.select([s], [], [], 0.1)[0]:
                break
            try:
                s.send(bytes([byte]))
            except OSError:
                break
            sent += 1
        assert sent < len(request) // 2, "the server waited for the whole trickled request"
        assert _get(served.port, "/")[0] == 200
