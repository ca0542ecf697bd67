"""Issue 6: broken and hostile content never crashes the build, leaks a file, or loses output."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pymupdf
import pytest

from helpers import SAMPLE, TESTS, write_site
from helpers import run_cli as run

SITES = TESTS / "sites"
MARKER = b"AIXBOOK-SECRET-MARKER-5e1f9c"


@pytest.fixture
def hostile(tmp_path):
    """Copy a hostile site into tmp_path/site with a secret marker file beside it."""

    def make(name: str) -> tuple[Path, Path]:
        secret = tmp_path / "secret.txt"
        secret.write_bytes(MARKER + b"\n")
        site = tmp_path / "site"
        shutil.copytree(SITES / name, site)
        for md in site.rglob("*.md"):
            data = md.read_bytes().replace(b"@MARKER@", str(secret).encode())
            md.write_bytes(data)
        return site, secret

    return make


def output_bytes(out: Path) -> bytes:
    """Every byte a reader could get at: decompressed PDF streams and attachments,
    every EPUB entry, every other file."""
    chunks = []
    for f in out.rglob("*"):
        if not f.is_file():
            continue
        if f.suffix == ".pdf":
            doc = pymupdf.open(f)
            for xref in range(1, doc.xref_length()):
                try:
                    chunks.append(doc.xref_stream(xref) or b"")
                except Exception:
                    pass
                chunks.append(doc.xref_object(xref).encode("latin-1", "replace"))
            for i in range(doc.embfile_count()):
                chunks.append(doc.embfile_get(i))
            chunks.append("".join(p.get_text() for p in doc).encode())
        elif f.suffix == ".epub":
            with zipfile.ZipFile(f) as z:
                chunks += [z.read(n) for n in z.namelist()]
        else:
            chunks.append(f.read_bytes())
    return b"".join(chunks)


def build_all(site: Path, out: Path, *extra):
    return run("build", site, "-o", out, "-f", "pdf", "-f", "epub", "-f", "html", *extra)


def assert_no_leak(out: Path):
    data = output_bytes(out)
    assert MARKER not in data
    pdf = pymupdf.open(next(out.glob("*.pdf")))
    assert pdf.embfile_count() == 0
    assert sum(len(p.get_images()) for p in pdf) == 0
    with zipfile.ZipFile(next(out.glob("*.epub"))) as z:
        assert not [
            n
            for n in z.namelist()
            if n.lower().endswith((".txt", ".png", ".jpg", ".jpeg")) and "cover" not in n.lower()
        ]


@pytest.mark.parametrize(
    "name, expected",
    [
        # Markdown links and images with file: URLs are never made (markdown-it refuses the
        # scheme, as Goldmark does), raw HTML ones are refused here.
        ("file-url", ["one.md:8: warning: file: URL refused in <img src=…>"]),
        (
            "outside-paths",
            [
                "one.md:6: warning: image path ../../../../secret.txt climbs out of the site",
                "one.md:8: warning: image path /../../secret.txt climbs out of the site",
                "one.md:10: error: missing image /etc/passwd",
            ],
        ),
        (
            "raw-html",
            [
                'one.md:6: warning: <link rel="attachment"> dropped',
                "one.md:7: warning: <iframe> dropped",
                "one.md:8: warning: <object> dropped",
                "one.md:9: warning: <embed> dropped",
                "one.md:10: warning: <script> dropped",
                "one.md:11: warning: <meta http-equiv> dropped",
                "one.md:12: warning: <base> dropped",
                "one.md:14: warning: event-handler attribute onclick= dropped from <p>",
                "one.md:14: warning: javascript: URL refused in <a href=…>",
                "one.md:16: warning: CSS background dropped from <div style>: not a property the book keeps",
            ],
        ),
    ],
)
def test_hostile_references_refused_and_nothing_leaks(hostile, tmp_path, name, expected):
    site, _ = hostile(name)
    out = tmp_path / "out"
    code, _stdout, stderr = build_all(site, out)
    for line in expected:
        assert line in stderr, f"missing diagnostic {line!r} in:\n{stderr}"
    assert code == 0 and "Traceback" not in stderr
    assert_no_leak(out)
    if name == "raw-html":
        assert "Safe text stays" in (out / "hostile-raw-html.html").read_text()
    # --strict refuses the same site, and writes nothing.
    code, _, stderr = build_all(site, tmp_path / "strict", "--strict")
    assert code == 1 and "--strict" in stderr
    assert [p.name for p in (tmp_path / "strict").iterdir()] == [".cache"]  # the parse cache, no output


def test_symlink_out_of_the_site_is_refused(hostile, tmp_path):
    site, secret = hostile("symlink")
    (site / "static/images/leak.png").symlink_to(secret)
    out = tmp_path / "out"
    code, _, stderr = build_all(site, out)
    assert "one.md:6: warning: image /images/leak.png is a symbolic link that points outside the site" in stderr
    assert code == 0
    assert_no_leak(out)


def test_remote_image_not_fetched_without_allow_remote(hostile, tmp_path):
    site, _ = hostile("remote-image")
    out = tmp_path / "out"
    code, _, stderr = build_all(site, out)
    assert "one.md:6: warning: remote image http://127.0.0.1:9/nothing.png is not fetched" in stderr
    assert code == 0
    html = next(out.glob("*.html")).read_text()
    assert 'class="image-placeholder" href="http://127.0.0.1:9/nothing.png"' in html


def test_remote_image_fetched_with_allow_remote(tmp_path):
    import http.server
    import threading

    png = next((SAMPLE / "static/images").glob("*.png")).read_bytes()

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = png if self.path == "/ok.png" else b"<html>"
            self.send_response(200)
            self.send_header("Content-Type", "image/png" if self.path == "/ok.png" else "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    port = srv.server_address[1]
    site = write_site(
        tmp_path / "s",
        {"docs/a.md": f"![ok](http://127.0.0.1:{port}/ok.png)\n\n![bad](http://127.0.0.1:{port}/page.png)\n"},
    )
    try:
        code, _, stderr = run(
            "build", site, "-o", tmp_path / "out", "-f", "pdf", "--allow-remote", "--allow-host", "127.0.0.1"
        )
    finally:
        srv.shutdown()
    assert code == 0
    assert f"remote image http://127.0.0.1:{port}/page.png not fetched: not an image (text/html)" in stderr
    pdf = pymupdf.open(next((tmp_path / "out").glob("*.pdf")))
    assert len({img[0] for page in pdf for img in page.get_images()}) >= 1
    text = "".join(page.get_text() for page in pdf).replace("\n", "")
    assert f"remote image not embedded: http://127.0.0.1:{port}/page.png" in text


@pytest.mark.parametrize(
    "name, command, code, message",
    [
        ("bad-yaml", "check", 1, "content/docs/one.md:3: invalid YAML front matter"),
        ("bad-toml", "check", 1, "content/docs/one.md:2: invalid TOML front matter"),
        ("not-utf8", "check", 1, "content/docs/one.md:4: not valid UTF-8"),
        ("unclosed-shortcode", "check", 1, "content/docs/one.md:8: unclosed shortcode"),
        ("no-config", "check", 2, "config error: no Hugo configuration"),
        ("missing-menu-page", "check", 2, "hugo.yaml:14: menu.docs entry 'Ghost' names page /docs/ghost"),
        ("empty-chapter", "check", 1, "content/docs/one.md:4: chapter is empty"),
        ("bad-firebase", "check", 2, "firebase.json:3: invalid JSON"),
        ("redirect-loop", "check", 1, "firebase.json:5: error: redirect loop: /go/ping/ → /go/pong/ → /go/ping/"),
        (
            "duplicate-shortlink",
            "check",
            1,
            "firebase.json:10: error: short link 'x' is defined twice with different targets",
        ),
        ("duplicate-id", "check", 1, "content/docs/one.md:8: error: heading id '#same' is defined twice"),
    ],
)
def test_broken_input_one_clear_line(hostile, tmp_path, name, command, code, message):
    site, _ = hostile(name)
    got, _stdout, stderr = run(command, site)
    assert got == code
    assert message in stderr, stderr
    assert "Traceback" not in stderr
    if code == 2 or "error:" not in message:
        assert len(stderr.strip().splitlines()) == 1  # one line, nothing else
    # And a build of the same site fails the same way without writing anything
    # (content errors found while reading stop it; diagnostics need --strict).
    out = tmp_path / "out"
    got_build, _, stderr_build = run("build", site, "-o", out, "-f", "html", "--strict")
    assert got_build == code and message.split(": ", 1)[-1][:30] in stderr_build
    assert [p.name for p in out.glob("*") if p.name != ".cache"] == []  # out/ may not exist at all
