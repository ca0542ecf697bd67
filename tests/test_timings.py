"""build --timings: each stage's wall time, and which process laid out each PDF part."""

from __future__ import annotations

import itertools
import re

from click.testing import CliRunner

from aixbook.cli import main
from aixbook.report import timings_table
from aixbook.timings import Timings
from helpers import SAMPLE


def test_table_lists_stages_in_start_order_with_worker_and_times():
    t = Timings(origin=100.0)
    t.add("layout b", 101.0, 103.5, "worker 2")
    t.add("parse", 100.0, 100.5)
    t.add("layout a", 100.6, 102.0, "worker 1")
    lines = timings_table(t).splitlines()
    assert lines[0].split() == ["stage", "where", "start", "end", "seconds"]
    assert [line.split()[:2] for line in lines[1:4]] == [["parse", "main"], ["layout", "a"], ["layout", "b"]]
    assert lines[3].split()[2:] == ["worker", "2", "1.00", "3.50", "2.50"]
    assert lines[-1] == "2 layouts: 3.90 s of work on 2 process(es), 2.90 s from the first start to the last end"


def test_cli_build_timings_prints_the_read_parse_resolve_and_render_stages(tmp_path):
    r = CliRunner().invoke(main, ["build", str(SAMPLE), "-o", str(tmp_path), "-f", "html", "--timings"])
    assert r.exit_code == 0, r.output
    rows = {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"^(\S[^\n]*?)\s+main\s+[\d.]+\s+[\d.]+\s+([\d.]+)$", r.output, re.M)
    }
    assert {"read site", "parse", "link table", "resolve", "check html", "render html"} <= set(rows)
    assert all(seconds >= 0 for seconds in rows.values())
    assert (tmp_path / "sample-book.html").is_file()
    plain = CliRunner().invoke(main, ["build", str(SAMPLE), "-o", str(tmp_path), "-f", "html"])
    assert "render html" not in plain.output


def test_the_real_build_says_which_worker_laid_out_each_part_and_when(real_build):
    t = real_build.timings
    names = [s.name for s in t.stages]
    for stage in ("read site", "parse", "resolve", "assemble", "layouts, round 1", "footers", "combine", "write"):
        assert stage in names, stage
    layouts = [s for s in t.stages if s.name.startswith("layout ")]
    keys = {s.name.removeprefix("layout ") for s in layouts}
    assert {"front", "toc", "ai_security_overview", "ch-2_threats_through_use", "ai_security_index"} <= keys
    assert any(k.startswith("footers ") for k in keys)
    workers = {s.worker for s in layouts}
    assert workers <= {f"worker {n}" for n in range(1, 65)} | {"main"}
    # one process at a time per worker slot: its layouts do not overlap
    for w in workers:
        mine = sorted((s for s in layouts if s.worker == w), key=lambda s: s.start)
        assert all(a.end <= b.start + 1e-3 for a, b in itertools.pairwise(mine)), w
    # every layout within the PDF's rendering (or the chapter PDFs', made from its parts)
    spans = [s for s in t.stages if s.name in ("render pdf", "chapter PDFs")]
    assert all(any(r.start <= s.start and s.end <= r.end + 1e-3 for r in spans) for s in layouts)
    combine = next(s for s in t.stages if s.name == "combine")
    write = next(s for s in t.stages if s.name == "write")
    assert combine.start <= write.start and write.end <= combine.end
