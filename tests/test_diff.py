"""``aixbook diff``: what changed between two editions, as a reader sees it.

The acceptance repository is made here: the sample book committed, then a second commit
with five changes a reviewer must see (a section added, a paragraph edited, a section moved
to another chapter, a section deleted, a short link retargeted) and one they must not (the
moved section's short link updated to follow it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aixbook.diagnostics import CODES
from aixbook.diffreport import SCHEMA
from helpers import CORPUS, SAMPLE, needs_corpus, run_cli, write_site

GIT_ID = ["-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"]
ADDED = "Grace Darling, a keeper's daughter, rowed out in a storm in 1838 to rescue survivors."


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *GIT_ID, *args], cwd=repo, capture_output=True, text=True, check=True)
    return proc.stdout


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def five_changes(repo: Path) -> None:
    docs = repo / "content" / "docs"
    overview, keeping, firebase = docs / "0_overview.md", docs / "2_keeping_the_light.md", repo / "firebase.json"
    text = overview.read_text()
    # 1. one paragraph edited (0.2 A short history)
    text = text.replace(
        "Fires on headlands are as old as seafaring.", "Fires on headlands are nearly as old as seafaring itself."
    )
    # 2. a section moved to chapter 2 (its footnote-free text, up to the footnotes)
    start, end = text.index("## Languages of the coast"), text.index("[^1]: In many countries")
    languages, text = text[start:end], text[:start] + text[end:]
    overview.write_text(text)
    keep = keeping.read_text()
    # 3. a section deleted (2.2's "Examples")
    keep = keep[: keep.index("### Examples")] + keep[keep.index("## 2.3 Life on the rock") :]
    # 4. a section added before "Further reading"
    at = keep.index("## Further reading")
    keep = keep[:at] + f"## Famous keepers\n\n{ADDED}\n\n" + keep[at:]
    keeping.write_text(keep.rstrip("\n") + "\n\n" + languages)
    data = json.loads(firebase.read_text())
    for red in data["hosting"]["redirects"]:
        if red["source"] == "/go/languages/":  # follows the moved section: no change for readers
            red["destination"] = "/docs/2_keeping_the_light/#languages-of-the-coast"
        if red["source"] == "/go/lens/":  # 5. retargeted to another section
            red["destination"] = "/docs/1_towers_and_lights/#13-light-characteristics"
    firebase.write_text(json.dumps(data, indent=2))


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """The sample book in a git repository: its first commit, then the five changes."""
    repo = tmp_path / "repo"
    shutil.copytree(SAMPLE, repo)
    git(repo, "init", "-q")
    commit_all(repo, "the sample book")
    five_changes(repo)
    commit_all(repo, "five changes")
    monkeypatch.chdir(repo)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    return repo


def diff(*args, out: Path):
    return run_cli("diff", *args, "-o", out)


def heading_line(path: Path, heading: str) -> int:
    return path.read_text().splitlines().index(heading) + 1


EXPECTED_TEXT = [
    "changed: 0. Overview › 0.2 A short history (+3 −1 words)  [content/docs/0_overview.md:65]",
    "added: 2. Keeping the light › Famous keepers (15 words)  [content/docs/2_keeping_the_light.md:{added}]",
    "moved: 2. Keeping the light › Languages of the coast (from /docs/0_overview/#languages-of-the-coast"
    " to /docs/2_keeping_the_light/#languages-of-the-coast)  [content/docs/2_keeping_the_light.md:{moved}]",
    "removed: 2. Keeping the light › Examples (34 words)  [content/docs/2_keeping_the_light.md:78]",
]


def test_text_report_names_exactly_the_five_changes(repo, tmp_path):
    code, out, err = diff("HEAD~1", out=tmp_path / "o")
    assert code == 0, err
    keeping = repo / "content" / "docs" / "2_keeping_the_light.md"
    added, moved = heading_line(keeping, "## Famous keepers"), heading_line(keeping, "## Languages of the coast")
    lines = out.splitlines()
    assert re.fullmatch(
        r"HEAD~1 \([0-9a-f]{12}\) → working tree: sections 1 added, 1 changed, 1 moved, 1 removed, 46 unchanged",
        lines[0],
    ), lines[0]
    assert [ln.strip() for ln in lines[1:5]] == [t.format(added=added, moved=moved) for t in EXPECTED_TEXT]
    assert lines[5:] == [
        "short links: 0 added, 0 removed, 1 retargeted, 0 broken",
        "  short link /go/lens/ retargeted: /docs/1_towers_and_lights/#12-fresnel-lenses → "
        "/docs/1_towers_and_lights/#13-light-characteristics (citations of this link now land elsewhere)",
        "new diagnostics: 0",
    ]


def test_json_report_fits_the_schema_and_names_the_five_changes(repo, tmp_path):
    code, out, _ = diff("HEAD~1", "HEAD", "--report", "json", out=tmp_path / "o")
    assert code == 0
    doc = json.loads(out)
    validate(doc)
    assert doc["version"] == 1
    assert doc["old"]["revision"] == git(repo, "rev-parse", "HEAD~1").strip()
    assert doc["new"]["revision"] == git(repo, "rev-parse", "HEAD").strip()
    got = {(s["status"], s["title"]) for s in doc["sections"]}
    assert got == {
        ("changed", "0.2 A short history"),
        ("added", "Famous keepers"),
        ("moved", "Languages of the coast"),
        ("removed", "Examples"),
    }
    assert len(doc["sections"]) == 4
    moved = next(s for s in doc["sections"] if s["status"] == "moved")
    assert (moved["old"]["chapter"], moved["new"]["chapter"]) == ("/docs/0_overview/", "/docs/2_keeping_the_light/")
    assert (moved["words_added"], moved["words_removed"]) == (0, 0)
    changed = next(s for s in doc["sections"] if s["status"] == "changed")
    assert (changed["words_added"], changed["words_removed"]) == (3, 1)
    assert doc["short_links"] == [
        {
            "name": "lens",
            "status": "retargeted",
            "old": "/docs/1_towers_and_lights/#12-fresnel-lenses",
            "new": "/docs/1_towers_and_lights/#13-light-characteristics",
            "broken": False,
        }
    ]
    assert doc["diagnostics"] == [] and doc["summary"]["new_diagnostics"] == 0
    assert doc["summary"]["unchanged"] == 46


def validate(doc: dict) -> None:
    """``doc`` against schemas/diff.schema.json (jsonschema, else the check-jsonschema CLI)."""
    schema = json.loads(SCHEMA.read_text())
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - the test environment has it
        import tempfile

        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump(doc, fh)
        proc = subprocess.run(
            [sys.executable, "-m", "check_jsonschema", "--schemafile", str(SCHEMA), fh.name], capture_output=True
        )
        assert proc.returncode == 0, proc.stdout
        return
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(doc)


def test_schema_refuses_what_the_report_never_writes():
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    bad = {"version": 2, "old": {}, "new": {}, "summary": {}, "sections": [], "short_links": [], "diagnostics": []}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_github_report_annotates_each_changed_section_at_its_heading(repo, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, _ = diff("HEAD~1", "--report", "github", out=tmp_path / "o")
    assert code == 0
    keeping = repo / "content" / "docs" / "2_keeping_the_light.md"
    overview = repo / "content" / "docs" / "0_overview.md"
    notices = [ln for ln in out.splitlines() if ln.startswith("::")]
    assert len(notices) == 3 and all(ln.startswith("::notice file=") for ln in notices)
    places = {re.match(r"::notice file=([^,]+),line=(\d+),title=section (\w+)::", ln).groups() for ln in notices}
    assert places == {
        ("content/docs/0_overview.md", str(heading_line(overview, "## 0.2 A short history")), "changed"),
        ("content/docs/2_keeping_the_light.md", str(heading_line(keeping, "## Famous keepers")), "added"),
        ("content/docs/2_keeping_the_light.md", str(heading_line(keeping, "## Languages of the coast")), "moved"),
    }
    assert "###" not in out  # the summary went to the file
    table = summary.read_text()
    rows = [ln for ln in table.splitlines() if re.match(r"\| (added|changed|moved|removed) \|", ln)]
    assert [r.split(" | ")[0:2] for r in rows] == [
        ["| changed", "0. Overview › 0.2 A short history"],
        ["| added", "2. Keeping the light › Famous keepers"],
        ["| moved", "2. Keeping the light › Languages of the coast"],
        ["| removed", "2. Keeping the light › Examples"],
    ]
    assert "| `/go/lens/` | retargeted (breaks citations) |" in table


def test_github_report_without_a_summary_file_prints_the_summary(repo, tmp_path):
    code, out, _ = diff("HEAD~1", "--report", "github", out=tmp_path / "o")
    assert code == 0 and "### aixbook diff: HEAD~1" in out and "| removed | 2. Keeping the light › Examples |" in out


def test_the_working_tree_is_left_as_it_was(repo, tmp_path):
    (repo / "content" / "docs" / "0_overview.md").write_text(
        (repo / "content" / "docs" / "0_overview.md").read_text().replace("seafaring itself", "sailing itself")
    )
    before = (git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD"), git(repo, "stash", "list"))
    code, out, _ = diff("HEAD", "--report", "json", out=tmp_path / "o")
    assert code == 0
    doc = json.loads(out)
    assert [(s["status"], s["title"], s["words_added"], s["words_removed"]) for s in doc["sections"]] == [
        ("changed", "0.2 A short history", 1, 1)
    ]
    assert (git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD"), git(repo, "stash", "list")) == before


def test_a_revision_that_does_not_exist_is_one_line_and_exit_2(repo, tmp_path):
    code, out, err = diff("no-such-branch", out=tmp_path / "o")
    assert code == 2 and out == ""
    assert err.splitlines() == [f"config error: revision 'no-such-branch' does not exist in the git repository {repo}"]
    code, _, err = run_cli("diff", "-o", tmp_path / "o", "--", "-x")
    assert code == 2 and err.splitlines() == ["config error: '-x' is not a revision"]


def test_outside_a_git_repository_is_one_line_and_exit_2(tmp_path, monkeypatch):
    site = tmp_path / "plain"
    shutil.copytree(SAMPLE, site)
    monkeypatch.chdir(site)
    code, _, err = diff("HEAD~1", out=tmp_path / "o")
    assert code == 2
    assert err.splitlines() == ["config error: . is not in a git repository, so no revision can be read"]


def test_without_git_installed_is_one_line_and_exit_2(repo, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PATH"} | {"PATH": str(tmp_path / "empty")}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    proc = subprocess.run(
        [sys.executable, "-m", "aixbook", "diff", "HEAD~1", "-o", tmp_path / "o"],
        capture_output=True,
        text=True,
        env=env,
        cwd=repo,
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "config error: git is not installed: a revision cannot be read (give two site folders instead)"
    ]


def test_nothing_the_repository_configures_is_run(repo, tmp_path):
    # A smudge filter and an fsmonitor command in the repository's configuration, a filter
    # attribute committed with the content and hooks: reading revisions runs none of them.
    marker = tmp_path / "ran"
    git(repo, "config", "filter.evil.smudge", f"touch {marker}; cat")
    git(repo, "config", "core.fsmonitor", f"touch {marker}; false")
    hooks = repo / ".git" / "hooks"
    for name in ("post-checkout", "reference-transaction", "pre-auto-gc"):
        (hooks / name).write_text(f"#!/bin/sh\ntouch {marker}\n")
        (hooks / name).chmod(0o755)
    (repo / ".gitattributes").write_text("*.md filter=evil\n")
    commit_all(repo, "attributes")
    marker.unlink(missing_ok=True)  # the commit itself may have run them
    code, out, err = diff("HEAD~1", "HEAD", out=tmp_path / "o")
    assert code == 0, err
    assert not marker.exists()
    assert "sections 0 added, 0 changed, 0 moved, 0 removed" in out


def test_fail_on_broken_permalink(repo, tmp_path):
    firebase = repo / "firebase.json"
    data = json.loads(firebase.read_text())
    data["hosting"]["redirects"] = [r for r in data["hosting"]["redirects"] if r["source"] != "/go/range/"]
    firebase.write_text(json.dumps(data, indent=2))
    keeping = repo / "content" / "docs" / "1_towers_and_lights.md"
    keeping.write_text(keeping.read_text().replace(">Permalink: https://aixbook.example/go/range/\n", ""))
    code, out, _ = diff("HEAD", out=tmp_path / "o")
    assert code == 0
    assert "  short link /go/range/ removed: was /docs/1_towers_and_lights/#14-range-of-a-light" in out
    code, out, _ = diff("HEAD", "--fail-on", "broken-permalink", "--report", "json", out=tmp_path / "o")
    assert code == 1
    assert [(s["name"], s["status"], s["broken"]) for s in json.loads(out)["short_links"]] == [
        ("range", "removed", True)
    ]
    assert diff("HEAD~1", "HEAD", "--fail-on", "broken-permalink", out=tmp_path / "o")[0] == 0  # retargeted only


def test_two_folders_renumbered_and_same_titled_sections(tmp_path):
    """A renumbered section is moved; two same-titled subsections (Hugo's examples, examples-1)
    keep their partners when one before them goes; a new diagnostic is reported."""
    old = write_site(
        tmp_path / "old",
        {
            "docs/a.md": "## 1.1 Alpha\n\nAlpha text.\n\n### Examples\n\nOne.\n\n"
            "## 1.2 Beta\n\nBeta text.\n\n### Examples\n\nTwo.\n\n## 1.3 Gamma\n\nGamma.\n\n### Examples\n\nThree.\n"
        },
    )
    new = write_site(
        tmp_path / "new",
        {
            "docs/a.md": "## 1.1 Beta\n\nBeta text.\n\n### Examples\n\nTwo.\n\n## 1.2 Gamma\n\nGamma.\n\n"
            "### Examples\n\nThree. See [x](/nowhere/).\n"
        },
    )
    code, out, _ = run_cli("diff", old, new, "--report", "json", "-o", tmp_path / "o")
    assert code == 0
    doc = json.loads(out)
    got = [(s["status"], s["title"], s["old"] and s["old"]["id"], s["new"] and s["new"]["id"]) for s in doc["sections"]]
    assert got == [
        ("moved", "1.1 Beta", "12-beta", "11-beta"),
        ("moved", "1.2 Gamma", "13-gamma", "12-gamma"),
        ("changed", "Examples", "examples-2", "examples-1"),
        ("removed", "1.1 Alpha", "11-alpha", None),
        ("removed", "Examples", "examples", None),
    ]
    assert [(d["code"], d["path"], d["line"]) for d in doc["diagnostics"]] == [
        ("not-in-checkout", "content/docs/a.md", 18)
    ]


@needs_corpus
def test_real_book_one_edited_paragraph_is_one_changed_section(tmp_path):
    copy = tmp_path / "ai-exchange"
    shutil.copytree(CORPUS, copy)
    for p in [copy, *copy.rglob("*")]:
        p.chmod(p.stat().st_mode | 0o200)  # the snapshot is read-only
    chapter = copy / "content" / "ai_exchange" / "content" / "docs" / "3_development_time_threats.md"
    text = chapter.read_text()
    paragraph = next(p for p in text.split("\n\n")[40:] if p[:1].isalpha() and len(p) > 200 and "\n#" not in p)
    chapter.write_text(text.replace(paragraph, paragraph.replace(" ", " really ", 1), 1))
    code, out, err = run_cli("diff", CORPUS, copy, "--report", "json", "-o", tmp_path / "o")
    assert code == 0, err
    doc = json.loads(out)
    validate(doc)
    assert [(s["status"], s["new"]["path"], s["words_added"], s["words_removed"]) for s in doc["sections"]] == [
        ("changed", "content/ai_exchange/content/docs/3_development_time_threats.md", 1, 0)
    ]
    assert doc["short_links"] == [] and doc["diagnostics"] == []
    assert doc["summary"]["unchanged"] == doc["old"]["sections"] - 1 > 100


def test_the_example_workflows_diff_step_on_a_pull_request(repo, tmp_path):
    """The step as the example workflow writes it, run as a runner runs it: in a clone whose
    base branch is ``origin/$BASE_REF``, with GitHub's environment."""
    import yaml

    from test_ci import WORKFLOW

    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["check"]["steps"]
    script = next(s["run"] for s in steps if "aixbook diff" in s.get("run", ""))
    git(repo, "branch", "base", "HEAD~1")
    clone = tmp_path / "workspace"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    summary = tmp_path / "summary.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env |= {
        "BASE_REF": "base",
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_WORKSPACE": str(clone),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    aixbook = tmp_path / "bin" / "aixbook"
    aixbook.parent.mkdir()
    aixbook.write_text(f'#!/bin/sh\nexec {sys.executable} -m aixbook "$@" -o {tmp_path / "out"}\n')
    aixbook.chmod(0o755)
    env["PATH"] = f"{aixbook.parent}{os.pathsep}{env['PATH']}"
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=clone, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    notices = [ln.split("::")[1] for ln in proc.stdout.splitlines()]
    assert sorted(n.split(",title=")[1] for n in notices) == ["section added", "section changed", "section moved"]
    assert all(n.startswith("notice file=content/docs/") for n in notices)
    assert "| `/go/lens/` | retargeted (breaks citations) |" in summary.read_text()
    # The same pull request dropping a short link fails the step.
    firebase = clone / "firebase.json"
    firebase.write_text(firebase.read_text().replace('"/go/lens/"', '"/go/lens-old/"'))
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=clone, env=env, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "::error file=content/docs/0_overview.md" in proc.stdout  # the links to it dangle now


def sections_and_diagnostics(tmp_path, old_pages: dict, new_pages: dict):
    old, new = write_site(tmp_path / "old", old_pages), write_site(tmp_path / "new", new_pages)
    code, out, err = run_cli("diff", old, new, "--report", "json", "-o", tmp_path / "o")
    assert code == 0, err
    doc = json.loads(out)
    validate(doc)
    return [(s["status"], s["title"]) for s in doc["sections"]], [(d["code"], d["path"]) for d in doc["diagnostics"]]


VAGUE = "Read [here](https://elsewhere.example/x)."


def test_a_problem_that_moves_with_its_section_is_not_new(tmp_path):
    old = {"docs/a.md": f"## Keep\n\nText.\n\n## Move\n\n{VAGUE}\n", "docs/b.md": "## Other\n\nText.\n"}
    new = {"docs/a.md": "## Keep\n\nText.\n", "docs/b.md": f"## Other\n\nText.\n\n## Move\n\n{VAGUE}\n"}
    assert sections_and_diagnostics(tmp_path / "1", old, new) == ([("moved", "Move")], [])
    new["docs/a.md"] += f"\n{VAGUE}\n"  # one more of the same problem: one is new
    got, diags = sections_and_diagnostics(tmp_path / "2", old, new)
    assert got == [("changed", "Keep"), ("moved", "Move")]
    assert [code for code, _ in diags] == ["vague-link-text"]


def test_sections_swapped_on_a_page_are_one_move(tmp_path):
    page = "## Alpha\n\nA.\n\n## Beta\n\nB.\n\n## Gamma\n\nC.\n\n## Delta\n\nD.\n"
    swapped = "## Alpha\n\nA.\n\n## Gamma\n\nC.\n\n## Beta\n\nB.\n\n## Delta\n\nD.\n"
    got, diags = sections_and_diagnostics(tmp_path, {"docs/a.md": page}, {"docs/a.md": swapped})
    assert got in ([("moved", "Gamma")], [("moved", "Beta")]) and diags == []


def test_a_revision_that_cannot_be_read_is_named_as_git_names_its_files(repo, tmp_path):
    good = (repo / "book.toml").read_text()
    (repo / "book.toml").write_text(good + 'no-such-code = "error"\n')
    commit_all(repo, "a bad book.toml")
    (repo / "book.toml").write_text(good)
    code, out, err = diff("HEAD", out=tmp_path / "o")
    line = len(good.splitlines()) + 1
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"HEAD:book.toml:{line}: diagnostics: unknown diagnostic code 'no-such-code' (known: "
        + ", ".join(sorted(CODES))
        + ")"
    ]


@pytest.mark.slow  # lays out the sample book twice
def test_pdf_page_counts_before_and_after(repo, tmp_path):
    import pymupdf

    keeping = repo / "content" / "docs" / "2_keeping_the_light.md"
    long = "\n\n".join(f"Keeper story {n}: " + "the light was kept through the night. " * 12 for n in range(40))
    keeping.write_text(keeping.read_text() + f"\n\n## Stories\n\n{long}\n")
    code, out, err = diff("HEAD", "--pdf", "--report", "json", out=tmp_path / "o")
    assert code == 0, err
    doc = json.loads(out)
    validate(doc)
    old, new = (pymupdf.open(repo / doc["pdf"][side]["path"]) for side in ("old", "new"))
    assert (doc["pdf"]["old"]["pages"], doc["pdf"]["new"]["pages"]) == (old.page_count, new.page_count)
    assert new.page_count > old.page_count
    text = lambda pdf: "".join(page.get_text() for page in pdf)
    assert "Keeper story 39" in text(new) and "Keeper story" not in text(old)
    assert [(s["status"], s["title"]) for s in doc["sections"]] == [("added", "Stories")]


def test_a_page_that_became_a_symbolic_link_inside_the_site_is_unchanged(repo, tmp_path):
    docs = repo / "content" / "docs"
    (repo / "pages").mkdir()
    (docs / "0_overview.md").rename(repo / "pages" / "overview.md")
    (docs / "0_overview.md").symlink_to("../../pages/overview.md")
    (repo / "escape.md").symlink_to("/etc/passwd")  # pointing out: never made again
    commit_all(repo, "the overview kept elsewhere")
    code, out, err = diff("HEAD~1", "HEAD", out=tmp_path / "o")
    assert code == 0, err
    assert out.splitlines()[0].endswith("sections 0 added, 0 changed, 0 moved, 0 removed, 49 unchanged")
    from aixbook import revisions

    dest = tmp_path / "export"
    dest.mkdir()
    revisions.export(repo, revisions.resolve_revision(repo, "HEAD"), "", dest)
    assert (dest / "content" / "docs" / "0_overview.md").read_text() == (repo / "pages" / "overview.md").read_text()
    assert not (dest / "escape.md").exists() and not (dest / "escape.md").is_symlink()
    assert not (dest / ".git").exists()
