"""Write-only secrets: read back as `REDACTED`, kept when sent back so.

The SMTP connection URI is redacted in its password only
(`smtps://user:REDACTED@host:465/`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from reconciler.emulator.rewrites import keys

REDACTED = "REDACTED"


def redact(service: str, config: dict[str, Any]) -> None:
    for path, part in _write_only(service):
        for container, key in keys.visit(config, path):
            value = container[key]
            if not isinstance(value, str) or value == "":
                continue
            container[key] = _redact_password(value) if part else REDACTED


def restore(service: str, config: dict[str, Any], previous: dict[str, Any]) -> None:
    """Puts back the stored secret wherever `config` holds the redacted one."""
    stored_lists: dict[str, dict[str, Any]] = {}
    for path, part in _write_only(service):
        for container, key in keys.visit(config, path):
            value = container[key]
            if not isinstance(value, str) or REDACTED not in value:
                continue
            stored = _stored_counterpart(
                service, path, container, previous, stored_lists
            )
            if part:
                container[key] = _restore_password(value, stored)
            elif value == REDACTED and stored is not None:
                container[key] = stored


def _write_only(service: str) -> list[tuple[str, str | None]]:
    entries = keys.table()["services"][service]["keys"]
    return [
        (path, entries[path]["write_only_part"])
        for path in keys.paths_where(service, lambda entry: entry["write_only"])
    ]


def _stored_counterpart(
    service: str,
    path: str,
    container: dict[str, Any],
    previous: dict[str, Any],
    stored_lists: dict[str, dict[str, Any]],
) -> Any:
    """The stored value of the secret `container` holds at `path`.

    Inside a keyed list (OIDC providers), the stored item is the one with
    the same key, wherever the write moved it; `stored_lists` keeps each
    stored list indexed by key across the calls of one write.
    """
    if ".*." not in path:
        return keys.get(previous, path)
    list_path, field = path.split(".*.", 1)
    list_key = keys.table()["services"][service]["keys"][list_path]["list_key"]
    if list_path not in stored_lists:
        stored_lists[list_path] = keys.by_key(keys.get(previous, list_path), list_key)
    item = stored_lists[list_path].get(keys.key_of(container, list_key))
    return keys.get(item, field) if item is not None else None


def _redact_password(uri: str) -> str:
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    return urlunsplit(parts._replace(netloc=_with_password(parts, REDACTED)))


def _restore_password(uri: str, stored: Any) -> str:
    parts = urlsplit(uri)
    if parts.password != REDACTED or not isinstance(stored, str):
        return uri
    password = urlsplit(stored).password
    if password is None:
        return uri
    return urlunsplit(parts._replace(netloc=_with_password(parts, password)))


def _with_password(parts: Any, password: str) -> str:
    host = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.username or ''}:{password}@{host}"
