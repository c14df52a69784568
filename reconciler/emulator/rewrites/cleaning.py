"""The service's pass over a written config: what it keeps, how it stores it.

Keys it does not manage are dropped with a warning; empty values the user
sets are dropped (the key keeps its stored value, or its default); values
are checked against the key's type, and durations are re-rendered the way Go
prints them.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from reconciler.emulator.rewrites import durations, keys
from reconciler.emulator.rewrites.keys import WILDCARD, Node
from reconciler.emulator.rewrites.refusal import invalid_config

Part = str | int

# TODO: the code of the service's warnings is not documented anywhere; the
# one used here is a stand-in until a captured response shows the real one.
WARNING_CODE = 1

# Subtrees reported as one key, the way the service words its warnings.
_GROUPED = ("serve", "log", "tracing")

# Identity keys the service itself shows on read but refuses on write: they
# are reported on every write, whatever the write touched.
_IDENTITY_OPERATIONAL = (
    ("serve",),
    ("cookies", "domain"),
    ("cookies", "path"),
    ("session", "cookie", "domain"),
    ("session", "cookie", "name"),
)

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "array": (list,),
    "object": (dict,),
}


class _Dropped:
    """The value of a key that is not kept."""


DROPPED = _Dropped()


class Warnings:
    """The warnings of one write, each reported once, in order."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._messages: set[str] = set()

    def dropped_key(self, key: str) -> None:
        message = f"Configuration key `{key}` can not be set and will be ignored."
        if message not in self._messages:
            self._messages.add(message)
            self.items.append({"code": WARNING_CODE, "message": message})


class Touched:
    """The paths a patch writes to, as pointer parts; a path is touched
    when it lies inside a written one or contains one. Both lookups are by
    set, so a long patch costs no more per key than a short one."""

    def __init__(self, paths: Sequence[Sequence[str]]) -> None:
        self._written = {tuple(path) for path in paths}
        self._enclosing = {
            tuple(path[:length]) for path in paths for length in range(len(path) + 1)
        }

    def covers(self, path: Sequence[str]) -> bool:
        full = tuple(path)
        if full in self._enclosing:
            return True
        return any(full[:length] in self._written for length in range(len(full)))


class Cleaner:
    """Cleans the config of one service (or the project's own fields).

    `root` is where the config sits in the project document; `touched` are
    the paths the patch wrote to, as pointer parts.
    """

    def __init__(
        self,
        service: str,
        root: Sequence[Part],
        touched: Touched,
        warnings: Warnings,
    ) -> None:
        self.service = service
        self.root = tuple(root)
        self.touched = touched
        self.warnings = warnings

    def clean_object(
        self,
        value: Any,
        node: Node,
        previous: Any,
        default: Any,
        path: tuple[Part, ...] = (),
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise invalid_config(f"{self._where(path)} must be an object")
        cleaned: dict[str, Any] = {}
        for key, item in value.items():
            child = node.child(key)
            here = (*path, key)
            if child is None or (
                child.entry is not None and not child.entry["managed"]
            ):
                self._drop(here, item, known=child is not None)
                continue
            result = self._clean(
                item, child, _at(previous, key), _at(default, key), here
            )
            if result is not DROPPED:
                cleaned[key] = result
        return cleaned

    def _clean(
        self,
        value: Any,
        node: Node,
        previous: Any,
        default: Any,
        path: tuple[Part, ...],
    ) -> Any:
        entry = node.entry
        if entry is None or (isinstance(value, dict) and _has_named_children(node)):
            return self.clean_object(value, node, previous, default, path)
        if value is None:
            return DROPPED
        if _is_empty(value):
            if not _is_empty(previous) and previous is not None:
                return copy.deepcopy(previous)
            return DROPPED if default is None else copy.deepcopy(default)
        self._check_type(value, entry["type"], path)
        if entry["duration"]:
            return self._duration(value, path)
        items = node.children.get(WILDCARD)
        if items is None:
            return value
        if isinstance(value, list):
            return [
                self._clean(item, items, counterpart, None, (*path, i))
                for i, (item, counterpart) in enumerate(
                    zip(value, _counterparts(previous, entry, value), strict=True)
                )
            ]
        return {
            key: self._clean(item, items, _at(previous, key), None, (*path, key))
            for key, item in value.items()
        }

    def _duration(self, value: Any, path: tuple[Part, ...]) -> str:
        try:
            return durations.normalize(value)
        except ValueError as error:
            raise invalid_config(f"{self._where(path)}: {error}") from error

    def _check_type(self, value: Any, kind: str, path: tuple[Part, ...]) -> None:
        wrong_bool = isinstance(value, bool) and kind in ("integer", "number")
        if wrong_bool or not isinstance(value, _TYPES[kind]):
            raise invalid_config(
                f"{self._where(path)}: expected {kind}, but got {_json_type(value)}"
            )

    def _drop(self, path: tuple[Part, ...], value: Any, *, known: bool) -> None:
        """Drops a key the service does not take, with a warning unless it
        is one the service shows on read and the write did not touch it."""
        reported = (
            not known
            or self._was_touched(path)
            or (self.service == "identity" and _operational(path))
        )
        if not reported:
            return
        for leaf in _leaves(value, path):
            if leaf[0] in _GROUPED:
                self.warnings.dropped_key(f"{leaf[0]}.*")
            else:
                self.warnings.dropped_key(".".join(str(part) for part in leaf))

    def _was_touched(self, path: tuple[Part, ...]) -> bool:
        return self.touched.covers([str(part) for part in (*self.root, *path)])

    def _where(self, path: tuple[Part, ...]) -> str:
        return "/" + "/".join(str(part) for part in (*self.root, *path))


def _operational(path: tuple[Part, ...]) -> bool:
    return any(tuple(path[: len(key)]) == key for key in _IDENTITY_OPERATIONAL)


def _has_named_children(node: Node) -> bool:
    """Whether an entry also takes an object of named keys (Keto's
    `namespaces` is a list of namespaces or an object with `location`)."""
    return any(key != WILDCARD for key in node.children)


def _at(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def _counterparts(previous: Any, entry: dict[str, Any], items: list[Any]) -> list[Any]:
    """The stored item each written list item replaces: the one with the
    same key in a keyed list, the one at the same place in any other list
    (None where there is none)."""
    if not isinstance(previous, list):
        return [None] * len(items)
    at_place = [previous[i] if i < len(previous) else None for i in range(len(items))]
    if entry["list_kind"] != "keyed":
        return at_place
    list_key = entry["list_key"]
    stored = keys.by_key(previous, list_key)
    return [
        stored.get(keys.key_of(item, list_key)) if isinstance(item, dict) else placed
        for item, placed in zip(items, at_place, strict=True)
    ]


def _is_empty(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return value in ("", 0) or value == [] or value == {}


def _leaves(value: Any, path: tuple[Part, ...]) -> list[tuple[Part, ...]]:
    if isinstance(value, dict) and value:
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(value, list) and value:
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*path, i))]
    return [path]


def _json_type(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string"}
    names.update({list: "array", dict: "object", type(None): "null"})
    return names.get(type(value), type(value).__name__)
