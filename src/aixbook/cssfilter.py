"""CSS from untrusted raw HTML (``style`` attributes, ``<style>`` elements), by allowlist.

Only the properties the themes need stay (colours, alignment, widths, borders,
spacing, font weight and style), and only values that cannot name another file:
a declaration holding ``url()``, ``image-set()`` or any function but the colour
and ``calc()`` ones, a CSS escape (``\\75 rl(`` is ``url(``) or a ``<`` is
dropped whole. In a ``<style>`` element every at-rule (``@import``,
``@font-face``, ``@media``…) goes. The CSS is parsed with tinycss2, as a browser
tokenizes it; nothing here matches CSS text with patterns.

Each function returns the CSS to keep (the text as written when nothing was
dropped) and one ``Drop`` per thing it left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import tinycss2
from tinycss2 import ast

_SIDES = ("top", "right", "bottom", "left")
#: Properties a style attribute or a <style> element may set.
PROPERTIES = frozenset(
    """color background-color opacity text-align vertical-align text-indent text-decoration
    text-transform white-space line-height letter-spacing word-spacing font-weight font-style
    font-size font-variant width height max-width min-width max-height min-height display float
    clear border border-width border-style border-color border-collapse border-spacing
    border-radius margin padding list-style-type page-break-before page-break-after
    page-break-inside break-before break-after break-inside""".split()
    + [f"{box}-{side}" for box in ("margin", "padding", "border") for side in _SIDES]
    + [f"border-{side}-{part}" for side in _SIDES for part in ("width", "style", "color")]
)
#: The functions a kept value may call (colours and arithmetic: none can load anything).
FUNCTIONS = frozenset({"rgb", "rgba", "hsl", "hsla", "calc"})


@dataclass(frozen=True)
class Drop:
    """One thing left out: ``what`` ("background", "@import"), ``why``, and ``needle``,
    the text to find its source line by."""

    what: str
    why: str
    needle: str


def clean_declarations(text: str) -> tuple[str, list[Drop]]:
    """A style attribute's value: the declarations that may stay ("" when none), and the drops."""
    css = _normalise(text)
    kept, drops = _declarations(css, tinycss2.parse_declaration_list(css), len(css))
    return (text if not drops else "; ".join(kept)), drops


def clean_stylesheet(text: str) -> tuple[str, list[Drop]]:
    """A <style> element's text: the rules that may stay, and the drops."""
    css = _normalise(text)
    rules: list[str] = []
    drops: list[Drop] = []
    nodes = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    starts = _line_starts(css)
    ends = [_offset(starts, n.source_line, n.source_column) for n in nodes[1:]] + [len(css)]
    for node, end in zip(nodes, ends, strict=True):
        if isinstance(node, ast.AtRule):
            drops.append(
                Drop(f"@{node.at_keyword}", "a book's own styles hold every rule it needs", f"@{node.at_keyword}")
            )
        elif isinstance(node, ast.QualifiedRule):
            selector = tinycss2.serialize(node.prelude).strip()
            if "\\" in selector or "<" in selector:
                drops.append(Drop(selector[:40], "its selector holds a CSS escape or a '<'", selector[:20]))
                continue
            kept, dropped = _declarations(css, tinycss2.parse_declaration_list(node.content), end)
            drops += dropped
            if kept:
                rules.append(f"{selector} {{ {'; '.join(kept)} }}")
        else:  # a parse error: the browser skips it, and so does the book
            drops.append(Drop("rule", f"it is not valid CSS ({getattr(node, 'message', '')})", ""))
    return (text if not drops else "\n".join(rules)), drops


def _normalise(text: str) -> str:
    # As tinycss2 and browsers preprocess: offsets below count in this text.
    return text.replace("\0", "\ufffd").replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")


def _declarations(css: str, nodes: list, end: int) -> tuple[list[str], list[Drop]]:
    """The kept declarations of ``nodes`` (parsed from ``css``, ending before offset ``end``)
    as "name: value" texts."""
    starts = _line_starts(css)
    nodes = [n for n in nodes if not isinstance(n, ast.WhitespaceToken | ast.Comment)]
    offsets = [_offset(starts, n.source_line, n.source_column) for n in nodes] + [end]
    kept: list[str] = []
    drops: list[Drop] = []
    for i, node in enumerate(nodes):
        raw = css[offsets[i] : offsets[i + 1]]
        if not isinstance(node, ast.Declaration):
            drops.append(Drop(repr(raw.strip()[:40]), "it is not a CSS declaration", raw.strip()[:20]))
            continue
        why = _refusal(node, raw)
        if why:
            drops.append(Drop(node.name, why, node.name))
            continue
        value = tinycss2.serialize(node.value).strip()
        kept.append(f"{node.name}: {value}" + (" !important" if node.important else ""))
    return kept, drops


def _refusal(decl: ast.Declaration, raw: str) -> str:
    """Why ``decl`` may not stay ("" when it may)."""
    if decl.lower_name not in PROPERTIES:
        return "not a property the book keeps"
    if "\\" in raw:
        return "it holds a CSS escape"
    for token in _tokens(decl.value):
        if isinstance(token, ast.URLToken):
            return "it names another file (url())"
        if isinstance(token, ast.FunctionBlock) and token.lower_name not in FUNCTIONS:
            return f"it calls {token.lower_name}()"
        if isinstance(token, ast.AtKeywordToken):
            return f"it holds @{token.lower_value}"
        if isinstance(token, ast.StringToken | ast.LiteralToken) and "<" in token.value:
            return "it holds a '<'"
    return ""


def _tokens(values):
    for token in values:
        yield token
        inner = getattr(token, "arguments", None) or getattr(token, "content", None)
        if isinstance(inner, list):
            yield from _tokens(inner)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def _offset(starts: list[int], line: int, column: int) -> int:
    return starts[min(line, len(starts)) - 1] + column - 1
