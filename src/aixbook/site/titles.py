"""A page's title where its front matter gives none, as the docs themes show it.

Hugo leaves such a page's ``.Title`` empty; the themes then show the page's own first
heading (hugo-book's pages start with ``# Introduction``) and name the menu entry after
the file or folder (hugo-book's ``docs/title`` partial: ``humanize | title`` of the file's
base name, or of the folder for a section).
"""

from __future__ import annotations

import re

_ATX_H1 = re.compile(r"[ ]{0,3}#[ \t]+(?P<text>.*?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_H1 = re.compile(r"[ ]{0,3}=+[ \t]*$")
_ATTRS = re.compile(r"\s*\{[^{}]*\}\s*$")  # {#id .class}
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`|~~)(?=\S)(.+?)(?<=\S)\1")
_COMMENT = re.compile(r"\A(?:\s*<!--.*?-->)*\s*", re.S)
#: Words AP style leaves lower-case inside a title (Hugo's default titleCaseStyle).
_MINOR = {
    "a",
    "an",
    "and",
    "as",
    "at",
    "but",
    "by",
    "en",
    "for",
    "if",
    "in",
    "nor",
    "of",
    "on",
    "or",
    "per",
    "the",
    "to",
    "vs",
    "via",
}


def leading_h1(body: str) -> tuple[str, str] | None:
    """(the title, the body without that heading) when ``body`` starts with a level-1 heading
    (``# Title`` or ``Title`` over ``===``); None otherwise. The heading's lines become empty
    lines, so every later line keeps its number."""
    skipped = _COMMENT.match(body)
    start = skipped.end() if skipped else 0
    start = body.rfind("\n", 0, start) + 1  # the heading's line starts here
    lines = body[start:].split("\n", 2)
    first = lines[0]
    m = _ATX_H1.fullmatch(first)
    if m:
        text, used = m.group("text"), 1
    elif len(lines) > 1 and first.strip() and not first.startswith((" " * 4, "\t")) and _SETEXT_H1.fullmatch(lines[1]):
        text, used = first.strip(), 2
    else:
        return None
    title = plain(_ATTRS.sub("", text))
    if not title:
        return None
    rest = body[start:].split("\n", used)
    tail = rest[used] if len(rest) > used else ""
    return title, body[:start] + "\n" * used + tail


def plain(text: str) -> str:
    """Inline Markdown as the words it shows: links' text, no emphasis or code marks."""
    text = _LINK.sub(r"\1", text)
    for _ in range(3):
        text = _EMPHASIS.sub(r"\2", text)
    return text.replace("\\", "").strip()


def humanized(name: str) -> str:
    """A file or folder name as hugo-book's menu shows it (``humanize | title``):
    "create-a-site" → "Create a Site", "getting_started" → "Getting Started"."""
    words = re.sub(r"[-_]+", " ", name).split()
    out = []
    for i, word in enumerate(words):
        minor = word.lower() in _MINOR and 0 < i < len(words) - 1
        out.append(word.lower() if minor else word[:1].upper() + word[1:])
    return " ".join(out)
