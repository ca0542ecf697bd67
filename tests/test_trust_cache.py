"""Issue 18, row 1: the cache is data, never code.

A cache folder may come from anywhere (CI restores caches made by other branches). Each
test fills the chapter cache and the PDF part cache with a clean build, then replaces
every cache file as an attacker or a damaged disk would: a crafted pickle whose loading
would create a marker file, a truncated entry, a well-formed entry of the wrong shape, an
entry whose MAC does not match (forged text, or sealed without this user's key), a pipe
or a link, a wrong hints.json. ``check``
and ``build -f pdf`` must then exit 0 with no marker written, no traceback, a debug line
saying which entry was ignored, and the very PDF of the clean build (the forged text in
none of it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from helpers import EPOCH, ROOT, SAMPLE, write_site

ALPHA = "ALPHA-TEXT-7f3"
BETA = "BETA-TEXT-2c9"
PAGES = {
    "docs/a.md": f"## Alpha\n\nThe first chapter: {ALPHA}.\n",
    "docs/b.md": f"## Beta\n\nThe second: {BETA}, after [alpha](/docs/a/#alpha).\n",
}
PARTS = 5  # the front page, the contents, two chapters, the footers
# Each test builds the book in subprocesses, before and after the attack: slow.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


KEY_HOME = Path()  # XDG_CACHE_HOME of every run here (the cache key lives in it): set by key_home


@pytest.fixture(scope="module", autouse=True)
def key_home(tmp_path_factory):
    global KEY_HOME
    KEY_HOME = tmp_path_factory.mktemp("xdg")


def aixbook(*args, **environ: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_") and k != "AIXBOOK_CACHE_KEY"}
    env["SOURCE_DATE_EPOCH"] = EPOCH
    env["XDG_CACHE_HOME"] = str(KEY_HOME)
    env.update(environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "aixbook", "-vv", *map(str, args)], capture_output=True, text=True, env=env, timeout=300
    )


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """A tiny site built once: its output folder, cache included, and its PDF's bytes."""
    root = tmp_path_factory.mktemp("trust-cache")
    site = write_site(root / "site", PAGES)
    out = root / "out"
    proc = aixbook("build", site, "-o", out, "-f", "pdf")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return site, out, next(out.glob("*.pdf")).read_bytes()


@pytest.fixture
def planted(clean, tmp_path):
    """A copy of the clean output folder, and the cache files in it."""
    site, out, pdf = clean
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    # Without the record of the PDF last written (render/pdf/outputs.py), the rebuild must
    # read the planted parts: test_a_planted_output_record_or_a_changed_pdf_is_not_trusted
    # attacks the record.
    shutil.rmtree(copy / ".cache" / "pdf" / "outputs")
    chapters = sorted((copy / ".cache" / "chapters").iterdir())
    parts = sorted((copy / ".cache" / "pdf" / "parts").iterdir())
    assert len(chapters) == 2 and len(parts) >= PARTS
    return site, copy, pdf, chapters, parts


def hyphenated(out: Path) -> list[Path]:
    """The hyphenated chapters kept (hyphenate.Memo): one per chapter."""
    entries = sorted((out / ".cache" / "hyphens").iterdir())
    assert len(entries) == 2
    return entries


def rebuild(site: Path, out: Path, clean_pdf: bytes, marker: Path | None = None) -> tuple[str, str]:
    """``check`` then ``build -f pdf`` over the planted cache: both succeed, nothing planted
    ran, and the PDF is the clean build's. Returns both stderrs."""
    checked = aixbook("check", site, "-o", out)
    built = aixbook("build", site, "-o", out, "-f", "pdf")
    if marker is not None:
        assert not marker.exists(), "a cache entry ran code"
    for proc in (checked, built):
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "Traceback" not in proc.stderr + proc.stdout
    pdf = next(out.glob("*.pdf"))
    text = "".join(page.get_text() for page in pymupdf.open(pdf))
    assert ALPHA in text and BETA in text
    assert pdf.read_bytes() == clean_pdf
    return checked.stderr, built.stderr


class Plant:
    """Unpickling this runs ``call(*args)``: what a crafted cache entry would do."""

    def __init__(self, call, *args):
        self.call, self.args = call, args

    def __reduce__(self):
        return self.call, self.args


def test_crafted_pickles_run_nothing(planted, tmp_path):
    site, out, pdf, chapters, parts = planted
    marker = tmp_path / "marker"
    for entry in chapters:
        entry.write_bytes(pickle.dumps(Plant(open, str(marker), "w")))
    for entry in parts:
        payload = pickle.dumps(Plant(os.system, f"touch {marker}"))
        # the envelope the part cache used to check before unpickling, checksum and all
        entry.write_bytes(
            b"aixbook-pdf-part 1\n" + hashlib.sha256(payload).digest() + len(payload).to_bytes(8, "big") + payload
        )
    (out / ".cache" / "pdf" / "hints.json").write_bytes(pickle.dumps(Plant(open, str(marker), "w")))
    checked, built = rebuild(site, out, pdf, marker)
    assert checked.count("chapter cache: ") == 2 and "ignored (not an aixbook cache entry)" in checked
    assert "PDF part cache: " in built and "hints.json ignored" in built
    assert all(entry.read_bytes().startswith(b"aixbook-cache\n") for entry in chapters)  # parsed again


def _envelope(payload: bytes, kind: str, version: str, blob: bytes = b"", key: bytes | None = None) -> bytes:
    """An entry as the cache writes one, around any payload, with a MAC under this user's
    key (as a bug of an older aixbook would write it), or under ``key``."""
    key = key or (KEY_HOME / "aixbook" / "cache-key").read_bytes()
    header = {
        "kind": kind,
        "version": version,
        "mac": hmac.new(key, payload + blob, hashlib.sha256).hexdigest(),
        "json": len(payload),
        "blob": len(blob),
    }
    return b"aixbook-cache\n" + json.dumps(header).encode() + b"\n" + payload + blob


def _open(entry: Path) -> tuple[dict, dict, bytes]:
    """header, JSON data and blob of a cache entry."""
    _, header_line, rest = entry.read_bytes().split(b"\n", 2)
    header = json.loads(header_line)
    return header, json.loads(rest[: header["json"]]), rest[header["json"] :]


def test_a_pickle_inside_a_well_formed_envelope_runs_nothing(planted, tmp_path):
    site, out, pdf, chapters, parts = planted
    marker = tmp_path / "marker"
    for entry in chapters + parts:
        header, _, blob = _open(entry)
        entry.write_bytes(
            _envelope(pickle.dumps(Plant(open, str(marker), "w")), header["kind"], header["version"], blob)
        )
    checked, built = rebuild(site, out, pdf, marker)
    assert checked.count("ignored (unreadable JSON)") == 2
    assert built.count("ignored (unreadable JSON)") >= PARTS


def test_truncated_entries_are_rebuilt(planted):
    site, out, pdf, chapters, parts = planted
    for entry in chapters + parts:
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) // 2])
    checked, built = rebuild(site, out, pdf)
    assert checked.count("ignored (truncated or padded)") == 2
    assert built.count("ignored (truncated or padded)") >= PARTS


# Valid JSON, a valid MAC, the wrong shape: each would crash later in the pipeline.
CHAPTER_CHANGES = [
    lambda d: {**d, "html": [d["html"]]},  # a list where a string belongs
    lambda d: {k: v for k, v in d.items() if k != "headings"},  # a field missing
    lambda d: {**d, "headings": [{**h, "level": str(h["level"])} for h in d["headings"]]},
    lambda d: {**d, "diagnostics": [{"severity": "fatal", "message": 1, "path": None, "line": None, "code": ""}]},
]
PART_CHANGES = [
    lambda d: {**d, "pages": str(d["pages"])},
    lambda d: {**d, "pages": d["pages"] + 1},  # facts for another page count
    lambda d: {**d, "anchors": {"x": 10**6}} if "anchors" in d else {**d, "fonts": {"F": "font"}},
    lambda d: (
        {**d, "bookmarks": [[[1, "label", "here", "open"]]] * d["pages"]}
        if "bookmarks" in d
        else {**d, "warnings": "one"}
    ),
    lambda d: {**d, "heights": True} if "heights" in d else {**d, "seconds": None},
]


@pytest.mark.parametrize("change", range(len(PART_CHANGES)))
def test_entries_of_the_wrong_shape_are_rebuilt(planted, change):
    site, out, pdf, chapters, parts = planted
    for entry, edit in ((e, CHAPTER_CHANGES[change % len(CHAPTER_CHANGES)]) for e in chapters):
        header, data, blob = _open(entry)
        entry.write_bytes(_envelope(json.dumps(edit(data)).encode(), header["kind"], header["version"], blob))
    for entry in parts:
        header, data, blob = _open(entry)
        entry.write_bytes(
            _envelope(json.dumps(PART_CHANGES[change](data)).encode(), header["kind"], header["version"], blob)
        )
    checked, built = rebuild(site, out, pdf)
    assert checked.count("chapter cache: ") == 2
    assert built.count("PDF part cache: ") >= PARTS


def test_a_pdf_of_another_part_is_rebuilt(planted):
    """Facts and PDF that each fit, but not each other: another part's PDF, re-sealed."""
    site, out, pdf, _, parts = planted
    entries = [_open(entry) for entry in parts]
    pages = [data["pages"] for _, data, _ in entries]
    for entry, (header, data, _) in zip(parts, entries, strict=True):
        other = next((b for (_, d, b) in entries if d["pages"] != data["pages"]), None)
        assert other is not None, pages
        entry.write_bytes(_envelope(json.dumps(data).encode(), header["kind"], header["version"], other))
    _, built = rebuild(site, out, pdf)
    assert "pages, not" in built


def test_forged_text_with_a_wrong_mac_is_not_shown(planted):
    site, out, pdf, chapters, parts = planted
    for entry in chapters:
        data = entry.read_bytes()
        assert ALPHA.encode() in data or BETA.encode() in data
        entry.write_bytes(data.replace(ALPHA.encode(), b"FORGED-TEXT-01").replace(BETA.encode(), b"FORGED-TEXT-2"))
    for entry in parts:
        data = bytearray(entry.read_bytes())
        data[len(data) // 2] ^= 0x01
        entry.write_bytes(bytes(data))
    for entry in hyphenated(out):
        data = entry.read_bytes()
        assert ALPHA.encode() in data or BETA.encode() in data
        entry.write_bytes(data.replace(ALPHA.encode(), b"FORGED-TEXT-04").replace(BETA.encode(), b"FORGED-TEXT-5"))
    checked, built = rebuild(site, out, pdf)  # the PDF is the clean one: no FORGED text
    assert checked.count("ignored (MAC mismatch: damaged, or not made here)") == 2
    assert built.count("ignored (MAC mismatch: damaged, or not made here)") >= PARTS + 2
    assert built.count("hyphenated cache:") == 2


def test_entries_sealed_elsewhere_are_not_used(planted):
    """A planted cache with checksums that fit, made without this user's key: forged HTML
    the sanitizer never saw, and blank PDF parts with the right page counts."""
    import io

    import pikepdf

    site, out, pdf, chapters, parts = planted
    other = os.urandom(32)
    for entry in chapters:
        header, data, _ = _open(entry)
        data["html"] = '<p>FORGED-TEXT-03</p><script>document.title="pwned"</script>'
        entry.write_bytes(_envelope(json.dumps(data).encode(), header["kind"], header["version"], key=other))
    for entry in parts:
        header, data, _ = _open(entry)
        blank = io.BytesIO()
        with pikepdf.new() as doc:
            for _ in range(data["pages"]):
                doc.add_blank_page()
            doc.save(blank)
        entry.write_bytes(
            _envelope(json.dumps(data).encode(), header["kind"], header["version"], blank.getvalue(), key=other)
        )
    for entry in hyphenated(out):  # hyphenated chapters with a script of their own
        header, data, _ = _open(entry)
        data["html"] = '<p>FORGED-TEXT-06</p><script>document.title="pwned"</script>'
        entry.write_bytes(_envelope(json.dumps(data).encode(), header["kind"], header["version"], key=other))
    checked, built = rebuild(site, out, pdf)
    assert checked.count("ignored (MAC mismatch: damaged, or not made here)") == 2
    assert built.count("ignored (MAC mismatch: damaged, or not made here)") >= PARTS + 2
    assert built.count("hyphenated cache:") == 2


def test_a_ci_secret_key_keeps_a_restored_cache_and_only_for_that_key(tmp_path):
    """$AIXBOOK_CACHE_KEY: a cache made on one runner is used on a fresh one (another
    $XDG_CACHE_HOME, no key file) with the same secret, and is a miss under any other."""
    site = write_site(tmp_path / "site", PAGES)
    out = tmp_path / "out"
    first = aixbook("check", site, "-o", out, AIXBOOK_CACHE_KEY="ci-secret-1", XDG_CACHE_HOME=str(tmp_path / "r1"))
    assert first.returncode == 0, first.stderr[-2000:]
    entries = sorted((out / ".cache" / "chapters").iterdir())
    made = [e.stat().st_mtime_ns for e in entries]
    same = aixbook("check", site, "-o", out, AIXBOOK_CACHE_KEY="ci-secret-1", XDG_CACHE_HOME=str(tmp_path / "r2"))
    kept = [e.stat().st_mtime_ns for e in entries]
    other = aixbook("check", site, "-o", out, AIXBOOK_CACHE_KEY="fork-guess", XDG_CACHE_HOME=str(tmp_path / "r3"))
    assert kept == made  # the same secret on a fresh runner: every entry used, none written again
    assert same.returncode == other.returncode == 0
    assert "MAC mismatch" not in same.stderr
    assert [e.stat().st_mtime_ns for e in entries] != made  # the other key's misses were parsed and written again
    assert other.stderr.count("ignored (MAC mismatch: damaged, or not made here)") == 2
    assert not (tmp_path / "r2" / "aixbook" / "cache-key").exists()  # the secret, not a key file


@pytest.mark.timeout(120)
def test_links_pipes_and_devices_are_not_read(planted, tmp_path):
    """A cache file that is a pipe (reading it would wait forever), a link to a device
    that never ends, or a link to a secret outside."""
    site, out, pdf, chapters, parts = planted
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-9d2", encoding="utf-8")
    for n, entry in enumerate(chapters + parts):
        entry.unlink()
        if n % 3 == 0:
            os.mkfifo(entry)
        else:
            entry.symlink_to("/dev/zero" if n % 3 == 1 else secret)
    hints = out / ".cache" / "pdf" / "hints.json"
    hints.unlink()
    os.mkfifo(hints)
    checked, built = rebuild(site, out, pdf)
    assert "ignored (not a regular file)" in checked + built and "ignored (unreadable: " in checked + built
    assert "hints.json ignored (not a regular file)" in built
    assert "SECRET-9d2" not in checked + built


@pytest.mark.parametrize(
    "hints",
    [
        [],
        "numbers",
        {"numbers": [], "strings": [], "pages": {}},
        {"numbers": {"alpha": 5}, "strings": {}, "pages": {}},
        {"numbers": {"alpha": "9" * 100_000}, "strings": {}, "pages": {}},
        {"numbers": {}, "strings": {"front": {"booktitle": "X" * 1_000_000}}, "pages": {}},
        {"numbers": {}, "strings": {"front": ["booktitle"]}, "pages": {}},
        {"numbers": {}, "strings": {}, "pages": {"front": -1}},
        {"numbers": {}, "strings": {}, "pages": {"front": 10**12}},
        {"numbers": {}, "strings": {}, "pages": {"front": "1"}},
        {"numbers": {}, "strings": {}, "pages": {}, "latest": {"front": "../../front"}},
    ],
)
def test_a_wrong_hints_file_is_ignored(planted, hints):
    site, out, pdf, _, _ = planted
    (out / ".cache" / "pdf" / "hints.json").write_text(json.dumps(hints), encoding="utf-8")
    _, built = rebuild(site, out, pdf)
    assert "hints.json ignored" in built


def test_a_cached_build_is_the_uncached_build(tmp_path):
    """The round trip is exact: the sample book from a full cache gives the same PDF, EPUB
    and HTML bytes as from none."""
    first, second = tmp_path / "first", tmp_path / "second"
    for out in (first, second):
        assert aixbook("build", SAMPLE, "-o", out).returncode == 0
    again = aixbook("build", SAMPLE, "-o", first)  # every chapter and part from the cache
    assert again.returncode == 0
    assert "laid out" not in again.stderr and "ignored" not in again.stderr
    names = sorted(p.name for p in first.iterdir() if p.is_file())
    assert [Path(n).suffix for n in names] == [".epub", ".html", ".pdf"]
    assert all((first / n).read_bytes() == (second / n).read_bytes() for n in names)


def test_a_planted_output_record_or_a_changed_pdf_is_not_trusted(clean, tmp_path):
    """The record that the PDF in the output folder is what these inputs wrote is trusted
    only under this user's MAC, and the PDF only for the SHA-256 recorded: a record sealed
    elsewhere, or another PDF put in place of the one written, is laid out again."""
    import io

    import pikepdf

    site, out, pdf = clean
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    target = next(copy.glob("*.pdf"))
    again = aixbook("build", site, "-o", copy, "-f", "pdf")  # the record is used: nothing laid out
    assert again.returncode == 0 and "laid out" not in again.stderr, again.stderr[-2000:]
    assert "the PDF the same inputs wrote last time" in again.stderr
    assert target.read_bytes() == pdf
    forged = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        doc.docinfo["/Title"] = "FORGED-TEXT-07"
        doc.save(forged)
    target.write_bytes(forged.getvalue())  # another PDF where the build wrote its own
    rebuilt = aixbook("build", site, "-o", copy, "-f", "pdf")
    assert rebuilt.returncode == 0
    assert "is not the PDF these inputs wrote" in rebuilt.stderr
    assert target.read_bytes() == pdf
    (record,) = (copy / ".cache" / "pdf" / "outputs").iterdir()
    header, data, _ = _open(record)
    target.write_bytes(forged.getvalue())
    data["sha256"] = hashlib.sha256(forged.getvalue()).hexdigest()  # the forged PDF's, sealed elsewhere
    record.write_bytes(_envelope(json.dumps(data).encode(), header["kind"], header["version"], key=os.urandom(32)))
    rebuilt = aixbook("build", site, "-o", copy, "-f", "pdf")
    assert rebuilt.returncode == 0
    assert "pdf-output cache: " in rebuilt.stderr and "MAC mismatch" in rebuilt.stderr
    assert target.read_bytes() == pdf
    target.unlink()
    os.mkfifo(target)  # a pipe where the PDF was: never read (it would block)
    rebuilt = aixbook("build", site, "-o", copy, "-f", "pdf")
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    assert target.is_file() and target.read_bytes() == pdf
