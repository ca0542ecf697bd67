"""Styles and fonts are found when aixbook is installed, not only from a checkout."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile

import pytest

from aixbook import __version__
from helpers import ROOT


def test_wheel_carries_every_style_and_font(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0 and "No module named" in out.stderr:
        pytest.skip(f"cannot build a wheel here: {out.stderr.strip().splitlines()[-1]}")
    assert out.returncode == 0, out.stderr
    (wheel,) = tmp_path.glob("aixbook-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    styles = ROOT / "src/aixbook/styles"
    for css in ("print.css", "base.css", "epub.css", "html.css", "fonts.css"):
        assert f"aixbook/styles/{css}" in names
    fonts = re.findall(r"url\((fonts/[^)]+)\)", (styles / "fonts.css").read_text())
    assert len(fonts) > 10
    assert [f for f in fonts if f"aixbook/styles/{f}" not in names] == []
    licences = [n for n in names if re.search(r"styles/fonts/(OFL|LICENSE)", n)]
    assert len(licences) >= 5
    assert "aixbook/styles/fonts/fonts.conf" in names
    assert "aixbook/schemas/diff.schema.json" in names  # what diff --report json follows
    # The themes' shortcode tables (issue 25): every one, or a theme's boxes print as text.
    themes = sorted(f.name for f in (ROOT / "src/aixbook/themes").glob("*.toml"))
    assert len(themes) >= 5 and [t for t in themes if f"aixbook/themes/{t}" not in names] == []
    # The version is written once (aixbook.__version__) and the metadata reads it; the
    # licence file ships with the wheel and is the CC0 1.0 text the metadata declares.
    (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    metadata = zipfile.ZipFile(wheel).read(meta).decode()
    assert f"\nVersion: {__version__}\n" in metadata
    assert "\nLicense-Expression: CC0-1.0\n" in metadata and "\nLicense-File: LICENSE\n" in metadata
    (licence,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
    assert zipfile.ZipFile(wheel).read(licence).decode().startswith("Creative Commons Legal Code\n\nCC0 1.0 Universal")
