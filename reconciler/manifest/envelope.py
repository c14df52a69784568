"""The envelope of a manifest: which top-level keys it takes and their shapes.

A manifest names its ``project`` and declares any of ``name``,
``cors_public``, ``cors_admin`` and ``services`` (``identity``,
``permission``, ``oauth2``, ``account_experience``, each ``{config: {...}}``),
plus ``extends``, ``ignore`` and ``own``. A fragment is the same without
``project``. What goes inside a service's ``config`` is checked against the
key table, not here.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any, Required

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError, with_config
from pydantic_core import ErrorDetails

# pydantic reads TypedDicts from typing_extensions (its own dependency) before 3.12.
from typing_extensions import TypedDict

from reconciler.errors import ManifestError
from reconciler.manifest.yaml_reader import Document
from reconciler.pointer import escape, join

PROJECT = "project"
EXTENDS = "extends"
IGNORE = "ignore"
OWN = "own"
DESIRED_KEYS = ("name", "cors_public", "cors_admin", "services")
READ_ONLY_KEYS = ("id", "revision_id", "slug", "state")
UNCHANGEABLE_KEYS = ("environment", "home_region", "workspace_id", "organizations")

# Ory project ids are UUIDs; any case is read, the lower case is canonical.
PROJECT_ID_PATTERN = (
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_PROJECT_ID = re.compile(PROJECT_ID_PATTERN.strip("^$"))


_STRICT = ConfigDict(extra="forbid", strict=True)


@with_config(_STRICT)
class Cors(TypedDict, total=False):
    """Cross-origin requests to the project's public or admin API."""

    enabled: bool
    origins: list[str]


@with_config(_STRICT)
class Service(TypedDict, total=False):
    """One service of the project; ``config`` is the service's configuration."""

    config: dict[str, Any]


@with_config(_STRICT)
class Services(TypedDict, total=False):
    identity: Service
    permission: Service
    oauth2: Service
    account_experience: Service


@with_config(_STRICT)
class FragmentEnvelope(TypedDict, total=False):
    """A shared base that manifests extend; it names no project."""

    name: str
    cors_public: Cors
    cors_admin: Cors
    services: Services
    extends: Annotated[
        list[str],
        Field(description="Fragments merged first, in order, relative to this file."),
    ]
    ignore: Annotated[
        list[str],
        Field(
            description="JSON pointer patterns the plan leaves alone (* is any key)."
        ),
    ]
    own: Annotated[
        list[str],
        Field(description="JSON pointer patterns this manifest owns (* is any key)."),
    ]


@with_config(_STRICT)
class ManifestEnvelope(FragmentEnvelope, total=False):
    """The desired state of one Ory Network project."""

    project: Required[
        Annotated[
            str,
            Field(
                pattern=PROJECT_ID_PATTERN,
                description="The id of the project: a UUID.",
            ),
        ]
    ]


_ALLOWED_KEYS = (PROJECT, *DESIRED_KEYS, EXTENDS, IGNORE, OWN)
_MANIFEST = TypeAdapter(ManifestEnvelope)
_FRAGMENT = TypeAdapter(FragmentEnvelope)


def check_top_level(document: Document) -> list[ManifestError]:
    """Problems with the top-level keys: read-only, unchangeable or unknown ones."""
    errors = []
    for key in document.data:
        pointer = "/" + escape(key)
        if key in _ALLOWED_KEYS:
            continue
        if key in READ_ONLY_KEYS:
            message = "read-only in the project document; remove it"
        elif key in UNCHANGEABLE_KEYS:
            message = "cannot be changed by patching the project; remove it"
        else:
            message = "unknown key" + _did_you_mean(key, _ALLOWED_KEYS)
        errors.append(
            ManifestError(document.location(pointer), f"{pointer}: {message}")
        )
    return errors


def check_shape(document: Document, data: dict[str, Any]) -> list[ManifestError]:
    """Problems with the shape of ``data`` (the document once interpolated)."""
    adapter = _MANIFEST if PROJECT in data else _FRAGMENT
    known = {key: value for key, value in data.items() if key in _ALLOWED_KEYS}
    try:
        adapter.validate_python(known)
    except ValidationError as error:
        return [_shape_error(document, detail) for detail in error.errors()]
    return _check_patterns(document, data)


def _shape_error(document: Document, detail: ErrorDetails) -> ManifestError:
    pointer = join(detail["loc"])
    kind = detail["type"]
    if kind == "extra_forbidden":
        parent = pointer.rsplit("/", 1)[0]
        choices = _model_keys(parent)
        message = "unknown key" + _did_you_mean(str(detail["loc"][-1]), choices)
    else:
        in_list = isinstance(detail["loc"][-1], int) if detail["loc"] else False
        message = _expected(kind, detail["input"], in_list)
    return ManifestError(document.location(pointer), f"{pointer}: {message}")


NULL_VALUE = "no value (null); remove the key to leave it unmanaged, or write a value"
NULL_ITEM = "a list item cannot be null; remove it or write a value"


def _expected(kind: str, value: Any, in_list: bool) -> str:
    if value is None:
        return NULL_ITEM if in_list else NULL_VALUE
    wanted = {
        "string_type": "a string",
        "bool_type": "true or false",
        "list_type": "a list",
        "dict_type": "a mapping",
        "model_type": "a mapping",
    }.get(kind, kind.replace("_", " "))
    return f"expected {wanted}, got {json_type(value)}"


def _check_patterns(document: Document, data: dict[str, Any]) -> list[ManifestError]:
    errors = []
    for key in (IGNORE, OWN):
        for index, pattern in enumerate(data.get(key) or ()):
            problem = _pattern_problem(pattern)
            if problem is not None:
                pointer = f"/{key}/{index}"
                errors.append(
                    ManifestError(document.location(pointer), f"{pointer}: {problem}")
                )
    return errors


def _pattern_problem(pattern: str) -> str | None:
    if not pattern.startswith("/"):
        return "a pattern is a JSON pointer starting with /"
    if "//" in pattern or pattern.endswith("/"):
        # RFC 6901 reads an empty token as the key "", which no config has;
        # such a pattern would silently match nothing.
        return "a pattern has no empty token: write /* for every top-level key"
    return None


def _model_keys(pointer: str) -> tuple[str, ...]:
    shapes: dict[str, Any] = {
        "": ManifestEnvelope,
        "/cors_public": Cors,
        "/cors_admin": Cors,
        "/services": Services,
    }
    shape = shapes.get(pointer, Service if pointer.startswith("/services/") else None)
    return tuple(shape.__annotations__) if shape is not None else ()


def _did_you_mean(key: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, choices, n=1)
    if close:
        return f" (did you mean {close[0]}?)"
    if choices:
        return f"; expected one of {', '.join(choices)}"
    return ""


def canonical_project_id(value: Any) -> str | None:
    """``value`` as a canonical project id (a lower-case UUID), or None."""
    if isinstance(value, str) and _PROJECT_ID.fullmatch(value):
        return value.lower()
    return None


def json_type(value: Any) -> str:
    """The JSON name of a value's type, for messages that must not show it."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "null"
