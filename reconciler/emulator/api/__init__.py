"""The routes of the emulated ProjectApi, one handler per operation."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reconciler.emulator.api import (
    api_keys,
    members,
    onboarding,
    organizations,
    projects,
)
from reconciler.emulator.api.common import ApiRequest, ApiResponse, Handler

__all__ = ["ApiRequest", "ApiResponse", "Route", "match"]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    operation_id: str
    handler: Handler
    # The spec gives some operations the flat `genericError` schema for errors.
    flat_errors: bool = False


def _route(
    method: str,
    template: str,
    operation_id: str,
    handler: Handler,
    *,
    flat: bool = False,
) -> Route:
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return Route(method, re.compile(f"^{pattern}$"), operation_id, handler, flat)


_LINKS = (
    "/projects/{project_id}/organizations/{organization_id}/onboarding-portal-links"
)

ROUTES = (
    _route("GET", "/projects", "listProjects", projects.list_projects),
    _route("POST", "/projects", "createProject", projects.create_project),
    _route("GET", "/projects/{project_id}", "getProject", projects.get_project),
    _route("PUT", "/projects/{project_id}", "setProject", projects.set_project),
    _route("PATCH", "/projects/{project_id}", "patchProject", projects.patch_project),
    _route(
        "DELETE",
        "/projects/{project_id}",
        "purgeProject",
        projects.purge_project,
        flat=True,
    ),
    _route(
        "PATCH",
        "/projects/{project_id}/revision/{revision_id}",
        "patchProjectWithRevision",
        projects.patch_project_with_revision,
    ),
    _route(
        "GET",
        "/projects/{project_id}/organizations",
        "listOrganizations",
        organizations.list_organizations,
    ),
    _route(
        "POST",
        "/projects/{project_id}/organizations",
        "createOrganization",
        organizations.create_organization,
    ),
    _route(
        "GET",
        "/projects/{project_id}/organizations/{organization_id}",
        "getOrganization",
        organizations.get_organization,
    ),
    _route(
        "PUT",
        "/projects/{project_id}/organizations/{organization_id}",
        "updateOrganization",
        organizations.update_organization,
    ),
    _route(
        "DELETE",
        "/projects/{project_id}/organizations/{organization_id}",
        "deleteOrganization",
        organizations.delete_organization,
    ),
    _route(
        "GET",
        _LINKS,
        "getOrganizationOnboardingPortalLinks",
        onboarding.get_links,
    ),
    _route(
        "POST",
        _LINKS,
        "createOrganizationOnboardingPortalLink",
        onboarding.create_link,
    ),
    _route(
        "POST",
        f"{_LINKS}/{{onboarding_portal_link_id}}",
        "updateOrganizationOnboardingPortalLink",
        onboarding.update_link,
    ),
    _route(
        "DELETE",
        f"{_LINKS}/{{onboarding_portal_link_id}}",
        "deleteOrganizationOnboardingPortalLink",
        onboarding.delete_link,
    ),
    _route(
        "GET",
        "/projects/{project}/tokens",
        "listProjectApiKeys",
        api_keys.list_api_keys,
    ),
    _route(
        "POST",
        "/projects/{project}/tokens",
        "createProjectApiKey",
        api_keys.create_api_key,
    ),
    _route(
        "DELETE",
        "/projects/{project}/tokens/{token_id}",
        "deleteProjectApiKey",
        api_keys.delete_api_key,
    ),
    _route(
        "GET",
        "/projects/{project}/members",
        "getProjectMembers",
        members.get_members,
        flat=True,
    ),
    _route(
        "DELETE",
        "/projects/{project}/members/{member}",
        "removeProjectMember",
        members.remove_member,
        flat=True,
    ),
)


def match(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """The route for a request, its path parameters, and whether the path
    exists under another method (for a 405)."""
    path_exists = False
    for route in ROUTES:
        found = route.pattern.match(path)
        if found is None:
            continue
        if route.method == method:
            return route, found.groupdict(), True
        path_exists = True
    return None, {}, path_exists
