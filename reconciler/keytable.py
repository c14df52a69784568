"""What Ory Network does with each config key: the table of managed paths.

The table (`reconciler/data/managed_keys.json`) is derived from Ory's OpenAPI
spec by `scripts/derive_key_table.py`. Paths here are the parts of a JSON
pointer into the project document, list indexes as ints:
`("services", "identity", "config", "session", "lifespan")`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

Part = str | int

WILDCARD = "*"
SERVICES_KEY = "services"
CONFIG_KEY = "config"
PROJECT = "project"


@dataclass(frozen=True)
class KeyInfo:
    """What the table says about one config key."""

    service: str
    # Dotted path inside the service's config; `*` is any list item or map key.
    path: str
    type: str
    managed: bool
    duration: bool
    write_only: bool
    # None when the whole value is secret; "url_password" when only the
    # password of a URL's user info is.
    write_only_part: str | None
    list_kind: str | None
    list_key: str | None
    server_derived: bool
    # How many leading list items the service fills in itself.
    server_derived_items: int
    # Extension of the blob an inline `base64://` value is stored as.
    storage_ext: str | None
    has_default: bool
    default: Any

    @property
    def pointer(self) -> str:
        """The key's JSON pointer in the project document, `*` included."""
        root = _table().roots[self.service]
        return root + "".join("/" + part for part in self.path.split("."))


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    info: KeyInfo | None = None
    leads_to_managed: bool = False


@dataclass(frozen=True)
class _Table:
    spec_version: str
    roots: Mapping[str, str]
    tries: Mapping[str, _Node]
    keys: tuple[KeyInfo, ...]


def lookup(parts: Sequence[Part]) -> KeyInfo | None:
    """The table's entry for the key at `parts`, if it has one."""
    return _lookup_shape(_shape(parts))


def is_managed(parts: Sequence[Part]) -> bool:
    """Whether the service manages the value at `parts`.

    True for a managed key, for the containers leading to one, and for
    anything inside a managed list or object value.
    """
    return _is_managed_shape(_shape(parts))


def _shape(parts: Sequence[Part]) -> tuple[Part, ...]:
    """`parts` with every list index as 0: the table treats indexes alike, so
    the answers below are cached per shape, not per element of a large list."""
    if not parts:
        return ()
    last = parts[-1]
    return (*_parent_shape(tuple(parts[:-1])), 0 if isinstance(last, int) else last)


@functools.lru_cache(maxsize=16384)
def _parent_shape(parts: tuple[Part, ...]) -> tuple[Part, ...]:
    # Cached on its own: the siblings of a large object share one parent.
    return tuple(0 if isinstance(part, int) else part for part in parts)


@functools.lru_cache(maxsize=16384)
def _lookup_shape(parts: tuple[Part, ...]) -> KeyInfo | None:
    located = _locate(parts)
    if located is None:
        return None
    service, inner = located
    node = _descend(_table().tries[service], inner)
    if node is None or len(node[1]) != len(inner):
        return None
    return node[0].info


@functools.lru_cache(maxsize=16384)
def _is_managed_shape(parts: tuple[Part, ...]) -> bool:
    if not parts:
        return True
    if parts[0] == SERVICES_KEY and len(parts) <= 3:
        if len(parts) == 1:
            return True
        in_table = parts[1] in _table().tries and parts[1] != PROJECT
        return in_table and (len(parts) == 2 or parts[2] == CONFIG_KEY)
    located = _locate(parts)
    if located is None:
        return False
    service, inner = located
    found = _descend(_table().tries[service], inner)
    if found is None:
        return False
    node, walked = found
    if len(walked) == len(inner):
        return node.leads_to_managed
    # Past the end of the table: inside a value that is managed as a whole.
    return node.info is not None and node.info.managed


def all_keys() -> tuple[KeyInfo, ...]:
    """Every entry of the table, in table order."""
    return _table().keys


def spec_version() -> str:
    """The version of the spec the table was derived from."""
    return _table().spec_version


def _locate(parts: Sequence[Part]) -> tuple[str, Sequence[Part]] | None:
    """The service whose config holds `parts`, and the path inside it."""
    if len(parts) >= 3 and parts[0] == SERVICES_KEY and parts[2] == CONFIG_KEY:
        service = parts[1]
        if isinstance(service, str) and service in _table().tries:
            return service, parts[3:]
        return None
    if parts and parts[0] == SERVICES_KEY:
        return None
    return PROJECT, parts


def _descend(root: _Node, parts: Sequence[Part]) -> tuple[_Node, list[Part]] | None:
    """The deepest node matching a prefix of `parts`, with that prefix."""
    node, walked = root, []
    for part in parts:
        child = node.children.get(str(part)) if isinstance(part, str) else None
        if child is None:
            child = node.children.get(WILDCARD)
        if child is None:
            break
        node = child
        walked.append(part)
    if not walked and parts:
        return None
    return node, walked


@functools.cache
def _table() -> _Table:
    source = resources.files("reconciler") / "data" / "managed_keys.json"
    document = json.loads(source.read_text(encoding="utf-8"))
    roots: dict[str, str] = {}
    tries: dict[str, _Node] = {}
    keys: list[KeyInfo] = []
    for service, section in document["services"].items():
        roots[service] = section["root"]
        tries[service] = root = _Node()
        for path, raw in section["keys"].items():
            info = _key_info(service, path, raw)
            keys.append(info)
            _insert(root, info)
    return _Table(
        spec_version=document["spec"]["version"],
        roots=roots,
        tries=tries,
        keys=tuple(keys),
    )


def _key_info(service: str, path: str, raw: Mapping[str, Any]) -> KeyInfo:
    return KeyInfo(
        service=service,
        path=path,
        type=raw["type"],
        managed=raw["managed"],
        duration=raw["duration"],
        write_only=raw["write_only"],
        write_only_part=raw["write_only_part"],
        list_kind=raw["list_kind"],
        list_key=raw["list_key"],
        server_derived=raw["server_derived"],
        server_derived_items=raw["server_derived_items"],
        storage_ext=raw["storage_ext"],
        has_default="default" in raw,
        default=raw.get("default"),
    )


def _insert(root: _Node, info: KeyInfo) -> None:
    node = root
    if info.managed:
        node.leads_to_managed = True
    for part in info.path.split("."):
        node = node.children.setdefault(part, _Node())
        if info.managed:
            node.leads_to_managed = True
    node.info = info
