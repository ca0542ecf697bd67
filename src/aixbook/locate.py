"""Finding the source line of something a chapter's HTML holds (a URL, a tag).

The HTML no longer knows its lines, so each diagnostic looks for the n-th
occurrence of its text in the Markdown, n counting the calls for that text.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from .model import Source


class Locator:
    """Finds the line in ``source`` of the n-th occurrence of a URL or a piece of text."""

    def __init__(self, source: Source):
        self.lines = source.body.splitlines()
        self.first = source.body_line
        self.seen: dict[str, int] = {}
        self._text_hits: dict[str, list[int]] = {}  # a page can ask for one text thousands of times

    def line_of_text(self, needle: str) -> int:
        """The line of the n-th occurrence of ``needle`` (case-insensitive), n counting calls."""
        low = needle.lower()
        n = self.seen.get("\0" + low, 0)
        self.seen["\0" + low] = n + 1
        hits = self._text_hits.get(low)
        if hits is None:
            hits = self._text_hits[low] = [i for i, text in enumerate(self.lines) if low in text.lower()]
        return self.first + hits[min(n, len(hits) - 1)] if hits else self.first

    def line_of_row(self, cells: list[str]) -> int:
        """The line of the n-th table row (a line with "|") holding every text in ``cells``."""
        key = "\0row\0" + "\0".join(cells)
        n = self.seen.get(key, 0)
        self.seen[key] = n + 1
        hits = [i for i, text in enumerate(self.lines) if "|" in text and all(c in text for c in cells)]
        return self.first + hits[min(n, len(hits) - 1)] if hits else self.first

    def line(self, url: str, kind: str = "link", nth: int | None = None) -> int:
        """The line of the ``nth`` occurrence of ``url`` as a link or image target (``kind``
        "link" or "image"); without ``nth``, n counts the calls for that kind and URL.

        Links count lines holding the URL (a link wrapping an image of the same URL is one
        line); images count each ``![…](url`` and ``src=url`` they find, line by line, so
        the image inside such a link and two images on one line each get their own."""
        if nth is None:
            key = url if kind == "link" else f"\0{kind}\0{url}"
            nth = self.seen.get(key, 0)
            self.seen[key] = nth + 1
        if kind == "image" and (hits := self._image_hits(url)):
            return self.first + hits[min(nth, len(hits) - 1)]
        if url.startswith("relref:"):  # written {{< relref "x" >}}: find the "x"
            url = url[len("relref:") :]
            url = f'"{url}"' if any(f'"{url}"' in text for text in self.lines) else url
        exact = [f"]({url}", f'="{url}"', f"<{url}>", f"='{url}'"]
        hits = [i for i, text in enumerate(self.lines) if any(e in text for e in exact)]
        if not hits:
            hits = [i for i, text in enumerate(self.lines) if url in text or unquote(url) in text]
        if not hits:
            return self.first
        return self.first + hits[min(nth, len(hits) - 1)]

    def _image_hits(self, url: str) -> list[int]:
        """A line index for each image syntax naming ``url``: Markdown's ``![alt](url`` and
        HTML's ``src=url`` (quoted or not)."""
        spelled = "|".join(re.escape(u) for u in dict.fromkeys((url, unquote(url))))
        pattern = re.compile(rf"!\[[^\]]*\]\(\s*<?(?:{spelled})|\bsrc\s*=\s*[\"']?(?:{spelled})", re.I)
        return [i for i, text in enumerate(self.lines) for _ in pattern.finditer(text)]
