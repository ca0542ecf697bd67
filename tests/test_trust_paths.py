"""Issue 18, rows 2-4: a pull request can make the book read nothing outside the site.

Each test writes a small hostile site in tmp_path with a secret beside it (outside the
site), builds the PDF, EPUB and HTML, and looks at what a reader gets (the HTML, every
EPUB entry, ``pdftotext`` of the PDF) and at the refused-path diagnostic.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT, reader_texts, run_cli, write_site

MARKER = "AIXBOOK-OUTSIDE-7d41a2"
PAGE = "---\ntitle: {title}\n---\n## {title}\n\nInside text {title}.\n"
FORMATS = ("-f", "pdf", "-f", "epub", "-f", "html")


def site_in(tmp_path: Path, pages: dict[str, str] | None = None, **kw) -> Path:
    """tmp_path/work/site, one page "a" unless ``pages`` says otherwise; secrets go beside ``work``."""
    return write_site(tmp_path / "work" / "site", pages or {"docs/a.md": PAGE.format(title="Alpha")}, **kw)


def build_ok(site: Path, out: Path) -> dict:
    """Build every format into ``out``; it succeeds (refusals are warnings). The JSON report."""
    code, stdout, stderr = run_cli("build", site, "-o", out, *FORMATS, "--report", "json")
    assert code == 0, stderr
    return json.loads(stdout)


def link(site: Path, rel: str, target: Path) -> None:
    """Make ``site/rel`` a symbolic link to ``target`` (outside the site)."""
    (site / rel).parent.mkdir(parents=True, exist_ok=True)
    (site / rel).symlink_to(target)


def refused(report: dict) -> list[tuple[str, int | None, str]]:
    """(file, relative to the site the build was given; line; message) of each refused-path diagnostic."""
    return [(d["path"], d["line"], d["message"]) for d in report["diagnostics"] if d["code"] == "refused-path"]


def assert_not_shown(out: Path, secret: str) -> dict[str, str]:
    texts = reader_texts(out)
    assert {Path(k.split("!")[0]).suffix for k in texts} == {".html", ".epub", ".pdf"}
    assert any(k.endswith(".xhtml") for k in texts)
    leaks = [where for where, text in texts.items() if secret in text]
    assert leaks == [], f"{secret} is in {leaks}"
    return texts


def test_page_linked_to_proc_self_environ_is_left_out(tmp_path):
    """Row 2: content/docs/x.md → /proc/self/environ, named by menu.docs. The build runs in
    its own process so that the variable really is in its /proc/self/environ."""
    site = site_in(tmp_path, {"docs/a.md": PAGE.format(title="Alpha"), "docs/x.md": "x"}, menu=["a", "x"])
    (site / "content/docs/x.md").unlink()
    link(site, "content/docs/x.md", Path("/proc/self/environ"))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "AIXBOOK_CI_TOKEN": MARKER}
    shown = subprocess.run(
        [sys.executable, "-c", "print(open('/proc/self/environ').read())"], env=env, capture_output=True, text=True
    ).stdout
    assert MARKER in shown  # the link is a real leak when followed
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "aixbook", "build", str(site), "-o", str(out), *FORMATS, "--report", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    menu_line = next(
        no for no, line in enumerate((site / "hugo.yaml").read_text().splitlines(), 1) if "/docs/x" in line
    )
    [(name, line, message)] = refused(json.loads(done.stdout))
    assert (name, line) == ("hugo.yaml", menu_line)
    assert message.startswith(f"page {site / 'content/docs/x.md'} is outside the site")
    texts = assert_not_shown(out, MARKER)
    assert "Inside text Alpha" in texts["test-site.html"]
    assert "PYTHONPATH" not in "".join(texts.values())


def test_page_linked_out_of_the_site_is_left_out_of_the_section(tmp_path):
    """Row 2 without a menu: the section's tree skips a page that links to a file outside."""
    (tmp_path / "outside.md").write_text(PAGE.format(title=MARKER))
    site = site_in(tmp_path, files={"hugo.yaml": "baseURL: https://example.org/\ntitle: Test Site\n"})
    link(site, "content/docs/x.md", tmp_path / "outside.md")
    out = tmp_path / "out"
    assert refused(build_ok(site, out)) == [
        (
            "content/docs/x.md",
            None,
            "page x.md is outside the site (after following symbolic links): not read, left out of the book",
        )
    ]
    texts = assert_not_shown(out, MARKER)
    assert "Inside text Alpha" in texts["test-site.html"]


@pytest.mark.parametrize("key", ["front_page", "cover_image", "chapters"])
def test_book_toml_file_outside_the_site_is_refused_at_its_line(tmp_path, key):
    """Row 3: front_page by absolute path, cover_image and chapters climbing out with ..;
    the outside file's text is in no output, and the warning is at book.toml's line."""
    front = tmp_path / "front.html"
    front.write_text(f"<h1>{MARKER}</h1>")
    (tmp_path / "x.png").write_bytes(PNG_WITH_MARKER)
    (tmp_path / "work" / "x.md").parent.mkdir(parents=True)
    (tmp_path / "work" / "x.md").write_text(PAGE.format(title=MARKER))
    value = {"front_page": f'"{front}"', "cover_image": '"../../x.png"', "chapters": '["a", "../../../x"]'}[key]
    site = site_in(tmp_path, files={"book.toml": f'title = "Trust"\n\n{key} = {value}\n'})
    out = tmp_path / "out"
    [(name, line, message)] = refused(build_ok(site, out))
    assert (name, line) == ("book.toml", 3)
    what = {"front_page": "front page", "cover_image": "cover", "chapters": "page"}[key]
    assert message.startswith(f"{what} ") and "is outside the site" in message
    texts = assert_not_shown(out, MARKER)
    assert "Inside text Alpha" in texts["trust.html"]
    if key == "front_page":  # the plain title page instead
        assert '<h1 class="book-title">Trust</h1>' in texts["trust.html"]
    if key == "cover_image":  # the generated cover instead of the outside file
        assert [k for k in texts if "cover" in k.lower() and k.endswith(".png")] == []


@pytest.mark.parametrize("name", ["../../x", "/abs/x", "a/b"])
def test_output_name_that_is_a_path_is_a_config_error(tmp_path, name):
    """Row 4: output_name must be a file name; a path stops the build with exit 2 and one
    line naming book.toml and the line, before anything is written."""
    target = tmp_path / "abs" / "x" if name.startswith("/") else None
    given = str(target) if target else name
    site = site_in(tmp_path, files={"book.toml": f'title = "T"\noutput_name = "{given}"\n'})
    before = {p for p in tmp_path.rglob("*")}
    out = tmp_path / "o1" / "o2" / "out"
    code, _, stderr = run_cli("build", site, "-o", out, *FORMATS)
    assert code == 2
    [line] = stderr.strip().splitlines()
    assert line == (
        f"{site / 'book.toml'}:2: output_name: must be a file name without a folder, not a path "
        f"({given}); the outputs go in the output folder (-o)"
    )
    assert {p for p in tmp_path.rglob("*")} == before  # not even the output folder
    assert not (target and target.parent.exists())


def test_name_option_that_is_a_path_is_a_config_error(tmp_path):
    """Row 4 from the command line: --name ../x."""
    site = site_in(tmp_path)
    code, _, stderr = run_cli("build", site, "-o", tmp_path / "out", "-f", "html", "--name", "../escaped")
    assert code == 2
    assert stderr.strip().splitlines() == [
        "config error: --name must be a file name without a folder, not a path (../escaped)"
    ]
    assert not list(tmp_path.rglob("escaped*"))


def test_front_page_artwork_linked_out_of_the_site_is_refused(tmp_path):
    """The front page's {{ASSETS_DIR}} artwork passes the same gate: a link to a file outside
    is not copied beside the HTML nor put in the EPUB, and is reported at its line."""
    (tmp_path / "art.png").write_bytes(PNG_WITH_MARKER)
    front = '<div>\n<h1>Front</h1>\n<img src="{{ASSETS_DIR}}/art.png" alt="art">\n</div>\n'
    site = site_in(tmp_path, files={"scripts/pdf_frontpage.html": front})
    link(site, "assets/art.png", tmp_path / "art.png")
    out = tmp_path / "out"
    assert refused(build_ok(site, out)) == [
        (
            "scripts/pdf_frontpage.html",
            3,
            f"artwork {site / 'assets/art.png'} is outside the site "
            "(after following symbolic links): not read, left out of the book",
        )
    ]
    assert_not_shown(out, MARKER)
    assert not (out / "assets").exists()


def test_image_linked_out_of_the_site_is_a_refused_path(tmp_path):
    """The image check (already refused) now goes through the same gate and code."""
    (tmp_path / "leak.png").write_bytes(PNG_WITH_MARKER)
    site = site_in(tmp_path, {"docs/a.md": PAGE.format(title="Alpha") + "\n![leak](/images/leak.png)\n"})
    link(site, "static/images/leak.png", tmp_path / "leak.png")
    out = tmp_path / "out"
    assert refused(build_ok(site, out)) == [
        ("content/docs/a.md", 8, "image /images/leak.png is a symbolic link that points outside the site")
    ]
    assert_not_shown(out, MARKER)
    assert not (out / "images").exists()


def _png_with_marker() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"tEXt", b"Comment\0" + MARKER.encode())
        + chunk(b"IDAT", zlib.compress(b"\0\xff\0\0"))
        + chunk(b"IEND", b"")
    )


PNG_WITH_MARKER = _png_with_marker()


@pytest.mark.parametrize("what", ["contentDir", "firebase.json", "book.toml"])
def test_site_configuration_that_leaves_the_site_is_a_config_error(tmp_path, what):
    """A content folder, firebase.json or (found) book.toml outside the site: the site
    cannot be read as it is meant, so the build stops with one line, writing nothing."""
    outside = tmp_path / "outside"
    write_site(outside, {"docs/a.md": PAGE.format(title=MARKER)})
    (outside / "firebase.json").write_text(
        json.dumps({"hosting": {"redirects": [{"source": "/go/a/", "destination": f"https://{MARKER}/"}]}})
    )
    (outside / "book.toml").write_text(f'title = "{MARKER}"\n')
    hugo = "baseURL: https://example.org/\ntitle: Test Site\n" + (
        "contentDir: ../../outside/content\n" * (what == "contentDir")
    )
    site = site_in(tmp_path, files={"hugo.yaml": hugo})
    if what != "contentDir":
        link(site, what, outside / what)
    out = tmp_path / "out"
    code, stdout, stderr = run_cli("build", site, "-o", out, *FORMATS)
    assert code == 2
    [line] = stderr.strip().splitlines()
    where, kind = {
        "contentDir": (f"{site / 'hugo.yaml'}:3", f"content folder {site / '../../outside/content'}"),
        "firebase.json": (str(site / "firebase.json"), f"site configuration {site / 'firebase.json'}"),
        "book.toml": (str(site / "book.toml"), f"book configuration {site / 'book.toml'}"),
    }[what]
    assert line == f"{where}: {kind} is outside the site (after following symbolic links): not read"
    assert MARKER not in stdout + stderr
    assert not out.exists()
