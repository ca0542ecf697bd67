"""Large chapters in several files, and the package's file names.

Small reading systems slow down on big XHTML files, so a chapter larger than
``SPLIT_BYTES`` is cut at its h2 headings (an oversized h2 run also at its h3s)
into files of about that size. The first file keeps the chapter's id and title;
the others are ``chapter-continued`` sections labelled with the chapter's title.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from ...htmlfrag import text_of
from ...model import ResolvedChapter
from .xhtml import EPUB_TYPE

#: A chapter whose XHTML is larger than this is split at its h2 headings into
#: files of about this size (small readers slow down on big files).
SPLIT_BYTES = 80_000

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
_HEADING = re.compile(r"h[1-6]")


@dataclass
class Part:
    """One XHTML file of a chapter."""

    name: str
    chapter: ResolvedChapter
    section: etree._Element  # lxml element (no namespace yet)
    title: str


def split(rc: ResolvedChapter, section: etree._Element, taken: set[str]) -> list[Part]:
    """The chapter in one file, or (when large) in files of about SPLIT_BYTES cut at h2 (or h3).
    File names are made unique against ``taken`` (lower-cased names in use), which grows."""
    key = rc.chapter.key
    title = rc.chapter.source.title
    children = list(section)
    sizes = [len(etree.tostring(c, encoding="utf-8")) for c in children]
    groups = _groups(children, sizes) if sum(sizes) > SPLIT_BYTES else []
    if len(groups) <= 1:
        return [Part(unique_name(file_stem(key) + ".xhtml", taken), rc, section, title)]
    parts = []
    for i, group in enumerate(groups):
        name = unique_name(f"{file_stem(key)}-{i + 1:02d}.xhtml", taken)
        if i == 0:
            sec = section  # keeps id, title, epub:type; the rest moves out
        else:
            sec = etree.Element("section")
            sec.set("class", section.get("class") + " chapter-continued")
            sec.set(EPUB_TYPE, "chapter")
            sec.set("role", "doc-chapter")
            sec.set("aria-label", title)
            for child in group:
                sec.append(child)
        first_heading = next((c for c in group if c.tag in ("h2", "h3")), None)
        part_title = title if i == 0 or first_heading is None else f"{title} — {text_of(first_heading).strip()}"
        parts.append(Part(name, rc, sec, part_title))
    return parts


def _groups(children: list, sizes: list[int]) -> list[list]:
    """Top-level nodes cut into runs that start at an h2 (an oversized run also at h3), packed greedily."""
    runs: list[tuple[list, int]] = []
    for run, size in _runs(zip(children, sizes, strict=True), "h2"):
        # A single h2 run that is too big: cut at its h3s.
        runs.extend(_runs(run, "h3") if size > SPLIT_BYTES else [(run, size)])
    groups: list[list] = []
    cur: list = []
    cur_size = 0
    for run, size in runs:
        # A file holding nothing but a title would show readers an empty screen.
        only_headings = all(isinstance(c.tag, str) and _HEADING.fullmatch(c.tag) for c in cur)
        if cur and cur_size + size > SPLIT_BYTES and not only_headings:
            groups.append(cur)
            cur, cur_size = [], 0
        cur.extend(child for child, _ in run)
        cur_size += size
    if cur:
        groups.append(cur)
    return groups


def _runs(items: Iterable[tuple[etree._Element, int]], tag: str) -> list[tuple[list, int]]:
    """(node, size) pairs cut before each ``tag`` element: the runs and their sizes."""
    runs: list[tuple[list, int]] = []
    cur: list = []
    cur_size = 0
    for node, size in items:
        if node.tag == tag and cur:
            runs.append((cur, cur_size))
            cur, cur_size = [], 0
        cur.append((node, size))
        cur_size += size
    if cur:
        runs.append((cur, cur_size))
    return runs


# ------------------------------------------------------------ file names


def safe_name(text: str) -> str:
    """``text`` with every character that is not safe in a file name or id made ``_``."""
    return _SAFE_NAME.sub("_", text)


def file_stem(key: str) -> str:
    return safe_name(key) or "chapter"


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2.ext`` … if taken (compared lower-cased: an unzipped
    book may land on a case-insensitive file system)."""
    base, dot, ext = name.rpartition(".")
    if not dot:
        base, ext = name, ""
    cand, n = name, 1
    while cand.lower() in taken:
        n += 1
        cand = f"{base}-{n}{dot}{ext}"
    taken.add(cand.lower())
    return cand


def item_id(prefix: str, name: str) -> str:
    """The manifest id of the package file ``name``."""
    return f"{prefix}-{safe_name(name.rsplit('.', 1)[0].replace('/', '-'))}"
