"""Shared test helpers and constants (no fixtures: those live in conftest.py).

Test modules import these with ``from helpers import …``: pytest's default
``prepend`` import mode puts tests/ (it has no __init__.py) on sys.path.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
CORPUS = ROOT.parent / "shared" / "corpus" / "ai-exchange"
SAMPLE = ROOT / "book"
SITE_DIR = CORPUS / "content" / "ai_exchange"
# A fixed date makes the built files comparable between runs.
EPOCH = "1764000000"


def png(width: int = 1, height: int = 1) -> bytes:
    """A real PNG file (white pixels): the build checks that images decode."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PNG = png()


def corpus_present() -> bool:
    return (SITE_DIR / "hugo.yaml").is_file()


def slow(mark):
    """``mark`` (a skip unless an external checker is here: Hugo, Java for epubcheck, Ace, a
    browser) that also marks the test ``slow``: ``make test-fast`` leaves such tests out."""
    return lambda test: pytest.mark.slow(mark(test))


# Reads the real book: slow, and skipped where the corpus is absent (both in conftest.py).
needs_corpus = pytest.mark.corpus
CORPUS_MISSING = f"the AI Exchange corpus is not at {CORPUS} (tests read it from ../shared, never a copy)"


HUGO_YAML = """\
baseURL: https://example.org/
title: Test Site
languageCode: en-us
markup:
  goldmark:
    renderer:
      unsafe: true
menu:
  docs:
{menu}
"""


def write_site(
    root: Path,
    pages: dict[str, str],
    *,
    menu: list[str] | None = None,
    redirects: dict[str, str] | None = None,
    files: dict[str, str | bytes] | None = None,
) -> Path:
    """Write a throwaway Hugo site: ``pages`` maps "docs/a.md" → Markdown (front matter added
    when missing); ``menu`` lists docs stems in order (default: every docs page given);
    ``redirects`` maps "/go/x/" → destination; ``files`` are written as they are."""
    root.mkdir(parents=True, exist_ok=True)
    stems = menu if menu is not None else [Path(p).stem for p in pages if p.startswith("docs/")]
    menu_yaml = (
        "\n".join(f'    - name: "{s}"\n      pageRef: /docs/{s}\n      weight: {i + 1}' for i, s in enumerate(stems))
        or "    []"
    )
    if not (files and "hugo.yaml" in files):
        (root / "hugo.yaml").write_text(HUGO_YAML.format(menu=menu_yaml), encoding="utf-8")
    for rel, text in pages.items():
        path = root / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not text.startswith(("---", "+++")):
            text = f"---\ntitle: {Path(rel).stem}\n---\n" + textwrap.dedent(text)
        path.write_text(text, encoding="utf-8")
    if redirects:
        data = {"hosting": {"redirects": [{"source": s, "destination": d, "type": 302} for s, d in redirects.items()]}}
        (root / "firebase.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    for rel, content in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def wait_until(pred, timeout: float = 20.0) -> bool:
    """Poll ``pred()`` every 0.1 s until it is true (True) or ``timeout`` seconds pass (False)."""
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return False


def run_cli(*args) -> tuple[int, str, str]:
    """``aixbook ARGS`` in this process: (exit code, stdout, stderr)."""
    from click.testing import CliRunner

    from aixbook.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def reader_texts(out: Path) -> dict[str, str]:
    """What a reader of the outputs in ``out`` sees, by where it comes from: each HTML
    file, every entry of each EPUB (XHTML as text, the rest as Latin-1 bytes), and
    ``pdftotext`` of each PDF."""
    import subprocess
    import zipfile

    texts: dict[str, str] = {}
    for f in sorted(out.rglob("*")):
        if f.suffix == ".html":
            texts[f.name] = f.read_text(encoding="utf-8")
        elif f.suffix == ".epub":
            with zipfile.ZipFile(f) as z:
                for name in z.namelist():
                    data = z.read(name)
                    texts[f"{f.name}!{name}"] = (
                        data.decode("utf-8")
                        if name.endswith((".xhtml", ".html", ".opf", ".ncx", ".css"))
                        else data.decode("latin-1")
                    )
        elif f.suffix == ".pdf":
            texts[f.name] = subprocess.run(
                ["pdftotext", "-enc", "UTF-8", str(f), "-"], check=True, capture_output=True, text=True
            ).stdout
    return texts


#: The real book's chapters in navigation order, as its outline and contents name them.
CHAPTERS = [
    "0. AI Security Overview",
    "1. General controls",
    "2. Input threats",
    "3. Development-time threats",
    "4. Runtime conventional security threats",
    "5. AI security testing",
    "6. AI privacy",
    "AI Security References",
    "Index",
]


def spawn_cli(*args, read: str = "stdout"):
    """``python -m aixbook ARGS`` running in the background, unbuffered. Returns the process,
    a list that fills with the lines of what ``read`` names as they come ("stdout", "stderr"
    with stdout discarded, or "both", stderr into stdout) and the thread filling it."""
    import os
    import subprocess
    import sys
    import threading

    out, err = {
        "stdout": (subprocess.PIPE, subprocess.PIPE),
        "stderr": (subprocess.DEVNULL, subprocess.PIPE),
        "both": (subprocess.PIPE, subprocess.STDOUT),
    }[read]
    proc = subprocess.Popen(
        [sys.executable, "-m", "aixbook", *map(str, args)],
        stdout=out,
        stderr=err,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    stream = proc.stderr if read == "stderr" else proc.stdout
    reader = threading.Thread(target=lambda: lines.extend(stream), daemon=True)
    reader.start()
    return proc, lines, reader
