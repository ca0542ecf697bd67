"""Issue 18, row 9: remote fetches (--allow-remote) have one deadline for the whole
transfer and a size cap, and never reach a loopback, link-local or private address the
user did not name.

Each test serves images from a logging HTTP server on 127.0.0.1 in a thread, builds a
small site with the CLI, and asserts what a reader sees (the image, or a link in its
place) and what the server saw (the requests, or none).
"""

from __future__ import annotations

import http.server
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from aixbook import remote
from aixbook.cli import main
from helpers import SAMPLE, write_site

PNG = next((SAMPLE / "static/images").glob("*.png")).read_bytes()


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@contextmanager
def server(respond):
    """A server on 127.0.0.1 whose every GET is logged, then answered by ``respond(handler)``."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            try:
                respond(self)
            except OSError:  # the client gave up
                pass

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv.server_address[1], requests
    finally:
        srv.shutdown()
        srv.server_close()


def png(handler, body: bytes = PNG, length: bool = True):
    handler.send_response(200)
    handler.send_header("Content-Type", "image/png")
    if length:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def one_page(tmp_path: Path, url: str, toml: str = "") -> Path:
    """A site whose page a.md shows ``url`` on its line 8 (after 3 lines of front matter)."""
    return write_site(
        tmp_path / "s",
        {"docs/a.md": f"## A\n\nText.\n\n![remote]({url})\n"},
        files={"book.toml": toml} if toml else None,
    )


def build_html(site: Path, out: Path, *extra):
    code, _, stderr = run("build", site, "-o", out, "-f", "html", "--allow-remote", *extra)
    assert code == 0, stderr
    return stderr, next(out.glob("*.html")).read_text(encoding="utf-8")


def dribble_body(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "image/png")
    handler.send_header("Content-Length", str(len(PNG)))
    handler.end_headers()
    for byte in PNG[:60]:  # a byte every 2 s: 2 minutes for 60 bytes
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        time.sleep(2)


def dribble_head(handler):
    for char in b"HTTP/1.0 200 OK\r\nContent-Type: image/png\r\n":
        handler.wfile.write(bytes([char]))
        handler.wfile.flush()
        time.sleep(2)


@pytest.mark.slow  # waits out the 10 s deadline, twice
@pytest.mark.timeout(30)
@pytest.mark.parametrize("respond", [dribble_body, dribble_head], ids=["body", "head"])
def test_a_server_that_dribbles_is_given_up_on(tmp_path, respond):
    with server(respond) as (port, requests):
        url = f"http://127.0.0.1:{port}/slow.png"
        stderr, html = build_html(one_page(tmp_path, url), tmp_path / "out", "--allow-host", "127.0.0.1")
    assert requests == ["/slow.png"]
    assert f"a.md:8: warning: remote image {url} not fetched: no complete answer within 10 s" in stderr
    assert f'href="{url}"' in html and "<img" not in html  # shown as a link
    assert not (tmp_path / "out" / ".cache" / "remote").exists()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_is_refused_unless_the_host_is_named(tmp_path, host):
    with server(png) as (port, requests):
        url = f"http://{host}:{port}/ok.png"
        site = one_page(tmp_path, url)
        stderr, html = build_html(site, tmp_path / "refused")
        assert requests == []
        assert (
            f"a.md:8: warning: remote image {url} not fetched: {host} is a loopback address (127.0.0.1); "
            f"name the host to allow it (remote_hosts in book.toml, --allow-host {host})"
        ) in stderr
        assert f'href="{url}"' in html and "<img" not in html

        stderr, html = build_html(site, tmp_path / "named", "--allow-host", host.upper())
        assert requests == ["/ok.png"]
        assert "remote-fetch" not in stderr and "not fetched" not in stderr
        assert '<img src="remote/' in html
        assert [f.read_bytes() for f in (tmp_path / "named" / "remote").iterdir()] == [PNG]


def test_remote_hosts_in_book_toml_names_the_host(tmp_path):
    with server(png) as (port, requests):
        site = one_page(tmp_path, f"http://127.0.0.1:{port}/ok.png", toml='remote_hosts = ["127.0.0.1"]\n')
        stderr, html = build_html(site, tmp_path / "out")
    assert requests == ["/ok.png"] and "not fetched" not in stderr
    assert '<img src="remote/' in html


def test_a_redirect_to_loopback_is_refused(tmp_path):
    """A named host may not send the fetch on to one that is not named."""

    def redirect(handler):
        handler.send_response(302)
        handler.send_header("Location", f"http://localhost:{handler.server.server_address[1]}/ok.png")
        handler.end_headers()

    with server(redirect) as (port, requests):
        url = f"http://127.0.0.1:{port}/moved.png"
        stderr, _ = build_html(one_page(tmp_path, url), tmp_path / "out", "--allow-host", "127.0.0.1")
    assert requests == ["/moved.png"]
    assert f"remote image {url} not fetched: localhost is a loopback address" in stderr


@pytest.mark.timeout(60)
@pytest.mark.parametrize("length", [True, False], ids=["declared", "streamed"])
def test_an_oversized_image_is_refused(tmp_path, length):
    big = PNG + b"\0" * (10 * 1024 * 1024)
    with server(lambda h: png(h, big, length)) as (port, requests):
        url = f"http://127.0.0.1:{port}/big.png"
        stderr, html = build_html(one_page(tmp_path, url), tmp_path / "out", "--allow-host", "127.0.0.1")
    assert requests == ["/big.png"]
    assert f"a.md:8: warning: remote image {url} not fetched: larger than 10 MB" in stderr
    assert f'href="{url}"' in html and "<img" not in html
    assert not (tmp_path / "out" / ".cache" / "remote").exists()


@pytest.mark.parametrize(
    "address, kind",
    [
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("172.16.0.1", "private"),
        ("169.254.169.254", "link-local"),  # the cloud metadata service
        ("[::1]", "loopback"),
        ("[fe80::1]", "link-local"),
        ("[fd00::1]", "private"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("0.0.0.0", "private"),
        ("100.64.0.1", "reserved"),
        ("240.0.0.1", "private"),
    ],
)
def test_addresses_that_are_not_public_are_refused_before_connecting(tmp_path, monkeypatch, address, kind):
    def no_connect(*args):
        raise AssertionError("connected")

    monkeypatch.setattr(remote, "_connect", no_connect)
    url = f"http://{address}/x.png"
    got, failed = remote.fetch_images([url], tmp_path)
    assert got == {}
    assert failed[url].startswith(f"{address.strip('[]')} is a {kind} address")


def test_the_checked_address_is_the_one_connected_to(tmp_path, monkeypatch):
    """DNS rebinding: a name that resolves to a public address when checked and to
    127.0.0.1 afterwards. The fetch looks the name up once and connects to what it
    checked, so the local server sees nothing."""
    with server(png) as (port, requests):
        lookups: list[str] = []
        connected: list = []
        real = socket.getaddrinfo

        def rebinding(host, *args, **kwargs):
            if host != "rebind.example":
                return real(host, *args, **kwargs)
            lookups.append(host)
            address = "93.184.216.34" if len(lookups) == 1 else "127.0.0.1"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

        class Recording(socket.socket):
            def connect(self, address):
                connected.append(address)
                if address[0] != "127.0.0.1":
                    raise ConnectionRefusedError("no network in the test")
                super().connect(address)

        monkeypatch.setattr(remote.socket, "getaddrinfo", rebinding)
        monkeypatch.setattr(remote.socket, "socket", Recording)
        url = f"http://rebind.example:{port}/ok.png"
        got, failed = remote.fetch_images([url], tmp_path)
    assert got == {} and "ConnectionRefusedError" in failed[url]
    assert lookups == ["rebind.example"] and connected == [("93.184.216.34", port)]
    assert requests == []


def test_allow_host_adds_to_remote_hosts_and_a_wrong_list_is_a_config_error(tmp_path):
    from aixbook.config import load_config

    toml = tmp_path / "book.toml"
    toml.write_text('remote_hosts = ["images.example"]\n', encoding="utf-8")
    config = load_config(toml).with_overrides(remote_hosts=("127.0.0.1",))
    assert config.remote_hosts == ("images.example", "127.0.0.1")
    site = one_page(tmp_path, "http://127.0.0.1:9/x.png", toml="title = 'T'\nremote_hosts = [127]\n")
    code, _, stderr = run("build", site, "-o", tmp_path / "out", "-f", "html", "--allow-remote")
    assert code == 2 and "book.toml:2: remote_hosts: must be a list of strings" in stderr


@pytest.fixture
def tls_server(tmp_path):
    """The logging server behind TLS, with a certificate for "localhost" made here."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("needs openssl to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-keyout",
            key,
            "-out",
            cert,
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    @contextmanager
    def start():
        with server(png) as (port, requests):
            yield port, requests

    real = http.server.ThreadingHTTPServer.get_request

    def get_request(self):
        sock, address = real(self)
        try:
            return context.wrap_socket(sock, server_side=True), address
        except (ssl.SSLError, OSError):
            sock.close()
            raise

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(http.server.ThreadingHTTPServer, "get_request", get_request)
        yield start, cert


def test_https_checks_the_certificate_of_the_host(tls_server, tmp_path, monkeypatch):
    import ssl

    start, cert = tls_server
    with start() as (port, requests):
        url = f"https://localhost:{port}/ok.png"
        got, failed = remote.fetch_images([url], tmp_path / "a", ("localhost",))
        assert got == {} and "CERTIFICATE_VERIFY_FAILED" in failed[url] and requests == []
        trusting = ssl.create_default_context(cafile=str(cert))
        monkeypatch.setattr(remote.ssl, "create_default_context", lambda: trusting)
        got, failed = remote.fetch_images([url], tmp_path / "b", ("localhost",))
        assert failed == {} and got[url].read_bytes() == PNG and requests == ["/ok.png"]
