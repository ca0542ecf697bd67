"""Ready for the Exchange's CI: the example workflow is valid, diagnostics speak GitHub's and
JSON's language with stable codes, book.toml can change their severities."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from helpers import CORPUS, ROOT, corpus_present, write_site

WORKFLOW = ROOT / "examples" / "github-actions" / "aixbook.yml"


def test_example_workflow_passes_the_github_workflow_schema():
    # check-jsonschema ships GitHub's workflow schema: no network needed.
    proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           "vendor.github-workflows", str(WORKFLOW)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_example_workflow_does_what_docs_ci_says():
    flow = yaml.safe_load(WORKFLOW.read_text())
    on = flow[True] if True in flow else flow["on"]          # YAML 1.1 reads "on" as true
    assert "content/**" in on["pull_request"]["paths"] and on["push"]["branches"] == ["main"]
    check = " ".join(s.get("run", "") for s in flow["jobs"]["check"]["steps"])
    publish = " ".join(s.get("run", "") for s in flow["jobs"]["publish"]["steps"])
    assert "aixbook check . --strict" in check
    assert "-o content/ai_exchange/public --name OWASP-AI-Exchange" in publish
    assert "libharfbuzz-subset0" in publish
    uploads = [s for s in flow["jobs"]["publish"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert "OWASP-AI-Exchange.pdf" in uploads[0]["with"]["path"] and "OWASP-AI-Exchange.epub" in uploads[0]["with"]["path"]
    assert all(s["with"]["cache"] == "pip" for job in flow["jobs"].values() for s in job["steps"]
               if s.get("uses", "").startswith("actions/setup-python"))
