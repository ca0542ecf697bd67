"""Markdown → HTML fragment, rendered as Hugo's Goldmark renders it.

CommonMark + GFM (tables, strikethrough, linkify, task lists), footnotes,
definition lists, typographer, raw HTML kept, ``{#id}`` heading attributes,
and heading ids made exactly as Hugo makes them (github style, ``-1``/``-2``
for duplicates on a page). Hugo shortcodes are rewritten before parsing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from . import diagrams
from .diagnostics import Diagnostic
from .errors import SourceError
from .htmlfrag import KNOWN
from .limits import CODE, MAX_DEPTH, check_size, too_large
from .model import Heading
from .shortcodes import STEPS_OPEN, Context, expand_shortcodes

__all__ = ["IdFactory", "Rendered", "expand_shortcodes", "hugo_id", "render"]

# Any other "<tag>" than an HTML element is shown as text
# (``<<<BEGIN UNTRUSTED DATA>>>`` is prose, not markup).
_TAG_NAME = re.compile(r"^<\s*/?\s*([A-Za-z][A-Za-z0-9-]*)")


@dataclass(frozen=True)
class Rendered:
    """What parsing one page gives: HTML plus what the link stage needs to know."""

    html: str
    headings: tuple[Heading, ...]
    permalinks: tuple[tuple[str, str, int], ...]  # (permalink URL, heading id, line)
    diagnostics: tuple[Diagnostic, ...] = ()


@lru_cache(maxsize=4)
def _parser(passthrough: tuple[tuple[str, str, bool], ...] = ()) -> MarkdownIt:
    md = MarkdownIt("gfm-like", {"typographer": True, "linkify": True, "html": True})
    md.use(footnote_plugin, inline=False).use(deflist_plugin).use(tasklists_plugin)
    if passthrough:
        _passthrough(md, passthrough)
    _colon_only_deflists(md)
    _refuse_deep_blocks(md)
    _record_lines(md, "reference", whole=True)
    _record_lines(md, "footnote_def", whole=False)
    md.enable(["replacements", "smartquotes"])
    if md.linkify is not None:
        md.linkify.set({"fuzzy_email": False})
    return md


def _passthrough(md: MarkdownIt, delimiters: tuple[tuple[str, str, bool], ...]) -> None:
    """goldmark's passthrough extension: text between the site's math delimiters (``$$…$$``,
    ``\\[…\\]`` as blocks, ``\\(…\\)`` inline) is not Markdown; it becomes math."""
    blocks = [(o, c) for o, c, is_block in delimiters if is_block]

    def block(state, start_line, end_line, silent):
        if state.sCount[start_line] - state.blkIndent >= 4:
            return False
        first = state.src[state.bMarks[start_line] + state.tShift[start_line] : state.eMarks[start_line]]
        for opener, closer in blocks:
            if not first.startswith(opener):
                continue
            rest = first[len(opener) :]
            nxt = start_line + 1
            if closer in rest:
                end = rest.index(closer)
                if rest[end + len(closer) :].strip():
                    return False  # text after it: inline math in a paragraph
                content = rest[:end]
            else:
                lines = [rest]
                while nxt < end_line:
                    text = state.src[state.bMarks[nxt] : state.eMarks[nxt]]
                    nxt += 1
                    if text.rstrip().endswith(closer):
                        lines.append(text.rstrip()[: -len(closer)])
                        break
                    lines.append(text)
                else:
                    return False
                content = "\n".join(lines)
            if not silent:
                tok = state.push("math_block", "math", 0)
                tok.content, tok.map, tok.block = content, [start_line, nxt], True
            state.line = nxt
            return True
        return False

    def inline(state, silent):
        for opener, closer, is_block in delimiters:
            if not state.src.startswith(opener, state.pos):
                continue
            end = state.src.find(closer, state.pos + len(opener))
            if end < 0 or end == state.pos + len(opener):
                continue
            if not silent:
                tok = state.push("math_inline", "math", 0)
                tok.content = state.src[state.pos + len(opener) : end]
                tok.meta = {"display": is_block}
            state.pos = end + len(closer)
            return True
        return False

    md.block.ruler.before("fence", "passthrough", block, {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.inline.ruler.before("escape", "passthrough", inline)


def _colon_only_deflists(md: MarkdownIt) -> None:
    """Goldmark starts a definition only at ":"; the plugin also takes pandoc's "~",
    which would turn lines such as "~ Do not add…" into a definition list."""
    original = next(r.fn for r in md.block.ruler.__rules__ if r.name == "deflist")

    def deflist(state, start_line, end_line, silent):
        nxt = start_line + 1
        if nxt < end_line:
            pos = state.bMarks[nxt] + state.tShift[nxt]
            if pos < state.eMarks[nxt] and state.src[pos] == "~":
                return False
        return original(state, start_line, end_line, silent)

    md.block.ruler.at("deflist", deflist, {"alt": ["paragraph", "reference"]})


class _TooDeep(Exception):
    """A block nested deeper than ``MAX_DEPTH`` starts at line ``args[0]`` of the parsed text."""


#: markdown-it's own nesting limit for inline markup (links in links): its default.
_INLINE_NESTING = 20


def _refuse_deep_blocks(md: MarkdownIt) -> None:
    """markdown-it stops reading a page at ``maxNesting`` (20 by default: a list ten levels
    deep) and silently drops the rest of it; Goldmark has no such limit. Blocks get room up
    to ``MAX_DEPTH`` and a first rule that raises past it, so the block parser never reaches
    its own limit; inline markup keeps markdown-it's (inline text past it is kept as text)."""

    def guard(state, start_line, end_line, silent):
        if state.level > MAX_DEPTH:
            raise _TooDeep(start_line)
        return False

    def nesting(limit: int):
        def rule(state):
            state.md.options["maxNesting"] = limit

        return rule

    md.block.ruler.before("table", "depth_guard", guard)
    # A list level opens two elements (ul, li) before its first block: room for the guard.
    md.core.ruler.before("block", "block_nesting", nesting(MAX_DEPTH + 10))
    md.core.ruler.before("inline", "inline_nesting", nesting(_INLINE_NESTING))


def _record_lines(md: MarkdownIt, name: str, whole: bool) -> None:
    """Blocks that leave no token with a line map (link reference definitions, a footnote's
    opening line) note their lines in ``env["lines"]``, for ``_check_nothing_lost``."""
    original = next(r.fn for r in md.block.ruler.__rules__ if r.name == name)

    def rule(state, start_line, end_line, silent):
        ok = original(state, start_line, end_line, silent)
        if ok and not silent:
            state.env.setdefault("lines", set()).update(range(start_line, state.line if whole else start_line + 1))
        return ok

    md.block.ruler.at(name, rule, {"alt": next(r.alt for r in md.block.ruler.__rules__ if r.name == name)})


# Lines of nothing but block markers (">", "-", "1.", "|---|", "```") hold no text of their own.
_MARKERS_ONLY = re.compile(r"[\s>*+\-|:0-9.)=`~]*")
# Tokens that stand for their first line only: a term (the plugin maps it to no lines) and a
# footnote. A list item's or a quote's map spans its content, which may have been dropped.
_OPENERS = frozenset({"dt_open", "footnote_reference_open"})


def _check_nothing_lost(tokens: list[Token], text: str, env: dict, path: Path, line_of) -> None:
    """Every line of ``text`` with text on it is in a block of the token stream: a limit of
    the Markdown engine that skips the rest of a page (as markdown-it's nesting limit did)
    is an error at the first line it skipped, never a page that silently ends early."""
    covered: set[int] = set(env.get("lines", ()))
    for tok in tokens:
        if tok.map is None:
            continue
        if tok.type in _OPENERS:
            covered.add(tok.map[0])
        elif tok.nesting == 0 or tok.type in ("paragraph_open", "heading_open", "tr_open"):
            covered.update(range(tok.map[0], tok.map[1]))
    for i, ln in enumerate(text.split("\n")):
        if i not in covered and not _MARKERS_ONLY.fullmatch(ln):
            raise SourceError(
                f"the Markdown engine dropped the text from this line on (a limit of markdown-it; {CODE}); "
                "please report it",
                path,
                line_of(i),
            )


# ----------------------------------------------------------------- ids


def hugo_id(text: str) -> str:
    """Hugo's "github" heading id for ``text`` (before making it unique on the page)."""
    out = []
    for ch in text.strip():
        if ch in "- ":
            out.append("-")
        elif ch == "_" or ch.isalpha() or ch.isdigit() or unicodedata.category(ch) in ("Nd", "Nl", "No"):
            out.append(ch.lower())
    return "".join(out)


class IdFactory:
    """Hugo's per-page id registry: a taken id gets ``-1``, ``-2``, …"""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def generate(self, text: str) -> str:
        base = hugo_id(text) or "heading"
        new = base
        i = 0
        while new in self.taken:
            i += 1
            new = f"{base}-{i}"
        self.taken.add(new)
        return new

    def put(self, value: str) -> None:
        self.taken.add(value)


# ------------------------------------------------------------- render

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_ATTR_BLOCK = re.compile(r"\s*\{((?:\s*(?:#[\w:.-]+|\.[\w-]+|[\w-]+=(?:\"[^\"]*\"|\S+)))+)\s*\}\s*$")
_PERMALINK = re.compile(r"Permalink:\s*(\S+)", re.I)
_META_LINE = re.compile(r"^\s*(Category|Permalink|Type|Aliases?)\s*:", re.I)


#: A page that loads KaTeX (hugo-book's and Geekdoc's katex shortcode or fence): the theme's
#: script then draws the math between KaTeX's default delimiters anywhere on the page.
_KATEX_PAGE = re.compile(r"\{\{[<%]\s*katex\b|^[ \t]*(?:```|~~~)\s*katex\b", re.M)
KATEX_DELIMITERS = (("$$", "$$", True), ("\\[", "\\]", True), ("\\(", "\\)", False))


def render(
    body: str, path: Path, first_line: int = 1, context: Context | None = None, *, markup: tuple[str, ...] = ()
) -> Rendered:
    """Render one page's Markdown ``body`` whose first line is line ``first_line`` of ``path``;
    ``context``: the site's params, folder and theme the shortcodes read.

    ``markup`` names the site's optional extras: "emoji" (``enableEmoji``: ``:smile:`` in
    text becomes 😄, never in code or URLs) and "dt-ids" (Goldmark's
    ``parser.autoDefinitionTermID``: each ``<dt>`` gets an id, made as heading ids are).
    """
    control = _CONTROL.search(body)
    early: list[Diagnostic] = []
    if control:
        # Not allowed in XML (the EPUB) and never meant: report the first, drop them all.
        early.append(
            Diagnostic(
                "warning",
                f"control character U+{ord(control.group()):04X} removed",
                path,
                first_line + body.count("\n", 0, control.start()),
                code="control-character",
            )
        )
        body = _CONTROL.sub("", body)
    check_size(body, path, first_line)
    text, linemap, diags = expand_shortcodes(body, path, first_line, context)
    diags = early + diags
    passthrough = context.passthrough if context is not None else ()
    if not passthrough and _KATEX_PAGE.search(body):
        passthrough = KATEX_DELIMITERS  # KaTeX's auto-render reads these on a page that loads it
    md = _parser(passthrough)
    env: dict = {}

    def line_of(i: int) -> int:
        return first_line + (linemap[i] if i < len(linemap) else i)

    try:
        tokens = md.parse(text, env)
    except _TooDeep as deep:
        raise too_large(
            f"lists or block quotes nested more than {MAX_DEPTH} levels deep (a list counts 2 a level)",
            "flatten them",
            path,
            line_of(deep.args[0]),
        ) from None
    _check_nothing_lost(tokens, text, env, path, line_of)
    if "emoji" in markup:
        _emojify(tokens)
    ids = IdFactory()
    headings: list[Heading] = []
    permalinks: list[tuple[str, str, int]] = []

    def src_line(tok: Token) -> int:
        return first_line if tok.map is None else line_of(tok.map[0])

    # Explicit {#id}s are reserved first, as Goldmark does, so generated ids avoid them.
    explicit: dict[int, tuple[str, list[str]]] = {}
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            inline = tokens[i + 1]
            m = _ATTR_BLOCK.search(inline.content)
            if m:
                hid, classes = _parse_attrs(m.group(1))
                _strip_attr_block(inline, m)
                if hid:
                    if hid in ids.taken:
                        diags.append(
                            Diagnostic(
                                "error",
                                f"heading id '#{hid}' is defined twice by {{#{hid}}}",
                                path,
                                src_line(tok),
                                code="duplicate-id",
                            )
                        )
                    ids.put(hid)
                explicit[i] = (hid, classes)

    last_heading_id = ""
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            inline = tokens[i + 1]
            hid, classes = explicit.get(i, ("", []))
            text_plain = _plain_text(inline)
            if not hid:
                hid = ids.generate(_id_text(inline))
            tok.attrSet("id", hid)
            if classes:
                tok.attrSet("class", " ".join(classes))
            level = int(tok.tag[1])
            headings.append(Heading(level=level, text=text_plain, id=hid, line=src_line(tok)))
            last_heading_id = hid
        elif tok.type == "dt_open" and "dt-ids" in markup and i + 1 < len(tokens):
            tok.attrSet("id", ids.generate(_id_text(tokens[i + 1])))
        elif tok.type == "blockquote_open":
            # A section's metadata quote: every line "Category: …" / "Permalink: …".
            j = i + 1
            if j + 1 < len(tokens) and tokens[j].type == "paragraph_open" and tokens[j + 1].type == "inline":
                content = tokens[j + 1].content
                lines = [ln for ln in content.splitlines() if ln.strip()]
                if lines and all(_META_LINE.match(ln) for ln in lines):
                    tok.attrSet("class", "meta")
                for m in _PERMALINK.finditer(content):
                    if last_heading_id:
                        permalinks.append(
                            (m.group(1), last_heading_id, src_line(tokens[j + 1]) + content[: m.start()].count("\n"))
                        )
        elif tok.type == "inline" and tok.children:
            for child in tok.children:
                if child.type == "html_inline" and not _is_known_tag(child.content):
                    child.type = "text"
    tokens = _alerts(tokens, md, env)
    _figures(tokens)
    _number_steps(tokens)
    html = md.renderer.render(tokens, md.options, env)
    return Rendered(html=html, headings=tuple(headings), permalinks=tuple(permalinks), diagnostics=tuple(diags))


_EMOJI_CODE = re.compile(r":[\w+-]+:")


def _emojify(tokens: list[Token]) -> None:
    """Hugo's ``enableEmoji``: emoji codes in text become the emoji (GitHub's names)."""
    import emoji  # only sites that enable emoji need it

    for tok in tokens:
        for child in tok.children or ():
            if child.type == "text" and ":" in child.content and _EMOJI_CODE.search(child.content):
                child.content = emoji.emojize(child.content, language="alias")


#: Hugo's alert marker on a block quote's first line (GitHub's syntax, Obsidian's fold sign and title).
_ALERT = re.compile(r"\[!([A-Za-z]+)\]([+-]?)[ \t]*")


def _alerts(tokens: list[Token], md: MarkdownIt, env: dict) -> list[Token]:
    """Block quotes that start with ``[!NOTE]``, ``[!TIP]``, ``[!IMPORTANT]``, ``[!WARNING]``,
    ``[!CAUTION]`` (any letters: Hugo passes any type to the render hook) become the note box
    the callout shortcodes make, titled with the rest of the first line, its inline markup
    rendered (Hugo's AlertTitle), else with the type ("Note") as GitHub and the themes show it."""
    out: list[Token] = []
    closers: set[int] = set()  # ids of the blockquote_close tokens of converted quotes
    for i, tok in enumerate(tokens):
        if id(tok) in closers:
            close = Token("html_block", "", 0)
            close.content = "</div>\n"
            close.map, close.level, close.block = tok.map, tok.level, True
            out.append(close)
            continue
        if tok.type != "blockquote_open" or i + 2 >= len(tokens) or tokens[i + 1].type != "paragraph_open":
            out.append(tok)
            continue
        inline = tokens[i + 2]
        m = _ALERT.match(inline.content)
        children = inline.children or []
        if m is None or not children or children[0].type != "text" or not _ALERT.match(children[0].content):
            out.append(tok)
            continue
        kind = m.group(1).lower()
        head, rest = [], []
        for k, child in enumerate(children):
            if child.type in ("softbreak", "hardbreak"):
                rest = children[k + 1 :]
                break
            head.append(child)
        first = head[0]
        first.content = first.content[m.end() :]  # the marker is at the start of the first text
        title = md.renderer.renderInline(head, md.options, env).strip()  # type: ignore[attr-defined]
        inline.children = rest
        inline.content = inline.content.split("\n", 1)[1] if "\n" in inline.content else ""
        closer = next(
            (t for t in tokens[i + 1 :] if t.type == "blockquote_close" and t.level == tok.level),
            None,
        )
        if closer is not None:
            closers.add(id(closer))
        label = title or kind.capitalize()
        box = Token("html_block", "", 0)
        box.content = f'<div class="callout callout-{kind}" role="note">\n<p><strong>{label}</strong></p>\n'
        box.map, box.level, box.block = tok.map, tok.level, True
        out.append(box)
        if not rest:  # the marker line was all the paragraph held
            tokens[i + 1].hidden = tokens[i + 3].hidden = True
            inline.children = []
    return out


#: Fenced code the site's render hooks draw: math (GitHub's, Docsy's, hugo-book's) and Mermaid.
_MATH_FENCES = frozenset({"math", "katex"})


def _figures(tokens: list[Token]) -> None:
    """Math and Mermaid, from fences and passthrough delimiters, as placeholders that
    ``diagrams.draw`` turns into SVG after sanitizing."""
    for tok in tokens:
        lang = tok.info.strip().split()[0].lower() if tok.type == "fence" and tok.info.strip() else ""
        if tok.type == "math_block" or lang in _MATH_FENCES:
            tok.type, tok.content = "html_block", diagrams.math_placeholder(tok.content, True) + "\n"
        elif lang == "mermaid":
            tok.type, tok.content = "html_block", diagrams.mermaid_placeholder(tok.content) + "\n"
        elif tok.type == "inline" and tok.children:
            for child in tok.children:
                if child.type == "math_inline":
                    # in a paragraph even when written with a block's delimiters
                    child.type, child.content = "html_inline", diagrams.math_placeholder(child.content, False)


def _number_steps(tokens: list[Token]) -> None:
    """Number the h3 headings inside ``{{% steps %}}`` (1., 2., …) as the theme shows them;
    a heading with class no-step-marker is not a step. Ids stay Hugo's (made from the text)."""
    depth = 0
    n = 0
    for i, tok in enumerate(tokens):
        if tok.type == "html_block":
            if depth == 0 and tok.content.lstrip().startswith(STEPS_OPEN):
                depth, n = 1, 0
                continue
            if depth:
                depth += tok.content.count("<div") - tok.content.count("</div>")
        elif depth > 0 and tok.type == "heading_open" and tok.tag == "h3":
            if "no-step-marker" in str(tok.attrGet("class") or "").split():
                continue
            n += 1
            inline = tokens[i + 1]
            mark = Token("html_inline", "", 0)
            mark.content = f'<span class="step-number">{n}.</span> '
            inline.children = [mark, *(inline.children or [])]


def _is_known_tag(raw: str) -> bool:
    if raw.startswith("<!--") or raw.startswith("<?") or raw.startswith("<!"):
        return True
    m = _TAG_NAME.match(raw)
    return m is not None and m.group(1).lower() in KNOWN


def _parse_attrs(spec: str) -> tuple[str, list[str]]:
    hid, classes = "", []
    for part in spec.split():
        if part.startswith("#"):
            hid = part[1:]
        elif part.startswith("."):
            classes.append(part[1:])
    return hid, classes


def _strip_attr_block(inline: Token, m: re.Match) -> None:
    inline.content = inline.content[: m.start()]
    if inline.children:
        last = inline.children[-1]
        if last.type == "text":
            mm = _ATTR_BLOCK.search(last.content)
            if mm:
                last.content = last.content[: mm.start()]


def _plain_text(inline: Token) -> str:
    """The heading as a reader sees it (typographer applied, markup removed)."""
    parts = []
    for child in inline.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _id_text(inline: Token) -> str:
    """The text Hugo makes the id from: the heading's inline text *before* the typographer
    ("How about ..." → ``how-about-``), without raw HTML."""
    parts = []
    for child in _plain_parser().parseInline(inline.content)[0].children or ():
        if child.type in ("text", "code_inline", "image"):
            parts.append(child.content)
    return "".join(parts)


@lru_cache(maxsize=1)
def _plain_parser() -> MarkdownIt:
    return MarkdownIt("gfm-like", {"typographer": False, "linkify": False, "html": True})
