"""A JSON Schema of manifests, for editors (yaml-language-server and the like).

The envelope comes from the pydantic models; each service's ``config`` lists
the keys the service manages, with their types, Go duration patterns and
defaults. Keys outside the table are allowed (they give a warning, not an
error), and a boolean, number or duration may also be a ``${VAR}``
placeholder. ``project`` is not required, so that fragments validate too.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from reconciler import keytable
from reconciler.keytable import KeyInfo
from reconciler.manifest.envelope import ManifestEnvelope

_PLACEHOLDER = {"type": "string", "pattern": r"^\$\{[^}]+\}$"}
_DURATION_PATTERN = r"^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$"


def manifest_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a manifest or a fragment."""
    schema: dict[str, Any] = TypeAdapter(ManifestEnvelope).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Ory Network project manifest"
    schema.pop("required", None)
    services = schema["$defs"]["Services"]["properties"]
    for service in services:
        services[service] = {
            "type": "object",
            "additionalProperties": False,
            "properties": {"config": _config_schema(service)},
        }
    schema["$defs"].pop("Service", None)
    return schema


def _config_schema(service: str) -> dict[str, Any]:
    root: dict[str, Any] = {"type": "object"}
    keys = [info for info in keytable.all_keys() if info.service == service]
    # Parents first, so that a list is known to be one before its items.
    for info in sorted(keys, key=lambda info: info.path.count(".")):
        if not info.managed:
            continue
        node = root
        for part in info.path.split("."):
            node = _child(node, part)
        node.update(_leaf(info))
    return root


def _child(node: dict[str, Any], part: str) -> dict[str, Any]:
    if part == keytable.WILDCARD:
        slot = "items" if node.get("type") == "array" else "additionalProperties"
        child: dict[str, Any] = node.setdefault(slot, {})
    else:
        node.setdefault("type", "object")
        child = node.setdefault("properties", {}).setdefault(part, {})
    return child


def _leaf(info: KeyInfo) -> dict[str, Any]:
    described: dict[str, Any]
    if info.duration:
        described = {
            "anyOf": [{"type": "string", "pattern": _DURATION_PATTERN}, _PLACEHOLDER]
        }
    elif info.type in ("boolean", "integer", "number"):
        described = {"anyOf": [{"type": info.type}, _PLACEHOLDER]}
    else:
        described = {"type": info.type}
    if info.has_default:
        described["default"] = info.default
    if info.write_only:
        described["description"] = "Write-only: the service never reads it back."
    return described
