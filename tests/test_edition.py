"""Issue 21, part 1: every output names the edition it is, and says the same.

The edition comes from ``--edition`` / book.toml, else from the content's git repository
(``git describe --tags``, else the commit's date and short id), else it is "unversioned".
The sample book is built inside throwaway git repositories (one with a tag, one without)
and outside git; the front page, the colophon, a middle page's footer, the PDF's Info and
XMP, the EPUB's OPF and the ``{edition}`` file name are read back.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import lxml.html
import pikepdf
import pymupdf
import pytest
from lxml import etree

from aixbook import __version__
from aixbook.build import build
from aixbook.edition import Edition, file_name_part, find_edition, github_page
from helpers import EPOCH, SAMPLE

COMMIT_DATE = "2026-08-22T10:00:00+00:00"
GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")


def git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "A",
        "GIT_AUTHOR_EMAIL": "a@example.org",
        "GIT_COMMITTER_NAME": "A",
        "GIT_COMMITTER_EMAIL": "a@example.org",
        "GIT_AUTHOR_DATE": COMMIT_DATE,
        "GIT_COMMITTER_DATE": COMMIT_DATE,
        "PATH": "/usr/bin:/bin",
        "HOME": str(repo),
    }
    proc = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def repository(folder: Path, *, tag: str | None = None, remote: str | None = None) -> Path:
    """A git repository with one commit of ``folder``'s files."""
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "content")
    if tag:
        git(folder, "tag", "-a", tag, "-m", tag)
    if remote:
        git(folder, "remote", "add", "origin", remote)
    return folder


# ---------------------------------------------------------------- where the edition comes from


@pytest.mark.parametrize(
    ("remote", "page"),
    [
        (
            "git@github.com:OWASP/www-project-ai-security-and-privacy-guide.git",
            "https://github.com/OWASP/www-project-ai-security-and-privacy-guide",
        ),
        ("https://github.com/o/r.git", "https://github.com/o/r"),
        ("https://github.com/o/r", "https://github.com/o/r"),
        ("ssh://git@github.com/o/r.git", "https://github.com/o/r"),
        ("https://gitlab.com/o/r.git", ""),
        ("https://github.com.evil.example/o/r.git", ""),
        ("/srv/git/r.git", ""),
    ],
)
def test_github_page_of_a_remote(remote, page):
    assert github_page(remote) == page


@pytest.mark.parametrize(
    ("edition", "part"),
    [
        ("v1.2.0", "v1.2.0"),
        ("2026-08-22 · 5413fde", "2026-08-22-5413fde"),
        ("a/b\\c d", "a-b-c-d"),
        ("..", "unversioned"),
    ],
)
def test_edition_as_part_of_a_file_name(edition, part):
    assert file_name_part(edition) == part


@needs_git
def test_a_tag_names_the_edition(tmp_path):
    (tmp_path / "a.md").write_text("a\n", encoding="utf-8")
    repo = repository(tmp_path, tag="v1.2", remote="git@github.com:o/r.git")
    ed = find_edition(repo)
    commit = git(repo, "rev-parse", "HEAD")
    assert (ed.name, ed.tag, ed.commit, ed.date, ed.dirty) == ("v1.2", "v1.2", commit, "2026-08-22", False)
    assert ed.commit_url == f"https://github.com/o/r/commit/{commit}"
    (tmp_path / "a.md").write_text("changed\n", encoding="utf-8")
    assert find_edition(repo).name == "v1.2 (modified)"


@needs_git
def test_without_a_tag_the_date_and_commit_name_it(tmp_path):
    (tmp_path / "a.md").write_text("a\n", encoding="utf-8")
    repo = repository(tmp_path)
    short = git(repo, "rev-parse", "--short=7", "HEAD")
    assert find_edition(repo).name == f"2026-08-22 · {short}"
    assert find_edition(repo / ".").repository == ""
    # --edition names it; the commit is still known
    given = find_edition(repo, "  Release   2 ")
    assert (given.name, given.short) == ("Release 2", short)


@needs_git
def test_a_shallow_clone_without_its_tag_is_named_by_its_commit(tmp_path, caplog):
    origin = tmp_path / "origin"
    origin.mkdir()
    (origin / "a.md").write_text("a\n", encoding="utf-8")
    repository(origin, tag="v1")
    (origin / "a.md").write_text("b\n", encoding="utf-8")
    git(origin, "commit", "-q", "-am", "second")
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", "clone")
    clone = tmp_path / "clone"
    with caplog.at_level(logging.INFO, logger="aixbook.edition"):
        ed = find_edition(clone)
    assert ed.name == f"2026-08-22 · {git(clone, 'rev-parse', '--short=7', 'HEAD')}"
    assert [r.getMessage() for r in caplog.records] == [
        "edition: a shallow clone, so tags may be missing; the edition is the commit's"
    ]


def test_outside_git_it_is_unversioned(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="aixbook.edition"):
        assert find_edition(tmp_path) == Edition()
    assert [r.getMessage() for r in caplog.records] == [
        f"edition: {tmp_path} is not in a git repository; the book is unversioned"
    ]


def test_without_the_git_binary_it_is_unversioned(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    with caplog.at_level(logging.INFO, logger="aixbook.edition"):
        assert find_edition(tmp_path, "v3").name == "v3"
        assert find_edition(tmp_path).name == "unversioned"
    assert all("git is not installed" in r.getMessage() for r in caplog.records) and len(caplog.records) == 2


# ---------------------------------------------------------------- what the outputs say


def _xmp(pdf: pikepdf.Pdf) -> etree._Element:
    data = pdf.Root.Metadata.read_bytes()
    return etree.fromstring(data[data.find(b"<x:xmpmeta") : data.rfind(b"</x:xmpmeta>") + 12])


def _xmp_text(root, tag: str) -> list[str]:
    return [el.text or "" for el in root.iter(tag)]


def _opf(epub: Path) -> etree._Element:
    with zipfile.ZipFile(epub) as z:
        container = etree.fromstring(z.read("META-INF/container.xml"))
        path = container.find(".//{*}rootfile").get("full-path")
        return etree.fromstring(z.read(path))


def _colophons(out: dict) -> dict[str, str]:
    """The colophon's text in each output (its words, one space between them): the PDF's
    second page, the EPUB's document after the title page, the HTML's section."""
    found = {"pdf": " ".join(pymupdf.open(out["pdf"])[1].get_text().split())}
    if "epub" in out:
        with zipfile.ZipFile(out["epub"]) as z:
            opf = _opf(out["epub"])
            items = {i.get("id"): i for i in opf.iter("{*}item")}
            spine = [items[r.get("idref")].get("href") for r in opf.iter("{*}itemref")]
            assert spine[:3] == ["cover.xhtml", "front.xhtml", "colophon.xhtml"], spine
            root = etree.fromstring(z.read(f"EPUB/{spine[2]}"))
        (section,) = root.iterfind(".//{http://www.w3.org/1999/xhtml}section")
        assert section.get("{http://www.idpf.org/2007/ops}type") == "colophon"
        assert section.get("role") == "doc-colophon"
        found["epub"] = " ".join("".join(section.itertext()).split())
    if "html" in out:
        page = lxml.html.parse(str(out["html"])).getroot()
        (section,) = page.xpath("//section[@class='colophon']")
        assert section.getprevious().get("class") == "front-page", "the colophon follows the front page"
        found["html"] = " ".join(section.text_content().split())
    return found


def _says(out: dict, edition: str, pdf_name: str) -> None:
    """Every output of a build states ``edition``."""
    pdf_path = out["pdf"]
    assert pdf_path.name == pdf_name
    doc = pymupdf.open(pdf_path)
    front = doc[0].get_text()
    lines = [line.strip() for line in front.splitlines() if line.strip()]
    title = lines.index("A Small Field Guide to Lighthouses")
    assert lines[title + 1] == f"Edition: {edition}", "the edition is under the title"
    colophons = _colophons(out)
    assert set(colophons) == set(out) - {"chapters"}, "a colophon in every format"
    for fmt, colophon in colophons.items():
        assert colophon.startswith(f"About this edition Edition: {edition} Built: 24 November 2025"), (fmt, colophon)
        assert f"edition {edition}." in colophon, ("the citation names the edition", fmt)
        assert f"Made with aixbook {__version__}." in colophon, fmt
    middle = doc[doc.page_count // 2]
    blocks = [b[4] for b in middle.get_text("blocks") if b[1] > middle.rect.height * 0.9]
    footer = [line.strip() for block in blocks for line in block.splitlines()]
    assert f"{middle.number + 1} / {doc.page_count}" in footer and edition in footer, footer
    with pikepdf.open(pdf_path) as pdf:
        assert str(pdf.trailer.Info.Edition) == edition
        assert str(pdf.trailer.Info.Title) == "A Small Field Guide to Lighthouses"
        xmp = _xmp(pdf)
        assert _xmp_text(xmp, "{http://ns.adobe.com/xap/1.0/mm/}VersionID") == [edition]
        assert _xmp_text(xmp, "{http://purl.org/dc/elements/1.1/}identifier") == [str(pdf.trailer.Info.Identifier)]
        assert _xmp_text(xmp, "{http://ns.adobe.com/xap/1.0/}CreateDate") == ["2025-11-24T16:00:00Z"]
    opf = _opf(out["epub"])
    metas = {m.get("property"): m.text for m in opf.iter("{*}meta") if m.get("property")}
    assert metas["schema:bookEdition"] == edition
    assert metas["dcterms:modified"] == "2025-11-24T16:00:00Z"
    assert opf.find(".//{http://purl.org/dc/elements/1.1/}identifier").text == str(
        pikepdf.open(pdf_path).trailer.Info.Identifier
    )


def _sample_copy(folder: Path) -> Path:
    site = folder / "book"
    shutil.copytree(SAMPLE, site)
    (site / "LICENSE").write_text("Creative Commons Legal Code\n\nCC0 1.0 Universal\n", encoding="utf-8")
    return site


@pytest.fixture
def epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


@pytest.mark.slow  # the sample book built several times
@needs_git
def test_a_tagged_repository_names_every_output(tmp_path, epoch):
    site = repository(_sample_copy(tmp_path / "repo"), tag="v2.0", remote="https://github.com/o/lights.git")
    commit = git(site, "rev-parse", "HEAD")
    made = build(site, ("pdf", "epub", "html"), tmp_path / "out", output_name="guide-{edition}", jobs=2)
    _says(made.outputs, "v2.0", "guide-v2.0.pdf")
    assert made.outputs["epub"].name == "guide-v2.0.epub"
    doc = pymupdf.open(made.outputs["pdf"])
    colophons = _colophons(made.outputs)
    for fmt, colophon in colophons.items():
        assert f"Commit: {commit} of 22 August 2026" in colophon, fmt
        assert "Licence: CC0 1.0" in colophon, fmt
        assert "https://aixbook.example/go/NAME/" in colophon, fmt
    assert "guide-v2.0.pdf#NAME" in colophons["pdf"], "the PDF's also names its own form"
    assert "pdf#" not in colophons["epub"] + colophons["html"]
    # the same facts: each format's text is the PDF's but for the PDF's own file name
    assert colophons["epub"] == colophons["html"]
    with zipfile.ZipFile(made.outputs["epub"]) as z:
        links = etree.fromstring(z.read("EPUB/colophon.xhtml")).iterfind(".//{*}a")
        epub_uris = {a.get("href") for a in links}
    html_uris = set(lxml.html.parse(str(made.outputs["html"])).getroot().xpath("//section[@class='colophon']//a/@href"))
    uris = {link.get("uri") for link in doc[1].get_links()}
    for found in (uris, epub_uris, html_uris):
        assert f"https://github.com/o/lights/commit/{commit}" in found
        assert "https://creativecommons.org/publicdomain/zero/1.0/" in found
    # -j 1 writes the same bytes, and so does the same commit built again
    again = build(site, ("pdf",), tmp_path / "out1", output_name="guide-{edition}", jobs=1)
    assert again.outputs["pdf"].read_bytes() == made.outputs["pdf"].read_bytes()


@pytest.mark.slow
@needs_git
def test_an_untagged_repository_is_named_by_date_and_commit(tmp_path, epoch):
    site = repository(_sample_copy(tmp_path / "repo"))
    short = git(site, "rev-parse", "--short=7", "HEAD")
    made = build(site, ("pdf", "epub", "html"), tmp_path / "out", output_name="guide-{edition}")
    _says(made.outputs, f"2026-08-22 · {short}", f"guide-2026-08-22-{short}.pdf")


@pytest.mark.slow
def test_outside_git_the_book_is_unversioned(tmp_path, epoch):
    site = _sample_copy(tmp_path)
    if subprocess.run(["git", "-C", str(site), "rev-parse"], capture_output=True).returncode == 0:
        pytest.skip("the temporary folder is inside a git repository")
    made = build(site, ("pdf", "epub", "html"), tmp_path / "out", output_name="guide-{edition}")
    _says(made.outputs, "unversioned", "guide-unversioned.pdf")
    assert "Commit:" not in pymupdf.open(made.outputs["pdf"])[1].get_text()


@pytest.mark.slow
@needs_git
def test_a_new_commit_lays_out_only_the_front_page_colophon_and_footers(tmp_path, epoch):
    from aixbook.book import load_book
    from aixbook.render import RenderOptions
    from aixbook.render.pdf import render

    site = repository(_sample_copy(tmp_path / "repo"), tag="v1")
    cache = tmp_path / "cache"
    first = render(load_book(site), tmp_path / "a.pdf", RenderOptions(jobs=2, cache_dir=cache))
    assert {"front", "colophon", "toc"} <= set(first.laid_out)
    (site / "NOTES").write_text("not content\n", encoding="utf-8")
    git(site, "add", "NOTES")
    git(site, "commit", "-q", "-m", "notes")
    second = render(load_book(site), tmp_path / "b.pdf", RenderOptions(jobs=2, cache_dir=cache))
    assert set(second.laid_out) <= {"front", "colophon", "footers"} | {
        k for k in second.laid_out if k.startswith("footers")
    }
    assert {"front", "colophon"} <= set(second.laid_out)
    assert re.search(r"v1-1-g[0-9a-f]{7}", pymupdf.open(tmp_path / "b.pdf")[0].get_text())


@pytest.mark.slow  # the sample book's PDF and EPUB
@needs_git
def test_a_front_page_with_edition_places_it_itself(tmp_path, epoch):
    site = _sample_copy(tmp_path / "repo")
    page = site / "frontpage.html"
    text = page.read_text(encoding="utf-8").replace("on: {{DATE}}", "on: {{DATE}}, release {{EDITION}}")
    page.write_text(text, encoding="utf-8")
    repository(site, tag="v2.0")
    made = build(site, ("pdf", "epub", "html"), tmp_path / "out")
    front = " ".join(pymupdf.open(made.outputs["pdf"])[0].get_text().split())
    assert "on: 24 November 2025, release v2.0" in front
    assert "Edition:" not in front and front.count("v2.0") == 1, "where the page puts it, and only there"
    with zipfile.ZipFile(made.outputs["epub"]) as z:
        epub_front = " ".join("".join(etree.fromstring(z.read("EPUB/front.xhtml")).itertext()).split())
    html = lxml.html.parse(str(made.outputs["html"])).getroot()
    html_front = " ".join(html.xpath("//section[@class='front-page']")[0].text_content().split())
    for fmt, found in (("epub", epub_front), ("html", html_front)):
        assert "release v2.0" in found and "Edition:" not in found, fmt
    # the colophon still says it
    assert all("Edition: v2.0" in c for c in _colophons(made.outputs).values())
