"""Project endpoints: list, create, read, write, purge."""

from __future__ import annotations

from typing import Any

import jsonpointer

from reconciler.emulator.api.common import (
    ENVIRONMENTS,
    REGIONS,
    ApiRequest,
    ApiResponse,
    require_enum,
    require_string,
)
from reconciler.emulator.documents import SERVICES, Patch
from reconciler.emulator.errors import bad_request
from reconciler.emulator.service import ProjectService

_PATCH_OPERATIONS = ("add", "remove", "replace", "move", "copy", "test")
_SET_PROJECT_KEYS = ("services", "name", "cors_public", "cors_admin", "organizations")


def list_projects(service: ProjectService, request: ApiRequest) -> ApiResponse:
    projects = []
    for project_id in service.store.ids():
        record = service.store.get(project_id)
        if record is None:  # purged since the ids were listed
            continue
        document = record.document
        metadata: dict[str, Any] = {
            "id": document["id"],
            "name": document["name"],
            "slug": document["slug"],
            "state": document["state"],
            "environment": document["environment"],
            "home_region": document["home_region"],
            "hosts": [f"{document['slug']}.projects.oryapis.com"],
            "created_at": record.created_at,
            "updated_at": record.updated_at,
        }
        if document.get("workspace_id") is not None:
            metadata["workspace_id"] = document["workspace_id"]
        projects.append(metadata)
    return ApiResponse(200, projects)


def create_project(service: ProjectService, request: ApiRequest) -> ApiResponse:
    body = request.json_object()
    name = require_string(body, "name")
    require_string(body, "environment")
    require_enum(body, "environment", ENVIRONMENTS)
    require_enum(body, "home_region", REGIONS)
    workspace_id = body.get("workspace_id")
    if workspace_id is not None and not isinstance(workspace_id, str):
        raise bad_request("Property workspace_id must be a string.")
    record = service.create(
        name,
        body["environment"],
        home_region=body.get("home_region"),
        workspace_id=workspace_id,
    )
    view = service.documents.read_view(record.document)
    return ApiResponse(201, view, project_id=view["id"])


def get_project(service: ProjectService, request: ApiRequest) -> ApiResponse:
    project_id = service.resolve(request.params["project_id"])
    return ApiResponse(200, service.view(project_id, stale=request.stale_read))


def patch_project_with_revision(
    service: ProjectService, request: ApiRequest
) -> ApiResponse:
    project_id = service.resolve(request.params["project_id"])
    patch = _patch(request)
    project, warnings = service.write(
        project_id, patch, expected_revision=request.params["revision_id"]
    )
    return ApiResponse(200, {"project": project, "warnings": warnings})


def patch_project(service: ProjectService, request: ApiRequest) -> ApiResponse:
    project_id = service.resolve(request.params["project_id"])
    project, warnings = service.write(project_id, _patch(request))
    return ApiResponse(200, {"project": project, "warnings": warnings})


def set_project(service: ProjectService, request: ApiRequest) -> ApiResponse:
    project_id = service.resolve(request.params["project_id"])
    body = request.json_object()
    missing = [key for key in _SET_PROJECT_KEYS if key not in body]
    if missing:
        raise bad_request(f"Missing required properties: {', '.join(missing)}.")
    project, warnings = service.write(
        project_id, _set_project_patch(body), organizations=_organizations(body)
    )
    return ApiResponse(200, {"project": project, "warnings": warnings})


def purge_project(service: ProjectService, request: ApiRequest) -> ApiResponse:
    service.purge(service.resolve(request.params["project_id"]))
    return ApiResponse(204)


def _patch(request: ApiRequest) -> Patch:
    """The body as an RFC 6902 patch; 400 when it is not one. Each operation
    keeps only the members its op uses: like RFC 6902 says, the others are
    ignored (a `from` on an `add` means nothing)."""
    patch = request.json()
    if not isinstance(patch, list):
        raise bad_request("The request body must be a JSON Patch array.")
    return [_patch_operation(operation, index) for index, operation in enumerate(patch)]


def _patch_operation(operation: Any, index: int) -> dict[str, Any]:
    if not isinstance(operation, dict):
        raise bad_request(f"Patch operation {index} must be an object.")
    op = operation.get("op")
    if op not in _PATCH_OPERATIONS:
        raise bad_request(
            f"Patch operation {index}: op must be one of {', '.join(_PATCH_OPERATIONS)}."
        )
    used = {"op": op, "path": _pointer(operation, "path", index)}
    if op in ("move", "copy"):
        used["from"] = _pointer(operation, "from", index)
    if op in ("add", "replace", "test"):
        if "value" not in operation:
            raise bad_request(f"Patch operation {index}: value is required.")
        used["value"] = operation["value"]
    return used


def _pointer(operation: dict[str, Any], field: str, index: int) -> str:
    """`operation[field]`; 400 unless it is an RFC 6901 JSON pointer."""
    pointer = operation.get(field)
    if not isinstance(pointer, str):
        raise bad_request(f"Patch operation {index}: {field} must be a string.")
    try:
        jsonpointer.JsonPointer(pointer)
    except jsonpointer.JsonPointerException as error:
        raise bad_request(
            f"Patch operation {index}: {field} is not a JSON pointer: {error}"
        ) from error
    return pointer


def _set_project_patch(body: dict[str, Any]) -> Patch:
    """The patch that replaces the project's name, CORS settings and the whole
    config of every service the body names."""
    if not isinstance(body["name"], str):
        raise bad_request("Property name must be a string.")
    for key in ("cors_public", "cors_admin"):
        if not isinstance(body[key], dict):
            raise bad_request(f"Property {key} must be an object.")
    services = body["services"]
    if not isinstance(services, dict):
        raise bad_request("Property services must be an object.")

    patch: Patch = [
        {"op": "replace", "path": "/name", "value": body["name"]},
        {"op": "add", "path": "/cors_public", "value": body["cors_public"]},
        {"op": "add", "path": "/cors_admin", "value": body["cors_admin"]},
    ]
    for name, content in services.items():
        if name not in SERVICES:
            raise bad_request(f"Unknown service {name}; known: {', '.join(SERVICES)}.")
        if not isinstance(content, dict) or not isinstance(content.get("config"), dict):
            raise bad_request(f"Property services.{name}.config must be an object.")
        patch.append(
            {
                "op": "add",
                "path": f"/services/{name}",
                "value": {"config": content["config"]},
            }
        )
    return patch


def _organizations(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The organizations of a setProject body, each with an id, a label and
    domains; 400 otherwise."""
    organizations = body["organizations"]
    if not isinstance(organizations, list):
        raise bad_request("Property organizations must be an array.")
    for index, organization in enumerate(organizations):
        if not isinstance(organization, dict) or not all(
            isinstance(organization.get(key), kind)
            for key, kind in (("id", str), ("label", str), ("domains", list))
        ):
            raise bad_request(
                f"organizations[{index}] must have an id, a label and domains."
            )
    return organizations
