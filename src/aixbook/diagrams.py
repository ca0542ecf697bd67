"""TeX math and Mermaid diagrams drawn as SVG images, after a chapter is sanitized.

Markdown leaves a placeholder where a page has math (``{{< katex >}}``, ``{{< math >}}``,
```` ```math ````, and the goldmark passthrough delimiters the site enables: ``$$…$$``,
``\\[…\\]``, ``\\(…\\)``) or a diagram (``{{< mermaid >}}``, ```` ```mermaid ````). Here each
becomes an ``<img>`` of an SVG drawn by ziamath (pure Python, its own math font) or the
Mermaid CLI (``mmdc``, a Node program driving a Chromium), the source as its alt text. The
SVG is ours, not the author's, so it is put in after the sanitizer, as a ``data:`` image
(one file for the book's three formats; its ids cannot clash with the page's). Without
ziamath or ``mmdc`` the source stays a code block, with one warning naming what to
install. Both are cached by a hash of their source: math in memory, diagrams on disk.
"""

from __future__ import annotations

import base64
import hashlib
import html as htmllib
import json
import os
import re
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from lxml import etree

from .diagnostics import Diagnostic

MATH_CLASS = "math-tex"
MERMAID_CLASS = "mermaid-src"
#: The font size (px) math is drawn at; the image is then sized in em, so it follows the text.
_SIZE = 16.0
_MERMAID_TIMEOUT_S = 90
MERMAID_INSTALL = (
    "the Mermaid CLI (npm install -g @mermaid-js/mermaid-cli; "
    "it needs Node and a Chromium: apt-get install nodejs chromium)"
)


def math_placeholder(tex: str, display: bool) -> str:
    """The HTML Markdown leaves for one formula (its TeX as text: what a reader gets without ziamath)."""
    tex = tex.strip()
    if display:
        return f'<div class="{MATH_CLASS} math-display"><code>{htmllib.escape(tex)}</code></div>'
    return f'<code class="{MATH_CLASS}">{htmllib.escape(tex)}</code>'


def mermaid_placeholder(source: str) -> str:
    """The HTML Markdown leaves for one diagram: its code block (what it stays without ``mmdc``)."""
    code = htmllib.escape(source.strip("\n") + "\n", quote=False).replace("\n", "&#10;")
    return f'<pre class="{MERMAID_CLASS}"><code class="language-mermaid">{code}</code></pre>'


def has_figures(html: str) -> bool:
    return MATH_CLASS in html or MERMAID_CLASS in html


def draw(root, path: Path | None, line_of: Callable[[str], int]) -> list[Diagnostic]:
    """Replace every placeholder under ``root`` by its SVG image; the problems found, each at
    the line ``line_of`` finds its source's first line on (a count, at the first one's)."""
    diags: list[Diagnostic] = []
    missing_math = missing_mermaid = 0
    first_math = first_mermaid = 0
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        classes = (el.get("class") or "").split()
        if MATH_CLASS in classes:
            tex = "".join(el.itertext()).strip()
            display = "math-display" in classes
            svg, problem = _math_svg(tex, display)
            if svg is None:
                line = line_of(_first_line(tex))
                if problem is None:
                    missing_math += 1
                    first_math = first_math or line
                else:
                    diags.append(_warn(f"math not drawn ({problem}), shown as TeX: {tex[:60]}", path, line))
                continue
            _replace(el, svg, tex, "math", display)
        elif MERMAID_CLASS in classes:
            src = "".join(el.itertext())
            svg, problem = _mermaid_svg(src)
            if svg is None:
                line = line_of(_first_line(src))
                if problem is None:
                    missing_mermaid += 1
                    first_mermaid = first_mermaid or line
                else:
                    diags.append(_warn(f"diagram not drawn ({problem}), kept as code", path, line))
                continue
            _replace(el, svg, src.strip(), "diagram", True)
    if missing_math:
        message = f"{missing_math} formula(s) shown as TeX: install ziamath (pip install ziamath)"
        diags.append(_warn(message, path, first_math))
    if missing_mermaid:
        message = f"{missing_mermaid} Mermaid diagram(s) kept as code: install {MERMAID_INSTALL}"
        diags.append(_warn(message, path, first_mermaid))
    return diags


def _first_line(text: str) -> str:
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), text.strip())


def _warn(message: str, path, line) -> Diagnostic:
    return Diagnostic("warning", message, path, line, code="undrawn-figure")


def _replace(el, svg: bytes, alt: str, kind: str, display: bool) -> None:
    width, height, descent = _size(svg)
    img = etree.Element("img")
    img.set("src", "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"))
    img.set("alt", alt)
    img.set("class", kind)
    if kind == "math" and height:
        style = f"height: {height / _SIZE:.3f}em; width: {width / _SIZE:.3f}em"
        if not display:
            style += f"; vertical-align: {-descent / _SIZE:.3f}em"
        img.set("style", style)
    elif width:  # Mermaid's SVG says width="100%": its viewBox is the drawing's own size
        img.set("style", f"width: {width * 0.75:.1f}pt; max-width: 100%")
    if display:
        box = etree.Element("div")
        box.set("class", f"{kind}-display")
        box.set("style", "text-align: center")
        box.append(img)
        new = box
    else:
        new = img
    new.tail = el.tail
    el.getparent().replace(el, new)


_VIEWBOX = re.compile(rb'viewBox="\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*"')


def _size(svg: bytes) -> tuple[float, float, float]:
    """(width, height, depth below the baseline) of a ziamath SVG (its baseline is y = 0)."""
    m = _VIEWBOX.search(svg[:2000])
    if not m:
        return 0.0, 0.0, 0.0
    _, y, w, h = (float(g) for g in m.groups())
    return w, h, max(0.0, h + y)


@lru_cache(maxsize=4096)
def _math_svg(tex: str, display: bool) -> tuple[bytes | None, str | None]:
    """(SVG, None); (None, None) without ziamath; (None, why) for TeX it cannot draw."""
    with warnings.catch_warnings():  # ziamath 0.13 loads its font with a deprecated importlib call
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import ziamath
        except ImportError:
            return None, None
        try:
            svg = ziamath.Latex(tex, size=_SIZE, inline=not display).svg()
        except Exception as exc:  # ziamath raises whatever its parser meets on bad TeX
            return None, f"{type(exc).__name__}: {exc}"[:120]
    return svg.encode("utf-8"), None


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aixbook" / "mermaid"


def _mermaid_svg(source: str) -> tuple[bytes | None, str | None]:
    """(SVG, None); (None, None) without ``mmdc``; (None, why) when it fails."""
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    cached = _cache_dir() / f"{digest}.svg"
    if cached.is_file():
        return cached.read_bytes(), None
    mmdc = shutil.which("mmdc")
    if mmdc is None:
        return None, None
    with tempfile.TemporaryDirectory(prefix="aixbook-mermaid-") as tmp:
        folder = Path(tmp)
        (folder / "in.mmd").write_text(source, encoding="utf-8")
        # Labels as SVG text, not HTML in a foreignObject: an <img> shows no HTML.
        (folder / "config.json").write_text(json.dumps({"htmlLabels": False, "flowchart": {"htmlLabels": False}}))
        browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
        puppeteer = {"args": ["--no-sandbox"], **({"executablePath": browser} if browser else {})}
        (folder / "puppeteer.json").write_text(json.dumps(puppeteer))
        cmd = [mmdc, "-q", "-i", "in.mmd", "-o", "out.svg", "-c", "config.json", "-p", "puppeteer.json"]
        try:
            proc = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=_MERMAID_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"mmdc: {exc}"[:160]
        out = folder / "out.svg"
        if proc.returncode != 0 or not out.is_file():
            last = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
            return None, f"mmdc: {last}"[:160]
        svg = out.read_bytes()
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp_file = cached.with_suffix(".tmp")
        tmp_file.write_bytes(svg)
        tmp_file.replace(cached)
    except OSError:
        pass
    return svg, None
