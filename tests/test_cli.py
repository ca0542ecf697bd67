"""The command line: argument mapping (library patched) and end-to-end runs of the small book."""

from __future__ import annotations

import re
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner

from aixbook import __version__
from aixbook.cli import main
from aixbook.errors import BuildError, ConfigError, SourceError
from aixbook.preview import SelectionError
from aixbook.serve import ServeError
from helpers import SAMPLE, write_site


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_version():
    r = invoke("--version")
    assert r.exit_code == 0 and __version__ in r.stdout


def _fake_build():
    fake = mock.MagicMock()
    fake.return_value.book.diagnostics = ()
    fake.return_value.render_warnings = []
    fake.return_value.seconds = 0.0
    fake.return_value.pages = 0
    fake.return_value.outputs = {}
    fake.return_value.chapter_pdfs = {}
    fake.return_value.timings = None
    return fake


def test_build_maps_arguments(tmp_path):
    fake = _fake_build()
    with mock.patch("aixbook.build.build", fake):
        invoke(
            "build",
            "site",
            "-f",
            "pdf",
            "-f",
            "html",
            "-o",
            tmp_path,
            "--strict",
            "--paper",
            "letter",
            "--xref-pages",
            "--toc-depth",
            "2",
            "--allow-remote",
            "--edition",
            "2026.1",
            "--name",
            "guide-{edition}",
        )
    args, kwargs = fake.call_args
    assert args[:5] == (Path("site"), ("pdf", "html"), tmp_path, None, True)
    assert kwargs["paper"] == "Letter" and kwargs["xref_pages"] is True and kwargs["toc_depth"] == 2
    assert kwargs["allow_remote"] is True
    assert kwargs["edition"] == "2026.1" and kwargs["output_name"] == "guide-{edition}"


def test_build_defaults_leave_config_in_charge(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fake = _fake_build()
    with mock.patch("aixbook.build.build", fake):
        invoke("build")
    args, kwargs = fake.call_args
    assert args[:3] == (Path("book"), ("pdf", "epub", "html"), Path("output"))
    assert kwargs["paper"] is None and kwargs["xref_pages"] is None and kwargs["toc_depth"] is None
    assert kwargs["edition"] is None


def test_check_sample_book_is_clean_under_strict():
    r = invoke("check", SAMPLE, "--strict")
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ""
    assert "4 chapters" in r.stdout and "0 dangling" in r.stdout and "0 missing" in r.stdout


def test_chapters_lists_number_title_file():
    r = invoke("chapters", SAMPLE)
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 4
    assert lines[0].split()[0] == "1" and "0. Overview" in lines[0] and lines[0].endswith("0_overview.md")


def test_check_error_exit_and_strict_warning(tmp_path):
    site = write_site(tmp_path / "s", {"docs/a.md": "## A\n\n{{< unknown >}}\n"})
    r = invoke("check", site)
    assert r.exit_code == 0 and "a.md:6: warning: shortcode 'unknown' is not supported" in r.stderr
    assert invoke("check", site, "--strict").exit_code == 1
    (site / "content/docs/a.md").write_text("---\ntitle: a\n---\n[x](/go/none/)\n")
    r = invoke("check", site)
    assert r.exit_code == 1 and "a.md:4: error: dangling link /go/none/" in r.stderr


def test_build_summary_and_uncovered_glyph_warning(tmp_path):
    site = write_site(tmp_path / "s", {"docs/a.md": "## A\n\nHieroglyph: 𓀀\n"})
    r = invoke("build", site, "-o", tmp_path / "out", "-f", "pdf", "-f", "html")
    assert r.exit_code == 0
    assert "a.md:6: warning: no shipped font has a glyph for '𓀀' (U+13000" in r.stderr
    assert re.search(r"^wrote .*test-site\.pdf$", r.stdout, re.M)
    # The summary line: chapters, pages, links, images, errors and warnings, then the seconds taken.
    assert re.search(
        r"^1 chapters, \d+ pages, links: \d+ resolved, .* dangling; images: .*; "
        r"0 errors, [1-9]\d* warnings; \d+\.\d s$",
        r.stdout,
        re.M,
    ), r.stdout
    assert (tmp_path / "out/test-site.pdf").is_file() and (tmp_path / "out/test-site.html").is_file()
    assert invoke("build", site, "-o", tmp_path / "o2", "-f", "pdf", "--strict").exit_code == 1


def test_preview_unknown_chapter_lists_candidates(tmp_path):
    r = invoke("preview", "nothing-like-this", SAMPLE, "-o", tmp_path)
    assert r.exit_code == 2
    assert "no chapter or section matches 'nothing-like-this'" in r.stderr and "Towers and lights" in r.stderr


def test_preview_prints_path(tmp_path):
    r = invoke("preview", "Towers and lights", SAMPLE, "-o", tmp_path, "--html")
    assert r.exit_code == 0
    assert (tmp_path / "preview/1_towers_and_lights.html").is_file()
    assert "1_towers_and_lights.html" in r.stdout


def test_python_dash_m(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "aixbook", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and __version__ in out.stdout


def test_preview_and_serve_map_flags_to_one_library_call(tmp_path, monkeypatch):
    with mock.patch("aixbook.serve.preview_session") as session:
        invoke(
            "preview",
            "2.2",
            "site",
            "-o",
            tmp_path,
            "-c",
            "b.toml",
            "--html",
            "--watch",
            "--serve",
            "--port",
            "0",
            "--open",
        )
    args, kwargs = session.call_args
    assert args == (Path("site"), "2.2", tmp_path)
    assert kwargs["fmt"] == "html" and kwargs["config_path"] == Path("b.toml") and kwargs["port"] == 0
    assert kwargs["watch"] is True and kwargs["serve"] is True and kwargs["open_"] is True
    monkeypatch.chdir(tmp_path)
    with mock.patch("aixbook.serve.serve_book") as serve:
        invoke("serve")
    args, kwargs = serve.call_args
    assert args == (Path("book"), Path("output"))
    assert kwargs["config_path"] is None and kwargs["port"] == 8000 and kwargs["open_"] is False


@pytest.mark.parametrize(
    "error, code, line",
    [
        (ConfigError("unknown setting 'colour'", "book.toml", 3), 2, "book.toml:3: unknown setting 'colour'"),
        (ConfigError("no Hugo configuration"), 2, "config error: no Hugo configuration"),
        (SourceError("not valid UTF-8", "a.md", 4), 1, "a.md:4: not valid UTF-8"),
        (BuildError("--strict: 1 problem(s)"), 1, "build error: --strict: 1 problem(s)"),
        (SelectionError("no chapter or section matches 'x'"), 2, "preview: no chapter or section matches 'x'"),
        (ServeError("cannot listen on 127.0.0.1:8000"), 2, "serve: cannot listen on 127.0.0.1:8000"),
        (KeyboardInterrupt(), 130, "interrupted; previous outputs are untouched"),
    ],
)
def test_library_errors_print_one_line_and_keep_their_exit_status(error, code, line):
    with mock.patch("aixbook.book.list_chapters", side_effect=error):
        r = invoke("chapters", "site")
    assert (r.exit_code, r.stderr) == (code, line + "\n")


def test_serve_on_a_taken_port_fails_in_one_line(tmp_path):
    import socket

    site = write_site(tmp_path / "s", {"docs/a.md": "## A\n"})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = invoke("serve", site, "-o", tmp_path / "o", "--port", port)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"serve: cannot listen on 127.0.0.1:{port}: ") and len(r.stderr.splitlines()) == 1
    assert (tmp_path / "o/serve/test-site.html").is_file()  # the page was built before the server started
