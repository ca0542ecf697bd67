"""The WeasyPrint boundary (render/pdf/internals.py): every piece of WeasyPrint's and pydyf's
private code aixbook relies on is fingerprinted; an upgrade that changes one fails here by
name, and at run time a build says once what it does without, and still writes a good PDF."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pikepdf
import pymupdf
import pytest

from aixbook.render.pdf import internals, patches
from helpers import EPOCH, ROOT, write_site


def test_every_fingerprint_fits_the_installed_libraries():
    """Fails loudly, naming each function, when WeasyPrint or pydyf changed under aixbook:
    review the new code of each named one against internals.py/patches.py, then update
    its fingerprint (and SUPPORTED and pyproject.toml's range for a new series)."""
    wrong = internals.changed()
    assert not wrong, "WeasyPrint/pydyf code aixbook relies on changed:\n" + "\n".join(wrong)
    assert internals.problems() == {}, internals.problems()
    assert patches.apply() == list(patches.PATCHES.values())


def test_fingerprints_read_from_the_files_are_those_of_the_imported_code():
    """What is usable is decided from the installed files (nothing imported); each must
    read exactly what the imported function is, decorators and re-exports included."""
    for item in internals.INTERNALS:
        assert internals.installed_fingerprint(item.owner) == internals.imported_fingerprint(item.owner), item.owner


def test_knowing_what_is_usable_imports_no_weasyprint():
    """A build whose parts all come from the cache needs no WeasyPrint: deciding the cache
    keys (which patches apply) must not import it (half a second)."""
    code = textwrap.dedent(
        """
        import sys
        from aixbook.render.pdf import internals, patches
        from aixbook.render.pdf.partcache import salt
        assert internals.problems() == {}
        salt()
        print(sorted(m for m in sys.modules if m.split(".")[0] == "weasyprint"))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.strip() == "[]"
    assert patches.usable() == list(patches.PATCHES.values())


def test_pyproject_declares_the_series_the_guards_accept():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {d.split("#")[0].strip().replace(" ", "") for d in project["dependencies"]}
    for dist in internals.SUPPORTED:
        assert internals.requirement(dist) in declared, (dist, sorted(declared))
    assert internals.requirement("weasyprint") == "weasyprint>=70,<71"


def test_a_changed_fingerprint_loses_only_what_needs_it(monkeypatch):
    owner = "weasyprint.pdf.tags:_build_box_tree"
    monkeypatch.setattr(
        internals,
        "INTERNALS",
        tuple(
            internals.Internal(i.owner, "0" * 16, i.features, i.relies_on) if i.owner == owner else i
            for i in internals.INTERNALS
        ),
    )
    internals.forget()
    try:
        assert list(internals.problems()) == ["table-tags"]
        (why,) = internals.why_not("table-tags")
        assert owner in why and "written for 0000000000000000" in why
        assert internals.usable("parts") and internals.usable("leader-replay")
    finally:
        monkeypatch.undo()
        internals.forget()
    assert internals.usable("table-tags")


def test_another_release_series_loses_everything(monkeypatch):
    real = internals._installed_version
    monkeypatch.setattr(internals, "_installed_version", lambda d: "71.0" if d == "weasyprint" else real(d))
    internals.forget()
    try:
        found = internals.problems()
        assert list(found) == list(internals.FEATURES)
        assert found["parts"] == [
            "weasyprint 71.0 installed, the code is written for weasyprint>=70,<71, pydyf>=0.13,<0.14"
        ]
    finally:
        monkeypatch.undo()
        internals.forget()


def test_library_lookup_while_importing_weasyprint_gives_ctypes_answers():
    import ctypes.util

    names = ["c", "m", "harfbuzz", "pango-1.0", "aixbook-no-such-library"]
    want = {name: ctypes.util.find_library(name) for name in names}
    with internals.one_library_listing():
        got = {name: ctypes.util.find_library(name) for name in names}
    if sys.platform.startswith("linux"):
        assert got == want
    assert ctypes.util.find_library("c") == want["c"]  # put back afterwards


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the one-listing lookup is for Linux")
def test_loading_the_renderer_runs_ldconfig_once_and_never_gcc_or_ld():
    """WeasyPrint's 22 library names are looked up in one listing: the lookup's own check
    (its fingerprint read from the file) must not import WeasyPrint before it is in place."""
    code = textwrap.dedent(
        """
        import subprocess
        ran = []
        init = subprocess.Popen.__init__
        def counted(self, args, *a, **k):
            ran.append(args[0] if isinstance(args, (list, tuple)) else args)
            init(self, args, *a, **k)
        subprocess.Popen.__init__ = counted
        from aixbook.render.pdf.coverage import measured
        measured()  # reads the fonts through WeasyPrint's libraries
        print(ran)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.strip() == "['/sbin/ldconfig']"


# ------------------------------------------------- a build under changed internals

# Run in a fresh process: patches are applied once per process, and these change what the
# guards find before anything is applied.
CHANGE = {
    "fingerprint": """
        owner = "weasyprint.pdf.tags:_build_box_tree"
        internals.INTERNALS = tuple(
            internals.Internal(i.owner, "0" * 16, i.features, i.relies_on) if i.owner == owner else i
            for i in internals.INTERNALS)
    """,
    "version": """
        real = internals._installed_version
        internals._installed_version = lambda d: "71.0" if d == "weasyprint" else real(d)
    """,
}


def _run(change: str, *args: str) -> subprocess.CompletedProcess:
    script = (
        "import sys\nfrom aixbook.render.pdf import internals\n"
        + textwrap.dedent(CHANGE[change])
        + "from aixbook.cli import main\nmain(sys.argv[1:])\n"
    )
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env, timeout=300)


def _site(tmp_path: Path) -> Path:
    return write_site(
        tmp_path / "site",
        {
            "docs/lamps.md": """\
            # Lamps

            The keeper trims the wick at dusk.

            | Lamp | Fuel |
            |------|------|
            | Argand | colza oil |
            | Fresnel | paraffin |
        """,
            "docs/lenses.md": "# Lenses\n\nA Fresnel lens bends the beam toward the horizon.\n",
        },
    )


@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    "change, lost, shown",
    [
        ("fingerprint", ["table-tags"], "weasyprint.pdf.tags:_build_box_tree changed"),
        ("version", list(internals.FEATURES), "weasyprint 71.0 installed"),
    ],
)
def test_build_under_changed_internals_says_so_once_and_writes_a_valid_pdf(tmp_path, change, lost, shown):
    out = tmp_path / "out"
    build = _run(change, "build", str(_site(tmp_path)), "-o", str(out), "-f", "pdf", "-j", "1", "--name", "book")
    assert build.returncode == 0, build.stderr
    said = [line for line in build.stderr.splitlines() if "WeasyPrint internals" in line]
    assert len(said) == 1, build.stderr
    assert shown in said[0]
    for feature in internals.FEATURES:
        assert (f"{feature} (" in said[0]) is (feature in lost), feature
    assert internals.FEATURES[lost[0]] in said[0]  # what is lost, in words

    with pikepdf.open(out / "book.pdf") as pdf:  # a valid PDF, still tagged
        assert "/StructTreeRoot" in pdf.Root
        assert ("/IDTree" in pdf.Root.StructTreeRoot) is ("table-tags" not in lost)
    with pymupdf.open(out / "book.pdf") as doc:
        text = " ".join(page.get_text() for page in doc)
        assert "The keeper trims the wick at dusk." in text and "colza oil" in text
        assert "bends the beam toward the horizon" in text
        assert "Lenses" in [title for _, title, _ in doc.get_toc()]
    # laid out in parts (and cached) only when combining can rely on WeasyPrint's code
    assert (out / ".cache" / "pdf").is_dir() is ("parts" not in lost)

    doctor = _run(change, "doctor")
    for feature in internals.FEATURES:
        line = next(line for line in doctor.stdout.splitlines() if line.strip().startswith(f"{feature}:"))
        assert ("not applied" in line) is (feature in lost), line
    assert shown in doctor.stdout


def test_the_shipped_coverage_is_what_the_shipped_fonts_draw():
    """The missing-glyph check reads fonts/coverage.json (no HarfBuzz, no WeasyPrint): it must
    be what the fonts' character maps say. Fails after a font changes until
    ``python -m aixbook.render.pdf.coverage`` writes it again."""
    from aixbook.render.pdf import coverage

    recorded = coverage.recorded()
    assert recorded is not None, "fonts/coverage.json was written for other fonts"
    assert recorded == coverage.measured()
    assert 0x4E2D in recorded and 0x1F600 in recorded and 0x0041 in recorded  # CJK, emoji, Latin
    assert 0x10FFFD not in recorded


def test_versions_in_the_cache_keys_are_what_importlib_metadata_says():
    """cache.dist_version reads a distribution's version from its folder's name (importlib's
    metadata loads the email package, a tenth of a second of every build)."""
    from importlib.metadata import version

    from aixbook.cache import dist_version

    for dist in ("weasyprint", "pydyf", "pikepdf", "Pillow", "pyphen", "markdown-it-py", "aixbook"):
        assert dist_version(dist) == version(dist), dist
    assert dist_version("no-such-distribution-here") == "missing"
