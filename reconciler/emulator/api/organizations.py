"""Enterprise SSO organizations: the `organizations` list of the project
document, with a creation time kept beside it."""

from __future__ import annotations

import re
import uuid
from typing import Any

from reconciler.emulator.api.common import (
    REGIONS,
    ApiRequest,
    ApiResponse,
    require_enum,
    require_string,
)
from reconciler.emulator.errors import ApiError, bad_request, not_found
from reconciler.emulator.service import ProjectService, now
from reconciler.emulator.store import ProjectRecord

_SESSION_LIFESPAN = re.compile(r"^[0-9]+(s|m|h)$")
_DEFAULT_PAGE_SIZE = 250
_MAX_PAGE_SIZE = 1000
_PROVIDER_LISTS = (
    ("selfservice", "methods", "oidc", "config", "providers"),
    ("selfservice", "methods", "saml", "config", "providers"),
)


def list_organizations(service: ProjectService, request: ApiRequest) -> ApiResponse:
    record = service.record(service.resolve(request.params["project_id"]))
    size = _page_size(request.query_value("page_size"))
    offset = _page_offset(request.query_value("page_token"))
    domain = request.query_value("domain")

    organizations = [
        _organization(record, organization)
        for organization in record.document["organizations"]
        if domain is None or domain in organization.get("domains", [])
    ]
    page = organizations[offset : offset + size]
    has_next_page = offset + size < len(organizations)
    return ApiResponse(
        200,
        {
            "organizations": page,
            "has_next_page": has_next_page,
            "next_page_token": str(offset + size) if has_next_page else "",
        },
    )


def create_organization(service: ProjectService, request: ApiRequest) -> ApiResponse:
    project_id = service.resolve(request.params["project_id"])
    organization = {"id": str(uuid.uuid4()), **_organization_fields(request)}
    record = service.record(project_id)
    _check_domains_free(record, organization)

    organizations = [*record.document["organizations"], organization]
    service.set_organizations(project_id, organizations)
    service.update(project_id, lambda r: _note_creation(r, organization["id"]))
    return ApiResponse(201, _organization(service.record(project_id), organization))


def get_organization(service: ProjectService, request: ApiRequest) -> ApiResponse:
    record = service.record(service.resolve(request.params["project_id"]))
    _, organization = find_organization(record, request.params["organization_id"])
    return ApiResponse(200, {"organization": _organization(record, organization)})


def update_organization(service: ProjectService, request: ApiRequest) -> ApiResponse:
    project_id = service.resolve(request.params["project_id"])
    record = service.record(project_id)
    index, current = find_organization(record, request.params["organization_id"])
    organization = {"id": current["id"], **_organization_fields(request)}
    _check_domains_free(record, organization)

    organizations = list(record.document["organizations"])
    organizations[index] = organization
    service.set_organizations(project_id, organizations)
    return ApiResponse(200, _organization(service.record(project_id), organization))


def delete_organization(service: ProjectService, request: ApiRequest) -> ApiResponse:
    project_id = service.resolve(request.params["project_id"])
    record = service.record(project_id)
    index, organization = find_organization(record, request.params["organization_id"])
    users = _providers_of(record, organization["id"])
    if users:
        raise ApiError(
            409,
            f"Organization {organization['id']} is still used by the identity "
            f"providers {', '.join(users)}.",
        )

    organizations = list(record.document["organizations"])
    del organizations[index]
    service.set_organizations(project_id, organizations)
    service.update(project_id, lambda r: _forget(r, organization["id"]))
    return ApiResponse(204)


def find_organization(
    record: ProjectRecord, organization_id: str
) -> tuple[int, dict[str, Any]]:
    """The index and entry of an organization of the project; 404 otherwise."""
    for index, organization in enumerate(record.document["organizations"]):
        if organization.get("id") == organization_id:
            return index, organization
    raise not_found(f"Organization {organization_id}")


def _organization(record: ProjectRecord, entry: dict[str, Any]) -> dict[str, Any]:
    """The organization resource of an entry of the project's list."""
    created_at = record.organization_created_at.get(entry["id"], record.created_at)
    return {"domains": [], **entry, "created_at": created_at}


def _organization_fields(request: ApiRequest) -> dict[str, Any]:
    """The fields of an OrganizationBody; 400 when one is invalid."""
    body = request.json_object()
    fields: dict[str, Any] = {"label": require_string(body, "label")}
    domains = body.get("domains", [])
    if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
        raise bad_request("Property domains must be an array of strings.")
    fields["domains"] = domains
    require_enum(body, "default_region", REGIONS)
    if "default_region" in body:
        fields["default_region"] = body["default_region"]
    lifespan = body.get("session_lifespan")
    if lifespan is not None:
        if not isinstance(lifespan, str) or not _SESSION_LIFESPAN.match(lifespan):
            raise bad_request("Property session_lifespan must be a duration like 24h.")
        fields["session_lifespan"] = lifespan
    return fields


def _check_domains_free(record: ProjectRecord, organization: dict[str, Any]) -> None:
    """409 when another organization of the project has one of the domains."""
    for other in record.document["organizations"]:
        if other.get("id") == organization["id"]:
            continue
        taken = set(organization["domains"]) & set(other.get("domains", []))
        if taken:
            raise ApiError(
                409,
                f"Domain {sorted(taken)[0]} belongs to organization {other.get('id')}.",
            )


def _providers_of(record: ProjectRecord, organization_id: str) -> list[str]:
    """The ids of the identity providers bound to the organization."""
    config = record.document["services"].get("identity", {}).get("config", {})
    users = []
    for keys in _PROVIDER_LISTS:
        providers: Any = config
        for key in keys:
            providers = providers.get(key, {}) if isinstance(providers, dict) else {}
        for provider in providers if isinstance(providers, list) else []:
            if provider.get("organization_id") == organization_id:
                users.append(str(provider.get("id")))
    return users


def _page_size(value: str | None) -> int:
    if value is None:
        return _DEFAULT_PAGE_SIZE
    if not value.isdigit() or not 1 <= int(value) <= _MAX_PAGE_SIZE:
        raise bad_request(f"page_size must be between 1 and {_MAX_PAGE_SIZE}.")
    return int(value)


def _page_offset(token: str | None) -> int:
    if not token:
        return 0
    if not token.isdigit():
        raise bad_request("page_token is not a token this service issued.")
    return int(token)


def _note_creation(record: ProjectRecord, organization_id: str) -> None:
    record.organization_created_at[organization_id] = now()


def _forget(record: ProjectRecord, organization_id: str) -> None:
    record.organization_created_at.pop(organization_id, None)
    record.onboarding_portal_links = [
        link
        for link in record.onboarding_portal_links
        if link["organization_id"] != organization_id
    ]
