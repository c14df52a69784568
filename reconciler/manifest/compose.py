"""Merging a manifest with the fragments it extends.

Layers are merged in order, the fragments first (each after the fragments
it extends itself) and the manifest's own content last:

* mappings merge key by key, recursively;
* a keyed list (OIDC and SAML providers and courier channels by ``id``, Keto
  namespaces by ``name``: the key table's ``keyed`` lists) merges item by
  item: an item whose key is already in the list merges into that item, a new
  key is appended;
* every other list, and every scalar, replaces what the earlier layers said.

A later layer replaces values; it does not drop keys it leaves out. To
remove a key a fragment sets, a later layer writes it as ``null`` (inside a
service config): the null replaces the fragment's value, so the desired state
asks for the key to be removed and the plan removes it from the project. The
``ignore`` and ``own`` patterns of all layers add up, in the same order.

Every merged value keeps the place it was written (``sources``) and whether
it is secret, so that a plan shows which file each desired value came from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import Location, ManifestError
from reconciler.manifest.envelope import DESIRED_KEYS
from reconciler.manifest.yaml_reader import Document
from reconciler.pointer import Part, escape

MergeKey = Callable[[tuple[Part, ...]], str | None]


@dataclass(frozen=True)
class Layer:
    """One file's contribution: its data once interpolated, and its secrets."""

    document: Document
    data: dict[str, Any]
    secrets: frozenset[str]


@dataclass
class Composed:
    """The desired values of a manifest, where each was written, and its secrets."""

    data: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, Location] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)


def compose(
    layers: Sequence[Layer], merge_key: MergeKey
) -> tuple[Composed, list[ManifestError]]:
    """The merge of ``layers`` in order, and the problems found while merging."""
    composed = _single(layers[0])
    errors: list[ManifestError] = []
    for layer in layers[1:]:
        merger = _Merger(composed, layer, merge_key)
        composed = merger.run()
        errors.extend(merger.errors)
    return composed, errors


def _single(layer: Layer) -> Composed:
    name = layer.document.name
    sources = {
        pointer: Location(name, line)
        for pointer, line in layer.document.lines.items()
        if pointer.split("/", 2)[1] in DESIRED_KEYS
    }
    data = {key: layer.data[key] for key in DESIRED_KEYS if key in layer.data}
    secrets = {pointer for pointer in layer.secrets if pointer in sources}
    return Composed(data=data, sources=sources, secrets=secrets)


class _Merger:
    """Merges one layer onto what the earlier layers composed.

    Values from the earlier layers keep their pointer; values from the layer
    may move (a keyed list item merges into the item with its key).
    """

    def __init__(self, base: Composed, layer: Layer, merge_key: MergeKey) -> None:
        self.base = base
        self.layer = layer
        self.merge_key = merge_key
        self.out = Composed()
        self.errors: list[ManifestError] = []

    def run(self) -> Composed:
        for key in DESIRED_KEYS:
            pointer = "/" + key
            if key in self.base.data and key in self.layer.data:
                self.out.data[key] = self._merge(
                    self.base.data[key], self.layer.data[key], pointer, pointer, (key,)
                )
            elif key in self.base.data:
                self.out.data[key] = self._keep(self.base.data[key], pointer)
            elif key in self.layer.data:
                self.out.data[key] = self._take(self.layer.data[key], pointer, pointer)
        return self.out

    def _merge(
        self,
        base: Any,
        over: Any,
        from_pointer: str,
        to_pointer: str,
        parts: tuple[Part, ...],
    ) -> Any:
        if isinstance(base, dict) and isinstance(over, dict):
            self._mark(from_pointer, to_pointer)
            merged: dict[str, Any] = {}
            for key, value in base.items():
                child = f"{to_pointer}/{escape(key)}"
                if key in over:
                    merged[key] = self._merge(
                        value,
                        over[key],
                        f"{from_pointer}/{escape(key)}",
                        child,
                        (*parts, key),
                    )
                else:
                    merged[key] = self._keep(value, child)
            for key, value in over.items():
                if key not in base:
                    child = f"/{escape(key)}"
                    merged[key] = self._take(
                        value, from_pointer + child, to_pointer + child
                    )
            return merged
        if isinstance(base, list) and isinstance(over, list):
            key = self.merge_key(parts)
            if key is not None:
                return self._merge_keyed(
                    base, over, key, from_pointer, to_pointer, parts
                )
        return self._take(over, from_pointer, to_pointer)

    def _merge_keyed(
        self,
        base: list[Any],
        over: list[Any],
        key: str,
        from_pointer: str,
        to_pointer: str,
        parts: tuple[Part, ...],
    ) -> list[Any]:
        self._mark(from_pointer, to_pointer)
        positions: dict[Any, int] = {}
        for index, item in enumerate(base):
            if self._item_key(item, key, f"{to_pointer}/{index}", in_base=True):
                positions.setdefault(item[key], index)
        merged = list(base)
        merged_into: set[int] = set()
        for index, item in enumerate(over):
            item_pointer = f"{from_pointer}/{index}"
            if not self._item_key(item, key, item_pointer, in_base=False):
                continue
            position = positions.get(item[key])
            if position is None:
                merged.append(item)
                position = len(merged) - 1
                self._take(item, item_pointer, f"{to_pointer}/{position}")
            else:
                merged[position] = self._merge(
                    merged[position],
                    item,
                    item_pointer,
                    f"{to_pointer}/{position}",
                    (*parts, position),
                )
            merged_into.add(position)
        for index, item in enumerate(base):
            if index not in merged_into:
                self._keep(item, f"{to_pointer}/{index}")
        return merged

    def _item_key(self, item: Any, key: str, pointer: str, *, in_base: bool) -> bool:
        if isinstance(item, dict) and isinstance(item.get(key), str | int):
            return True
        location = (
            self._base_location(pointer)
            if in_base
            else self.layer.document.location(pointer)
        )
        self.errors.append(
            ManifestError(
                location,
                f"{pointer}: items of this list merge by `{key}` across extends; "
                f"this item has no `{key}`",
            )
        )
        return False

    def _base_location(self, pointer: str) -> Location:
        while pointer not in self.base.sources and "/" in pointer:
            pointer = pointer.rsplit("/", 1)[0]
        return self.base.sources.get(pointer, self.layer.document.location(""))

    def _mark(self, from_pointer: str, to_pointer: str) -> None:
        """Record that the layer declares the container at ``to_pointer``."""
        line = self.layer.document.lines.get(from_pointer)
        if line is not None:
            self.out.sources[to_pointer] = Location(self.layer.document.name, line)

    def _keep(self, value: Any, pointer: str) -> Any:
        """Carry a value of the earlier layers, with its sources and secrets."""
        for path in _pointers(value, pointer):
            if path in self.base.sources:
                self.out.sources[path] = self.base.sources[path]
            if path in self.base.secrets:
                self.out.secrets.add(path)
        return value

    def _take(self, value: Any, from_pointer: str, to_pointer: str) -> Any:
        """Carry a value of the layer, moved from ``from_pointer`` to ``to_pointer``."""
        name = self.layer.document.name
        lines = self.layer.document.lines
        for source, target in zip(
            _pointers(value, from_pointer), _pointers(value, to_pointer), strict=True
        ):
            if source in lines:
                self.out.sources[target] = Location(name, lines[source])
            if source in self.layer.secrets:
                self.out.secrets.add(target)
        return value


def _pointers(value: Any, pointer: str) -> list[str]:
    """The pointers of ``value`` and everything inside it, parents first."""
    found = [pointer]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_pointers(item, f"{pointer}/{escape(key)}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_pointers(item, f"{pointer}/{index}"))
    return found
