"""Failures a user meets, one case per row of issue 19 (rows 5, 6, 7, 11, 12, 14) and issue 18
(row 8): each input made here, the command run as a user runs it, and what they see checked:
the exact lines on stderr, the exit status, which files are in the output folder, and that the
outputs of the build before are byte-identical when the build fails.

The full disk and the read-only folder are real: a small tmpfs mounted for the test (we run as
root in CI; elsewhere those cases are skipped, with the reason)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from helpers import EPOCH, PNG, write_site

PREVIOUS = b"%PDF-1.7 the previous good build\n"
BAD_PNG = b"\x89PNG\r\n\x1a\n" + b"this is no image" * 8


@dataclass
class Run:
    """What a case runs (in its tmp folder) and what the user must see."""

    args: list[str]
    exit: int
    stderr: list[str] | None = None  # the exact lines, in order (None: see ``check``)
    out: Path | None = None  # the output folder
    previous: dict[str, bytes] = field(default_factory=dict)  # files there before: byte-identical after
    files: list[str] | None = None  # every file in ``out`` afterwards (outside .cache/), if given
    check: Callable[[subprocess.CompletedProcess], None] | None = None


def run(tmp: Path, case: Run, user: int | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "COLUMNS": "400"}
    env.pop("GITHUB_ACTIONS", None)
    cmd = [sys.executable, "-m", "aixbook", *case.args]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    return subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=240)


def mount_tmpfs(folder: Path, request, size: str = "200k") -> None:
    """A tmpfs of ``size`` at ``folder``, unmounted when the test ends; skips where mounting is
    not allowed."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root (the disk-full and read-only cases are real mounts)")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    request.addfinalizer(lambda: subprocess.run(["umount", "-l", str(folder)], capture_output=True))


def fill(folder: Path, leave: int = 4096) -> None:
    """Fill the file system of ``folder`` up to ``leave`` bytes."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError:
            pass
    os.truncate(filler, max(0, filler.stat().st_size - leave))


def site(tmp: Path, pages: dict[str, str] | None = None, **kw) -> Path:
    text = "## A\n\n" + "A sentence of the chapter. " * 400 + "\n\nThe end.\n"
    return write_site(tmp / "site", pages or {"docs/a.md": text}, **kw)


def temp_files(folder: Path) -> list[str]:
    """Temporary files anywhere under ``folder``: ours (``.x.PID.XXXXXXXX.part``) or qpdf's."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*") if ".part" in p.name or "pikepdf" in p.name)


# ---------------------------------------------------------------- the cases


def disk_full(fmt: str):
    def make(tmp: Path, request) -> Run:
        site(tmp)
        disk = tmp / "disk"
        mount_tmpfs(disk, request)
        (disk / f"test-site.{fmt}").write_bytes(PREVIOUS)
        fill(disk)

        def check(proc):
            assert temp_files(disk) == []

        line = f"build error: disk full writing disk/test-site.{fmt}"
        return Run(
            ["build", "site", "-o", "disk", "-f", fmt],
            1,
            [line],
            disk,
            {f"test-site.{fmt}": PREVIOUS},
            ["filler", f"test-site.{fmt}"],
            check,
        )

    return make


def stale_temp_files(tmp: Path, request) -> Run:
    site(tmp)
    out = tmp / "out"
    (out / ".cache" / "pdf" / "parts").mkdir(parents=True)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # a build that was killed: its PID is gone
    dead, alive = child.pid, os.getpid()  # this test stands for a build still running
    stale = [f".test-site.pdf.{dead}.k3j4h5g6.part", f".cache/pdf/parts/.abc.part.{dead}.zz9_a1b2.part"]
    kept = [
        f".test-site.pdf.{alive}.q1w2e3r4.part",
        ".test-site.pdf.1234.part",
        "notes.part",
        ".test-site.pdf.fresh123.part",
    ]  # another's, not our naming, a user's, recent (old style)
    old_style = ".test-site.pdf.7gtvrbhw.part"  # what earlier versions left, hours ago
    for name in [*stale, *kept, old_style]:
        (out / name).write_bytes(b"")
    hours_ago = time.time() - 3 * 3600
    os.utime(out / old_style, (hours_ago, hours_ago))

    def check(proc):
        assert [n for n in [*stale, old_style] if (out / n).exists()] == []
        assert [n for n in kept if not (out / n).exists()] == []
        assert temp_files(out) == sorted(n for n in kept if n.startswith("."))

    return Run(["build", "site", "-o", "out", "-f", "pdf"], 0, None, out, {}, None, check)


def output_blocked_by_a_file(folder: str, line: str):
    """``-o folder`` where ``out.pdf``, a file, stands in the way."""

    def make(tmp: Path, request) -> Run:
        site(tmp)
        (tmp / "out.pdf").write_bytes(PREVIOUS)
        return Run(["build", "site", "-o", folder, "-f", "pdf"], 2, [line], tmp, {"out.pdf": PREVIOUS})

    return make


def read_only_folder(tmp: Path, request) -> Run:
    site(tmp)
    ro = tmp / "ro"
    mount_tmpfs(ro, request, "1m")
    (ro / "test-site.pdf").write_bytes(PREVIOUS)
    done = subprocess.run(["mount", "-o", "remount,ro", str(ro)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot remount the tmpfs read-only: {done.stderr.strip()}")
    return Run(
        ["build", "site", "-o", "ro", "-f", "pdf"],
        2,
        ["config error: cannot write ro: read-only file system"],
        ro,
        {"test-site.pdf": PREVIOUS},
        ["test-site.pdf"],
    )


def unreadable_image(tmp: Path, request) -> Run:
    body = (
        "## A\n\nText.\n\n[![pic](/images/bad.png)](/images/bad.png)\n\nMore.\n\n"
        "[![gone](/images/gone.png)](/images/gone.png)\n\nx\n\n"
        "[![gone](/images/gone.png)](/images/gone.png)\n\n![ok](/images/ok.png) ![bad](/images/bad.png)\n"
    )
    site(tmp, {"docs/a.md": body}, files={"static/images/bad.png": BAD_PNG, "static/images/ok.png": PNG})
    page = "site/content/docs/a.md"
    bad = "image /images/bad.png cannot be shown: cannot identify image file (not a format WeasyPrint reads)"
    gone = "missing image /images/gone.png: {} /images/gone.png not found in " + str((tmp / "site/static").resolve())

    def check(proc):
        assert "Failed to load image" not in proc.stderr
        import pymupdf

        with pymupdf.open(tmp / "out" / "test-site.pdf") as pdf:
            text = "".join(page.get_text() for page in pdf)
            assert "image cannot be shown: bad.png" in text and "More." in text  # a placeholder, the rest kept
            assert len([i for p in pdf for i in p.get_images()]) == 1  # ok.png is shown

    return Run(
        ["build", "site", "-o", "out", "-f", "pdf"],
        0,
        [
            f"{page}:12: error: {gone.format('linked image')}",  # the links, as they are written …
            f"{page}:16: error: {gone.format('linked image')}",
            f"{page}:8: error: {bad}",  # … then the images, each at its own line
            f"{page}:12: error: {gone.format('image')}",
            f"{page}:16: error: {gone.format('image')}",
            f"{page}:18: error: {bad}",
        ],
        check=check,
    )


def undecodable_data_image(tmp: Path, request) -> Run:
    """An image WeasyPrint itself finds undecodable (a data: URL is not a file to check first):
    its warning says why (WeasyPrint's own line ends in ": ", the reason being its cause's)."""
    url = "data:image/png;base64,iVBORw0KGgpnYXJiYWdlIGdhcmJhZ2U="  # the PNG signature, then garbage
    site(tmp, {"docs/a.md": f"## A\n\ntext\n\n![d]({url})\n"})
    return Run(
        ["build", "site", "-o", "out", "-f", "pdf"],
        0,
        [f"pdf: warning: Failed to load image at '{url}': Truncated File Read"],
    )


def newline_in_file_name(tmp: Path, request) -> Run:
    root = tmp / "site"
    (root / "content" / "docs").mkdir(parents=True)
    (root / "hugo.yaml").write_text("baseURL: https://example.org/\ntitle: T\n")
    (root / "content/docs/a.md").write_text("---\ntitle: a\nweight: 1\n---\n## A\n")
    (root / "content/docs/b\n::error file=x::forged.md").write_text(
        "---\ntitle: b\nweight: 2\n---\n## B\n\n[x](/go/nowhere/)\n"
    )
    message = (
        "dangling link /go/nowhere/: short link 'nowhere' has no redirect in firebase.json and no 'Permalink:' line"
    )

    def check(proc):
        github = run(tmp, Run(["check", "site", "--report", "github"], 1))
        assert github.stdout.splitlines()[0] == (
            "::error file=content/docs/b%0A%3A%3Aerror file=x%3A%3Aforged.md,line=7,title=dangling link::" + message
        )
        assert not [line for line in github.stdout.splitlines()[1:] if line.startswith("::")]

    return Run(
        ["check", "site"], 1, [f"'site/content/docs/b\\n::error file=x::forged.md':7: error: {message}"], check=check
    )


def language_without_pages(tmp: Path, request) -> Run:
    root = tmp / "site"
    (root / "content" / "docs").mkdir(parents=True)
    (root / "content.zh" / "docs").mkdir(parents=True)
    (root / "content.zh" / "blog").mkdir(parents=True)
    (root / "hugo.yaml").write_text(
        "baseURL: https://example.org/\ntitle: T\ndefaultContentLanguage: en\n"
        "languages:\n  en:\n    weight: 1\n  zh:\n    weight: 2\n    contentDir: content.zh\n"
    )
    (root / "content/docs/a.md").write_text("---\ntitle: a\n---\n## A\n\nThe English book.\n")
    (root / "content.zh/blog/p.md").write_text("---\ntitle: p\n---\nA post, not a page of the book.\n")
    where = (root / "content.zh" / "docs").resolve()
    return Run(
        ["build", "site", "-o", "out", "-f", "html", "--all-languages"],
        0,
        [
            "site/hugo.yaml: warning: no book for language zh: "
            f"no menu.docs in the site configuration and no {where} folder"
        ],
        tmp / "out",
        {},
        ["fonts", "t.html"],  # the page and the fonts it links
    )


FORGED = '## A\n\n<p style="color: 12\n::error file=x::forged">Hi</p>\n\nText\n'


def forged_workflow_command(verbose: list[str]):
    def make(tmp: Path, request) -> Run:
        site(tmp, {"docs/a.md": FORGED})

        def check(proc):
            lines = proc.stdout.splitlines() + proc.stderr.splitlines()
            assert [line for line in lines if line.startswith("::error")] == []
            commands = [line for line in lines if line.startswith("::")]
            assert commands and all(line.startswith("::warning title=renderer::pdf: warning: ") for line in commands)
            assert any("12%0A::error file=x::forged" in line for line in commands)  # WeasyPrint's text, escaped

        return Run([*verbose, "build", "site", "-o", "out", "-f", "pdf", "--report", "github"], 0, check=check)

    return make


CASES = {
    "19.5 disk full, pdf": disk_full("pdf"),
    "19.5 disk full, epub": disk_full("epub"),
    "19.5 disk full, html": disk_full("html"),
    "19.6 stale temp files": stale_temp_files,
    "19.7 -o names a file": output_blocked_by_a_file(
        "out.pdf", "config error: cannot write into out.pdf: it is a file, not a folder"
    ),
    "19.7 -o under a file": output_blocked_by_a_file(
        "out.pdf/book", "config error: cannot write out.pdf/book: out.pdf is a file, not a folder"
    ),
    "19.7 read-only folder": read_only_folder,
    "19.11 unreadable image": unreadable_image,
    "19.11 undecodable data: image": undecodable_data_image,
    "19.12 newline in a file name": newline_in_file_name,
    "19.14 a language without pages": language_without_pages,
    "18.8 forged workflow command": forged_workflow_command([]),
    "18.8 forged workflow command, -vv": forged_workflow_command(["-vv"]),
}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", list(CASES))
def test_failure(name, tmp_path, request):
    case = CASES[name](tmp_path, request)
    proc = run(tmp_path, case)
    assert proc.returncode == case.exit, proc.stderr
    if case.stderr is not None:
        assert proc.stderr.splitlines() == case.stderr
    assert "Traceback" not in proc.stderr
    for rel, data in case.previous.items():
        assert (case.out / rel).read_bytes() == data, rel
    if case.files is not None:
        assert sorted(str(p.relative_to(case.out)) for p in case.out.iterdir() if p.name != ".cache") == case.files
    if case.check:
        case.check(proc)


@pytest.mark.timeout(120)
def test_folder_not_ours_to_write(tmp_path):
    """19.7 as a user who is not root (root writes anywhere): a folder of mode 555."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("switching to an unprivileged user needs root and setpriv")
    base = Path(tempfile.mkdtemp(prefix="aixbook-ro-"))  # pytest's tmp_path is root's alone
    try:
        base.chmod(0o755)
        site(base)
        (base / "out").mkdir()
        (base / "out" / "test-site.pdf").write_bytes(PREVIOUS)
        (base / "out").chmod(0o555)
        can = run(base, Run(["--version"], 0), user=65534)
        if can.returncode != 0:
            pytest.skip(f"the unprivileged user cannot run aixbook here: {can.stderr.strip()[-200:]}")
        proc = run(base, Run(["build", "site", "-o", "out", "-f", "pdf"], 2), user=65534)
        assert (proc.returncode, proc.stderr) == (2, "config error: cannot write out: permission denied\n")
        assert (base / "out" / "test-site.pdf").read_bytes() == PREVIOUS
        assert sorted(p.name for p in (base / "out").iterdir()) == ["test-site.pdf"]
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize(
    "error, line",
    [
        (OSError(28, "No space left on device"), "build error: disk full writing out/x.pdf"),
        (OSError(122, "Disk quota exceeded"), "build error: disk full writing out/x.pdf"),
        (
            PermissionError(13, "Permission denied", "out/.x.pdf.1.abcdefgh.part"),
            "config error: cannot write out/x.pdf: permission denied",
        ),
        (OSError(30, "Read-only file system", "out"), "config error: cannot write out/x.pdf: read-only file system"),
        (
            IsADirectoryError(21, "Is a directory", "out/.x.pdf.1.abcdefgh.part", "out/x.pdf"),
            "config error: cannot write out/x.pdf: it is a folder",
        ),
        (PermissionError(13, "Permission denied", "/site/static/images/a.png"), None),  # reading a source: not ours
        (FileNotFoundError(2, "No such file or directory", "/site/static/images/a.png"), None),
    ],
)
def test_write_errors_are_worded_only_when_they_are_about_the_output(error, line):
    from aixbook.output import failure

    found = failure(error, Path("out/x.pdf"))
    assert (found.one_line() if found else None) == line
