"""``{{< relref "name" >}}`` by a page's or section's own name, as Hugo's last resort finds it."""

from __future__ import annotations

import re
import subprocess

import pytest

from aixbook.book import load_book
from helpers import write_site
from hugo_oracle import _child_env, hugo_binary

NAV = 'See [x]({{< relref "content#land" >}}), [y]({{< relref "page2" >}}) and [z]({{< relref "twice" >}}).\n'
PAGES = {
    "docs/content/_index.md": "---\ntitle: Content\n---\n## Land\n\nSection.\n",
    "docs/content/page2.md": "---\ntitle: P2\n---\nP2.\n",
    "docs/a/twice.md": "---\ntitle: T1\n---\nOne.\n",
    "docs/b/twice.md": "---\ntitle: T2\n---\nTwo.\n",
    "docs/other/nav.md": "---\ntitle: Nav\n---\n" + NAV,
}


def _site(tmp_path):
    return write_site(tmp_path / "site", PAGES, menu=[], files={"hugo.yaml": "baseURL: https://x.org/\ntitle: t\n"})


def test_a_unique_own_name_is_found_an_ambiguous_one_is_not(tmp_path):
    book = load_book(_site(tmp_path))
    nav = next(rc for rc in book.chapters if rc.chapter.source.path.name == "nav.md")
    hrefs = re.findall(r'href="([^"]+)"', nav.html)
    assert hrefs[0].startswith("#") and hrefs[0].endswith("land")  # the section's heading, in the book
    assert hrefs[1].startswith("#")  # page2, in the book
    assert any(d.line and "twice" in d.message for d in book.diagnostics)  # two pages are named twice


@pytest.mark.slow  # runs Hugo
def test_hugo_finds_the_same(tmp_path):
    binary = hugo_binary()
    if binary is None:
        pytest.skip("the hugo binary is not installed")
    root = _site(tmp_path)
    layouts = root / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (layouts / "single.html").write_text("{{ .Content }}")
    (layouts / "list.html").write_text("{{ .Content }}")
    nav = root / "content/docs/other/nav.md"
    nav.write_text(nav.read_text().replace(' and [z]({{< relref "twice" >}})', ""))  # Hugo fails on it
    subprocess.run([binary, "--quiet", "-s", str(root)], check=True, env=_child_env(), capture_output=True)
    html = (root / "public/docs/other/nav/index.html").read_text()
    assert 'href="/docs/content/#land"' in html and 'href="/docs/content/page2/"' in html
