"""Onboarding portal links of an organization."""

from __future__ import annotations

import datetime
import secrets
import uuid
from typing import Any

from reconciler.emulator.api.common import (
    ApiRequest,
    ApiResponse,
    parse_expires_at,
    require_bool,
    timestamp,
)
from reconciler.emulator.api.organizations import find_organization
from reconciler.emulator.errors import bad_request, not_found
from reconciler.emulator.service import ProjectService, now
from reconciler.emulator.store import ProjectRecord

LINK_LIFETIME = datetime.timedelta(days=7)
_MAPPER_URLS = (
    "apple_mapper_url",
    "auth0_mapper_url",
    "facebook_mapper_url",
    "generic_oidc_mapper_url",
    "github_mapper_url",
    "gitlab_mapper_url",
    "google_mapper_url",
    "microsoft_mapper_url",
    "netid_mapper_url",
    "proxy_acs_url",
    "proxy_oidc_redirect_url",
    "proxy_saml_audience_override",
    "proxy_scim_server_url",
    "saml_mapper_url",
    "scim_mapper_url",
)


def get_links(service: ProjectService, request: ApiRequest) -> ApiResponse:
    record, organization_id = _organization_of(service, request)
    return ApiResponse(200, {"links": _links_of(record, organization_id)})


def create_link(service: ProjectService, request: ApiRequest) -> ApiResponse:
    record, organization_id = _organization_of(service, request)
    body = request.json_object()
    created_at = now()
    link: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "project_id": record.document["id"],
        "organization_id": organization_id,
        "value": secrets.token_urlsafe(32),
        "created_at": created_at,
        "enable_sso": require_bool(body, "enable_sso"),
        "enable_scim": require_bool(body, "enable_scim"),
        "expires_at": parse_expires_at(body)
        or timestamp(datetime.datetime.now(datetime.UTC) + LINK_LIFETIME),
    }
    for key in _MAPPER_URLS:
        if key in body:
            if not isinstance(body[key], str):
                raise bad_request(f"Property {key} must be a string.")
            link[key] = body[key]
    if body.get("custom_hostname_id") is not None:
        link["custom_hostname_id"] = _uuid(body["custom_hostname_id"])

    service.update(
        record.document["id"], lambda r: r.onboarding_portal_links.append(link)
    )
    return ApiResponse(201, link)


def update_link(service: ProjectService, request: ApiRequest) -> ApiResponse:
    record, organization_id = _organization_of(service, request)
    link_id = request.params["onboarding_portal_link_id"]
    body = request.json_object()
    changes: dict[str, Any] = {
        "enable_sso": require_bool(body, "enable_sso"),
        "enable_scim": require_bool(body, "enable_scim"),
    }
    expires_at = parse_expires_at(body)
    if expires_at is not None:
        changes["expires_at"] = expires_at

    def change(record: ProjectRecord) -> dict[str, Any]:
        link = _find_link(record, organization_id, link_id)
        link.update(changes)
        return link

    return ApiResponse(200, service.update(record.document["id"], change))


def delete_link(service: ProjectService, request: ApiRequest) -> ApiResponse:
    record, organization_id = _organization_of(service, request)
    link_id = request.params["onboarding_portal_link_id"]

    def change(record: ProjectRecord) -> None:
        record.onboarding_portal_links.remove(
            _find_link(record, organization_id, link_id)
        )

    service.update(record.document["id"], change)
    return ApiResponse(204)


def _organization_of(
    service: ProjectService, request: ApiRequest
) -> tuple[ProjectRecord, str]:
    record = service.record(service.resolve(request.params["project_id"]))
    _, organization = find_organization(record, request.params["organization_id"])
    return record, str(organization["id"])


def _links_of(record: ProjectRecord, organization_id: str) -> list[dict[str, Any]]:
    return [
        link
        for link in record.onboarding_portal_links
        if link["organization_id"] == organization_id
    ]


def _find_link(
    record: ProjectRecord, organization_id: str, link_id: str
) -> dict[str, Any]:
    for link in _links_of(record, organization_id):
        if link["id"] == link_id:
            return link
    raise not_found(f"Onboarding portal link {link_id}")


def _uuid(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as error:
        raise bad_request("Property custom_hostname_id must be a UUID.") from error
