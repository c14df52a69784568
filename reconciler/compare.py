"""Compare desired with live on the managed paths and list the changes.

Only what a manifest declares is managed: a key it does not mention is never
touched, and an element of a keyed list that exists live but not in the
manifest is kept, unless the manifest owns that subtree (``own:``). Lists are
compared by the kind the service gives them: keyed lists element by element
(matched by their key, identity schemas by content), set-like lists without
order, ordered lists in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from deepdiff import DeepDiff

from reconciler import canonical, keytable
from reconciler.pointer import Part, PointerSet, join

Op = Literal["add", "replace", "remove"]


class _Missing:
    """The value of a path that does not exist."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

_IDENTITY_CONFIG = ("services", "identity", "config")


@dataclass(frozen=True)
class Change:
    """One difference between desired and live, as one patch operation."""

    op: Op
    path: tuple[Part, ...]
    live: Any = MISSING
    desired: Any = MISSING
    sensitive: bool = False
    note: str | None = None
    append: bool = False
    # The path of the declared value in the manifest: list indexes there can
    # differ from live ones when keyed elements are matched by key.
    origin: tuple[Part, ...] = ()

    @property
    def pointer(self) -> str:
        """Where the operation applies; appends end in ``/-``."""
        return join(self.path) + ("/-" if self.append else "")


@dataclass
class Comparison:
    """What comparing one project found."""

    changes: list[Change] = field(default_factory=list)
    dropped: list[tuple[Part, ...]] = field(default_factory=list)
    unchecked_write_only: list[tuple[Part, ...]] = field(default_factory=list)


@dataclass(frozen=True)
class Rules:
    """How a manifest asks to be compared."""

    ignore: PointerSet = field(default_factory=lambda: PointerSet(()))
    own: PointerSet = field(default_factory=lambda: PointerSet(()))
    secrets: frozenset[str] = frozenset()
    sync_secrets: bool = False


def compare(desired: dict[str, Any], live: dict[str, Any], rules: Rules) -> Comparison:
    """The changes that make ``live`` hold ``desired`` on every managed path."""
    walker = _Walker(rules)
    walker.walk((), translate_schema_ids(desired), live)
    return walker.result


def translate_schema_ids(desired: dict[str, Any]) -> dict[str, Any]:
    """``default_schema_id`` rewritten to the id the service gives that schema.

    A manifest names its schemas as it likes; the service names a custom schema
    by the SHA-512 of its content and only accepts that id afterwards.
    """
    config = _get(desired, _IDENTITY_CONFIG)
    identity = config.get("identity") if isinstance(config, dict) else None
    if not isinstance(identity, dict) or "default_schema_id" not in identity:
        return desired
    ids = {
        schema.get("id"): canonical.schema_id(schema)
        for schema in identity.get("schemas") or []
        if isinstance(schema, dict)
    }
    wanted = identity["default_schema_id"]
    if wanted not in ids or ids[wanted] == wanted:
        return desired
    translated = {**identity, "default_schema_id": ids[wanted]}
    return _set(desired, (*_IDENTITY_CONFIG, "identity"), translated)


def _get(document: Any, path: Sequence[str]) -> Any:
    for part in path:
        if not isinstance(document, dict) or part not in document:
            return MISSING
        document = document[part]
    return document


def _set(document: dict[str, Any], path: Sequence[str], value: Any) -> dict[str, Any]:
    """A copy of ``document`` with ``value`` at ``path``, sharing what did not change."""
    head, *rest = path
    inner = value if not rest else _set(document[head], rest, value)
    return {**document, head: inner}


def is_empty(value: Any) -> bool:
    """The values the service drops when a user sets them: "", [], {} and 0."""
    if isinstance(value, bool):
        return False
    return value in ("", [], {}) or (isinstance(value, int | float) and value == 0)


class _Walker:
    def __init__(
        self,
        rules: Rules,
        origins: dict[tuple[Part, ...], tuple[Part, ...]] | None = None,
    ) -> None:
        self.rules = rules
        self.result = Comparison()
        # Live paths of keyed elements whose manifest index differs.
        self._origins = {} if origins is None else origins

    def _origin_of(self, path: tuple[Part, ...]) -> tuple[Part, ...]:
        for end in range(len(path), 0, -1):
            if path[:end] in self._origins:
                return self._origins[path[:end]] + path[end:]
        return path

    def walk(self, path: tuple[Part, ...], desired: Any, live: Any) -> None:
        if self.rules.ignore and self.rules.ignore.covers(path):
            return
        if path and not keytable.is_managed(path):
            self.result.dropped.append(self._origin_of(path))
            return
        info = keytable.lookup(path)
        if info is not None and info.server_derived:
            # The service derives this key itself and ignores a declared value.
            self.result.dropped.append(self._origin_of(path))
            return

        if desired is None:
            if live is not MISSING and not _service_default(info, live):
                self._change("remove", path, live, note="the service default applies")
        elif live is MISSING:
            value = self._prune(path, desired)
            if value is not MISSING and not is_empty(value):
                self._change("add", path, live, value)
        elif info is not None and info.write_only:
            self._write_only(path, desired, live, info.write_only_part)
        elif isinstance(desired, dict) and isinstance(live, dict):
            self._object(path, desired, live)
        elif isinstance(desired, list) and isinstance(live, list):
            self._list(path, desired, live, info)
        elif not canonical.same(desired, live, duration=bool(info and info.duration)):
            self._change("replace", path, live, desired)

    def _prune(self, path: tuple[Part, ...], value: Any) -> Any:
        """``value`` less what the service would drop or the manifest ignores."""
        if self.rules.ignore.covers(path) or value is None:
            return MISSING
        if path and not keytable.is_managed(path):
            self.result.dropped.append(self._origin_of(path))
            return MISSING
        if isinstance(value, dict):
            kept = {k: self._prune((*path, k), v) for k, v in value.items()}
            # The service drops empty members too: they are never read back.
            members = {
                k: v for k, v in kept.items() if v is not MISSING and not is_empty(v)
            }
            # A map whose every member is pruned declares nothing to add.
            return members if members or not value else MISSING
        if isinstance(value, list):
            items = [self._prune((*path, i), v) for i, v in enumerate(value)]
            return [item for item in items if item is not MISSING]
        return value

    def _change(
        self,
        op: Op,
        path: tuple[Part, ...],
        live: Any = MISSING,
        desired: Any = MISSING,
        *,
        note: str | None = None,
        append: bool = False,
        origin: tuple[Part, ...] | None = None,
    ) -> None:
        origin = self._origin_of(path) if origin is None else origin
        pointer = join(origin)
        # An append's value is one element of the list at ``path``.
        written = [desired] if append else desired
        sensitive = any(
            pointer == secret
            or pointer.startswith(secret + "/")
            or secret.startswith(pointer + "/")
            for secret in self.rules.secrets
        ) or _holds_write_only(path, written)
        self.result.changes.append(
            Change(op, path, live, desired, sensitive, note, append, origin)
        )

    def _object(
        self, path: tuple[Part, ...], desired: dict[str, Any], live: dict[str, Any]
    ) -> None:
        for key, value in desired.items():
            found = live.get(key, MISSING)
            # Most members already match: a plain equality is far cheaper
            # than a walk, so only members that differ are walked.
            if value == found and type(value) is type(found):
                continue
            self.walk((*path, key), value, found)
        for key in [key for key in live if key not in desired]:
            self._undeclared((*path, key), live[key])

    def _undeclared(self, path: tuple[Part, ...], live: Any) -> None:
        """A live member the manifest does not declare: kept, unless owned.

        An owned path the manifest says nothing about is owned as empty: its
        members go one by one, except those the service derives itself or
        that already hold the value the service would put back.
        """
        owned = self.rules.own.covers(path)
        if not (owned or self.rules.own.passes_through(path)) or not _removable(path):
            return
        if isinstance(live, dict):
            self.walk(path, {}, live)
        elif owned and isinstance(live, list) and _keyed_list(path):
            self.walk(path, [], live)
        elif owned:
            self._remove_undeclared(path, live)

    def _remove_undeclared(self, path: tuple[Part, ...], live: Any) -> None:
        """Removes an owned value the manifest does not declare."""
        if self.rules.ignore.covers(path) or not _removable(path):
            return
        if _service_default(keytable.lookup(path), live):
            return
        self._change("remove", path, live, note="owned, not declared")

    def _list(
        self,
        path: tuple[Part, ...],
        desired: list[Any],
        live: list[Any],
        info: keytable.KeyInfo | None,
    ) -> None:
        kind = info.list_kind if info is not None else None
        key = info.list_key if info is not None else None
        if kind == "keyed" and key and all(_has(item, key) for item in desired):
            self._keyed(path, desired, live, lambda item: _field(item, key))
        elif kind == "by_content":
            self._keyed(path, desired, live, canonical.schema_id, _with_schema_id)
        elif kind == "set":
            derived = info.server_derived_items if info is not None else 0
            self._set_like(path, desired, live, derived)
        else:
            self._ordered(path, desired, live)

    def _keyed(
        self,
        path: tuple[Part, ...],
        desired: list[Any],
        live: list[Any],
        key_of: Callable[[Any], Any],
        compared_as: Callable[[Any], Any] = lambda item: item,
    ) -> None:
        """Elements matched by key; a matched element is compared field by field."""
        index = {key_of(item): i for i, item in enumerate(live) if key_of(item)}
        declared = set()
        appends = []
        for position, item in enumerate(desired):
            key = key_of(item)
            declared.add(key)
            if key in index:
                element, found = (*path, index[key]), live[index[key]]
                if index[key] != position:
                    self._origins[element] = (*self._origin_of(path), position)
                wanted = compared_as(item)
                # An element that already matches needs no walk.
                if wanted != found:
                    self.walk(element, wanted, found)
            else:
                appends.append((position, item))
        for count, (position, item) in enumerate(appends):
            element = (*path, len(live) + count)
            self._origins[element] = (*self._origin_of(path), position)
            value = self._prune(element, item)
            origin = self._origins[element]
            self._change("add", path, MISSING, value, append=True, origin=origin)
        if self.rules.own.covers(path):
            for i in sorted(range(len(live)), reverse=True):
                if key_of(live[i]) not in declared:
                    self._remove_undeclared((*path, i), live[i])

    def _set_like(
        self, path: tuple[Part, ...], desired: list[Any], live: list[Any], derived: int
    ) -> None:
        """Compared without order; the items the service itself puts first are
        left out unless the manifest declares them too."""
        if desired == live:
            return
        compared = list(live)
        while derived and compared and compared[0] not in desired:
            compared.pop(0)
            derived -= 1
        found = canonical.form(compared)
        wanted = canonical.form(desired)
        if found != wanted and DeepDiff(found, wanted, ignore_order=True):
            self._change("replace", path, live, desired)

    def _ordered(
        self, path: tuple[Part, ...], desired: list[Any], live: list[Any]
    ) -> None:
        """Compared item by item, in order; when any item differs the list is
        replaced whole, since its items have no identity but their place."""
        if len(desired) == len(live):
            trial = _Walker(self.rules, self._origins)
            for i, (wanted, found) in enumerate(zip(desired, live, strict=True)):
                trial.walk((*path, i), wanted, found)
            if not trial.result.changes:
                self.result.dropped += trial.result.dropped
                self.result.unchecked_write_only += trial.result.unchecked_write_only
                return
        self._change("replace", path, live, self._prune(path, desired))

    def _write_only(
        self, path: tuple[Part, ...], desired: Any, live: Any, part: str | None
    ) -> None:
        """Secrets the service never shows: compare what can be compared."""
        if self.rules.sync_secrets:
            self._change("replace", path, live, desired)
            return
        if not isinstance(desired, str) or not isinstance(live, str):
            if desired != live:
                self._change("replace", path, live, desired)
            return
        if part == "url_password":
            wanted, _ = canonical.without_password(desired)
            found, password = canonical.without_password(live)
            if wanted != found:
                self._change("replace", path, live, desired)
            elif password is not None and canonical.is_redacted(password):
                self.result.unchecked_write_only.append(path)
            elif desired != live:
                self._change("replace", path, live, desired)
            return
        if canonical.is_redacted(live):
            self.result.unchecked_write_only.append(path)
        elif desired != live:
            self._change("replace", path, live, desired)


def _service_default(info: keytable.KeyInfo | None, live: Any) -> bool:
    """Whether ``live`` is what the service puts back when the key is removed:
    an empty value (``hooks: []``), ``false``, or the default the key table
    knows."""
    if is_empty(live) or live is False:
        return True
    if info is None or not info.has_default:
        return False
    return canonical.same(info.default, live, duration=info.duration)


def _has(item: Any, key: str) -> bool:
    return isinstance(item, dict) and key in item


def _field(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, dict) else None


def _with_schema_id(schema: Any) -> Any:
    """A schema under the id the service gives it, so the ids compare equal."""
    if isinstance(schema, dict) and "id" in schema:
        return {**schema, "id": canonical.schema_id(schema)}
    return schema


def _server_derived(path: tuple[Part, ...]) -> bool:
    info = keytable.lookup(path)
    return info is not None and info.server_derived


def _keyed_list(path: tuple[Part, ...]) -> bool:
    info = keytable.lookup(path)
    return info is not None and info.list_kind in ("keyed", "by_content")


def _removable(path: tuple[Part, ...]) -> bool:
    return keytable.is_managed(path) and not _server_derived(path)


def _holds_write_only(path: tuple[Part, ...], value: Any) -> bool:
    """Whether ``value`` at ``path`` is, or contains, a write-only secret."""
    info = keytable.lookup(path)
    if info is not None and info.write_only:
        return True
    if isinstance(value, dict):
        return any(_holds_write_only((*path, k), v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_write_only((*path, i), v) for i, v in enumerate(value))
    return False
