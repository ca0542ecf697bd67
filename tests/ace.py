"""Run DAISY Ace (EPUB accessibility checker) and flatten its report.

Ace is installed project-locally by `bash .ci/install-ace.sh` into `.ace/`,
running on Debian's chromium through the `.ace/ace` launcher.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ACE = Path(__file__).resolve().parent.parent / ".ace" / "ace"
TIMEOUT = 300  # seconds for one Ace run
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def ace_available() -> str | None:
    """None if Ace can run here, else the reason (for pytest.skip)."""
    if not ACE.is_file():
        return f"Ace not installed ({ACE} missing): run `bash .ci/install-ace.sh`"
    if shutil.which("node") is None:
        return "node not found"
    if not Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium not installed: run `bash .ci/install-ace.sh`"
    return None


def run_ace(epub: Path, outdir: Path) -> list[dict[str, Any]]:
    """Check `epub` with Ace, writing its reports to `outdir`; return the violations.

    Each violation is a dict with rule, impact, file (the document inside the
    EPUB, as Ace names it), target (CSS selector or ""), html (snippet or "")
    and message.
    """
    reason = ace_available()
    if reason:
        raise RuntimeError(reason)
    report = outdir / "report.json"
    report.unlink(missing_ok=True)
    # Not --silent: its log (on stdout) is the only explanation when Ace fails.
    cmd = [str(ACE), "--outdir", str(outdir), "--force", str(epub)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"Ace timed out after {TIMEOUT} s on {epub}") from exc
    if proc.returncode != 0 or not report.is_file():
        log = _ANSI.sub("", proc.stdout + proc.stderr).strip()
        raise RuntimeError(f"Ace failed on {epub} (exit {proc.returncode}):\n{log}")
    return violations(json.loads(report.read_text(encoding="utf-8")))


def violations(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Flatten Ace's EARL report into one dict per failed check."""
    return list(_walk(report.get("assertions", []), ""))


def _walk(assertions: list[dict[str, Any]], file: str) -> Iterator[dict[str, Any]]:
    for a in assertions:
        subject = a.get("earl:testSubject", {}).get("url", file)
        result = a.get("earl:result", {})
        test = a.get("earl:test")
        if test and result.get("earl:outcome") == "fail":
            pointer = result.get("earl:pointer", {})
            yield {
                "rule": test.get("dct:title", ""),
                "impact": test.get("earl:impact", ""),
                "file": subject,
                "target": ", ".join(pointer.get("css", [])),
                "html": result.get("html", ""),
                "message": test.get("dct:description", ""),
            }
        yield from _walk(a.get("assertions", []), subject)
