"""The book's limits on its input, in one place (README, Security).

Hugo (Goldmark) has almost none; the book's own engines do: libxml2 cuts text
nodes over 10 MB and elements nested deeper than 254, and WeasyPrint recurses
once per nested box (a RecursionError at about 200 levels). Past a limit the
input is refused with a ``file:line`` error (code ``input-too-large``), never
rendered in part.
"""

from __future__ import annotations

from pathlib import Path

from .errors import SourceError

#: Markdown blocks nested in one another: a list 50 levels deep (``ul`` + ``li`` per
#: level) or 100 block quotes.
MAX_DEPTH = 100
#: HTML elements nested in one chapter: the deepest blocks with inline markup inside, or
#: raw HTML. WeasyPrint lays out 150 nested elements and fails (RecursionError) at 200.
MAX_HTML_DEPTH = 130
#: Characters in one page's Markdown (the AI Exchange's largest chapter has 188,000).
MAX_PAGE_CHARS = 2_000_000
#: Characters in one line (the AI Exchange's longest line has 1,700).
MAX_LINE_CHARS = 200_000
#: Nodes in one YAML document once its aliases are expanded (hugo.yaml, front matter).
MAX_YAML_NODES = 100_000

CODE = "input-too-large"


def too_large(what: str, fix: str, path: Path | None, line: int | None) -> SourceError:
    """The error for input past one of the limits above: ``what`` names the limit."""
    return SourceError(f"{what}, past the book's limit ({CODE}); {fix}", path, line)


def check_size(text: str, path: Path, first_line: int = 1) -> None:
    """Refuse a page longer than ``MAX_PAGE_CHARS`` or with a line longer than ``MAX_LINE_CHARS``,
    at the line where the limit is crossed."""
    for no, ln in enumerate(text.split("\n")):
        if len(ln) > MAX_LINE_CHARS:
            raise too_large(
                f"line of {len(ln):,} characters, more than {MAX_LINE_CHARS:,}", "break it", path, first_line + no
            )
    if len(text) > MAX_PAGE_CHARS:
        line = first_line + text.count("\n", 0, MAX_PAGE_CHARS)
        raise too_large(f"page of {len(text):,} characters, more than {MAX_PAGE_CHARS:,}", "split it", path, line)
