"""Nothing lost, same bytes twice, strict mode, and bounded work on pathological Markdown."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from aixbook.build import build
from helpers import EPOCH, SAMPLE, write_site


@pytest.mark.timeout(180)  # a hung build fails here instead of waiting forever
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_build_leaves_previous_output_intact(tmp_path, sig):
    out = tmp_path / "out"
    out.mkdir()
    previous = b"%PDF-1.7 the previous good build\n"
    (out / "sample-book.pdf").write_bytes(previous)
    proc = subprocess.Popen(
        [sys.executable, "-m", "aixbook", "build", str(SAMPLE), "-o", str(out), "-f", "pdf"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        while not list(out.glob(".sample-book.pdf.*.part")):
            assert proc.poll() is None, "the build finished before it could be interrupted"
            time.sleep(0.01)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode != 0
    assert (out / "sample-book.pdf").read_bytes() == previous
    assert sorted(p.name for p in out.iterdir() if p.name != ".cache") == ["sample-book.pdf"]
    assert b"Traceback" not in err


def test_failed_build_leaves_previous_output_intact(tmp_path):
    site = write_site(tmp_path / "s", {"docs/a.md": "## A\n\n[x](/go/nowhere/)\n"})
    out = tmp_path / "out"
    out.mkdir()
    (out / "test-site.html").write_text("previous")
    from aixbook.errors import BuildError

    with pytest.raises(BuildError, match="--strict"):
        build(site, ("html",), out, strict=True)
    assert (out / "test-site.html").read_text() == "previous"
    assert [p.name for p in out.iterdir() if p.name != ".cache"] == ["test-site.html"]


def test_strict_counts_weasyprint_warnings(tmp_path, monkeypatch):
    # A stylesheet problem the content cannot cause: WeasyPrint logs it, --strict refuses.
    from aixbook.render.pdf import weasy

    real = weasy.stylesheets
    monkeypatch.setattr(
        weasy, "stylesheets", lambda paper="A4", extra_css="": real(paper, extra_css + "@import url(missing.css);")
    )
    site = write_site(tmp_path / "s", {"docs/a.md": "## A\n"})
    from aixbook.errors import BuildError

    with pytest.raises(BuildError, match="the pdf renderer warned"):
        build(site, ("pdf",), tmp_path / "out", strict=True)
    assert not list((tmp_path / "out").glob("*.pdf"))
    result = build(site, ("pdf",), tmp_path / "out2")
    assert any("missing.css" in str(w) for w in result.render_warnings)


@pytest.mark.slow  # every format built twice
def test_reproducible_all_formats(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    a = build(SAMPLE, ("pdf", "epub", "html"), tmp_path / "a")
    b = build(SAMPLE, ("pdf", "epub", "html"), tmp_path / "b")
    for fmt in ("pdf", "epub", "html"):
        assert a.outputs[fmt].read_bytes() == b.outputs[fmt].read_bytes(), fmt
    import pymupdf

    assert pymupdf.open(a.outputs["pdf"]).metadata["creationDate"].startswith("D:20251124")  # the epoch's
