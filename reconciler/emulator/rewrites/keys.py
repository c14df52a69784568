"""The keys the service manages, read from the derived table as plain data."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

WILDCARD = "*"
SERVICES = ("identity", "oauth2", "permission", "account_experience")


@dataclass
class Node:
    """One step of a config path: the table's entry there, if any, and the
    steps below it (`*` for any list item or map key)."""

    children: dict[str, Node] = field(default_factory=dict)
    entry: dict[str, Any] | None = None

    def child(self, key: str | int) -> Node | None:
        if isinstance(key, str) and key in self.children:
            return self.children[key]
        return self.children.get(WILDCARD)


@functools.cache
def table() -> dict[str, Any]:
    source = resources.files("reconciler") / "data" / "managed_keys.json"
    loaded: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def tree(service: str) -> Node:
    """The table's keys of `service` (or `project`) as a tree of paths."""
    root = Node()
    for path, entry in table()["services"][service]["keys"].items():
        node = root
        for part in path.split("."):
            node = node.children.setdefault(part, Node())
        node.entry = entry
    return root


def paths_where(service: str, wanted: Callable[[dict[str, Any]], bool]) -> list[str]:
    """The dotted paths of the entries of `service` that `wanted` accepts."""
    keys = table()["services"][service]["keys"]
    return [path for path, entry in keys.items() if wanted(entry)]


def visit(config: Any, pattern: str) -> Iterator[tuple[Any, str | int]]:
    """Every (container, key) in `config` where the dotted `pattern` leads to
    a value that exists; `*` walks every list item or map key."""
    yield from _visit(config, pattern.split("."))


def _visit(value: Any, parts: list[str]) -> Iterator[tuple[Any, str | int]]:
    head, rest = parts[0], parts[1:]
    keys: list[str | int]
    if head == WILDCARD and isinstance(value, list):
        keys = list(range(len(value)))
    elif head == WILDCARD and isinstance(value, dict):
        keys = list(value)
    elif isinstance(value, dict) and head in value:
        keys = [head]
    else:
        return
    for key in keys:
        if rest:
            yield from _visit(value[key], rest)
        else:
            yield value, key


def get(config: Any, dotted: str) -> Any:
    """The value at a dotted path without wildcards, or None."""
    value = config
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def put(config: dict[str, Any], dotted: str, value: Any) -> None:
    """Sets the value at a dotted path, creating the objects on the way."""
    *parents, last = dotted.split(".")
    for part in parents:
        config = config.setdefault(part, {})
    config[last] = value


def delete(config: dict[str, Any], dotted: str) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        if not isinstance(config.get(part), dict):
            return
        config = config[part]
    config.pop(last, None)


def by_key(items: Any, list_key: str) -> dict[str, Any]:
    """The objects of a keyed list by their key (the first of each key), for
    one lookup per item instead of a scan."""
    indexed: dict[str, Any] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            indexed.setdefault(key_of(item, list_key), item)
    return indexed


def key_of(item: dict[str, Any], list_key: str) -> str:
    """The key of a keyed list's item, as JSON: a key may be any value."""
    return json.dumps(item.get(list_key), sort_keys=True)
