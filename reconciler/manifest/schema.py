"""A JSON Schema of manifests, for editors (yaml-language-server and the like).

The envelope comes from the pydantic models; each service's ``config`` lists
the keys the service manages, with their types, Go duration patterns and
defaults. The schema takes every manifest ``load_manifests`` accepts, as
written (before interpolation):

* keys outside the table are allowed (they give a warning, not an error);
* a boolean or an integer may be one ``${VAR}`` placeholder, and a duration
  any text holding one;
* any key inside a service config may be null (null removes the key);
* ``project`` is not required, so that fragments validate too.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from reconciler import keytable
from reconciler.keytable import KeyInfo
from reconciler.manifest.envelope import ManifestEnvelope

_PLACEHOLDER = {"type": "string", "pattern": r"^\$\{[^}]+\}$"}
_HOLDS_PLACEHOLDER = {"type": "string", "pattern": r"\$\{"}
_DURATION_PATTERN = r"^\+?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$"
_INT64 = {"minimum": -(2**63), "maximum": 2**63 - 1}


def manifest_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a manifest or a fragment."""
    schema: dict[str, Any] = TypeAdapter(ManifestEnvelope).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Ory Network project manifest"
    schema.pop("required", None)
    cors = schema["$defs"]["Cors"]["properties"]
    cors["enabled"] = {"anyOf": [{"type": "boolean"}, _PLACEHOLDER]}
    services = schema["$defs"]["Services"]["properties"]
    for service in services:
        config = _config_schema(service)
        _allow_null_values(config)
        services[service] = {
            "type": "object",
            "additionalProperties": False,
            "properties": {"config": config},
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
        is_list = node.get("type") in ("array", ["array", "object"])
        slot = "items" if is_list else "additionalProperties"
        child: dict[str, Any] = node.setdefault(slot, {})
    else:
        # A list with named keys below it also takes a mapping (Keto's
        # namespaces: a list of namespaces, or the location of a file).
        kind = node.setdefault("type", "object")
        if kind == "array":
            node["type"] = ["array", "object"]
        child = node.setdefault("properties", {}).setdefault(part, {})
    return child


def _leaf(info: KeyInfo) -> dict[str, Any]:
    described: dict[str, Any]
    if info.duration:
        described = {
            "anyOf": [
                {"type": "string", "pattern": _DURATION_PATTERN},
                _HOLDS_PLACEHOLDER,
            ]
        }
    elif info.type == "integer":
        described = {"anyOf": [{"type": "integer", **_INT64}, _PLACEHOLDER]}
    elif info.type in ("boolean", "number"):
        described = {"anyOf": [{"type": info.type}, _PLACEHOLDER]}
    else:
        described = {"type": info.type}
    if info.has_default:
        described["default"] = info.default
    if info.write_only:
        described["description"] = "Write-only: the service never reads it back."
    return described


def _allow_null_values(node: dict[str, Any]) -> None:
    """Let every key below ``node`` be null; list items stay non-null."""
    children = list(node.get("properties", {}).values())
    if isinstance(node.get("additionalProperties"), dict):
        children.append(node["additionalProperties"])
    for child in children:
        _allow_null(child)
        _allow_null_values(child)
    if isinstance(node.get("items"), dict):
        _allow_null_values(node["items"])


def _allow_null(node: dict[str, Any]) -> None:
    if "anyOf" in node:
        node["anyOf"].append({"type": "null"})
    elif isinstance(node.get("type"), list):
        node["type"].append("null")
    elif "type" in node:
        node["type"] = [node["type"], "null"]
