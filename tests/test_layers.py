"""The README's Architecture section says which modules depend on nothing else in the
package (and which on only a few): read their imports and hold it to that."""

from __future__ import annotations

import ast

import pytest

from helpers import ROOT

PACKAGE = ROOT / "src" / "aixbook"
# module → what it may import from the package when it runs (imports only for the type
# checker, under ``if TYPE_CHECKING:``, do not count).
ALLOWED = {
    "diagnostics": set(),
    "trust": set(),
    "htmlfrag": set(),
    "errors": {"diagnostics"},
    "model": {"diagnostics"},
    "config": {"diagnostics", "errors", "trust"},
    "links/urls": {"site"},
}


def _package_imports(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        for stmt in block.body
        for node in ast.walk(stmt)
    }
    depth = path.relative_to(PACKAGE).as_posix().count("/")
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            if node.level - 1 > depth:
                continue
            base = path.relative_to(PACKAGE).parent.parts[: depth - (node.level - 1)]
            name = "/".join([*base, *(node.module or "").split(".")]).strip("/")
            found |= {name} if node.module else {"/".join([*base, a.name]) for a in node.names}
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            found |= {n.removeprefix("aixbook.").replace(".", "/") for n in names if n and n.startswith("aixbook")}
    return found


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_module_imports_only_what_the_readme_says(module):
    assert _package_imports(PACKAGE / f"{module}.py") <= ALLOWED[module]


def test_config_no_longer_imports_inside_a_function():
    tree = ast.parse((PACKAGE / "config.py").read_text(encoding="utf-8"))
    inner = [
        node.lineno
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef)
        for node in ast.walk(fn)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert inner == []
