"""Project API keys. A key's value is shown once, when it is created; the
emulator keeps only its last characters."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from reconciler.emulator.api.common import (
    ApiRequest,
    ApiResponse,
    parse_expires_at,
    require_string,
)
from reconciler.emulator.auth import PROJECT_KEY_PREFIX
from reconciler.emulator.errors import not_found
from reconciler.emulator.service import ProjectService, now
from reconciler.emulator.store import ProjectRecord

LAST_CHARACTERS = 4


def create_api_key(service: ProjectService, request: ApiRequest) -> ApiResponse:
    project_id = service.resolve(request.params["project"])
    body = request.json_object()
    value = PROJECT_KEY_PREFIX + secrets.token_urlsafe(32)
    created_at = now()
    key: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "name": require_string(body, "name"),
        "project_id": project_id,
        "created_at": created_at,
        "updated_at": created_at,
        "last_characters": value[-LAST_CHARACTERS:],
    }
    expires_at = parse_expires_at(body)
    if expires_at is not None:
        key["expires_at"] = expires_at

    def change(record: ProjectRecord) -> dict[str, Any]:
        key["owner_id"] = _owner_id(record)
        record.api_keys.append(key)
        return key

    created = service.update(project_id, change)
    return ApiResponse(201, {**created, "value": value})


def list_api_keys(service: ProjectService, request: ApiRequest) -> ApiResponse:
    record = service.record(service.resolve(request.params["project"]))
    return ApiResponse(200, record.api_keys)


def delete_api_key(service: ProjectService, request: ApiRequest) -> ApiResponse:
    project_id = service.resolve(request.params["project"])
    token_id = request.params["token_id"]

    def change(record: ProjectRecord) -> None:
        for key in record.api_keys:
            if key["id"] == token_id:
                record.api_keys.remove(key)
                return
        raise not_found(f"API key {token_id}")

    service.update(project_id, change)
    return ApiResponse(204)


def _owner_id(record: ProjectRecord) -> str:
    """The member who owns the keys created through the workspace key."""
    return next(str(m["id"]) for m in record.members if m.get("role") == "owner")
