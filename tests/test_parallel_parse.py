"""A book with much Markdown is parsed in several processes (while the build loads the
PDF renderer): the chapters, and a content error's one line, are what one process gives."""

from __future__ import annotations

import pytest

from aixbook import timings
from aixbook.book import PARALLEL_PARSE_BYTES, gather
from aixbook.errors import SourceError
from helpers import write_site

PARAGRAPH = "A keeper's log is written every **four hours**, with the [weather](#weather) and the light.\n\n"


def _big(tmp_path, extra: dict[str, str] | None = None):
    body = "## Weather\n\n" + PARAGRAPH * (PARALLEL_PARSE_BYTES // len(PARAGRAPH) // 2 + 10)
    pages = {"docs/a.md": body, "docs/b.md": body.replace("keeper", "warden"), "docs/c.md": "## C\n\nshort\n"}
    return write_site(tmp_path / "site", {**pages, **(extra or {})})


def test_the_chapters_parsed_in_workers_are_those_parsed_here(tmp_path):
    root = _big(tmp_path)
    with timings.recording() as clock:
        loaded = []
        here = gather(root, jobs=1)
        loaded.append(len(clock.stages))
        there = gather(root, jobs=2, meanwhile=lambda: loaded.append("meanwhile"))
    assert "meanwhile" in loaded
    assert [s.worker for s in clock.stages if s.name.startswith("parse ") and s.worker != "main"] != []
    assert [(c.key, c.html, c.headings, c.ids, c.diagnostics) for c in there.chapters] == [
        (c.key, c.html, c.headings, c.ids, c.diagnostics) for c in here.chapters
    ]


def test_a_content_error_in_a_worker_is_the_same_one_line(tmp_path):
    root = _big(tmp_path, {"docs/empty.md": "---\ntitle: empty\n---\n\n"})
    errors = []
    for jobs in (1, 2):
        with pytest.raises(SourceError) as caught:
            gather(root, jobs=jobs)
        errors.append((caught.value.one_line(), caught.value.path, caught.value.line))
    assert errors[0] == errors[1]
    assert errors[0][0].endswith("empty.md:4: chapter is empty (no text after the front matter)")
