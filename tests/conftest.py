"""Shared fixtures: the real AI Exchange built once per session, throwaway sites.

Helpers and constants that are not fixtures live in helpers.py.
"""

from __future__ import annotations

import pytest

from helpers import CORPUS, CORPUS_MISSING, EPOCH, SAMPLE, corpus_present, write_site

# The fixtures that read or build the real book: every test using one is slow.
CORPUS_FIXTURES = frozenset({"real_book", "real_build", "real_single_pdf"})
# Other fixtures that make a test slow: every language of the Hextra docs built (test_hugo_sites).
SLOW_FIXTURES = CORPUS_FIXTURES | {"hextra_books"}


def pytest_collection_modifyitems(items):
    """The one place that marks the real book's tests ``slow`` (``make test-fast`` leaves
    them out): those using a slow fixture or marked ``needs_corpus``. The other slow tests
    (external checkers: Hugo, epubcheck, Ace, veraPDF, a browser; installs; many builds) say
    so in their module: ``pytestmark``, the checker's ``needs_…`` marker (``helpers.slow``),
    or ``@pytest.mark.slow`` with the reason beside it."""
    missing = None if corpus_present() else pytest.mark.skip(reason=CORPUS_MISSING)
    for item in items:
        if item.get_closest_marker("corpus") or SLOW_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)
            if missing and item.get_closest_marker("corpus"):
                item.add_marker(missing)


@pytest.fixture(scope="session")
def real_book():
    """The real book, loaded (parsed and resolved, not rendered)."""
    if not corpus_present():
        pytest.skip(f"the AI Exchange corpus is not at {CORPUS}")
    from aixbook.book import load_book

    return load_book(CORPUS)


@pytest.fixture(scope="session")
def real_build(tmp_path_factory):
    """The real book built once (PDF, EPUB, HTML, and the chapter PDFs of --split chapters)
    for every test that reads the outputs."""
    if not corpus_present():
        pytest.skip(f"the AI Exchange corpus is not at {CORPUS}")
    from aixbook.build import build

    out = tmp_path_factory.mktemp("real")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        return build(CORPUS, ("pdf", "epub", "html"), out, split="chapters")


@pytest.fixture(scope="session")
def real_single_pdf(tmp_path_factory):
    """The real book as one WeasyPrint document (the PDF before it was laid out in parts):
    what the release PDF must be equivalent to."""
    if not corpus_present():
        pytest.skip(f"the AI Exchange corpus is not at {CORPUS}")
    from aixbook.book import load_book
    from aixbook.render.pdf import render_single

    target = tmp_path_factory.mktemp("single") / "single.pdf"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        render_single(load_book(CORPUS), target)
    return target


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory):
    """Our own sample book (book/) built once, all formats."""
    from aixbook.build import build

    out = tmp_path_factory.mktemp("sample")
    return build(SAMPLE, ("pdf", "epub", "html"), out)


@pytest.fixture
def site_factory(tmp_path):
    def make(pages, **kw):
        return write_site(tmp_path / "site", pages, **kw)

    return make
