"""The official Python SDK (`ory-client`) against the emulator: every
ProjectApi method answers what the SDK's own models deserialize, and the
documented error statuses surface as the SDK's exceptions.

The SDK sends console operations to Ory's host unless its configuration
ignores operation servers; every request here is checked to go to the
emulator on 127.0.0.1, and every answer body is checked against the spec.
"""

from __future__ import annotations

import datetime
import json
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import ory_client
import pytest
from conformance import (
    LOOPBACK_HOSTS,
    Exchange,
    LeftLoopback,
    operation_of,
    record_exchange,
    refuse_non_loopback,
    schema_error,
    write_team_seed,
)
from ory_client import ApiClient, Configuration, ProjectApi
from ory_client.exceptions import (
    ApiException,
    ConflictException,
    NotFoundException,
    UnauthorizedException,
)
from ory_client.rest import RESTResponse

from reconciler.emulator import Emulator

CORPUS = Path(__file__).parents[1] / ".." / "shared" / "corpus"
PROJECT_SEED = (
    CORPUS / "ory__cli__cmd__cloudx__project__fixtures__update__json__config.json"
)
PROJECT_ID = "6f0cae50-182d-8f7a-afdd-f83f3fa1f30c"
TEAM_ID = "2a7d5c1e-9b34-4f60-8e21-5d0c3b9a7f14"
KEY = "ory_wak_python_sdk"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


class RecordingApiClient(ApiClient):
    """The SDK's HTTP layer, refusing any host but the loopback one and
    checking every answer body against the spec before the SDK reads it."""

    def __init__(
        self, configuration: Configuration, record: Callable[[Exchange], None]
    ) -> None:
        super().__init__(configuration)
        self._record = record

    def call_api(
        self,
        method: str,
        url: str,
        header_params: Any = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
    ) -> RESTResponse:
        parts = urllib.parse.urlsplit(url)
        if parts.hostname not in LOOPBACK_HOSTS:
            raise LeftLoopback(f"the SDK was about to call {parts.hostname}")
        response = super().call_api(
            method, url, header_params, body, post_params, _request_timeout
        )

        # The urllib3 response underneath has its whole body already.
        data: bytes = response.response.data
        answer = json.loads(data) if data else None
        operation = operation_of(method, parts.path)
        error = schema_error(operation, response.status, answer)
        self._record(Exchange("python-sdk", operation, response.status, error is None))
        assert error is None, f"{operation} {response.status}: {error}"
        return response


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    """The corpus project, and a team project with an owner and a viewer."""
    team = write_team_seed(tmp_path / "team.yaml", TEAM_ID)
    with Emulator(api_keys=[KEY], seeds=[PROJECT_SEED, team]) as started:
        yield started


SdkFactory = Callable[[str], ProjectApi]


@pytest.fixture
def connect(
    emulator: Emulator, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SdkFactory]:
    """Makes ProjectApi instances bound to the emulator with a given key.

    After the test, the emulator must have seen exactly the requests the SDK
    sent: none went elsewhere, none was retried behind the test's back."""
    refuse_non_loopback(monkeypatch)
    exchanges: list[Exchange] = []

    def record(exchange: Exchange) -> None:
        exchanges.append(exchange)
        record_exchange(request.node, exchange)

    def factory(key: str) -> ProjectApi:
        configuration = Configuration(host=emulator.base_url, access_token=key)
        configuration.ignore_operation_servers = True
        return ProjectApi(RecordingApiClient(configuration, record))

    yield factory
    assert len(emulator.requests) == len(exchanges)


@pytest.fixture
def sdk(connect: SdkFactory) -> ProjectApi:
    return connect(KEY)


def revision(sdk: ProjectApi, project_id: str = PROJECT_ID) -> str:
    return str(sdk.get_project(project_id).revision_id)


def rename(name: str) -> list[ory_client.JsonPatch]:
    return [ory_client.JsonPatch(op="replace", path="/name", value=name)]


# Projects


def test_create_get_and_list_projects_deserialize_into_sdk_models(
    sdk: ProjectApi,
) -> None:
    created = sdk.create_project(
        ory_client.CreateProjectBody(name="Fresh", environment="dev")
    )
    read = sdk.get_project(str(created.id))
    listed = sdk.list_projects()

    assert isinstance(created, ory_client.Project)
    assert (created.name, created.environment) == ("Fresh", "dev")
    assert isinstance(created.revision_id, UUID)
    assert isinstance(read, ory_client.Project)
    assert (read.id, read.revision_id) == (created.id, created.revision_id)
    assert all(isinstance(p, ory_client.ProjectMetadata) for p in listed)
    assert {str(p.id) for p in listed} == {PROJECT_ID, TEAM_ID, str(created.id)}


def test_patch_with_revision_answers_a_successful_project_update(
    sdk: ProjectApi,
) -> None:
    before = revision(sdk)

    update = sdk.patch_project_with_revision(PROJECT_ID, before, rename("Renamed"))

    assert isinstance(update, ory_client.SuccessfulProjectUpdate)
    assert update.project.name == "Renamed"
    assert str(update.project.revision_id) != before
    assert all(isinstance(w, ory_client.Warning) for w in update.warnings)


def test_deprecated_patch_answers_a_successful_project_update(
    sdk: ProjectApi,
) -> None:
    update = sdk.patch_project(PROJECT_ID, rename("Patched"))

    assert isinstance(update, ory_client.SuccessfulProjectUpdate)
    assert update.project.name == "Patched"


def test_set_project_replaces_name_and_organizations(sdk: ProjectApi) -> None:
    live = sdk.get_project(PROJECT_ID)
    assert live.cors_admin is not None and live.cors_public is not None
    organization = ory_client.BasicOrganization(
        id=UUID(TEAM_ID), label="Acme", domains=["acme.example"]
    )

    update = sdk.set_project(
        PROJECT_ID,
        ory_client.SetProject(
            name="Set",
            cors_admin=live.cors_admin,
            cors_public=live.cors_public,
            organizations=[organization],
            services=ory_client.ProjectServices(),
        ),
    )

    assert isinstance(update, ory_client.SuccessfulProjectUpdate)
    assert update.project.name == "Set"
    assert [o.label for o in update.project.organizations] == ["Acme"]
    assert update.project.revision_id != live.revision_id


def test_purge_project_returns_nothing_and_the_project_is_gone(
    sdk: ProjectApi,
) -> None:
    assert sdk.purge_project(TEAM_ID) is None

    with pytest.raises(NotFoundException):
        sdk.get_project(TEAM_ID)


# Organizations and their onboarding portal links


def test_organization_lifecycle_deserializes_into_sdk_models(
    sdk: ProjectApi,
) -> None:
    created = sdk.create_organization(
        PROJECT_ID,
        ory_client.OrganizationBody(
            label="Acme", domains=["acme.example"], session_lifespan="24h"
        ),
    )
    organization_id = str(created.id)
    got = sdk.get_organization(PROJECT_ID, organization_id)
    listed = sdk.list_organizations(PROJECT_ID, page_size=10)
    updated = sdk.update_organization(
        PROJECT_ID,
        organization_id,
        ory_client.OrganizationBody(label="Acme Inc", domains=[]),
    )
    deleted = sdk.delete_organization(PROJECT_ID, organization_id)

    assert isinstance(created, ory_client.Organization)
    assert (created.label, created.domains) == ("Acme", ["acme.example"])
    assert isinstance(got, ory_client.GetOrganizationResponse)
    assert got.organization.id == created.id
    assert isinstance(listed, ory_client.ListOrganizationsResponse)
    assert [o.id for o in listed.organizations] == [created.id]
    assert listed.has_next_page is False
    assert isinstance(updated, ory_client.Organization)
    assert (updated.label, updated.domains) == ("Acme Inc", [])
    assert deleted is None
    assert sdk.list_organizations(PROJECT_ID).organizations == []


def test_onboarding_portal_link_lifecycle_deserializes_into_sdk_models(
    sdk: ProjectApi,
) -> None:
    organization_id = str(
        sdk.create_organization(
            PROJECT_ID, ory_client.OrganizationBody(label="Acme")
        ).id
    )
    expires = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)

    created = sdk.create_organization_onboarding_portal_link(
        PROJECT_ID,
        organization_id,
        ory_client.CreateOrganizationOnboardingPortalLinkBody(
            enable_sso=True, enable_scim=False
        ),
    )
    link_id = str(created.id)
    listed = sdk.get_organization_onboarding_portal_links(PROJECT_ID, organization_id)
    updated = sdk.update_organization_onboarding_portal_link(
        PROJECT_ID,
        organization_id,
        link_id,
        ory_client.UpdateOrganizationOnboardingPortalLinkBody(
            enable_sso=False, enable_scim=True, expires_at=expires
        ),
    )
    deleted = sdk.delete_organization_onboarding_portal_link(
        PROJECT_ID, organization_id, link_id
    )

    assert isinstance(created, ory_client.OnboardingPortalLink)
    assert str(created.organization_id) == organization_id
    assert (created.enable_sso, created.enable_scim) == (True, False)
    assert isinstance(listed, ory_client.OrganizationOnboardingPortalLinksResponse)
    assert [link.id for link in listed.links or []] == [created.id]
    assert isinstance(updated, ory_client.OnboardingPortalLink)
    assert (updated.enable_scim, updated.expires_at) == (True, expires)
    assert deleted is None
    links = sdk.get_organization_onboarding_portal_links(PROJECT_ID, organization_id)
    assert links.links == []


# Project API keys and members


def test_project_api_key_lifecycle_deserializes_into_sdk_models(
    sdk: ProjectApi,
) -> None:
    created = sdk.create_project_api_key(
        PROJECT_ID, ory_client.CreateProjectApiKeyBody(name="ci")
    )
    listed = sdk.list_project_api_keys(PROJECT_ID)
    deleted = sdk.delete_project_api_key(PROJECT_ID, str(created.id))

    assert isinstance(created, ory_client.ProjectApiKey)
    assert created.name == "ci"
    assert created.value is not None and created.value.startswith("ory_pat_")
    assert all(isinstance(k, ory_client.ProjectApiKey) for k in listed)
    assert [(k.id, k.value) for k in listed] == [(created.id, None)]
    assert deleted is None
    assert sdk.list_project_api_keys(PROJECT_ID) == []


def test_project_members_deserialize_and_one_can_be_removed(sdk: ProjectApi) -> None:
    members = sdk.get_project_members(TEAM_ID)
    viewer = next(m for m in members if m.role == "viewer")

    removed = sdk.remove_project_member(TEAM_ID, str(viewer.id))

    assert all(isinstance(m, ory_client.ProjectMember) for m in members)
    assert sorted(m.email for m in members) == ["ada@example.com", "bob@example.com"]
    assert removed is None
    assert [m.email for m in sdk.get_project_members(TEAM_ID)] == ["ada@example.com"]


# Documented errors


def error_message(error: ApiException) -> str | None:
    """The message of the error body the SDK deserialized: Ory's envelope, or
    the flat generic error where the spec gives that."""
    data = error.data
    if isinstance(data, ory_client.ErrorGeneric):
        return data.error.message
    assert isinstance(data, ory_client.GenericError), type(data)
    return data.message


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda sdk: sdk.get_project(UNKNOWN_ID), id="getProject"),
        pytest.param(
            lambda sdk: sdk.patch_project(UNKNOWN_ID, rename("x")), id="patchProject"
        ),
        pytest.param(
            lambda sdk: sdk.patch_project_with_revision(
                UNKNOWN_ID, UNKNOWN_ID, rename("x")
            ),
            id="patchProjectWithRevision",
        ),
        pytest.param(lambda sdk: sdk.purge_project(UNKNOWN_ID), id="purgeProject"),
        pytest.param(
            lambda sdk: sdk.get_organization(PROJECT_ID, UNKNOWN_ID),
            id="getOrganization",
        ),
        pytest.param(
            lambda sdk: sdk.update_organization(
                PROJECT_ID, UNKNOWN_ID, ory_client.OrganizationBody(label="x")
            ),
            id="updateOrganization",
        ),
        pytest.param(
            lambda sdk: sdk.delete_organization(PROJECT_ID, UNKNOWN_ID),
            id="deleteOrganization",
        ),
    ],
)
def test_unknown_id_is_the_sdks_not_found_exception(
    sdk: ProjectApi, call: Callable[[ProjectApi], object]
) -> None:
    with pytest.raises(NotFoundException) as raised:
        call(sdk)

    assert raised.value.status == 404
    assert error_message(raised.value)


def test_stale_revision_is_the_sdks_conflict_exception(sdk: ProjectApi) -> None:
    stale = revision(sdk)
    sdk.patch_project_with_revision(PROJECT_ID, stale, rename("First"))

    with pytest.raises(ConflictException) as raised:
        sdk.patch_project_with_revision(PROJECT_ID, stale, rename("Second"))

    assert raised.value.status == 409
    assert error_message(raised.value)
    assert sdk.get_project(PROJECT_ID).name == "First"


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda sdk: sdk.get_project(PROJECT_ID), id="getProject"),
        pytest.param(lambda sdk: sdk.list_projects(), id="listProjects"),
        pytest.param(
            lambda sdk: sdk.get_project_members(PROJECT_ID), id="getProjectMembers"
        ),
    ],
)
def test_bad_key_is_the_sdks_unauthorized_exception(
    connect: SdkFactory, call: Callable[[ProjectApi], object]
) -> None:
    with pytest.raises(UnauthorizedException) as raised:
        call(connect("ory_wak_not_a_key"))

    assert raised.value.status == 401
    assert error_message(raised.value)
