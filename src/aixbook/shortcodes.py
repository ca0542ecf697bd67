"""Hugo shortcodes → HTML, before the Markdown is parsed, so that a reader of the book
loses nothing the website shows.

The common shortcodes of Hextra and Docsy:

| shortcodes              | in the book                                              |
|-------------------------|----------------------------------------------------------|
| callout, alert, pageinfo | a note box (``div.callout``), an alert's title in bold   |
| cards / card, small-card | a list of links, each with its subtitle                  |
| steps                   | its h3 headings numbered 1., 2., … (``markdown.number_steps``) |
| tabs / tab              | every tab in order, under its title                      |
| details                 | an open box with its summary as the title                |
| filetree/…              | an indented list of folders and files                    |
| badge                   | its text; icon: nothing                                  |
| imgproc                 | the image                                                |
| relref, ref             | a ``relref:`` link the link stage resolves as Hugo does  |

``{{</* x */>}}`` is Hugo's way to write a shortcode as text: it stays text, ``{{< x >}}``.
Any other shortcode is reported (file and line) and only its markup is dropped.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostic
from .errors import SourceError

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
    "imgproc",
}
#: The marker ``markdown.render`` numbers the h3 headings between (``{{% steps %}}``).
STEPS_OPEN = '<div class="steps">'


@dataclass
class _State:
    """What a shortcode needs to know of the ones before it: the tabs' item names."""

    tabs: list[list[str]] = field(default_factory=list)
    tab_index: list[int] = field(default_factory=list)


def expand_shortcodes(text: str, path: Path, first_line: int) -> tuple[str, list[int], list[Diagnostic]]:
    """Rewrite Hugo shortcodes into HTML; return (text, line map, diagnostics).

    ``line map[i]`` is the 0-based line of the input that output line ``i`` came from.
    """
    diags: list[Diagnostic] = []
    pieces: list[str] = []
    linemap: list[int] = []
    pos = 0
    line = 0
    state = _State()

    def emit(chunk: str, verbatim: bool) -> None:
        nonlocal line
        pieces.append(chunk)
        start = line
        for k, _ in enumerate(chunk.split("\n")[1:], 1):
            linemap.append(start + k if verbatim else start)

    linemap.append(0)
    for m in _SHORTCODE.finditer(text):
        before = text[pos : m.start()]
        _check_unclosed(before, path, first_line + line)
        emit(before, True)
        line += before.count("\n")
        if m.group(1) is not None:  # {{</* x */>}}: Hugo prints it as {{< x >}}
            opener = m.group(1)
            emit("{{" + opener + m.group(2) + (">" if opener == "<" else "%") + "}}", True)
            line += m.group(0).count("\n")
            pos = m.end()
            continue
        closing, name, args = m.group(4), m.group(5), m.group(6)
        if inner := _SC_OPEN.search(args):
            raise SourceError(
                f"shortcode '{name}' holds another '{{{{' in its arguments (Hugo refuses it too)",
                path,
                first_line + line + text[m.start() : m.start(6) + inner.start()].count("\n"),
            )
        attrs = {a.group(1): next(g for g in a.groups()[1:] if g is not None) for a in _ATTR.finditer(args)}
        rep = shortcode_html(name, bool(closing), attrs, _positional(args), state)
        if rep is None:
            rep = ""
            if not closing:
                diags.append(
                    Diagnostic(
                        "warning",
                        f"shortcode '{name}' is not supported; its markup was dropped (its inner text is kept)",
                        path,
                        first_line + line,
                        code="unsupported-shortcode",
                    )
                )
        # A block shortcode starts its own line: strip indentation before it so the
        # HTML we put in its place is not read as an indented code block.
        if name in BLOCK_SHORTCODES and pieces and (pieces[-1].endswith("\n") or re.search(r"\n[ \t]+$", pieces[-1])):
            pieces[-1] = re.sub(r"[ \t]+$", "", pieces[-1])
        emit(rep, False)
        line += m.group(0).count("\n")
        pos = m.end()
    rest = text[pos:]
    _check_unclosed(rest, path, first_line + line)
    emit(rest, True)
    return "".join(pieces), linemap, diags


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


def _esc(s: str) -> str:
    return htmllib.escape(s, quote=True)


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
        title = attrs.get("title") or (args[0] if args else "Details")
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
    if name == "imgproc":
        if closing:
            return "\n\n"
        src = args[0] if args else attrs.get("src", "")
        return f'\n\n<p><img src="{_esc(src)}" alt=""/></p>\n\n' if src else ""
    if name in ("relref", "ref", "relRef"):
        target = args[0] if args else attrs.get("path", "")
        return "" if closing else "relref:" + target.replace(" ", "%20")
    return None
