"""Every ProjectApi operation of the emulator, each response body checked
against the spec's schema for its operation and status."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from spec_check import validate_response

from reconciler.emulator import Emulator

CORPUS = Path(__file__).parents[1] / ".." / "shared" / "corpus"
PROJECT_SEED = (
    CORPUS / "ory__cli__cmd__cloudx__project__fixtures__update__json__config.json"
)
PROJECT_ID = "6f0cae50-182d-8f7a-afdd-f83f3fa1f30c"
PROJECT_SLUG = "silly-hofstadter-e5balirqq2"
TEAM_ID = "0b9f4a52-3c1e-4d7a-9e0f-0a1b2c3d4e5f"
KEY = "ory_wak_api"


class Api:
    """A client that checks every response against the spec."""

    def __init__(self, base_url: str, key: str = KEY) -> None:
        self.http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {key}"}
        )

    def __call__(
        self, operation_id: str, method: str, path: str, **kwargs: Any
    ) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)
        body = response.json() if response.content else None
        validate_response(operation_id, response.status_code, body)
        return response


@pytest.fixture
def team_seed(tmp_path: Path) -> Path:
    seed = tmp_path / "team.yaml"
    seed.write_text(
        yaml.safe_dump(
            {
                "id": TEAM_ID,
                "name": "Team project",
                "services": {"identity": {"config": {}}},
                "x-emulator": {
                    "members": [
                        {"email": "ada@example.com", "name": "Ada", "role": "owner"},
                        {"email": "bob@example.com", "name": "Bob", "role": "viewer"},
                    ]
                },
            }
        )
    )
    return seed


@pytest.fixture
def emulator(tmp_path: Path, team_seed: Path) -> Iterator[Emulator]:
    with Emulator(
        state_path=tmp_path / "state.json",
        api_keys=[KEY],
        seeds=[PROJECT_SEED, team_seed],
    ) as started:
        yield started


@pytest.fixture
def api(emulator: Emulator) -> Iterator[Api]:
    client = Api(emulator.base_url)
    yield client
    client.http.close()


def revision(api: Api, project_id: str = PROJECT_ID) -> str:
    return str(
        api("getProject", "GET", f"/projects/{project_id}").json()["revision_id"]
    )


# Projects


def test_list_projects_shows_every_project(api: Api) -> None:
    response = api("listProjects", "GET", "/projects")

    assert response.status_code == 200
    listed = {project["id"]: project for project in response.json()}
    assert set(listed) == {PROJECT_ID, TEAM_ID}
    assert listed[PROJECT_ID]["slug"] == PROJECT_SLUG


def test_create_project_answers_a_project_that_reads_back(api: Api) -> None:
    response = api(
        "createProject",
        "POST",
        "/projects",
        json={"name": "New", "environment": "dev", "home_region": "us-east"},
    )

    assert response.status_code == 201
    created = response.json()
    assert (created["name"], created["environment"]) == ("New", "dev")
    assert created["home_region"] == "us-east"
    read = api("getProject", "GET", f"/projects/{created['id']}").json()
    assert read == created


@pytest.mark.parametrize(
    "body",
    [{"environment": "prod"}, {"name": "x", "environment": "moon"}, {"name": "x"}, []],
)
def test_create_project_with_a_bad_body_is_a_bad_request(api: Api, body: Any) -> None:
    assert api("createProject", "POST", "/projects", json=body).status_code == 400


def test_get_project_by_unknown_id_is_not_found(api: Api) -> None:
    assert api("getProject", "GET", "/projects/unknown").status_code == 404


def test_unauthorized_and_forbidden_reads_answer_the_error_schema(
    emulator: Emulator,
) -> None:
    unknown, project_key = (
        Api(emulator.base_url, "nope"),
        Api(emulator.base_url, "ory_pat_x"),
    )

    assert unknown("getProject", "GET", f"/projects/{PROJECT_ID}").status_code == 401
    assert (
        project_key("getProject", "GET", f"/projects/{PROJECT_ID}").status_code == 403
    )
    assert (
        unknown(
            "getProjectMembers", "GET", f"/projects/{PROJECT_ID}/members"
        ).status_code
        == 401
    )


def test_set_project_replaces_the_config_of_each_service_it_names(api: Api) -> None:
    # A first write lets the service normalise the seeded configs.
    api("patchProject", "PATCH", f"/projects/{PROJECT_ID}", json=[])
    before = api("getProject", "GET", f"/projects/{PROJECT_ID}").json()
    namespaces = [{"id": 7, "name": "documents"}]
    organization = {"id": TEAM_ID, "label": "Acme", "domains": ["acme.example"]}
    body = {
        "name": "Replaced",
        "cors_admin": before["cors_admin"],
        "cors_public": before["cors_public"],
        "organizations": [organization],
        "services": {"permission": {"config": {"namespaces": namespaces}}},
    }

    response = api("setProject", "PUT", f"/projects/{PROJECT_ID}", json=body)

    assert response.status_code == 200
    project = response.json()["project"]
    assert project["name"] == "Replaced"
    assert project["services"]["permission"]["config"]["namespaces"] == namespaces
    assert project["services"]["identity"] == before["services"]["identity"]
    assert project["organizations"] == [organization]
    assert project["revision_id"] != before["revision_id"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "services": {}},
        {
            "name": "x",
            "cors_admin": {},
            "cors_public": {},
            "organizations": [],
            "services": {"nonsense": {"config": {}}},
        },
    ],
)
def test_set_project_with_a_bad_body_is_a_bad_request(api: Api, body: Any) -> None:
    assert (
        api("setProject", "PUT", f"/projects/{PROJECT_ID}", json=body).status_code
        == 400
    )


def test_set_project_of_unknown_project_is_not_found(api: Api) -> None:
    body = {
        "name": "x",
        "cors_admin": {},
        "cors_public": {},
        "organizations": [],
        "services": {},
    }
    assert api("setProject", "PUT", "/projects/unknown", json=body).status_code == 404


def test_deprecated_patch_applies_without_a_revision_check(
    api: Api, emulator: Emulator
) -> None:
    emulator.edit_project(
        PROJECT_ID, [{"op": "replace", "path": "/name", "value": "a"}]
    )
    before = revision(api)

    response = api(
        "patchProject",
        "PATCH",
        f"/projects/{PROJECT_ID}",
        json=[{"op": "replace", "path": "/name", "value": "b"}],
    )

    assert response.status_code == 200
    assert response.json()["project"]["name"] == "b"
    assert response.json()["project"]["revision_id"] != before


def test_deprecated_patch_errors(api: Api) -> None:
    bad = [{"op": "remove", "path": "/nope"}]
    assert (
        api("patchProject", "PATCH", f"/projects/{PROJECT_ID}", json=bad).status_code
        == 400
    )
    assert api("patchProject", "PATCH", "/projects/unknown", json=[]).status_code == 404


def test_patch_with_revision_answers_every_documented_status(api: Api) -> None:
    current = revision(api)
    rename = [{"op": "replace", "path": "/name", "value": "n"}]
    path = f"/projects/{PROJECT_ID}/revision"

    ok = api("patchProjectWithRevision", "PATCH", f"{path}/{current}", json=rename)
    stale = api("patchProjectWithRevision", "PATCH", f"{path}/{current}", json=rename)
    invalid = api(
        "patchProjectWithRevision",
        "PATCH",
        f"{path}/{revision(api)}",
        json=[{"op": "x"}],
    )
    missing = api(
        "patchProjectWithRevision",
        "PATCH",
        f"/projects/unknown/revision/{current}",
        json=[],
    )

    assert [r.status_code for r in (ok, stale, invalid, missing)] == [
        200,
        409,
        400,
        404,
    ]


def test_purge_project_removes_it_for_good(
    api: Api, emulator: Emulator, tmp_path: Path
) -> None:
    purged = api("purgeProject", "DELETE", f"/projects/{PROJECT_ID}")
    again = api("purgeProject", "DELETE", f"/projects/{PROJECT_ID}")

    assert (purged.status_code, again.status_code) == (204, 404)
    assert again.json()["message"]
    assert api("getProject", "GET", f"/projects/{PROJECT_ID}").status_code == 404
    emulator.stop()
    with (
        Emulator(state_path=tmp_path / "state.json", seeds=[PROJECT_SEED]) as restarted,
        pytest.raises(KeyError),
    ):
        restarted.project(PROJECT_ID)


# Organizations


def create_organization(api: Api, label: str, domains: list[str]) -> httpx.Response:
    return api(
        "createOrganization",
        "POST",
        f"/projects/{PROJECT_ID}/organizations",
        json={"label": label, "domains": domains, "session_lifespan": "24h"},
    )


def test_create_organization_adds_it_to_the_project_with_a_new_revision(
    api: Api,
) -> None:
    before = revision(api)

    response = create_organization(api, "Acme", ["acme.example"])

    assert response.status_code == 201
    organization = response.json()
    project = api("getProject", "GET", f"/projects/{PROJECT_ID}").json()
    assert project["organizations"] == [
        {k: v for k, v in organization.items() if k != "created_at"}
    ]
    assert project["revision_id"] != before


@pytest.mark.parametrize(
    "body", [{"domains": []}, {"label": "x", "session_lifespan": "1d"}, {"label": 3}]
)
def test_create_organization_with_a_bad_body_is_a_bad_request(
    api: Api, body: Any
) -> None:
    path = f"/projects/{PROJECT_ID}/organizations"
    assert api("createOrganization", "POST", path, json=body).status_code == 400


def test_organization_domains_conflict(api: Api) -> None:
    create_organization(api, "Acme", ["acme.example"])
    other = create_organization(api, "Other", ["other.example"]).json()

    duplicate = create_organization(api, "Copy", ["acme.example"])
    taking = api(
        "updateOrganization",
        "PUT",
        f"/projects/{PROJECT_ID}/organizations/{other['id']}",
        json={"label": "Other", "domains": ["acme.example"]},
    )

    assert (duplicate.status_code, taking.status_code) == (409, 409)


def test_get_update_and_delete_organization(api: Api) -> None:
    created = create_organization(api, "Acme", ["acme.example"]).json()
    path = f"/projects/{PROJECT_ID}/organizations/{created['id']}"

    got = api("getOrganization", "GET", path)
    updated = api(
        "updateOrganization", "PUT", path, json={"label": "Acme Inc", "domains": []}
    )
    bad = api("updateOrganization", "PUT", path, json={"label": ""})
    deleted = api("deleteOrganization", "DELETE", path)

    assert got.json()["organization"] == created
    assert updated.json()["label"] == "Acme Inc"
    assert "session_lifespan" not in updated.json()
    assert (bad.status_code, deleted.status_code) == (400, 204)
    assert api("getOrganization", "GET", path).status_code == 404
    assert (
        api("updateOrganization", "PUT", path, json={"label": "x"}).status_code == 404
    )
    assert api("deleteOrganization", "DELETE", path).status_code == 404


def test_organization_used_by_an_identity_provider_cannot_be_deleted(
    api: Api, emulator: Emulator
) -> None:
    created = create_organization(api, "Acme", ["acme.example"]).json()
    provider = {
        "id": "acme-sso",
        "provider": "generic",
        "organization_id": created["id"],
    }
    emulator.edit_project(
        PROJECT_ID,
        [
            {
                "op": "add",
                "path": "/services/identity/config/selfservice/methods/oidc",
                "value": {"config": {"providers": [provider]}},
            }
        ],
    )

    path = f"/projects/{PROJECT_ID}/organizations/{created['id']}"
    response = api("deleteOrganization", "DELETE", path)

    assert response.status_code == 409
    assert "acme-sso" in response.json()["error"]["reason"]


def test_list_organizations_pages_and_filters_by_domain(api: Api) -> None:
    for number in range(3):
        create_organization(api, f"Org {number}", [f"org{number}.example"])
    path = f"/projects/{PROJECT_ID}/organizations"

    first = api("listOrganizations", "GET", path, params={"page_size": 2}).json()
    second = api(
        "listOrganizations",
        "GET",
        path,
        params={"page_size": 2, "page_token": first["next_page_token"]},
    ).json()
    filtered = api("listOrganizations", "GET", path, params={"domain": "org1.example"})
    bad_size = api("listOrganizations", "GET", path, params={"page_size": 0})
    bad_token = api("listOrganizations", "GET", path, params={"page_token": "zz"})

    assert [o["label"] for o in first["organizations"]] == ["Org 0", "Org 1"]
    assert first["has_next_page"] is True
    assert [o["label"] for o in second["organizations"]] == ["Org 2"]
    assert (second["has_next_page"], second["next_page_token"]) == (False, "")
    assert [o["label"] for o in filtered.json()["organizations"]] == ["Org 1"]
    assert (bad_size.status_code, bad_token.status_code) == (400, 400)


# Onboarding portal links


def links_path(organization_id: str) -> str:
    return (
        f"/projects/{PROJECT_ID}/organizations/{organization_id}"
        "/onboarding-portal-links"
    )


def test_onboarding_portal_link_lifecycle(api: Api) -> None:
    organization = create_organization(api, "Acme", ["acme.example"]).json()
    links = links_path(organization["id"])

    created = api(
        "createOrganizationOnboardingPortalLink",
        "POST",
        links,
        json={
            "enable_sso": True,
            "enable_scim": False,
            "saml_mapper_url": "base64://e30=",
        },
    )
    link = created.json()
    listed = api("getOrganizationOnboardingPortalLinks", "GET", links)
    updated = api(
        "updateOrganizationOnboardingPortalLink",
        "POST",
        f"{links}/{link['id']}",
        json={
            "enable_sso": False,
            "enable_scim": True,
            "expires_at": "2030-01-01T00:00:00Z",
        },
    )
    deleted = api(
        "deleteOrganizationOnboardingPortalLink", "DELETE", f"{links}/{link['id']}"
    )

    assert created.status_code == 201
    assert link["organization_id"] == organization["id"]
    assert listed.json() == {"links": [link]}
    assert updated.json()["enable_scim"] is True
    assert updated.json()["expires_at"] == "2030-01-01T00:00:00Z"
    assert deleted.status_code == 204
    assert api("getOrganizationOnboardingPortalLinks", "GET", links).json() == {
        "links": []
    }


def test_onboarding_portal_link_errors(api: Api) -> None:
    organization = create_organization(api, "Acme", ["acme.example"]).json()
    links = links_path(organization["id"])
    unknown_org = links_path("unknown")

    missing_flag = api(
        "createOrganizationOnboardingPortalLink",
        "POST",
        links,
        json={"enable_sso": True},
    )
    no_organization = api("getOrganizationOnboardingPortalLinks", "GET", unknown_org)
    no_link = api(
        "updateOrganizationOnboardingPortalLink",
        "POST",
        f"{links}/unknown",
        json={"enable_sso": True, "enable_scim": True},
    )
    no_link_delete = api(
        "deleteOrganizationOnboardingPortalLink", "DELETE", f"{links}/unknown"
    )

    statuses = [
        r.status_code for r in (missing_flag, no_organization, no_link, no_link_delete)
    ]
    assert statuses == [400, 404, 404, 404]


# Project API keys


def test_project_api_key_value_is_shown_once(api: Api, emulator: Emulator) -> None:
    created = api(
        "createProjectApiKey",
        "POST",
        f"/projects/{PROJECT_ID}/tokens",
        json={"name": "ci"},
    )
    key = created.json()
    listed = api("listProjectApiKeys", "GET", f"/projects/{PROJECT_SLUG}/tokens").json()

    assert created.status_code == 201
    assert key["value"].startswith("ory_pat_")
    assert [k["id"] for k in listed] == [key["id"]]
    assert "value" not in listed[0]
    assert key["value"].endswith(listed[0]["last_characters"])
    as_project_key = Api(emulator.base_url, key["value"])
    assert (
        as_project_key("getProject", "GET", f"/projects/{PROJECT_ID}").status_code
        == 403
    )


def test_delete_project_api_key(api: Api) -> None:
    key = api(
        "createProjectApiKey",
        "POST",
        f"/projects/{PROJECT_ID}/tokens",
        json={"name": "ci"},
    ).json()
    path = f"/projects/{PROJECT_ID}/tokens/{key['id']}"

    assert api("deleteProjectApiKey", "DELETE", path).status_code == 204
    assert api("deleteProjectApiKey", "DELETE", path).status_code == 404
    assert (
        api("listProjectApiKeys", "GET", f"/projects/{PROJECT_ID}/tokens").json() == []
    )


def test_project_api_key_errors(api: Api) -> None:
    tokens = f"/projects/{PROJECT_ID}/tokens"
    assert api("createProjectApiKey", "POST", tokens, json={}).status_code == 400
    assert (
        api("listProjectApiKeys", "GET", "/projects/unknown/tokens").status_code == 404
    )


# Members


def test_every_project_has_its_owner_as_member(api: Api) -> None:
    response = api("getProjectMembers", "GET", f"/projects/{PROJECT_ID}/members")

    assert [m["role"] for m in response.json()] == ["owner"]


def test_seed_lists_more_members(api: Api) -> None:
    members = api("getProjectMembers", "GET", f"/projects/{TEAM_ID}/members").json()

    assert [(m["email"], m["role"]) for m in members] == [
        ("ada@example.com", "owner"),
        ("bob@example.com", "viewer"),
    ]


def test_remove_project_member(api: Api) -> None:
    members = api("getProjectMembers", "GET", f"/projects/{TEAM_ID}/members").json()
    owner, viewer = members
    path = f"/projects/{TEAM_ID}/members"

    removed = api("removeProjectMember", "DELETE", f"{path}/{viewer['id']}")
    last_owner = api("removeProjectMember", "DELETE", f"{path}/{owner['id']}")
    unknown = api("removeProjectMember", "DELETE", f"{path}/{viewer['id']}")

    assert [r.status_code for r in (removed, last_owner, unknown)] == [204, 406, 404]
    assert api("getProjectMembers", "GET", path).json() == [owner]


# Long patches


def test_a_patch_of_3000_operations_is_answered_within_a_client_timeout(
    emulator: Emulator,
) -> None:
    # Each operation used to copy the whole document: on a project holding
    # 3000 namespaces, 3000 operations took half a minute.
    namespaces = [{"id": n, "name": f"ns{n}"} for n in range(1, 3001)]
    urls = [f"https://app{n}.example" for n in range(3000)]
    path = "/services/identity/config/selfservice/allowed_return_urls/-"
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=emulator.base_url, headers=headers, timeout=10) as http:
        large = http.patch(
            f"/projects/{PROJECT_ID}",
            json=[
                {
                    "op": "add",
                    "path": "/services/permission/config/namespaces",
                    "value": namespaces,
                }
            ],
        )
        long = http.patch(
            f"/projects/{PROJECT_ID}",
            json=[{"op": "add", "path": path, "value": url} for url in urls],
        )

    assert large.status_code == 200
    assert long.status_code == 200
    config = long.json()["project"]["services"]
    assert (
        config["identity"]["config"]["selfservice"]["allowed_return_urls"][-3000:]
        == urls
    )
    assert config["permission"]["config"]["namespaces"] == namespaces
