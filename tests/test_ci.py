"""Ready for the Exchange's CI: the example workflow is valid, diagnostics speak GitHub's and
JSON's language with stable codes, book.toml can change their severities."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import yaml

from aixbook.diagnostics import CODES
from helpers import CORPUS, ROOT, needs_corpus, write_site

WORKFLOW = ROOT / "examples" / "github-actions" / "aixbook.yml"


def test_example_workflow_passes_the_github_workflow_schema():
    # check-jsonschema ships GitHub's workflow schema: no network needed.
    proc = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_example_workflow_does_what_docs_ci_says():
    flow = yaml.safe_load(WORKFLOW.read_text())
    on = flow[True] if True in flow else flow["on"]  # YAML 1.1 reads "on" as true
    assert "content/**" in on["pull_request"]["paths"] and on["push"]["branches"] == ["main"]
    check = " ".join(s.get("run", "") for s in flow["jobs"]["check"]["steps"])
    publish = " ".join(s.get("run", "") for s in flow["jobs"]["publish"]["steps"])
    assert "aixbook check . --strict" in check
    steps = flow["jobs"]["check"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout") and steps[0]["with"]["fetch-depth"] == 0
    diff = next(s for s in steps if "aixbook diff" in s.get("run", ""))
    assert diff["run"] == 'aixbook diff "origin/$BASE_REF" --site . --report github --fail-on broken-permalink'
    assert diff["env"]["BASE_REF"] == "${{ github.base_ref }}"  # not spliced into the script
    assert diff["if"] == "${{ !cancelled() }}" and steps[-1] is diff
    assert "-o content/ai_exchange/public --name OWASP-AI-Exchange" in publish
    assert "libharfbuzz-subset0" in publish
    uploads = [s for s in flow["jobs"]["publish"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert (
        "OWASP-AI-Exchange.pdf" in uploads[0]["with"]["path"] and "OWASP-AI-Exchange.epub" in uploads[0]["with"]["path"]
    )
    assert all(
        s["with"]["cache"] == "pip"
        for job in flow["jobs"].values()
        for s in job["steps"]
        if s.get("uses", "").startswith("actions/setup-python")
    )


def _aixbook(*args, env=None, cwd=None):
    import os

    full = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "aixbook", *map(str, args)], capture_output=True, text=True, env=full, cwd=cwd
    )


# The content's own errors: (code, file relative to the repository root, line).
DOCS = "content/ai_exchange/content/docs/"
KNOWN_ERRORS = {
    ("redirect-anchor", "content/ai_exchange/firebase.json", 572),
    ("redirect-anchor", "content/ai_exchange/firebase.json", 682),
    ("dangling-link", DOCS + "ai_security_overview.md", 626),
    ("dangling-link", DOCS + "ai_security_overview.md", 1020),
    ("dangling-link", DOCS + "ai_security_overview.md", 1098),
    ("missing-image", DOCS + "ai_security_overview.md", 830),
    ("dangling-link", DOCS + "2_threats_through_use.md", 1720),
    ("dangling-link", DOCS + "5_testing.md", 51),
    ("dangling-link", DOCS + "5_testing.md", 167),
    ("dangling-link", DOCS + "ai_security_index.md", 31),
}


@needs_corpus
def test_check_json_lists_exactly_the_known_content_errors(tmp_path):
    proc = _aixbook("check", CORPUS, "--report", "json", "-o", tmp_path, cwd=tmp_path)
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)  # stdout is only the document
    assert doc["version"] == 1
    assert doc["summary"]["errors"] == 11 and doc["summary"]["chapters"] == 9
    errors = [d for d in doc["diagnostics"] if d["severity"] == "error"]
    assert {(d["code"], d["path"], d["line"]) for d in errors} == KNOWN_ERRORS
    assert len(errors) == 11  # two missing images on line 830
    assert all(d["code"] in CODES for d in doc["diagnostics"])
    typo = next(d for d in errors if d["line"] == 626)
    assert typo["suggestion"] == "adversarialrobustdistillation"


@needs_corpus
def test_check_in_github_actions_annotates_and_summarises(tmp_path):
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(CORPUS)}
    proc = _aixbook("check", CORPUS, "-o", tmp_path / "out", env=env, cwd=tmp_path)
    assert proc.returncode == 1
    errors = [ln for ln in proc.stdout.splitlines() if ln.startswith("::error ")]
    assert len(errors) == 11
    got = set()
    for ln in errors:
        m = re.match(r"^::error file=([^,]+),line=(\d+),title=([^:]+)::\S", ln)
        assert m, ln
        got.add((m.group(3).replace(" ", "-"), m.group(1), int(m.group(2))))
    assert got == KNOWN_ERRORS
    text = summary.read_text()
    assert "### aixbook check" in text and "| errors | 11 |" in text and "| chapters | 9 |" in text


def test_diagnostics_table_changes_severities(tmp_path):
    site = write_site(
        tmp_path / "s",
        {"docs/a.md": "See [go](go/x/), [w](example.org/y) and [z](/nowhere).\n"},
        redirects={"/go/x/": "/docs/a/"},
    )
    (site / "book.toml").write_text('[diagnostics]\nrelative-short-link = "error"\nno-scheme = "ignore"\n')
    proc = _aixbook("check", site, "--report", "json", "-o", tmp_path / "o", cwd=tmp_path)
    codes = {d["code"]: d["severity"] for d in json.loads(proc.stdout)["diagnostics"]}
    assert codes["relative-short-link"] == "error" and "no-scheme" not in codes
    assert codes["not-in-checkout"] == "warning"  # untouched
    assert proc.returncode == 1  # the warning became an error


def test_unknown_diagnostic_code_is_a_configuration_error_at_its_line(tmp_path):
    site = write_site(tmp_path / "s", {"docs/a.md": "Text.\n"})
    (site / "book.toml").write_text('title = "T"\n\n[diagnostics]\nno-glyph = "error"\nbroken-lnk = "ignore"\n')
    proc = _aixbook("check", site, "-o", tmp_path / "o", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith(
        "book.toml:5: diagnostics: unknown diagnostic code 'broken-lnk' (known: " + ", ".join(sorted(CODES)) + ")"
    )
    assert len(proc.stderr.strip().splitlines()) == 1


def test_build_name_option_names_the_files(tmp_path):
    site = write_site(tmp_path / "s", {"docs/a.md": "Text.\n"})
    proc = _aixbook(
        "build", site, "-f", "html", "-f", "epub", "-o", tmp_path / "pub", "--name", "OWASP-AI-Exchange", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "pub").iterdir() if p.is_file()) == [
        "OWASP-AI-Exchange.epub",
        "OWASP-AI-Exchange.html",
    ]


def test_doctor_exits_zero_here():
    proc = _aixbook("doctor")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^HarfBuzz subsetting:\s+(available|missing)", proc.stdout, re.M)
    assert re.search(r"^Pango:\s+\d+\.\d+\.\d+$", proc.stdout, re.M)


def test_readme_lists_every_diagnostic_code():
    readme = (ROOT / "README.md").read_text()
    assert [c for c in CODES if f"| `{c}` |" not in readme] == []
