"""What changed between two editions of the book, as a reader sees it (``aixbook diff``).

Each side (a git revision exported by ``revisions``, the working tree, or a site folder) is
read with the normal pipeline: ``book.gather``, link resolution, ``book.book_from``, as
``aixbook check`` reads it. Then:

- the book is cut into sections: a heading and the text after it up to the next heading
  (a chapter's text before its first heading is the chapter's own section; a footnote
  belongs to the section that cites it); a section's words are its text as read;
- sections are matched by heading id (on the same page, then anywhere), then by title
  under the same parent, then by title alone (a leading number left out), then by the
  short links that name them, so a moved or renumbered section is "moved", not "removed"
  and "added";
- short links (``/go/NAME/``) are compared by where they land: a link that follows its
  section to another page is unchanged, one that lands elsewhere is retargeted;
- diagnostics NEW has and OLD had not are the ones a change introduces.
"""

from __future__ import annotations

import bisect
import os
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from pathlib import Path
from typing import Literal

from . import htmlfrag
from .book import book_from, gather, shortcode_context
from .diagnostics import Diagnostic
from .errors import AixbookError, ConfigError
from .links import LinkTable, resolve_chapters, resolve_href
from .model import Book, Chapter, ResolvedChapter, Source
from .report import relative

HEADINGS = frozenset(f"h{n}" for n in range(1, 7))
_NUMBER = re.compile(r"^\s*\d+(?:\.\d+)*\.?\s+")
_DEDUPED = re.compile(r"^(.*)-\d+$")

Status = Literal["added", "removed", "moved", "changed"]


@dataclass(frozen=True)
class Section:
    """A heading and its text up to the next heading (``id`` "" = a chapter's own text)."""

    chapter: str  # the chapter's page, e.g. "/docs/2_keeping_the_light/"
    chapter_title: str
    id: str  # Hugo's page-local heading id
    title: str
    level: int  # 0 for a chapter's own section
    path: Path
    line: int
    words: tuple[str, ...]
    parent: int | None  # index of the enclosing section in the same book
    stable: bool = True  # an id the author or the title gave, not a duplicate's "-N"

    @property
    def number(self) -> str:
        m = _NUMBER.match(self.title)
        return m.group().strip() if m else ""

    @property
    def plain_title(self) -> str:
        return " ".join(_NUMBER.sub("", self.title).casefold().split())

    @property
    def where(self) -> str:
        """Its address on the website: the page and the anchor."""
        return self.chapter + (f"#{self.id}" if self.id else "")


#: Where a short link lands: ("section", index), ("url", address) or ("dangling", reason).
Target = tuple[str, object]


@dataclass
class Side:
    """One edition: the book read, cut into sections, with its short links."""

    label: str
    book: Book
    sections: list[Section]
    shorts: dict[str, Target]
    root: Path  # paths are reported relative to this (the repository's top)
    revision: str | None = None  # the commit, for a git revision

    def rel(self, path: Path | None) -> str:
        return relative(path, self.root)

    def describe(self, target: Target) -> str:
        kind, value = target
        if kind == "section":
            assert isinstance(value, int)
            return self.sections[value].where
        if kind == "dangling":
            return f"nowhere ({value})"
        return str(value)


@dataclass(frozen=True)
class SectionChange:
    status: Status
    old: Section | None
    new: Section | None
    words_added: int = 0
    words_removed: int = 0
    title_changed: bool = False

    @property
    def section(self) -> Section:
        s = self.new or self.old
        assert s is not None
        return s


@dataclass(frozen=True)
class ShortChange:
    name: str
    status: Literal["added", "removed", "retargeted"]
    old: str  # where it landed in OLD ("" when added)
    new: str  # where it lands in NEW ("" when removed)
    broken: bool  # it resolved in OLD and resolves to nothing in NEW


@dataclass(frozen=True)
class Pdf:
    """The release PDF of one edition (``--pdf``)."""

    pages: int
    path: Path


@dataclass
class BookDiff:
    """Everything ``aixbook diff`` reports."""

    old: Side
    new: Side
    sections: list[SectionChange] = field(default_factory=list)
    unchanged: int = 0
    shorts: list[ShortChange] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)  # NEW's that OLD had not
    pdfs: tuple[Pdf, Pdf] | None = None  # OLD's and NEW's, with --pdf

    def count(self, status: str) -> int:
        return sum(1 for c in self.sections if c.status == status)

    @property
    def broken_permalinks(self) -> list[ShortChange]:
        return [s for s in self.shorts if s.broken]


# ------------------------------------------------------------ reading one side


def chapter_sections(rc: ResolvedChapter) -> tuple[list[Section], dict[str, int]]:
    """The sections of one chapter and every uid in it → its section (indices in the chapter)."""
    src = rc.chapter.source
    heads = {h.uid: h for h in rc.headings}
    words: list[list[str]] = [[]]
    meta: list[tuple[str, str, int, int, int | None]] = [("", src.title, 0, src.body_line, None)]
    at: dict[str, int] = {rc.chapter.key: 0}
    cited: dict[str, int] = {}  # fragment → section of its first link
    footnotes: list[tuple[str, list[str]]] = []
    stack: list[tuple[int, int]] = []  # (level, local index) of enclosing headings
    cur = 0

    def add(text: str | None) -> None:
        if text:
            words[cur].extend(unicodedata.normalize("NFC", text).split())

    def walk(el) -> None:
        nonlocal cur
        if not isinstance(el.tag, str):  # a comment or processing instruction: no text
            return
        uid = el.get("id")
        if el.tag in HEADINGS and uid in heads:
            h = heads[uid]
            while stack and stack[-1][0] >= h.level:
                stack.pop()
            parent = stack[-1][1] if stack else 0
            words.append([])
            meta.append((h.id, h.text, h.level, h.line, parent))
            cur = len(words) - 1
            stack.append((h.level, cur))
            at[uid] = cur
            return
        if el.tag == "section" and "footnotes" in (el.get("class") or "").split():
            for li in el.iter("li"):
                mine: list[str] = []
                footnotes.append((li.get("id") or "", mine))
                walk_text(li, mine)
            return
        if uid:
            at.setdefault(uid, cur)
        href = el.get("href") if el.tag == "a" else None
        if href and href.startswith("#"):
            cited.setdefault(href[1:], cur)
        if el.tag == "img":
            words[cur].append(f"[image {el.get('src') or ''}]")
        add(el.text)
        for child in el:
            walk(child)
            add(child.tail)

    def walk_text(el, sink: list[str]) -> None:
        if not isinstance(el.tag, str) or "footnote-backref" in (el.get("class") or ""):
            return
        if el.text:
            sink.extend(el.text.split())
        for child in el:
            walk_text(child, sink)
            if child.tail:
                sink.extend(child.tail.split())

    root = htmlfrag.parse(rc.html)
    add(root.text)
    for child in root:
        walk(child)
        add(child.tail)
    for fn_id, fn_words in footnotes:
        words[cited.get(fn_id, 0)].extend(fn_words)
        if fn_id:
            at.setdefault(fn_id, cited.get(fn_id, 0))
    local_ids = {m[0] for m in meta}
    families = [_family(m[0], local_ids) for m in meta]
    size = Counter(families)
    sections = [
        Section(src.url, src.title, sid, title, level, src.path, line, tuple(w), parent, size[fam] < 2)
        for (sid, title, level, line, parent), w, fam in zip(meta, words, families, strict=True)
    ]
    return sections, at


def _family(local_id: str, ids: set[str]) -> str:
    """``examples`` for Hugo's ``examples-1`` when ``examples`` is on the page too: such ids
    are numbered in page order, so they name a different heading once one is added before."""
    m = _DEDUPED.match(local_id)
    return m.group(1) if m and m.group(1) in ids else local_id


def short_targets(table: LinkTable, at: dict[str, int], key: str) -> dict[str, Target]:
    """Where each short name of the site lands."""
    out: dict[str, Target] = {}
    for name in sorted(table.shorts):
        t = resolve_href(table, f"/go/{name}/", key).target
        if t.kind == "internal" and t.uid in at:
            out[name] = ("section", at[t.uid])
        elif t.kind == "dangling":
            out[name] = ("dangling", t.reason or "no target")
        else:
            out[name] = ("url", t.url or t.path)
    return out


#: Where the pages of an exported revision are filed in the disk cache: its temporary
#: folder is new each time, and an entry is found only for the very path it was made from.
EXPORTED = Path("/aixbook-diff-export")


def _moved(path: Path | None, old_root: Path, new_root: Path) -> Path | None:
    if path is None:
        return None
    try:
        return new_root / Path(path).relative_to(old_root)
    except ValueError:
        return path


def _relocated(ch: Chapter, src: Source, old_root: Path, new_root: Path) -> Chapter:
    """``ch`` as parsed from ``src``: the same page read from another folder."""
    diagnostics = tuple(replace(d, path=_moved(d.path, old_root, new_root)) for d in ch.diagnostics)
    return replace(ch, source=src, diagnostics=diagnostics)


class Reuse:
    """A chapter cache (``get_chapter``/``put_chapter``) that first offers the chapters of
    the other edition: a page whose source is the same there (every field but the folder
    it is in) is not parsed again. Most pages of a pull request are unchanged, so the
    second edition costs little more than resolving its links. Then the disk ``cache``, if
    any: at the page's own path (``exported`` False), or for an exported revision under
    ``EXPORTED``, so the next diff of it finds its pages too."""

    def __init__(self, other: Side | None, root: Path, cache=None, exported: bool = False):
        self.root, self.cache, self.exported = root, cache, exported
        self.other_root = other.root if other is not None else root
        self.chapters = {}
        # the other edition's pages were parsed with its site's params and theme: reused only
        # where this edition's are the same
        self.other_context = shortcode_context(other.book.site).fingerprint() if other is not None else None
        for rc in other.book.chapters if other is not None else ():
            src = rc.chapter.source
            self.chapters[self._key(src, rc.chapter.key, self.other_root)] = rc.chapter

    @staticmethod
    def _key(src: Source, key: str, root: Path) -> tuple[str, str]:
        return key, repr(replace(src, path=Path(relative(src.path, root))))

    def _filed(self, src: Source) -> Source:
        return replace(src, path=_moved(src.path, self.root, EXPORTED) or src.path)

    def get_chapter(self, src: Source, key: str, context: str = "") -> Chapter | None:
        ch = self.chapters.get(self._key(src, key, self.root)) if context == self.other_context else None
        if ch is not None:
            return _relocated(ch, src, self.other_root, self.root)
        if self.cache is None:
            return None
        if not self.exported:
            return self.cache.get_chapter(src, key, context)
        ch = self.cache.get_chapter(self._filed(src), key, context)
        return _relocated(ch, src, EXPORTED, self.root) if ch is not None else None

    def put_chapter(self, src: Source, chapter: Chapter, context: str = "") -> None:
        if self.cache is None:
            return
        if not self.exported:
            self.cache.put_chapter(src, chapter, context)
            return
        filed = self._filed(src)
        self.cache.put_chapter(filed, _relocated(chapter, filed, self.root, EXPORTED), context)


#: A chapter's sections by what they are made of, for the other edition (same html, same sections).
SectionMemo = dict[tuple, tuple[list[Section], dict[str, int]]]


def _memo_key(rc: ResolvedChapter) -> tuple:
    src = rc.chapter.source
    return rc.chapter.key, rc.html, rc.headings, src.url, src.title, src.body_line


def read_side(
    site_dir: Path,
    label: str,
    root: Path,
    config_path=None,
    cache=None,
    revision=None,
    memo: SectionMemo | None = None,
    overrides: dict | None = None,
) -> Side:
    """Read the site at ``site_dir`` as ``aixbook check`` reads it, and cut it into sections
    (a chapter found in ``memo`` is not cut again; every chapter cut is put there)."""
    g = gather(site_dir, config_path, cache=cache, **(overrides or {}))
    resolved, stats, link_diags = resolve_chapters(g.table, list(g.chapters))
    book = book_from(g, resolved, stats, link_diags)
    sections: list[Section] = []
    at: dict[str, int] = {}
    memo = {} if memo is None else memo
    for rc in book.chapters:
        k = _memo_key(rc)
        if k not in memo:
            memo[k] = chapter_sections(rc)
        found, ids = memo[k]
        first, path = len(sections), rc.chapter.source.path
        sections.extend(replace(s, parent=None if s.parent is None else first + s.parent, path=path) for s in found)
        at.update((uid, first + i) for uid, i in ids.items())
    key = book.chapters[0].chapter.key if book.chapters else ""
    shorts = short_targets(g.table, at, key) if key else {}
    return Side(label, book, sections, shorts, root, revision)


# ------------------------------------------------------------ matching and comparing


def match_sections(old: list[Section], new: list[Section], old_shorts=None, new_shorts=None) -> dict[int, int]:
    """OLD index → NEW index for every section found in both editions."""
    pairs: dict[int, int] = {}

    def by(
        key_old: Callable[[Section], object], key_new: Callable[[Section], object] | None = None, in_order=False
    ) -> None:
        """Pair the unmatched sections whose keys agree (None: no key). A key found once on
        each side pairs; with ``in_order``, one found as often on both sides pairs in order."""
        used = set(pairs.values())
        mine: dict[object, list[int]] = {}
        theirs: dict[object, list[int]] = {}
        for i, s in enumerate(old):
            if i not in pairs and (k := key_old(s)) is not None:
                mine.setdefault(k, []).append(i)
        for j, s in enumerate(new):
            if j not in used and (k := (key_new or key_old)(s)) is not None:
                theirs.setdefault(k, []).append(j)
        for k, olds in mine.items():
            news = theirs.get(k, [])
            if len(olds) == len(news) and (len(olds) == 1 or in_order):
                pairs.update(zip(olds, news, strict=True))

    # 1. the same id on the same page; a chapter whose file was renamed, by its title;
    # 2. the same id anywhere (a section moved to another page)
    by(lambda s: (s.chapter, s.id) if s.stable else None)
    by(lambda s: ("chapter", s.title) if s.level == 0 else None)
    by(lambda s: s.id if s.stable and s.id else None)
    # 3. the same title under matched parents (parents first: one heading level a round);
    # siblings of one title (Hugo's "examples-1", "examples-2") pair in order
    for _ in range(7):
        before = len(pairs)
        by(
            lambda s: (pairs[s.parent], s.plain_title) if s.level and s.parent in pairs else None,
            lambda s: (s.parent, s.plain_title) if s.level else None,
            in_order=True,
        )
        if len(pairs) == before:
            break
    # 4. the same title anywhere
    by(lambda s: s.plain_title if s.level else None)
    # 5. a short link naming it on both sides
    if old_shorts and new_shorts:
        used = set(pairs.values())
        for name, (kind, i) in old_shorts.items():
            nk, j = new_shorts.get(name, ("", None))
            if kind == nk == "section" and i not in pairs and j not in used:
                pairs[i] = j
                used.add(j)
    return pairs


def _in_order(pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """The pairs of the longest run kept in the same order on both sides (the others moved)."""
    pairs = sorted(pairs, key=lambda p: p[1])
    best: list[int] = []  # patience sorting over the OLD indices
    links: list[int] = [-1] * len(pairs)
    tails: list[int] = []
    for k, (i, _) in enumerate(pairs):
        pos = bisect.bisect_left(best, i)
        if pos == len(best):
            best.append(i)
            tails.append(k)
        else:
            best[pos] = i
            tails[pos] = k
        links[k] = tails[pos - 1] if pos else -1
    keep: set[tuple[int, int]] = set()
    k = tails[-1] if tails else -1
    while k >= 0:
        keep.add(pairs[k])
        k = links[k]
    return keep


def word_changes(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[int, int]:
    """(words added, words removed) from ``a`` to ``b``."""
    if a == b:
        return 0, 0
    added = removed = 0
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op != "equal":
            removed += i2 - i1
            added += j2 - j1
    return added, removed


def compare_sections(old: Side, new: Side, pairs: dict[int, int]) -> tuple[list[SectionChange], int]:
    groups: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for i, j in pairs.items():
        groups.setdefault((old.sections[i].chapter, new.sections[j].chapter), []).append((i, j))
    # Order matters within a page (sections) and in the book (chapters).
    ordered: set[tuple[int, int]] = set()
    for (oc, nc), items in groups.items():
        if oc == nc:
            ordered |= _in_order([p for p in items if old.sections[p[0]].level])
    ordered |= _in_order([(i, j) for i, j in pairs.items() if old.sections[i].level == 0])
    changes: list[SectionChange] = []
    unchanged = 0
    by_new = {j: i for i, j in pairs.items()}
    for j, s in enumerate(new.sections):
        if j not in by_new:
            changes.append(SectionChange("added", None, s, words_added=len(s.words)))
            continue
        i = by_new[j]
        o = old.sections[i]
        added, removed = word_changes(o.words, s.words)
        retitled = o.title != s.title and o.plain_title != s.plain_title
        moved = o.chapter != s.chapter or (i, j) not in ordered or o.number != s.number
        if moved:
            changes.append(SectionChange("moved", o, s, added, removed, retitled))
        elif added or removed or retitled:
            changes.append(SectionChange("changed", o, s, added, removed, retitled))
        else:
            unchanged += 1
    for i, o in enumerate(old.sections):
        if i not in pairs:
            changes.append(SectionChange("removed", o, None, words_removed=len(o.words)))
    return changes, unchanged


def compare_shorts(old: Side, new: Side, pairs: dict[int, int]) -> list[ShortChange]:
    out: list[ShortChange] = []
    for name in sorted(set(old.shorts) | set(new.shorts)):
        a, b = old.shorts.get(name), new.shorts.get(name)
        if a is None:
            assert b is not None
            out.append(ShortChange(name, "added", "", new.describe(b), False))
            continue
        resolved_before = a[0] != "dangling"
        if b is None:
            out.append(ShortChange(name, "removed", old.describe(a), "", resolved_before))
            continue
        same = pairs.get(a[1]) == b[1] if a[0] == b[0] == "section" else a == b  # type: ignore[call-overload]
        if not same:
            broken = resolved_before and b[0] == "dangling"
            out.append(ShortChange(name, "retargeted", old.describe(a), new.describe(b), broken))
    return out


def _diag_key(side: Side, d: Diagnostic) -> tuple[tuple, str]:
    """(what the problem is, the file it is in)."""
    message = d.message.replace(str(side.root), "").replace(str(side.root.resolve()), "")
    return (d.severity, d.code, message), side.rel(d.path) if d.path is not None else ""


def new_diagnostics(old: Side, new: Side) -> list[Diagnostic]:
    """NEW's diagnostics that OLD had not. The same problem on another line is not new, nor
    one that moved to another file with its text (as many as OLD had of it)."""
    keys = [_diag_key(new, d) for d in new.book.diagnostics]
    in_file = Counter(_diag_key(old, d) for d in old.book.diagnostics)
    unmatched = [i for i, k in enumerate(keys) if not _take(in_file, k)]
    anywhere: Counter = Counter()
    for (what, _), n in in_file.items():
        anywhere[what] += n
    return [new.book.diagnostics[i] for i in unmatched if not _take(anywhere, keys[i][0])]


def _take(counts: Counter, key) -> bool:
    if counts[key] > 0:
        counts[key] -= 1
        return True
    return False


def compare(old: Side, new: Side) -> BookDiff:
    """The differences from ``old`` to ``new``."""
    pairs = match_sections(old.sections, new.sections, old.shorts, new.shorts)
    sections, unchanged = compare_sections(old, new, pairs)
    return BookDiff(old, new, sections, unchanged, compare_shorts(old, new, pairs), new_diagnostics(old, new))


# ------------------------------------------------------------ the two sides from the command line


class EditionError(AixbookError):
    """An edition read from git cannot be read: the error as its own line said it, with
    the revision's name for its temporary folder; the exit status is the original's."""

    def __init__(self, text: str, exit_code: int):
        super().__init__(text)
        self.text, self.exit_code = text, exit_code

    def one_line(self) -> str:
        return self.text


def _working_root(site: Path) -> Path:
    from .revisions import repository_top

    try:
        return repository_top(site)
    except ConfigError:
        return site


def release_pdf(side: Side, folder: Path, suffix: str, config_path: Path | None = None) -> Pdf:
    """Build the release PDF of ``side`` into ``folder`` as ``NAME.SUFFIX.pdf``."""
    from .build import build

    name = f"{side.book.config.output_name or 'book'}.{suffix}"
    made = build(side.book.site.project_root, ["pdf"], folder, config_path, output_name=name)
    return Pdf(made.pages, made.outputs["pdf"])


def diff_books(
    old: str,
    new: str | None = None,
    site: Path | str = ".",
    config_path: Path | None = None,
    cache=None,
    pdf_dir: Path | None = None,
    overrides: dict | None = None,
) -> BookDiff:
    """Compare two editions of the book.

    Args:
        old, new: each a site folder (one that exists) or a git revision of the repository
            holding ``site``; ``new`` None is the working tree at ``site``.
        site: the site (or repository root) in the working tree; revisions are read at the
            same place in the repository.
        config_path: one book.toml for both sides (default: each side's own).
        cache: a ``ChapterCache`` for the sides read from folders.
        overrides: BookConfig fields for both sides, as ``load_book`` takes them.
        pdf_dir: build both editions' release PDFs there (``NAME.old.pdf``, ``NAME.new.pdf``)
            and report their page counts.

    Raises:
        ConfigError: git missing, not a repository, a revision that does not exist, or a
            side whose site or configuration cannot be used.
        SourceError: a chapter of either side cannot be read.
    """
    from . import revisions

    site = Path(site)
    memo: SectionMemo = {}
    with tempfile.TemporaryDirectory(prefix="aixbook-diff-") as tmp:

        def side(spec: str | None, name: str, other: Side | None = None) -> Side:
            if spec is None:
                root = _working_root(site)
                reuse = Reuse(other, root, cache)
                return read_side(site, "working tree", root, config_path, reuse, memo=memo, overrides=overrides)
            folder = Path(spec)
            if folder.is_dir():
                reuse = Reuse(other, folder, cache)
                return read_side(folder, spec, folder, config_path, reuse, memo=memo, overrides=overrides)
            dest = Path(tmp) / name
            dest.mkdir()
            site_dir, top, commit = revisions.export_revision(site, spec, dest)
            reuse = Reuse(other, top, cache, exported=True)
            try:
                return read_side(site_dir, spec, top, config_path, reuse, commit, memo, overrides)
            except AixbookError as exc:
                # Named as git names a file of a revision (HEAD~1:content/x.md), not by its temporary folder.
                text = exc.one_line().replace(f"{top}{os.sep}", f"{spec}:").replace(str(top), spec)
                raise EditionError(text, exc.exit_code) from exc

        # NEW first: the working tree is usually in the disk cache, and OLD reuses its pages.
        after = side(new, "new")
        before = side(old, "old", after)
        result = compare(before, after)
        if pdf_dir is not None:
            result.pdfs = (
                release_pdf(before, pdf_dir, "old", config_path),
                release_pdf(after, pdf_dir, "new", config_path),
            )
        return result
