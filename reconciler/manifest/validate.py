"""Offline checks of desired values against the key table.

* A key the service does not manage is a warning: the service drops it.
  This covers operational keys (``serve``, ``dsn``, ``log`` ...).
* A managed key whose value has the wrong JSON type is an error. Inside a
  service config, null removes the key and the service default applies;
  elsewhere (``name``, ``cors_*``) null is an error.
* A managed list holds no null item.
* A duration key takes a Go duration (``1h``, ``30m0s``, ``0.5h``, ``100ms``)
  that is not negative and fits Go's ``time.Duration`` (at most
  2562047h47m16.854775807s).
* An integer key takes an integer that fits in 64 bits, as the service reads it.
* A URL key is a managed string key named ``url`` or ending in ``_url`` or
  ``_uri``, and every item of a list named ``..._urls``. Its value is a URI
  reference: relative references such as ``/ui/login`` are fine; ``http``,
  ``https``, ``smtp``, ``smtps``, ``ws`` and ``wss`` URLs need a host, a port
  is a number, and a ``base64://`` payload is valid base64. The empty
  string is accepted.
* A key whose value is content the service loads from a URL (identity
  schemas, Jsonnet mappers and bodies, courier templates, the permission
  language file: the key table's ``storage_ext`` keys) takes a ``base64://``,
  ``http://``, ``https://`` or ``file://`` URL, scheme in lower case as the
  service reads it, or the empty string.
* Each CORS origin (``cors_public.origins``, ``cors_admin.origins``) is ``*``
  or an http(s) origin, ``scheme://host[:port]`` without a path, where the
  host may hold one ``*`` (``https://*.example.com``).

Values inside a key the table manages as a whole (``requested_claims``,
``headers``) are not looked into. Messages show the pointer, never the value.
"""

from __future__ import annotations

import binascii
import functools
import re
from base64 import b64decode
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from reconciler import keytable
from reconciler.errors import Location, ManifestError
from reconciler.keytable import KeyInfo
from reconciler.manifest.compose import Composed
from reconciler.manifest.envelope import NULL_ITEM, NULL_VALUE, json_type
from reconciler.pointer import Part, escape

_DURATION = re.compile(
    r"\+?(?:0|(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+)"
)
_DURATION_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)")
_NANOSECONDS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_CONTENT_SCHEMES = ("base64://", "http://", "https://", "file://")
_ORIGIN_LISTS = frozenset({"/cors_public/origins", "/cors_admin/origins"})
_ORIGIN_SCHEMES = frozenset({"http", "https"})
_HOST_SCHEMES = frozenset({"http", "https", "smtp", "smtps", "ws", "wss"})
_UNSAFE_URL_CHARACTERS = re.compile(r"[\s\x00-\x1f\x7f]")
_TYPE_NAMES = {
    "string": "a string",
    "boolean": "true or false",
    "integer": "an integer",
    "number": "a number",
    "array": "a list",
    "object": "a mapping",
}


@dataclass
class Findings:
    errors: list[ManifestError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def expected_type(parts: tuple[Part, ...]) -> str | None:
    """The JSON type the key at ``parts`` takes, when the table knows it."""
    info = keytable.lookup(parts)
    return info.type if info is not None else None


def merge_key(parts: tuple[Part, ...]) -> str | None:
    """The item key by which the list at ``parts`` merges across extends."""
    info = keytable.lookup(parts)
    if info is not None and info.list_kind == "keyed":
        return info.list_key
    return None


def validate(composed: Composed) -> Findings:
    """Errors and warnings for the desired values of one manifest."""
    checker = _Checker(composed)
    tables = _tables()
    for key, value in composed.data.items():
        pointer = "/" + key
        if key != "services":
            checker.check_children({key: value}, "", tables.project)
            continue
        for service, body in value.items():
            config = body.get("config") if isinstance(body, dict) else None
            if isinstance(config, dict) and service in tables.services:
                checker.check_children(
                    config, f"{pointer}/{service}/config", tables.services[service]
                )
    return checker.findings


@dataclass
class _Node:
    """One key of the table: its entry, if any, and the keys below it."""

    info: KeyInfo | None = None
    children: dict[str, _Node] = field(default_factory=dict)
    leads_to_managed: bool = False

    @functools.cached_property
    def names_keys(self) -> bool:
        """Whether the table names keys below this one (not just ``*``)."""
        return any(name != keytable.WILDCARD for name in self.children)

    def child(self, part: Part) -> _Node | None:
        found = self.children.get(part) if isinstance(part, str) else None
        return found if found is not None else self.children.get(keytable.WILDCARD)


@dataclass(frozen=True)
class _Tables:
    project: _Node
    services: dict[str, _Node]


@functools.cache
def _tables() -> _Tables:
    # The same tree keytable.is_managed walks, kept here so that one pass
    # over a large manifest asks one dictionary per value.
    roots: dict[str, _Node] = {}
    for info in keytable.all_keys():
        node = roots.setdefault(info.service, _Node())
        node.leads_to_managed |= info.managed
        for part in info.path.split("."):
            node = node.children.setdefault(part, _Node())
            node.leads_to_managed |= info.managed
        node.info = info
    project = roots.pop(keytable.PROJECT, _Node())
    return _Tables(project=project, services=roots)


class _Checker:
    def __init__(self, composed: Composed) -> None:
        self.composed = composed
        self.findings = Findings()

    def check(self, value: Any, pointer: str, node: _Node) -> None:
        if value is None and pointer.startswith(_SERVICES):
            return  # null removes a config key; the service default applies
        if not node.leads_to_managed:
            self._warn(pointer, "the service does not manage this key and drops it")
            return
        info = node.info
        # A key with named keys below it takes a mapping, even where the table
        # also knows it as a list (Keto's namespaces: a list of namespaces, or
        # the location of a permission language file).
        takes_this_mapping = isinstance(value, dict) and node.names_keys
        if info is not None and not takes_this_mapping:
            problem = _problem(info, value, pointer)
            if problem is not None:
                self._error(pointer, problem)
                return
        elif info is None and not isinstance(value, dict):
            wrong = (
                NULL_VALUE
                if value is None
                else f"expected a mapping, got {json_type(value)}"
            )
            self._error(pointer, wrong)
            return
        if isinstance(value, list) and info is not None:
            if info.list_kind == "keyed" and info.list_key:
                self._check_unique(value, pointer, info.list_key)
            elif info.list_kind == "by_content":
                self._check_unique(value, pointer, "id")
        if isinstance(value, list) and None in value:
            self._error(f"{pointer}/{value.index(None)}", NULL_ITEM)
        elif isinstance(value, dict | list) and node.children:
            self.check_children(value, pointer, node)
        elif isinstance(value, list) and pointer.endswith("_urls"):
            for index, item in enumerate(value):
                self._check_item(item, f"{pointer}/{index}", _url_problem)
        elif isinstance(value, list) and pointer in _ORIGIN_LISTS:
            for index, item in enumerate(value):
                self._check_item(item, f"{pointer}/{index}", _origin_problem)

    def _check_unique(self, items: list[Any], pointer: str, key: str) -> None:
        """Items of a keyed list name themselves by ``key``: two with one name
        would make the list mean two things at once."""
        first: dict[str, int] = {}
        for index, item in enumerate(items):
            name = item.get(key) if isinstance(item, dict) else None
            if not isinstance(name, str | int) or isinstance(name, bool):
                continue
            if str(name) in first:
                self._error(
                    f"{pointer}/{index}/{key}",
                    f"{key} {name!r} is already used by item {first[str(name)]}",
                )
            else:
                first[str(name)] = index

    def check_children(
        self, value: dict[str, Any] | list[Any], pointer: str, node: _Node
    ) -> None:
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for part, item in items:
            child = f"{pointer}/{escape(part) if isinstance(part, str) else part}"
            child_node = node.child(part)
            if child_node is not None:
                self.check(item, child, child_node)
            elif node.info is None or not node.info.managed:
                self._warn(child, "the service does not manage this key and drops it")
            # Otherwise the key is inside a value the service keeps as a whole.

    def _check_item(
        self, item: Any, pointer: str, problem_of: Callable[[str], str | None]
    ) -> None:
        if not isinstance(item, str):
            self._error(pointer, f"expected a string, got {json_type(item)}")
            return
        problem = problem_of(item)
        if problem is not None:
            self._error(pointer, problem)

    def _location(self, pointer: str) -> Location:
        sources = self.composed.sources
        while pointer not in sources and "/" in pointer:
            pointer = pointer.rsplit("/", 1)[0]
        return sources.get(pointer, Location("<unknown>"))

    def _error(self, pointer: str, message: str) -> None:
        self.findings.errors.append(
            ManifestError(self._location(pointer), f"{pointer}: {message}")
        )

    def _warn(self, pointer: str, message: str) -> None:
        self.findings.warnings.append(
            f"{self._location(pointer)}: {pointer}: {message}"
        )


_SERVICES = "/services/"


def _problem(info: KeyInfo, value: Any, pointer: str) -> str | None:
    if value is None:
        return NULL_VALUE
    if not _has_type(value, info.type):
        wanted = (
            "a duration such as 1h or 30m0s"
            if info.duration
            else _TYPE_NAMES.get(info.type, info.type)
        )
        return f"expected {wanted}, got {json_type(value)}"
    if info.duration:
        return _duration_problem(value)
    if info.type == "integer" and not _INT64_MIN <= value <= _INT64_MAX:
        return "the integer does not fit in 64 bits, the most the service reads"
    if isinstance(value, str) and info.storage_ext is not None:
        return _content_url_problem(value)
    if isinstance(value, str) and _is_url_key(pointer):
        return _url_problem(value)
    return None


def _duration_problem(value: str) -> str | None:
    if value.startswith("-"):
        return "a negative duration; write a duration of 0 or more"
    if not _DURATION.fullmatch(value):
        return "not a duration; write a Go duration such as 1h, 30m0s, 0.5h or 100ms"
    if _nanoseconds(value) > _INT64_MAX:
        return "the duration is longer than Go's limit of 2562047h47m16.854775807s"
    return None


def _nanoseconds(duration: str) -> int:
    """The length of a Go duration; each part's fraction is cut to whole ns."""
    total = 0
    for whole, fraction, unit in _DURATION_PART.findall(duration):
        scale = _NANOSECONDS[unit]
        total += int(whole or "0") * scale
        if fraction:
            total += int(fraction) * scale // 10 ** len(fraction)
    return total


def _content_url_problem(value: str) -> str | None:
    if value and not value.startswith(_CONTENT_SCHEMES):
        return (
            "not a valid URL for this key: write a base64://, http://, https:// "
            "or file:// URL, the scheme in lower case"
        )
    return _url_problem(value)


def _origin_problem(value: str) -> str | None:
    if value == "*":
        return None
    wrong = (
        "not a CORS origin: write * or scheme://host[:port] with http or https "
        "and no path, such as https://app.example.com"
    )
    if _UNSAFE_URL_CHARACTERS.search(value) or value.count("*") > 1:
        return wrong
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- parsing the port is the check
    except ValueError:
        return wrong
    if (
        parts.scheme not in _ORIGIN_SCHEMES
        or not parts.hostname
        or parts.username is not None
        or parts.path
        or parts.query
        or parts.fragment
        or value.endswith(("?", "#"))
    ):
        return wrong
    return None


def _has_type(value: Any, name: str) -> bool:
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    return True


def _is_url_key(pointer: str) -> bool:
    name = pointer.rsplit("/", 1)[-1]
    return name == "url" or name.endswith(("_url", "_uri"))


def _url_problem(value: str) -> str | None:
    if _UNSAFE_URL_CHARACTERS.search(value):
        return "not a valid URL: it contains spaces or control characters"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- parsing the port is the check
    except ValueError:
        return "not a valid URL: the host or port is malformed"
    if parts.scheme in _HOST_SCHEMES and not parts.hostname:
        return f"not a valid URL: no host after {parts.scheme}://"
    if parts.scheme == "base64":
        try:
            b64decode(value.split(":", 1)[1].removeprefix("//"), validate=True)
        except (binascii.Error, ValueError):
            return "not a valid URL: the base64:// payload is not valid base64"
    return None
