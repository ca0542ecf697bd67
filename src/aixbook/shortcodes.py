"""Hugo shortcodes → HTML, before the Markdown is parsed, so that a reader of the book
loses nothing the website shows.

Three sources, looked at in this order for each shortcode:

- the table of the theme the site names (``themes/NAME.toml``: Docsy, hugo-book,
  Geekdoc, Relearn), where each shortcode is a *kind* of HTML (a note box, an open
  expander, columns, a link, a figure, code, an included file, math, a diagram…) and
  the arguments its values come from: data, so a new theme is one more file;
- the shortcodes of Hextra written here (``shortcode_html``: callout, cards, steps,
  tabs with their item names, filetree, badge, ref/relref), which need state;
- Hugo's own shortcodes (``themes/hugo.toml``), then the other themes' tables.

Any other shortcode is reported (file and line) and only its markup dropped; its inner
text follows Hugo's rule: Markdown inside ``{{% %}}``, not Markdown inside ``{{< >}}``
(HTML kept, text as written, fenced code still code, ``lang=`` makes it all code), with
a ``title``/``header``/``name`` argument as its caption.

``{{</* x */>}}`` is Hugo's way to write a shortcode as text: it stays text, ``{{< x >}}``.
"""

from __future__ import annotations

import html as htmllib
import json
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from . import diagrams, trust
from .diagnostics import Diagnostic
from .errors import SourceError

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

_SHORTCODE = re.compile(
    r"\{\{([<%])/\*(.*?)\*/[>%]\}\}"  # escaped: shown as written, without /* */
    r"|\{\{(<|%)\s*(/?)\s*([\w./-]+)(.*?)\s*(?:>|%)\}\}",
    re.S,
)
_SC_OPEN = re.compile(r"\{\{[<%]")
_ATTR = re.compile(r'([\w-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|(\S+))')
_POSITIONAL = re.compile(r'"([^"]*)"|\'([^\']*)\'|`([^`]*)`|([^\s=]+)(?=\s|$)')
BLOCK_SHORTCODES = {
    "callout",
    "alert",
    "pageinfo",
    "cards",
    "small-card",
    "card",
    "spacer",
    "details",
    "steps",
    "tabs",
    "tab",
    "filetree/container",
    "filetree/folder",
    "filetree/file",
}
#: The marker ``markdown.render`` numbers the h3 headings between (``{{% steps %}}``).
STEPS_OPEN = '<div class="steps">'


@dataclass
class _State:
    """What a shortcode needs to know of the ones before it: the tabs' item names."""

    tabs: list[list[str]] = field(default_factory=list)
    tab_index: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    """What shortcodes read besides their own page text: the site's folder (``include``,
    data files), its params and the page's (``param``), the site's theme (whose table of
    shortcodes is looked at first)."""

    site_root: Path | None = None
    site_params: dict = field(default_factory=dict)
    page_params: dict = field(default_factory=dict)
    themes: tuple[str, ...] = ()
    #: goldmark's passthrough delimiters, when the site enables them: (open, close, is a block).
    passthrough: tuple[tuple[str, str, bool], ...] = ()

    def fingerprint(self) -> str:
        """What of the context a page's HTML depends on besides the page (for the chapter cache)."""
        # repr, not JSON: YAML keys may be booleans or dates, which JSON cannot sort or hold.
        return repr((str(self.site_root), self.site_params, self.themes, self.passthrough))


@dataclass(frozen=True)
class _Tag:
    match: re.Match
    name: str
    closing: bool
    delim: str  # "<" raw, "%" Markdown
    attrs: dict[str, str]
    args: list[str]
    self_closed: bool  # {{< x />}}
    close: int = -1  # index of the closing tag, -1 when it has none


def _tags(text: str) -> list[_Tag | re.Match]:
    """Every shortcode of ``text`` in order, each opener paired with its closer (Hugo's rule:
    a closer closes the nearest open shortcode of its name); escaped ones as matches."""
    out: list = []
    stack: list[int] = []
    for m in _SHORTCODE.finditer(text):
        if m.group(1) is not None:
            out.append(m)
            continue
        args = m.group(6)
        attrs = {a.group(1): next(g for g in a.groups()[1:] if g is not None) for a in _ATTR.finditer(args)}
        tag = _Tag(m, m.group(5), bool(m.group(4)), m.group(3), attrs, _positional(args), args.rstrip().endswith("/"))
        out.append(tag)
        if tag.closing:
            for k in range(len(stack) - 1, -1, -1):
                if out[stack[k]].name == tag.name:
                    out[stack[k]] = _with_close(out[stack[k]], len(out) - 1)
                    del stack[k:]
                    break
        elif not tag.self_closed:
            stack.append(len(out) - 1)
    return out


def _with_close(tag: _Tag, close: int) -> _Tag:
    return _Tag(tag.match, tag.name, tag.closing, tag.delim, tag.attrs, tag.args, tag.self_closed, close)


def expand_shortcodes(
    text: str, path: Path, first_line: int, context: Context | None = None, _depth: int = 0
) -> tuple[str, list[int], list[Diagnostic]]:
    """Rewrite Hugo shortcodes into HTML; return (text, line map, diagnostics).

    ``line map[i]`` is the 0-based line of the input that output line ``i`` came from.
    """
    ctx = context or Context()
    diags: list[Diagnostic] = []
    pieces: list[str] = []
    linemap: list[int] = []
    pos = 0
    line = 0
    state = _State()
    tags = _tags(text)
    # The shortcodes open around the text being written: (tag, table entry or None).
    open_: list[tuple[_Tag, dict | None]] = []
    skip_to = -1  # a shortcode whose inner text is consumed whole: the index of its closer

    def emit(chunk: str, verbatim: bool) -> None:
        pieces.append(chunk)
        start = line
        for k, _ in enumerate(chunk.split("\n")[1:], 1):
            linemap.append(start + k if verbatim else start)

    linemap.append(0)
    for idx, item in enumerate(tags):
        m = item if isinstance(item, re.Match) else item.match
        before = text[pos : m.start()]
        _check_unclosed(before, path, first_line + line)
        if idx <= skip_to:
            # inside a consumed shortcode: its text is not written
            emit("\n" * before.count("\n") + "\n" * m.group(0).count("\n"), False)
            line += before.count("\n") + m.group(0).count("\n")
            pos = m.end()
            continue
        emit(_inner_text(before, open_), _inner_text(before, open_) == before)
        line += before.count("\n")
        if isinstance(item, re.Match):  # {{</* x */>}}: Hugo prints it as {{< x >}}
            opener = m.group(1)
            emit("{{" + opener + m.group(2) + (">" if opener == "<" else "%") + "}}", True)
            line += m.group(0).count("\n")
            pos = m.end()
            continue
        tag = item
        if inner := _SC_OPEN.search(m.group(6)):
            raise SourceError(
                f"shortcode '{tag.name}' holds another '{{{{' in its arguments (Hugo refuses it too)",
                path,
                first_line + line + text[m.start() : m.start(6) + inner.start()].count("\n"),
            )
        closer = tags[tag.close] if tag.close >= 0 else None
        inner_text = text[m.end() : closer.match.start()] if isinstance(closer, _Tag) else ""
        rep, entry, block, consumed = _render(
            tag, inner_text, open_, state, ctx, path, first_line + line, diags, _depth
        )
        if tag.closing:
            if open_ and open_[-1][0].name == tag.name:
                open_.pop()
        elif tag.close >= 0:
            if consumed:
                skip_to = tag.close
                # the closer is written as nothing; its lines are accounted for below
            else:
                open_.append((tag, entry))
        # A block shortcode starts its own line: strip indentation before it so the
        # HTML we put in its place is not read as an indented code block.
        if block and pieces and (pieces[-1].endswith("\n") or re.search(r"\n[ \t]+$", pieces[-1])):
            pieces[-1] = re.sub(r"[ \t]+$", "", pieces[-1])
        emit(rep, False)
        line += m.group(0).count("\n")
        pos = m.end()
    rest = text[pos:]
    _check_unclosed(rest, path, first_line + line)
    emit(_inner_text(rest, open_), True)
    return "".join(pieces), linemap, diags


_SEPARATOR = re.compile(r"^[ \t]*<--->[ \t]*$", re.M)


def _inner_text(chunk: str, open_: list[tuple[_Tag, dict | None]]) -> str:
    """Text between shortcodes as the innermost open one shows it: Markdown (``{{% %}}`` and
    the known shortcodes, whose templates render their inner text), raw for an unknown
    ``{{< >}}`` (HTML as written, text not read as Markdown, fenced code still code), and a
    columns shortcode's ``<--->`` lines as column breaks."""
    if not open_ or not chunk:
        return chunk
    tag, entry = open_[-1]
    if entry is not None:
        if entry.get("kind") == "columns":
            return _SEPARATOR.sub('\n\n</div>\n<div class="column">\n\n', chunk)
        return chunk
    if tag.delim == "%":
        return chunk
    return _raw(chunk, block=_is_block(tag))


_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^[ \t]*\2[`~]*[ \t]*$", re.M | re.S)


def _raw(chunk: str, block: bool) -> str:
    """Text written as Hugo writes an unknown ``{{< >}}`` shortcode's inner text: not Markdown.
    Fenced code blocks stay code (``<pre>``); HTML is kept; other text is text, paragraphs
    split at blank lines. A block's HTML has no blank line, so Markdown does not read it."""
    if not block:
        return _literal_inline(chunk)
    out: list[str] = []
    pos = 0
    for m in _FENCE.finditer(chunk):
        out.append(_raw_text(chunk[pos : m.start()]))
        out.append(code_block(_dedent(m.group(4), m.group(1)), m.group(3)))
        pos = m.end()
    out.append(_raw_text(chunk[pos:]))
    body = "\n".join(p for p in out if p)
    return f"\n\n{body}\n\n" if body else chunk if not chunk.strip() else ""


def _dedent(code: str, indent: str) -> str:
    return "\n".join(ln[len(indent) :] if ln.startswith(indent) else ln for ln in code.split("\n"))


def _raw_text(text: str) -> str:
    paras = [p.strip() for p in re.split(r"\n[ \t]*\n", text) if p.strip()]
    return "\n".join(p if p.startswith("<") else f"<p>{_esc(p)}</p>" for p in paras)


def code_block(code: str, lang: str = "") -> str:
    """A code block as Goldmark writes a fence, on one line (``&#10;`` for its line breaks) so
    that the Markdown around it takes it as one HTML block, blank lines and all."""
    cls = f' class="language-{_esc(lang)}"' if lang else ""
    code = code.rstrip("\n") + "\n"
    return f"<pre><code{cls}>" + _esc(code, quote=False).replace("\n", "&#10;") + "</code></pre>"


# ASCII punctuation Markdown (emphasis, links, the typographer's quotes) would read.
_MD_PUNCT = re.compile(r"[\\`*_\[\]()#+\-.!|~{}<>\"'&:]")


def _literal_inline(text: str) -> str:
    """Inline text Markdown leaves as written: its punctuation as character references."""
    return _MD_PUNCT.sub(lambda m: f"&#{ord(m.group())};", text)


def _is_block(tag: _Tag) -> bool:
    """Whether a shortcode stands as a block: its tag starts a line of its own."""
    text = tag.match.string
    start = text.rfind("\n", 0, tag.match.start()) + 1
    return not text[start : tag.match.start()].strip()


THEMES = Path(__file__).with_name("themes")


@lru_cache(maxsize=1)
def theme_tables() -> dict[str, dict[str, dict]]:
    """Every theme's table of shortcodes (``themes/NAME.toml``), by theme name; ``hugo`` is
    Hugo's own built-in shortcodes."""
    return {f.stem: tomllib.loads(f.read_text(encoding="utf-8")) for f in sorted(THEMES.glob("*.toml"))}


def detect_themes(config: dict) -> tuple[str, ...]:
    """The themes of ``theme_tables`` a site's configuration names (``theme``, module imports)."""
    named: list[str] = []
    theme = config.get("theme")
    named.extend(theme if isinstance(theme, list) else [theme] if theme else [])
    module = config.get("module")
    if isinstance(module, dict):
        for imp in module.get("imports") or []:
            if isinstance(imp, dict) and imp.get("path"):
                named.append(imp["path"])
    found: list[str] = []
    for name in named:
        low = str(name).lower()
        for table in theme_tables():
            aliases = theme_tables()[table].get("_theme", {}).get("names", [table])
            if table != "hugo" and any(a in low for a in aliases) and table not in found:
                found.append(table)
    return tuple(found)


def _entry(name: str, parent: _Tag | None, ctx: Context) -> dict | None:
    """The table entry for shortcode ``name``: the site's themes first, then Hugo's built-ins,
    then the other themes (a shortcode name means the same box in all of them)."""
    tables = theme_tables()
    order = [*ctx.themes, "hugo", *(t for t in tables if t not in ctx.themes and t != "hugo")]
    for i, theme in enumerate(order):
        entry = tables.get(theme, {}).get(name)
        if entry is None or name == "_theme":
            continue
        if "parent" in entry:
            if parent is None or parent.name != entry["parent"]:
                continue
            return entry  # the parent says which theme it is (Docsy's tab in a tabpane)
        if i >= len(ctx.themes) and name in _PYTHON and theme != "hugo":
            return None  # a Hextra name (card, tabs): the theme's meaning only on its own sites
        return entry
    return None


# The shortcodes shortcode_html renders (Hextra's, and ref/relref).
_PYTHON = frozenset(BLOCK_SHORTCODES | {"badge", "icon", "relref", "ref", "relRef"})


def _value(tag: _Tag, sources, default: str = "") -> str:
    """The first of ``sources`` (attribute names, positional indexes) the tag gives."""
    for src in sources if isinstance(sources, list) else [sources]:
        if isinstance(src, int):
            if src < len(tag.args):
                return tag.args[src]
        elif src in tag.attrs:
            return tag.attrs[src]
    return default


@lru_cache(maxsize=1)
def _inline_md() -> MarkdownIt:
    from markdown_it import MarkdownIt  # loaded only when a chapter is parsed

    return MarkdownIt("commonmark", {"typographer": True}).enable(["replacements", "smartquotes"])


def _md_inline(text: str) -> str:
    """A title written in Markdown (``header="**Go**"``) as inline HTML."""
    return _inline_md().renderInline(text).strip()


#: The open-shortcode entry of one shortcode_html renders (its inner text is Markdown).
_KNOWN: dict = {"kind": "known"}


def _render(tag, inner, open_, state, ctx, path, line, diags, depth):
    """(HTML, table entry, whether it is a block, whether its inner text is consumed)."""
    name = tag.name
    parent = open_[-1][0] if open_ else None
    if tag.closing:
        top = next((e for t, e in reversed(open_) if t.name == name), None) if open_ else None
        opened = next((t for t, _ in reversed(open_) if t.name == name), None)
        if top is not None and top is not _KNOWN:
            return top.get("close", "") and "\n\n" + top["close"] + "\n", top, bool(top.get("block", True)), False
        rep = shortcode_html(name, True, tag.attrs, tag.args, state)
        if rep is not None:
            return rep, _KNOWN, name in BLOCK_SHORTCODES, False
        if opened is None:
            return "", None, False, False  # a closer without its opener: nothing to close
        if opened.delim == "<" and not _is_block(opened):
            return "</span>", None, False, False
        block = _is_block(opened)
        return ("\n\n</div>\n" if block else ""), None, block, False
    entry = _entry(name, parent, ctx)
    if entry is None:
        rep = shortcode_html(name, False, tag.attrs, tag.args, state)
        if rep is not None:
            return rep, _KNOWN, name in BLOCK_SHORTCODES, False
        return _unknown(tag, inner, path, line, diags, ctx)
    return _kind(entry, tag, inner, parent, open_, ctx, path, line, diags, depth)


def _code_text(inner: str, ctx: Context) -> str:
    """Code inside a shortcode as Hugo has it: the shortcodes in it already rendered, so a
    ``{{% param x %}}`` in a Docsy code tab is the value of x (other ones stay as written)."""

    def one(m: re.Match) -> str:
        if m.group(1) is not None or m.group(5) not in ("param", "comment"):
            return m.group(0)
        if m.group(5) == "comment":
            return ""
        key = next(iter(_positional(m.group(6))), "") or _attr_value(m.group(6), "name")
        value = _param(key, ctx)
        return m.group(0) if value is None else value

    return _SHORTCODE.sub(one, inner)


def _attr_value(args: str, name: str) -> str:
    for a in _ATTR.finditer(args):
        if a.group(1) == name:
            return next(g for g in a.groups()[1:] if g is not None)
    return ""


def _unknown(tag, inner, path, line, diags, ctx):
    """A shortcode no table knows: reported; its inner text kept by Hugo's rule for its
    delimiters, fenced code as code; a title-like argument as a caption."""
    diags.append(
        Diagnostic(
            "warning",
            f"shortcode '{tag.name}' is not supported; its markup was dropped (its inner text is kept"
            + (", not read as Markdown as Hugo does for {{< >}})" if tag.delim == "<" and tag.close >= 0 else ")"),
            path,
            line,
            code="unsupported-shortcode",
        )
    )
    if tag.close < 0:
        return "", None, False, False
    caption = _value(tag, ["title", "header", "name"])
    if not _is_block(tag):
        head = f"<strong>{_esc(caption)}</strong> " if caption else ""
        return (head + "<span>" if tag.delim == "<" else head), None, False, False
    lang = tag.attrs.get("lang") or tag.attrs.get("language")
    head = f'<p class="shortcode-title"><strong>{_md_inline(caption)}</strong></p>\n' if caption else ""
    code = _code_text(inner, ctx)
    if lang and tag.delim == "<" and "```" not in code and "{{" not in code:
        # Docsy's tab lang="go": the inner text is code in that language.
        return (
            f'\n\n<div class="shortcode">\n{head}{code_block(_strip_blank(code), lang)}\n</div>\n\n',
            None,
            True,
            True,
        )
    return f'\n\n<div class="shortcode">\n{head}\n', None, True, False


def _kind(entry, tag, inner, parent, open_, ctx, path, line, diags, depth):
    kind = entry.get("kind", "wrap")
    v = lambda key, default="": _value(tag, entry.get(key, []), entry.get(key + "_default", default))
    paired = tag.close >= 0
    if kind == "box":
        cls = re.sub(r"[^a-z]", "", v("type", "info").lower()) or "info"
        cls = entry.get("types", {}).get(cls, cls)
        title = v("title")
        head = f"<p><strong>{_md_inline(title)}</strong></p>\n\n" if title else ""
        entry = {**entry, "close": ("\n\n" + _foot(v("footer")) if v("footer") else "") + "</div>"}
        return f'\n<div class="callout callout-{cls}" role="note">\n\n{head}', entry, True, False
    if kind == "expand":
        title = v("title", "Details")
        entry = {**entry, "close": "</details>"}
        return f'\n<details open="open"><summary>{_md_inline(title)}</summary>\n\n', entry, True, False
    if kind == "columns":
        entry = {**entry, "close": "</div>\n</div>"}
        return '\n<div class="columns">\n<div class="column">\n\n', entry, True, False
    if kind == "wrap":
        cls = _esc(entry.get("class", "shortcode"))
        title = v("title")
        head = f'<p class="shortcode-title"><strong>{_md_inline(title)}</strong></p>\n\n' if title else ""
        if not paired:
            return "", None, False, False
        entry = {**entry, "close": "</div>"}
        return f'\n<div class="{cls}">\n\n{head}', entry, True, False
    if kind == "drop":
        return "", entry, False, paired
    if kind == "pages":  # a list of the section's pages: in the book they follow it
        return "", entry, False, paired
    if kind == "link":
        href = v("href")
        if ref := v("ref"):
            href = "relref:" + ref.replace(" ", "%20")
        text = _md_inline(inner.strip()) if paired else _esc(v("text") or href)
        return f'<a href="{_esc(href)}">{text}</a>', entry, False, True
    if kind == "code":
        code = _strip_blank(_code_text(inner, ctx))
        return "\n\n" + code_block(code, v("lang")) + "\n\n", entry, True, paired
    if kind == "tab":  # Docsy: a tab is code in its (or its tabpane's) language unless text=true
        pane = parent if parent is not None and parent.name == entry.get("parent") else None
        title = v("title")
        head = f'<p class="tab-title"><strong>{_md_inline(title)}</strong></p>\n' if title else ""
        text_mode = str(tag.attrs.get("text", pane.attrs.get("text", "") if pane else "")).lower() == "true"
        lang = tag.attrs.get("lang") or (pane.attrs.get("lang", "") if pane else "")
        if not paired:
            return (f'\n<div class="tab">\n{head}</div>\n\n' if head else ""), None, True, False
        if not text_mode:
            return (
                f'\n\n<div class="tab">\n{head}{code_block(_strip_blank(_code_text(inner, ctx)), lang)}\n</div>\n\n',
                entry,
                True,
                True,
            )
        entry = {**entry, "close": "</div>"}
        return f'\n<div class="tab">\n{head}\n', entry, True, False
    if kind == "embed":
        fields = {k: _value(tag, srcs) for k, srcs in entry.get("args", {}).items()}
        if paired and not any(fields.values()):
            fields = {k: inner.strip() for k in fields}
        url = entry.get("url", "{}").format(**fields)
        label = entry.get("label", "")
        # The link says what it is (a bare URL as link text tells a screen reader nothing);
        # the address follows as text, for a reader of the printed book.
        title = v("title") or entry.get("text", "").format(**fields) or url
        link = f'<a href="{_esc(url)}">{_esc(title)}</a>'
        label = f"{_esc(label)}: " if label else ""
        address = f"<br/>{_esc(url)}" if title != url else ""
        return (
            f'\n\n<div class="callout callout-link" role="note">\n<p>{label}{link}{address}</p>\n</div>\n\n',
            entry,
            True,
            paired,
        )
    if kind == "param":
        key = v("key")
        value = _param(key, ctx)
        if value is None:
            diags.append(
                Diagnostic(
                    "warning",
                    f"param '{key}' is set neither in the page's front matter nor in the site's params",
                    path,
                    line,
                    code="missing-param",
                )
            )
            return "", entry, False, paired
        return (value if tag.delim == "%" else _literal_inline(_esc(value, quote=False))), entry, False, paired
    if kind == "image":
        return _image(entry, tag, inner, v, ctx, path), entry, True, paired
    if kind == "include":
        return _include(v("file"), tag, ctx, path, line, diags, depth), entry, True, paired
    if kind == "math":  # TeX: drawn as SVG after sanitizing (diagrams.py)
        if not paired or not inner.strip():
            return "", entry, False, paired  # {{< katex />}} only switches KaTeX on for the page
        flag = str(tag.attrs.get("display", "")).lower()
        display = bool(entry.get("display")) or flag in ("true", "1", "display") or "display" in tag.args
        html = diagrams.math_placeholder(inner, display)
        return (f"\n\n{html}\n\n" if display else html), entry, display, True
    if kind == "mermaid":
        return "\n\n" + diagrams.mermaid_placeholder(inner) + "\n\n", entry, True, paired
    if kind == "properties":
        return _properties(v("name"), ctx, path, line, diags), entry, True, paired
    raise ValueError(f"shortcode table: unknown kind {kind!r} for '{tag.name}'")


def _foot(text: str) -> str:
    return f'<p class="shortcode-footer">{_md_inline(text)}</p>\n'


def _param(key: str, ctx: Context) -> str | None:
    """Hugo's ``.Page.Param``: the page's front matter (its ``params`` too), then the site's
    params; keys case-insensitive, dotted for nested ones."""
    page = {**{k: v for k, v in ctx.page_params.items() if k != "params"}, **(ctx.page_params.get("params") or {})}
    for scope in (page, ctx.site_params):
        cur: object = scope
        for part in key.split("."):
            if not isinstance(cur, dict):
                cur = None
                break
            cur = next((val for k, val in cur.items() if str(k).lower() == part.lower()), None)
        if cur is not None and not isinstance(cur, dict):
            if isinstance(cur, bool):
                return str(cur).lower()
            return ", ".join(map(str, cur)) if isinstance(cur, list) else str(cur)
    return None


def _image(entry, tag, inner, v, ctx, path) -> str:
    """A figure: the image (a page resource found by its name without extension, as Docsy's
    imgproc and Geekdoc's img find it, or a path), its alt and its caption. An image not
    found stays in the HTML so that the link stage reports it missing."""
    src = v("src")
    if entry.get("resource") and src and "/" not in src and "." not in src.rsplit("/", 1)[-1]:
        # Hugo's .Resources.GetMatch "**NAME*": anywhere in a bundle (index.md, _index.md).
        where = path.parent.rglob if path.stem in ("index", "_index") else path.parent.glob
        found = sorted(p for p in where(f"*{src}*") if p.suffix.lower() in _IMAGE_SUFFIXES and p.is_file())
        found = [p for p in found if trust.may_read(p, [ctx.site_root or path.parent])]
        src = found[0].relative_to(path.parent).as_posix() if found else src
    caption = v("caption") or (inner.strip() if tag.close >= 0 else "")
    alt = v("alt") or _strip_md(caption) or v("title")
    img = f'<img src="{_esc(src)}" alt="{_esc(alt)}"/>'
    if href := v("link"):
        img = f'<a href="{_esc(href)}">{img}</a>'
    title = v("title")
    cap = " ".join(x for x in (f"<strong>{_md_inline(title)}</strong>" if title else "", _md_inline(caption)) if x)
    figcaption = f"<figcaption>{cap}</figcaption>" if cap else ""
    return f"\n\n<figure>{img}{figcaption}</figure>\n\n"


_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".avif", ".tif", ".tiff", ".bmp")


def _strip_md(text: str) -> str:
    return re.sub(r"[*_`]", "", re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)).strip()


def _include(name, tag, ctx, path, line, diags, depth) -> str:
    """Relearn's ``include`` (and Docsy's ``readfile``): another file's Markdown in place,
    its own shortcodes expanded; only a file inside the site is read."""
    roots = [p for p in (path.parent, ctx.site_root) if p is not None]
    candidates = [root / name.lstrip("/") for root in roots] if name else []
    target = next((c for c in candidates if c.is_file()), None)
    if target is None or depth >= 5 or not trust.may_read(target, [ctx.site_root or path.parent]):
        why = (
            "is not in the site"
            if target is None
            else "includes itself too deep"
            if depth >= 5
            else "is outside the site: not read"
        )
        diags.append(
            Diagnostic(
                "warning", f"shortcode '{tag.name}': file '{name}' {why}", path, line, code="unsupported-shortcode"
            )
        )
        return ""
    body = target.read_text(encoding="utf-8", errors="replace")
    if body.startswith(("---", "+++")):
        end = body.find("\n" + body[:3], 3)
        body = body[end + 4 :] if end > 0 else body
    if target.suffix.lower() not in (".md", ".markdown", ""):
        return "\n\n" + code_block(body, target.suffix.lstrip(".")) + "\n\n"
    text, _, sub = expand_shortcodes(body, target, 1, ctx, depth + 1)
    diags.extend(sub)
    return "\n\n" + text + "\n\n"


def _properties(name, ctx, path, line, diags) -> str:
    """Geekdoc's ``propertylist``: data/properties/NAME.(yaml|json|toml) as a definition list."""
    data = None
    if ctx.site_root is not None and name:
        for ext in ("yaml", "yml", "json", "toml"):
            f = ctx.site_root / "data" / "properties" / f"{name}.{ext}"
            if f.is_file() and trust.may_read(f, [ctx.site_root]):
                raw = f.read_text(encoding="utf-8")
                if ext == "json":
                    data = json.loads(raw)
                elif ext == "toml":
                    data = tomllib.loads(raw)
                else:
                    import yaml

                    data = yaml.safe_load(raw)
                break
    props = data.get("properties") if isinstance(data, dict) else None
    if not isinstance(props, list):
        diags.append(
            Diagnostic(
                "warning",
                f"shortcode 'propertylist': no properties in data/properties/{name}.yaml",
                path,
                line,
                code="unsupported-shortcode",
            )
        )
        return ""
    items = []
    for p in props:
        if not isinstance(p, dict):
            continue
        notes = [str(p.get("type", "")), "required" if p.get("required") else "optional"]
        term = f"<dt><code>{_esc(str(p.get('name', '')))}</code> ({_esc(', '.join(n for n in notes if n))})</dt>"
        desc = p.get("description", "")
        if isinstance(desc, dict):
            desc = desc.get("en") or next(iter(desc.values()), "")
        default = p.get("defaultValue")
        more = f" Default: <code>{_esc(str(default))}</code>" if default not in (None, "") else ""
        items.append(f"{term}<dd>{_md_inline(str(desc))}{more}</dd>")
    return '\n\n<dl class="properties">' + "".join(items) + "</dl>\n\n"


def _strip_blank(code: str) -> str:
    lines = code.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    indent = min((len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()), default=0)
    return "\n".join(ln[indent:] for ln in lines)


def _positional(args: str) -> list[str]:
    out = []
    for m in _POSITIONAL.finditer(_ATTR.sub("", args)):
        value = next(g for g in m.groups() if g is not None)
        if value not in ("/",):
            out.append(value)
    return out


def _check_unclosed(chunk: str, path: Path, first: int) -> None:
    # Hugo reads shortcodes before Markdown, in code spans and blocks too: an opener
    # without its closer is an error there as well (documentation escapes it: {{</* x */>}}).
    m = _SC_OPEN.search(chunk)
    if m:
        raise SourceError(
            "unclosed shortcode: '{{"
            + chunk[m.start() + 2]
            + "' without a matching '"
            + chunk[m.start() + 2].replace("<", ">").replace("%", "%")
            + "}}'",
            path,
            first + chunk[: m.start()].count("\n"),
        )


def _esc(s: str, quote: bool = True) -> str:
    return htmllib.escape(s, quote=quote)


def shortcode_html(
    name: str, closing: bool, attrs: dict[str, str], args: list[str] | None = None, state: _State | None = None
) -> str | None:
    """The HTML that stands for one shortcode tag; None for a shortcode the book does not know."""
    args = args or []
    state = state if state is not None else _State()
    if name in ("callout", "alert", "pageinfo"):
        if closing:
            return "\n\n</div>\n"
        kind = re.sub(r"[^a-z]", "", (attrs.get("type") or attrs.get("color") or "info").lower()) or "info"
        title = attrs.get("title")
        head = f"<p><strong>{_esc(title)}</strong></p>\n\n" if title else ""
        return f'\n<div class="callout callout-{kind}" role="note">\n\n{head}'
    if name == "cards":
        return "\n</ul>\n\n" if closing else '\n\n<ul class="cards">\n'
    if name in ("small-card", "card"):
        if closing:
            return ""
        title = _esc(attrs.get("title", attrs.get("link", "")))
        link = attrs.get("link")
        item = f'<a href="{_esc(link)}">{title}</a>' if link else title
        if sub := attrs.get("subtitle"):
            item += f": {_esc(sub)}"
        if tag := attrs.get("tag"):
            item += f" ({_esc(tag)})"
        return f"<li>{item}</li>\n"
    if name == "spacer":
        return ""
    if name == "details":
        if closing:
            return "\n\n</details>\n"
        title = attrs.get("title") or attrs.get("summary") or (args[0] if args else "Details")
        return f'\n<details open="open"><summary>{_esc(title)}</summary>\n\n'
    if name == "steps":
        return "\n\n</div>\n" if closing else f"\n{STEPS_OPEN}\n\n"
    if name == "tabs":
        if closing:
            if state.tabs:
                state.tabs.pop()
                state.tab_index.pop()
            return "\n\n</div>\n"
        items = [i.strip() for i in (attrs.get("items") or "").split(",") if i.strip()]
        state.tabs.append(items)
        state.tab_index.append(0)
        return '\n<div class="tabs">\n\n'
    if name == "tab":
        if closing:
            return "\n\n</div>\n"
        title = attrs.get("name") or (args[0] if args else "")
        if not title and state.tabs:
            i = state.tab_index[-1]
            title = state.tabs[-1][i] if i < len(state.tabs[-1]) else ""
        if state.tab_index:
            state.tab_index[-1] += 1
        head = f'<p class="tab-title"><strong>{_esc(title)}</strong></p>\n' if title else ""
        return f'\n<div class="tab">\n{head}\n'
    if name == "filetree/container":
        return "\n</ul>\n\n" if closing else '\n<ul class="filetree">'
    if name == "filetree/folder":
        return "</ul></li>" if closing else f'<li class="folder">{_esc(attrs.get("name", ""))}/<ul>'
    if name == "filetree/file":
        return "" if closing else f'<li class="file">{_esc(attrs.get("name", ""))}</li>'
    if name == "badge":
        text = attrs.get("content") or (args[0] if args else "")
        return "" if closing or not text else f'<span class="badge">{_esc(text)}</span>'
    if name == "icon":
        return ""
    if name in ("relref", "ref", "relRef"):
        target = args[0] if args else attrs.get("path", "")
        return "" if closing else "relref:" + target.replace(" ", "%20")
    return None
