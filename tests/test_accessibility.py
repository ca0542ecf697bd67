"""Accessibility: what authors are told, what the outputs fix, what the EPUB claims, and
what DAISY Ace (the checker publishers use) finds."""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from ace import ace_available, run_ace
from aixbook import htmlfrag
from aixbook.a11y import fill_empty_headers, label_checkboxes, lift_headings
from aixbook.book import load_book
from helpers import PNG, needs_corpus, slow, write_site

OPF = "{http://www.idpf.org/2007/opf}"
XHTML = "{http://www.w3.org/1999/xhtml}"


# ------------------------------------------------------------ the output fixes, table-driven


@pytest.mark.parametrize(
    "html, levels",
    [
        ("<h2>a</h2><h4>b</h4><h4>c</h4><h3>d</h3>", "2 3 3 3"),  # #### right under ## is lifted
        ("<h3>A</h3><h3>B</h3>", "2 2"),  # the index's letters under the title
        ("<h2>a</h2><h4>b</h4><h5>c</h5><h2>d</h2>", "2 3 4 2"),
        ("<h2>a</h2><h3>b</h3><h4>c</h4>", "2 3 4"),  # nothing skipped: nothing changes
        ("<h1>t</h1><h3>x</h3>", "1 2"),
    ],
)
def test_lift_headings(html, levels):
    root = htmlfrag.parse(html)
    lift_headings(root)
    got = [el for el in root if el.tag.startswith("h")]
    assert " ".join(el.tag[1] for el in got) == levels
    for el, author in zip(got, re.findall(r"<h(\d)", html), strict=True):
        want_class = f"level-{author}" if el.tag[1] != author else None
        assert el.get("class") == want_class  # the author's level keeps its look


def test_checkboxes_are_named_by_their_item():
    root = htmlfrag.parse(
        '<ul><li class="task-list-item"><input type="checkbox" disabled> Clean the '
        "<em>lens</em><ul><li>daily</li></ul></li></ul>"
    )
    label_checkboxes(root)
    assert root.find(".//input").get("aria-label") == "Clean the lens"


@pytest.mark.parametrize(
    "row, cells",
    [
        ("<th>Tool</th><th> </th>", [("th", "2")]),  # a title row: the title spans both columns
        ("<th>Tool</th><th></th><th></th>", [("th", "3")]),
        ("<th></th><th>Name</th>", [("td", None), ("th", None)]),  # nothing to merge into: a data cell
        ("<th>A</th><th>B</th>", [("th", None), ("th", None)]),
    ],
)
def test_empty_header_cells(row, cells):
    root = htmlfrag.parse(f"<table><tr>{row}</tr><tr><td>a</td><td>b</td></tr></table>")
    fill_empty_headers(root)
    assert [(c.tag, c.get("colspan")) for c in root.find(".//tr")] == cells


# ------------------------------------------------------------ what check tells authors


def test_check_reports_accessibility_problems_with_lines(tmp_path):
    body = (
        "## Part\n\n#### Skipped\n\n| Name | |\n|---|---|\n| a | b |\n\n![](/images/p.png)\n\n"
        "See [here](https://owasp.org/) and https://owasp.org/x.\n"
    )
    root = write_site(tmp_path / "s", {"docs/a.md": body}, files={"static/images/p.png": PNG})
    warnings = [d for d in load_book(root).diagnostics if d.severity == "warning"]
    # The page starts with three lines of front matter: "## Part" is line 4.
    assert sorted((d.code, d.line) for d in warnings) == [
        ("empty-table-header", 8),
        ("heading-skip", 6),
        ("missing-alt", 12),
        ("vague-link-text", 14),
        ("vague-link-text", 14),
    ]  # "here", and a bare URL
    got = {d.code: d.message for d in warnings}
    assert "'Skipped' is level 4 right under a level-2 heading: it skips level 3" in got["heading-skip"]
    assert "the book uses 'Figure in “Skipped”'" in got["missing-alt"]  # the section it illustrates


@needs_corpus
def test_check_counts_on_the_real_book(real_book):
    counts = Counter(
        d.code
        for d in real_book.diagnostics
        if d.code in ("heading-skip", "empty-table-header", "missing-alt", "vague-link-text")
    )
    assert counts == {"heading-skip": 16, "empty-table-header": 10, "missing-alt": 25, "vague-link-text": 46}
    assert not real_book.errors or all(d.code not in counts for d in real_book.errors)  # warnings only


# ------------------------------------------------------------ the EPUB's claims, checked on it


def _opf(epub: Path) -> etree._Element:
    with zipfile.ZipFile(epub) as z:
        return etree.fromstring(z.read("EPUB/content.opf"))


def _meta(opf: etree._Element, prop: str) -> list[str]:
    return [m.text for m in opf.iter(f"{OPF}meta") if m.get("property") == prop]


def _chapters(epub: Path) -> dict[str, list[etree._Element]]:
    """Every content document's body, grouped by chapter (files of one split chapter together)."""
    out: dict[str, list] = {}
    with zipfile.ZipFile(epub) as z:
        for name in sorted(n for n in z.namelist() if n.endswith(".xhtml") and not n.endswith("nav.xhtml")):
            chapter = re.sub(r"-\d\d\.xhtml$", ".xhtml", name)
            out.setdefault(chapter, []).append(etree.fromstring(z.read(name)).find(f"{XHTML}body"))
    return out


def _claims_hold(epub: Path) -> None:
    opf = _opf(epub)
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    summary = _meta(opf, "schema:accessibilitySummary")[0]
    bodies = _chapters(epub)
    levels_ok = all(
        all(b <= a + 1 for a, b in zip([0, *lv], lv, strict=False))
        for lv in (
            [
                int(h.tag[-1])
                for body in files
                for h in body.iter()
                if re.fullmatch(rf"{re.escape(XHTML)}h[1-6]", str(h.tag))
            ]
            for files in bodies.values()
        )
    )
    ths = [th for files in bodies.values() for body in files for th in body.iter(f"{XHTML}th")]
    imgs = [img for files in bodies.values() for body in files for img in body.iter(f"{XHTML}img")]
    inputs = [i for files in bodies.values() for body in files for i in body.iter(f"{XHTML}input")]
    assert ("Headings are in order" in summary) == levels_ok
    assert levels_ok  # the book lifts skipped levels
    assert ("Data tables have header cells" in summary) == all("".join(th.itertext()).strip() for th in ths)
    assert all((img.get("alt") or "").strip() or img.get("role") == "presentation" for img in imgs)
    assert all(i.get("aria-label") for i in inputs)
    generated = any(img.get("data-alt-generated") for img in imgs)
    assert ("alternativeText" in _meta(opf, "schema:accessibilityFeature")) == (bool(imgs) and not generated)
    conforms = _meta(opf, "dcterms:conformsTo")
    assert conforms == ([] if generated else ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"])
    assert bool(_meta(opf, "a11y:certifiedBy")) == bool(conforms)


def test_sample_epub_claims_only_what_it_is(sample_build):
    epub = sample_build.outputs["epub"]
    _claims_hold(epub)
    assert _meta(_opf(epub), "dcterms:conformsTo")  # every check passes: it says so


@needs_corpus
def test_real_epub_claims_only_what_it_is(real_build):
    epub = real_build.outputs["epub"]
    _claims_hold(epub)
    assert not _meta(_opf(epub), "dcterms:conformsTo")  # 25 alt texts are made up: no claim


# ------------------------------------------------------------ DAISY Ace

needs_ace = slow(pytest.mark.skipif(bool(ace_available()), reason=f"DAISY Ace is not usable: {ace_available()}"))


@needs_ace
def test_ace_finds_nothing_in_the_sample_epub(sample_build, tmp_path):
    assert run_ace(sample_build.outputs["epub"], tmp_path) == []


@needs_ace
@needs_corpus
def test_ace_on_the_real_epub(real_build, real_book, tmp_path):
    # The content's own problems (skipped levels, empty header cells) are fixed in the outputs
    # and reported by check instead; whatever Ace still finds must be one check reports too.
    found = run_ace(real_build.outputs["epub"], tmp_path)
    reported = {d.code for d in real_book.diagnostics}
    by_rule = {
        "heading-order": "heading-skip",
        "empty-table-header": "empty-table-header",
        "image-alt": "missing-alt",
        "link-name": "vague-link-text",
    }
    assert all(v["impact"] not in ("critical", "serious") for v in found), found
    assert all(by_rule.get(v["rule"]) in reported for v in found), found
    assert found == []
