"""Diagnostics: the codes, the problem found at ``file:line``, and how such a line is written.

A leaf: it imports nothing from the package, so every stage (and config.py, which checks
book.toml's ``[diagnostics]`` table against ``CODES``) can import it at the top.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning", "info"]


#: Every diagnostic code, its default severity and what it means. Codes are stable:
#: book.toml's ``[diagnostics]`` table and CI annotations refer to them.
CODES: dict[str, tuple[Severity, str]] = {
    "dangling-link": ("error", "a link whose target exists nowhere (it points at the website)"),
    "redirect-anchor": ("error", "a firebase.json redirect to an anchor that exists on no page"),
    "redirect-loop": ("error", "firebase.json redirects that lead back to themselves"),
    "duplicate-short-link": ("error", "a short link defined twice with different targets"),
    "duplicate-id": ("error", "a heading id given twice with {#id} on one page"),
    "missing-image": ("error", "an image that is not in the site"),
    "unreadable-image": ("error", "an image file that no image format reads (it shows as a placeholder)"),
    "duplicate-permalink": ("warning", "a 'Permalink:' name used for two headings"),
    "relative-short-link": ("warning", "a short link written relative (go/x/), which breaks on the website"),
    "no-scheme": ("warning", "a link to a domain without http(s)://"),
    "not-in-checkout": ("warning", "a site path that is neither a page nor a file of this checkout"),
    "refused-url": ("warning", "a file:, javascript: or vbscript: URL, or a path leaving the site"),
    "refused-path": ("warning", "a file outside the site (a symbolic link, .. or an absolute path): left out"),
    "remote-image": ("warning", "an image on another host, shown as a link (see --allow-remote)"),
    "remote-fetch": ("warning", "a remote image that could not be fetched with --allow-remote"),
    "dropped-html": ("warning", "raw HTML or CSS a book does not keep (allowlist), dropped"),
    "malformed-html": ("warning", "a malformed tag such as <br<a …>, or a <li> outside a list, repaired"),
    "control-character": ("warning", "control characters in the text, removed"),
    "unsupported-shortcode": ("warning", "a Hugo shortcode the book cannot render; its inner text is kept"),
    "undrawn-figure": ("warning", "math or a Mermaid diagram not drawn (its source is shown; the message says why)"),
    "missing-param": ("warning", "a {{< param >}} set neither in the page's front matter nor in the site's params"),
    "no-glyph": ("warning", "a character no shipped font can draw (it prints as a box)"),
    "heading-skip": ("warning", "a heading that skips a level (#### right under ##)"),
    "empty-table-header": ("warning", "a table header cell with no text"),
    "short-table-row": ("warning", "a table row with fewer cells than the table has columns (padded in the book)"),
    "missing-alt": ("warning", "an image without alt text (the message names the alt the book uses)"),
    "vague-link-text": ("warning", "a link whose text is only a URL or “here”"),
    "empty-language": ("warning", "a site language with no page in the book's section: no book is written for it"),
    "missing-translation": ("warning", "a page of the book's section that this language has no translation of"),
    "input-too-large": ("error", "nesting, a line or a page past the book's limits (see Security): the build stops"),
}
#: Codes of errors that stop the build: book.toml cannot lower or drop them.
REFUSALS = frozenset({"input-too-large"})


@dataclass(frozen=True)
class Diagnostic:
    """A problem found in the content, located at ``path:line``, with a stable ``code`` (see CODES)."""

    severity: Severity
    message: str
    path: Path | None = None
    line: int | None = None
    code: str = ""

    def __str__(self) -> str:
        return located(f"{self.severity}: {self.message}", self.path, self.line)


def with_severities(
    diagnostics: tuple[Diagnostic, ...] | list[Diagnostic], table: tuple[tuple[str, str], ...]
) -> tuple[Diagnostic, ...]:
    """``diagnostics`` with book.toml's ``[diagnostics]`` severities applied: "ignore" drops a code."""
    wanted = dict(table)
    out = []
    for d in diagnostics:
        severity = wanted.get(d.code)
        if severity == "ignore":
            continue
        if severity in ("error", "warning") and severity != d.severity:
            d = replace(d, severity="error" if severity == "error" else "warning")
        out.append(d)
    return tuple(out)


def located(text: str, path: object = None, line: int | None = None) -> str:
    """``path:line: text``, ``path: text`` without a line, ``text`` without a path: the one
    way a diagnostic or an error about a place is written. ``path`` is printed as it is given
    (a caller that shows it to people passes it relative and quoted: see report.py)."""
    if path is None:
        return text
    return f"{path}:{line}: {text}" if line else f"{path}: {text}"
