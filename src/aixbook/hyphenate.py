"""Where a word of the printed book may break: soft hyphens (U+00AD) put in by the
assembler, at pyphen's positions in the site's own language, filtered by the rules a
book setter follows.

WeasyPrint's ``hyphens: auto`` knows ``hyphenate-limit-chars`` and nothing else: it
hyphenates any word at any line end, in every element that does not say otherwise,
with the dictionary that ``lang="en"`` falls back to (British patterns on a US site).
Soft hyphens with ``hyphens: manual`` (print.css) leave it only the breaks offered here:

- in the language the site declares (``languageCode: en-us`` → en_US patterns; each
  language of a multilingual site its own), not the document's two-letter ``lang``;
- only in running text: never in headings, code, links (URLs, #CONTROLNAMES), the
  Category/Permalink lines, or table cells. Cells are narrow (a hyphen there makes a line
  of one fragment), and WeasyPrint 70's automatic table layout measures a cell with soft
  hyphens wrongly: on the real book a three-column table came out wider than the page;
- only in words of letters alone of ``MIN_WORD`` letters or more, lower-case after the
  first letter (no "PyT-orch", no acronyms), never in identifiers (digits, ``_``, ``.``);
- at least ``MIN_SIDE`` letters on each side of a break;
- never in a paragraph's last word, so that its last line is never a lone fragment.

What needs the laid-out lines (no three hyphenated lines in a row, no break across a
page turn) is the layout's: render/pdf/hyphens.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

SOFT = "\u00ad"
#: The shortest word that may be hyphenated, and the fewest letters left on each side.
MIN_WORD = 9
MIN_SIDE = 3
#: The fewest letters before a break: a hyphen is worth it only where it fills a line by
#: this much (a static "hyphenation zone": ragged-right text takes small gaps as they are).
MIN_BEFORE = 5

#: Elements whose text is never hyphenated, with all they contain.
NO_HYPHENS = frozenset(
    {"h1", "h2", "h3", "h4", "h5", "h6", "code", "pre", "kbd", "samp", "var", "a", "th", "script", "style"}
    | {"td", "svg", "math", "nav", "figcaption", "sup", "sub", "button", "select", "textarea"}
)
#: Elements laid out inside a line: their text is part of their block's paragraph.
INLINE = frozenset(
    {"span", "em", "strong", "b", "i", "u", "s", "del", "ins", "mark", "small", "abbr", "cite", "q"}
    | {"dfn", "time", "label", "code", "kbd", "samp", "var", "a", "sup", "sub", "br", "img", "input", "wbr"}
)

_CHUNK = re.compile(r"\S+")
_WORD = re.compile(r"^([\"'(\[{“‘«]*)([^\W\d_]+(?:[-\u2010][^\W\d_]+)*)([\"')\]}”’».,;:!?…]*)$")


@cache
def _dictionary(lang: str):
    import pyphen

    return pyphen.Pyphen(lang=lang, left=max(MIN_SIDE, MIN_BEFORE), right=MIN_SIDE)


def pyphen_language(code: str | None) -> str | None:
    """pyphen's dictionary for a BCP 47 tag ("en-us" → "en_US"), None when it has none."""
    if not code:
        return None
    import pyphen

    return pyphen.language_fallback(code.replace("-", "_"))


def book_language(book) -> str | None:
    """The dictionary for the book: the site's ``languageCode`` (the current language's,
    for a multilingual site) when it names the same language as the book, else the
    book's own language."""
    site = book.site
    cur = site.current
    code = (cur.code or cur.key) if cur is not None else str(site.config.get("languageCode") or "")
    lang = book.config.language or ""
    if code and (not lang or code.lower().split("-")[0] == lang.lower().split("-")[0]):
        lang = code
    return pyphen_language(lang)


def hyphenate_word(word: str, lang: str) -> str:
    """``word`` with soft hyphens where it may break, or as it is when it may not."""
    if len(word) < MIN_WORD or not word.isalpha() or not word[1:].islower():
        return word
    return _dictionary(lang).inserted(word, hyphen=SOFT)


def hyphenate_text(text: str, lang: str, keep_last: bool = False, glued: tuple[bool, bool] = (False, False)) -> str:
    """Soft hyphens in every word of ``text`` that may take them; with ``keep_last``
    the last word keeps none (it ends its paragraph). ``glued``: the text before / after
    this one (another element's) touches it without a space: the word there goes on
    in that text, and is left alone."""
    chunks = list(_CHUNK.finditer(text))
    if chunks and glued[0] and chunks[0].start() == 0:
        chunks = chunks[1:]
    if chunks and (keep_last or (glued[1] and chunks[-1].end() == len(text))):
        chunks = chunks[:-1]
    out, pos = [], 0
    for m in chunks:
        parsed = _WORD.match(m.group(0))
        if parsed is None:
            continue
        lead, core, trail = parsed.groups()
        parts = re.split(r"([-\u2010])", core)
        new = "".join(p if p in "-\u2010" else hyphenate_word(p, lang) for p in parts)
        if new != core:
            out.append(text[pos : m.start()] + lead + new + trail)
            pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _classes(el) -> set[str]:
    return set((el.get("class") or "").split())


def _skips(el) -> bool:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag in NO_HYPHENS or "meta" in _classes(el) or el.get("translate") == "no"


def _segments(block, skip: bool) -> Iterator[tuple[object, str, bool]]:
    """(element, "text" or "tail", skip) for the text of ``block``'s own paragraph;
    nested blocks are yielded as ("block", element, skip) to be handled on their own."""
    yield from _inline(block, skip)


def _inline(el, skip: bool) -> Iterator[tuple[object, str, bool]]:
    yield el, "text", skip
    for child in el:
        if not isinstance(child.tag, str):  # a comment or processing instruction
            yield child, "tail", skip
            continue
        child_skip = skip or _skips(child)
        if child.tag in INLINE:
            yield from _inline(child, child_skip)
        else:
            yield child, "block", child_skip
        yield child, "tail", skip


def hyphenate_tree(root, lang: str | None) -> None:
    """Put soft hyphens into the running text below ``root`` (an lxml element), in place."""
    if not lang:
        return
    stack = [(root, _skips(root))]
    while stack:
        block, skip = stack.pop()
        segments = []
        for el, kind, seg_skip in _segments(block, skip):
            if kind == "block":
                stack.append((el, seg_skip))
            elif getattr(el, kind):
                segments.append((el, kind, seg_skip))
        last = next((i for i in range(len(segments) - 1, -1, -1) if getattr(*segments[i][:2]).strip()), None)
        texts = [getattr(el, kind) for el, kind, _ in segments]
        for i, (el, kind, seg_skip) in enumerate(segments):
            if seg_skip:
                continue
            text = texts[i]
            glued = (i > 0 and not texts[i - 1][-1:].isspace(), i + 1 < len(texts) and not texts[i + 1][:1].isspace())
            new = hyphenate_text(text, lang, keep_last=i == last, glued=glued)
            if new != text:
                setattr(el, kind, new)


class Memo:
    """Hyphenated chapters kept between builds (a folder of the output's cache): a
    chapter's HTML with its soft hyphens, under a key of the HTML without them, the
    dictionary and this module's code. A build that lays out one edited chapter
    hyphenates that one; the others' words are not looked up again. Entries are data
    under this user's MAC (cachefile): a planted one is a miss, never HTML of its own."""

    def __init__(self, folder) -> None:
        from .cachefile import Entries

        self.entries = Entries(folder, "hyphenated", "1", {"html": str})

    @staticmethod
    def key(plain: str, lang: str) -> str:
        import hashlib
        from pathlib import Path

        from .cache import dist_version, source_digest

        h = hashlib.sha256(source_digest([Path(__file__)]).encode())
        for part in (dist_version("pyphen"), lang, plain):
            h.update(part.encode("utf-8", "surrogatepass") + b"\0")
        return h.hexdigest()

    def get(self, plain: str, lang: str) -> str | None:
        found = self.entries.get(self.key(plain, lang))
        return found[0]["html"] if found is not None else None  # type: ignore[index]

    def put(self, plain: str, lang: str, html: str) -> None:
        self.entries.put(self.key(plain, lang), {"html": html})
