"""Inline documents moved to blob storage, and identity schema ids.

A `base64://` value at a key that holds a document (identity schema, Jsonnet
mapper or body, email template, OPL namespaces) is stored as
`https://storage.googleapis.com/bac-gcs-<env>/<sha512 hex of the decoded
content>.<ext>` and reads back so. `<ext>` comes from the key table:
`json` for identity schemas, `jsonnet` for mappers and request bodies,
`gotmpl` for courier templates, `ts` for OPL. `<env>` follows the project's
environment: `prod` -> `prod`, `stage` -> `staging` (the bucket seen in the
getProject document of a staging project), `dev` -> `dev`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

from reconciler.emulator.rewrites import keys
from reconciler.emulator.rewrites.defaults import PRESET_PREFIX
from reconciler.emulator.rewrites.refusal import invalid_config

INLINE_PREFIX = "base64://"
SCHEMAS = "identity.schemas"
DEFAULT_SCHEMA = "identity.default_schema_id"

_BUCKETS = {"prod": "prod", "stage": "staging", "dev": "dev"}
_STORED = re.compile(
    r"^https://storage\.googleapis\.com/bac-gcs-[a-z]+/(?P<hash>[0-9a-f]{128})\.\w+$"
)


def store_inline(service: str, config: dict[str, Any], environment: str) -> None:
    """Replaces each inline document in `config` by its storage URL; identity
    schemas are left to `rewrite_schemas`."""
    for path in keys.paths_where(service, lambda entry: bool(entry["storage_ext"])):
        if service == "identity" and path.startswith(SCHEMAS + "."):
            continue
        ext = keys.table()["services"][service]["keys"][path]["storage_ext"]
        for container, key in keys.visit(config, path):
            value = container[key]
            if isinstance(value, str) and value.startswith(INLINE_PREFIX):
                container[key] = storage_url(_decoded(value, path), ext, environment)


def rewrite_schemas(
    config: dict[str, Any], previous: dict[str, Any], environment: str
) -> None:
    """Stores custom identity schemas under the hash of their content.

    The schema's id becomes that hash and `default_schema_id` follows it;
    preset schemas keep their ids and URLs. Schemas are never deleted: one
    missing from the written list stays, after the written ones.
    """
    schemas = keys.get(config, SCHEMAS)
    if not isinstance(schemas, list):
        return
    renamed: dict[str, str] = {}
    for schema in schemas:
        if not isinstance(schema, dict):
            raise invalid_config(f"{SCHEMAS} items must be objects")
        content_hash = _content_hash(schema)
        if content_hash is None:
            continue
        renamed[str(schema.get("id"))] = content_hash
        schema["id"] = content_hash
        if schema["url"].startswith(INLINE_PREFIX):
            schema["url"] = stored_url(content_hash, "json", environment)

    kept = _unique_by_id([*schemas, *(keys.get(previous, SCHEMAS) or [])])
    keys.put(config, SCHEMAS, kept)
    default = keys.get(config, DEFAULT_SCHEMA)
    if isinstance(default, str) and default in renamed:
        keys.put(config, DEFAULT_SCHEMA, renamed[default])
        default = renamed[default]
    if default is not None and default not in {s.get("id") for s in kept}:
        raise invalid_config(f"{DEFAULT_SCHEMA} {default!r} names no identity schema")


def storage_url(content: bytes, ext: str, environment: str) -> str:
    return stored_url(hashlib.sha512(content).hexdigest(), ext, environment)


def stored_url(content_hash: str, ext: str, environment: str) -> str:
    bucket = _BUCKETS.get(environment, environment)
    return f"https://storage.googleapis.com/bac-gcs-{bucket}/{content_hash}.{ext}"


def _content_hash(schema: dict[str, Any]) -> str | None:
    """The hash a custom schema is stored under, None for the others."""
    if str(schema.get("id", "")).startswith(PRESET_PREFIX):
        return None
    url = schema.get("url")
    if not isinstance(url, str):
        return None
    if url.startswith(INLINE_PREFIX):
        return hashlib.sha512(_decoded(url, f"{SCHEMAS}.*.url")).hexdigest()
    stored = _STORED.match(url)
    return stored["hash"] if stored else None


def _decoded(value: str, path: str) -> bytes:
    payload = value[len(INLINE_PREFIX) :]
    payload += "=" * (-len(payload) % 4)
    try:
        return base64.b64decode(payload, validate=True)
    except binascii.Error:
        pass
    try:
        return base64.b64decode(payload, altchars=b"-_", validate=True)
    except binascii.Error as error:
        raise invalid_config(f"{path} is not valid base64: {error}") from error


def _unique_by_id(schemas: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    unique = []
    for schema in schemas:
        identity = schema.get("id") if isinstance(schema, dict) else None
        if identity in seen:
            continue
        seen.add(identity)
        unique.append(schema)
    return unique
