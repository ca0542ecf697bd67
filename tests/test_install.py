"""Installable anywhere: the sdist and the wheel pass twine's checks, and the wheel,
installed into a fresh virtual environment outside the checkout, builds both books."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from helpers import CORPUS, EPOCH, ROOT, SAMPLE, needs_corpus

# A wheel built, a fresh venv installed from it, both books built with it: slow.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: build with this environment's setuptools (no download needed).
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return out


def test_sdist_and_wheel_pass_twine_check(dist):
    files = sorted(p.name for p in dist.iterdir())
    assert any(f.endswith(".whl") for f in files) and any(f.endswith(".tar.gz") for f in files), files
    proc = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.iterdir())], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("PASSED") == 2, proc.stdout


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory) -> Path:
    """A fresh venv (no access to this checkout or its venv) with the wheel installed."""
    where = tmp_path_factory.mktemp("venv")
    venv.create(where, with_pip=True)
    (wheel,) = dist.glob("aixbook-*.whl")
    proc = subprocess.run(
        [str(where / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        cwd=where,
    )
    if proc.returncode != 0 and "Could not find a version" in proc.stderr:
        pytest.skip(f"the wheel's dependencies cannot be downloaded here: {proc.stderr.strip()[-300:]}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return where / "bin" / "aixbook"


def _run(aixbook: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["SOURCE_DATE_EPOCH"] = EPOCH
    return subprocess.run([str(aixbook), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def test_wheel_builds_the_sample_book_outside_the_checkout(installed, tmp_path):
    site = tmp_path / "book"
    shutil.copytree(SAMPLE, site)
    proc = _run(installed, "build", "book", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in (tmp_path / "output").iterdir() if p.is_file())
    assert names == ["sample-book.epub", "sample-book.html", "sample-book.pdf"]
    where = _run(installed.parent / "python", "-c", "import aixbook; print(aixbook.__file__)", cwd=tmp_path)
    assert str(ROOT) not in where.stdout and "site-packages" in where.stdout  # not this checkout


@needs_corpus
def test_wheel_builds_the_real_book(installed, tmp_path):
    proc = _run(installed, "build", str(CORPUS), "-f", "pdf", "-f", "epub", "-o", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "ai-exchange.pdf").stat().st_size > 1_000_000
    assert (tmp_path / "out" / "ai-exchange.epub").stat().st_size > 1_000_000


def test_doctor_runs_from_the_wheel(installed, tmp_path):
    proc = _run(installed, "doctor", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for label in ("WeasyPrint", "Pango", "HarfBuzz", "HarfBuzz subsetting", "Source Serif 4"):
        assert label in proc.stdout
