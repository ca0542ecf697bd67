"""YAML read as Hugo reads it, with its aliases bounded.

PyYAML implements YAML 1.1, where ``no``, ``yes``, ``on``, ``off``, ``y`` and ``n`` are
booleans: a language keyed ``no`` (Norwegian) became ``False``. Hugo's YAML reads
them as strings; only ``true`` and ``false`` (``True``, ``TRUE`` …) are booleans.
Checked against ``hugo config`` (0.168): ``0o17`` and ``017`` are 15, ``0b101`` is 5,
``1:20`` is a string (no base-60 numbers), ``1e3`` is a string, ``1_0.5`` is 10.5.

Aliases are shared when composed, but a document such as ``b: &b [*a, *a, …]``
nine levels deep expands to hundreds of millions of nodes in whatever walks it.
A document whose nodes, aliases expanded, number more than ``MAX_YAML_NODES`` is
refused at the node that crosses the limit, before anything walks it.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.nodes import CollectionNode, MappingNode

from ..limits import CODE, MAX_YAML_NODES

_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"


class HugoLoader(yaml.SafeLoader):
    """SafeLoader with Hugo's booleans and numbers, and a bound on expanded aliases."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent, index):
        alias = self.peek_event() if self.check_event(yaml.AliasEvent) else None
        node = super().compose_node(parent, index)
        if alias is not None:
            if id(node) not in self._sizes:
                raise ComposerError(None, None, "an alias refers to the node that holds it", alias.start_mark)
            return node
        if isinstance(node, CollectionNode):
            children = [c for pair in node.value for c in pair] if isinstance(node, MappingNode) else node.value
            size = 1 + sum(self._sizes[id(c)] for c in children)
            if size > MAX_YAML_NODES:
                raise ComposerError(
                    None,
                    None,
                    f"this node holds more than {MAX_YAML_NODES:,} nodes once its aliases are expanded "
                    f"({CODE}); write the values out or use fewer aliases",
                    node.start_mark,
                )
        else:
            size = 1
        self._sizes[id(node)] = size
        return node

    def construct_yaml_int(self, node) -> int:
        value = str(self.construct_scalar(node)).replace("_", "")
        sign = -1 if value.startswith("-") else 1
        value = value.lstrip("+-")
        base = {"0b": 2, "0o": 8, "0x": 16}.get(value[:2].lower(), 0)
        if base:
            return sign * int(value[2:], base)
        return sign * int(value, 8 if value.startswith("0") and len(value) > 1 else 10)


# YAML 1.1's booleans and numbers out, Hugo's in (add_implicit_resolver copies the table first).
HugoLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
HugoLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
HugoLoader.add_implicit_resolver(
    _INT, re.compile(r"^[-+]?(?:0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|0[0-7_]*|[1-9][0-9_]*)$"), list("-+0123456789")
)
HugoLoader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
HugoLoader.add_constructor(_INT, HugoLoader.construct_yaml_int)


def load(text: str) -> Any:
    """One YAML document as Hugo reads it.

    Raises:
        yaml.YAMLError: not YAML, or past ``MAX_YAML_NODES`` (its ``problem_mark`` is the place).
    """
    return yaml.load(text, Loader=HugoLoader)  # HugoLoader is a SafeLoader
