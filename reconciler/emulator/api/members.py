"""Project members. Every project keeps at least one owner."""

from __future__ import annotations

from reconciler.emulator.api.common import ApiRequest, ApiResponse
from reconciler.emulator.errors import ApiError, not_found
from reconciler.emulator.service import ProjectService
from reconciler.emulator.store import ProjectRecord


def get_members(service: ProjectService, request: ApiRequest) -> ApiResponse:
    record = service.record(service.resolve(request.params["project"]))
    return ApiResponse(200, record.members)


def remove_member(service: ProjectService, request: ApiRequest) -> ApiResponse:
    project_id = service.resolve(request.params["project"])
    member_id = request.params["member"]

    def change(record: ProjectRecord) -> None:
        member = next((m for m in record.members if m["id"] == member_id), None)
        if member is None:
            raise not_found(f"Member {member_id}")
        owners = [m for m in record.members if m.get("role") == "owner"]
        if owners == [member]:
            raise ApiError(406, "The last owner of a project cannot be removed.")
        record.members.remove(member)

    service.update(project_id, change)
    return ApiResponse(204)
