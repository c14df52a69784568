"""Lists in a project: what comparing them must send, and what it must keep."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonpatch
import pytest

from reconciler.client import ProjectClient
from reconciler.compare import Comparison, Rules, compare
from reconciler.emulator import Emulator
from reconciler.patch import to_patch
from reconciler.pointer import PointerSet, join

API_KEY = "ory_wak_fake_list_tests_0123456789"
PROJECT_ID = "5b0c7c1e-0d6a-4c0e-9d55-5f1a2b3c4d5e"
STORAGE = "https://storage.googleapis.com/bac-gcs-prod/"

IDENTITY = ("services", "identity", "config")
PROVIDERS = (*IDENTITY, "selfservice", "methods", "oidc", "config", "providers")
HOOKS = (*IDENTITY, "selfservice", "flows", "registration", "after", "hooks")
NAMESPACES = ("services", "permission", "config", "namespaces")

MAPPER = "local claims = std.extVar('claims');\n{ identity: { traits: claims } }\n"


def b64(text: str) -> str:
    return "base64://" + base64.b64encode(text.encode()).decode()


def stored(text: str) -> str:
    return f"{STORAGE}{hashlib.sha512(text.encode()).hexdigest()}.jsonnet"


def at(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A document holding only ``value`` at ``path``."""
    for part in reversed(path):
        value = {part: value}
    return value  # type: ignore[no-any-return]


def pointer(path: tuple[str, ...], *rest: str | int) -> str:
    return join((*path, *rest))


def compared(desired: dict[str, Any], live: dict[str, Any], **rules: Any) -> Comparison:
    return compare(desired, live, Rules(**rules))


def patch_for(
    desired: dict[str, Any], live: dict[str, Any], **rules: Any
) -> list[dict[str, Any]]:
    return to_patch(compared(desired, live, **rules).changes)


def sso_provider(**fields: Any) -> dict[str, Any]:
    """An enterprise SSO provider as the service reads it back."""
    return {
        "id": "acme-sso",
        "provider": "generic",
        "label": "ACME SSO",
        "client_id": "acme-client",
        "client_secret": "",
        "issuer_url": "https://sso.acme.example",
        "mapper_url": stored(MAPPER),
        "scope": ["openid", "email"],
        "organization_id": "9a1e4c1f-3b7d-4c61-8f0e-2d6b5a4c3e21",
        "update_identity_on_login": "automatic",
        **fields,
    }


class TestProviderFields:
    """A provider is patched field by field, never replaced whole."""

    def test_a_rewritten_mapper_and_one_changed_field_patch_only_that_field(
        self,
    ) -> None:
        live = at(PROVIDERS, [sso_provider()])
        desired = at(
            PROVIDERS,
            [
                {
                    "id": "acme-sso",
                    "provider": "generic",
                    "client_id": "acme-client-2",
                    "mapper_url": b64(MAPPER),
                }
            ],
        )

        assert patch_for(desired, live) == [
            {
                "op": "replace",
                "path": pointer(PROVIDERS, 0, "client_id"),
                "value": "acme-client-2",
            }
        ]

    def test_a_changed_mapper_replaces_the_mapper_url_alone(self) -> None:
        live = at(PROVIDERS, [sso_provider()])
        desired = at(
            PROVIDERS, [{"id": "acme-sso", "mapper_url": b64(MAPPER + "// v2\n")}]
        )

        assert patch_for(desired, live) == [
            {
                "op": "replace",
                "path": pointer(PROVIDERS, 0, "mapper_url"),
                "value": b64(MAPPER + "// v2\n"),
            }
        ]

    def test_re_applying_an_imported_provider_keeps_its_organization(
        self,
    ) -> None:
        imported = {
            key: value
            for key, value in sso_provider().items()
            if key not in ("organization_id", "client_secret")
        }
        live = at(PROVIDERS, [sso_provider()])

        assert patch_for(at(PROVIDERS, [imported]), live) == []

    def test_update_identity_on_login_is_kept_when_another_field_changes(
        self,
    ) -> None:
        live = at(PROVIDERS, [sso_provider()])
        desired = at(PROVIDERS, [{"id": "acme-sso", "label": "ACME"}])

        patch = patch_for(desired, live)
        result = jsonpatch.apply_patch(live, patch)

        assert [op["path"] for op in patch] == [pointer(PROVIDERS, 0, "label")]
        [provider] = result["services"]["identity"]["config"]["selfservice"]["methods"][
            "oidc"
        ]["config"]["providers"]
        assert provider == sso_provider(label="ACME")

    def test_update_identity_on_login_is_added_as_one_field(self) -> None:
        provider = sso_provider()
        del provider["update_identity_on_login"]
        live = at(PROVIDERS, [provider])
        desired = at(
            PROVIDERS, [{"id": "acme-sso", "update_identity_on_login": "automatic"}]
        )

        assert patch_for(desired, live) == [
            {
                "op": "add",
                "path": pointer(PROVIDERS, 0, "update_identity_on_login"),
                "value": "automatic",
            }
        ]


@pytest.fixture
def sso_project(tmp_path: Path) -> Iterator[Emulator]:
    """An emulator holding one project whose SSO provider was set up in the
    console, organization included."""
    server = Emulator(state_path=tmp_path / "state.json", api_keys=[API_KEY])
    server.ensure_project(PROJECT_ID)
    provider = {**sso_provider(), "mapper_url": b64(MAPPER)}
    server.edit_project(
        PROJECT_ID,
        [{"op": "add", "path": pointer(PROVIDERS, "-"), "value": provider}],
    )
    with server:
        yield server


def test_applying_a_changed_provider_keeps_its_organization_on_the_service(
    sso_project: Emulator,
) -> None:
    desired = at(
        PROVIDERS,
        [{"id": "acme-sso", "client_id": "acme-client-2", "mapper_url": b64(MAPPER)}],
    )

    with ProjectClient(sso_project.base_url, API_KEY) as client:
        live = client.get_project(PROJECT_ID)
        patch = patch_for(desired, live)
        client.patch_project(PROJECT_ID, live["revision_id"], patch)
        after = client.get_project(PROJECT_ID)

    assert [op["path"] for op in patch] == [pointer(PROVIDERS, 0, "client_id")]
    [provider] = after["services"]["identity"]["config"]["selfservice"]["methods"][
        "oidc"
    ]["config"]["providers"]
    assert provider["client_id"] == "acme-client-2"
    assert provider["organization_id"] == sso_provider()["organization_id"]
    assert provider["update_identity_on_login"] == "automatic"
    assert patch_for(desired, after) == []


class TestChangesInsideElements:
    """Comparing a list without regard to order must not hide a changed field."""

    def test_a_changed_provider_among_the_same_ids_is_patched(self) -> None:
        google = {"id": "google", "provider": "google", "client_id": "g-1"}
        github = {"id": "github", "provider": "github", "client_id": "gh-1"}
        live = at(PROVIDERS, [google, github])
        desired = at(PROVIDERS, [{**github, "client_id": "gh-2"}, google])

        assert patch_for(desired, live) == [
            {
                "op": "replace",
                "path": pointer(PROVIDERS, 1, "client_id"),
                "value": "gh-2",
            }
        ]

    def test_a_provider_order_alone_is_no_change(self) -> None:
        google = {"id": "google", "provider": "google"}
        github = {"id": "github", "provider": "github"}

        assert (
            patch_for(at(PROVIDERS, [github, google]), at(PROVIDERS, [google, github]))
            == []
        )

    def test_one_changed_hook_config_replaces_the_hooks_in_their_order(self) -> None:
        session = {"hook": "session"}
        webhook = {
            "hook": "web_hook",
            "config": {"url": "https://hooks.acme.example/signup", "method": "POST"},
        }
        live = at(HOOKS, [webhook, session])
        changed = {
            **webhook,
            "config": {"url": "https://hooks.acme.example/v2/signup", "method": "POST"},
        }

        assert patch_for(at(HOOKS, [changed, session]), live) == [
            {"op": "replace", "path": pointer(HOOKS), "value": [changed, session]}
        ]

    def test_a_hook_of_another_kind_keeps_nothing_of_the_one_it_replaces(
        self,
    ) -> None:
        webhook = {
            "hook": "web_hook",
            "config": {"url": "https://hooks.example/x", "method": "POST"},
        }
        live = at(HOOKS, [webhook])
        desired = at(HOOKS, [{"hook": "session"}])

        result = jsonpatch.apply_patch(live, patch_for(desired, live))

        assert result == desired

    def test_hooks_that_match_in_place_are_no_change(self) -> None:
        webhook = {
            "hook": "web_hook",
            "config": {"url": "https://hooks.example/x", "method": "POST"},
        }
        live = at(HOOKS, [{**webhook, "config": {**webhook["config"], "auth": {}}}])

        assert patch_for(at(HOOKS, [webhook]), live) == []

    def test_reordered_hooks_are_a_change(self) -> None:
        session = {"hook": "session"}
        revoke = {"hook": "revoke_active_sessions"}
        live = at(HOOKS, [session, revoke])

        patch = patch_for(at(HOOKS, [revoke, session]), live)

        assert jsonpatch.apply_patch(live, patch) == at(HOOKS, [revoke, session])


class TestOwnedLists:
    """An owned list loses what the manifest does not declare, one change each."""

    def test_undeclared_providers_are_removed_one_change_each(self) -> None:
        ids = ["google", "github", "apple", "slack"]
        live = at(PROVIDERS, [{"id": i, "provider": i} for i in ids])
        desired = at(PROVIDERS, [{"id": "github", "provider": "github"}])

        found = compared(desired, live, own=PointerSet([pointer(PROVIDERS)]))

        assert [(c.op, c.pointer, c.note) for c in found.changes] == [
            ("remove", pointer(PROVIDERS, 3), "owned, not declared"),
            ("remove", pointer(PROVIDERS, 2), "owned, not declared"),
            ("remove", pointer(PROVIDERS, 0), "owned, not declared"),
        ]
        result = jsonpatch.apply_patch(live, to_patch(found.changes))
        assert result == desired

    def test_without_own_undeclared_providers_stay(self) -> None:
        live = at(PROVIDERS, [{"id": "google"}, {"id": "github"}])

        assert patch_for(at(PROVIDERS, [{"id": "github"}]), live) == []

    def test_keto_namespaces_are_keyed_by_name(self) -> None:
        live = at(
            NAMESPACES,
            [
                {"id": 0, "name": "files"},
                {"id": 1, "name": "folders"},
                {"id": 2, "name": "groups"},
            ],
        )
        desired = at(
            NAMESPACES,
            [{"name": "groups", "id": 3}, {"name": "folders", "id": 1}],
        )

        found = compared(desired, live, own=PointerSet([pointer(NAMESPACES)]))

        assert [(c.op, c.pointer) for c in found.changes] == [
            ("replace", pointer(NAMESPACES, 2, "id")),
            ("remove", pointer(NAMESPACES, 0)),
        ]
        assert jsonpatch.apply_patch(live, to_patch(found.changes)) == at(
            NAMESPACES, [{"id": 1, "name": "folders"}, {"id": 3, "name": "groups"}]
        )


class TestNullsInLists:
    def test_removing_a_list_live_does_not_have_is_no_change(self) -> None:
        live = at((*IDENTITY, "selfservice"), {"default_browser_return_url": "/"})

        assert patch_for(at(HOOKS, None), live) == []

    def test_a_null_field_in_a_list_replaced_whole_is_not_sent(self) -> None:
        live = at(HOOKS, [])
        desired = at(HOOKS, [{"hook": "web_hook", "config": None}])

        assert patch_for(desired, live) == [
            {"op": "replace", "path": pointer(HOOKS), "value": [{"hook": "web_hook"}]}
        ]

    def test_a_null_item_is_not_sent(self) -> None:
        live = at(HOOKS, [])
        desired = at(HOOKS, [None, {"hook": "session"}])

        assert patch_for(desired, live) == [
            {"op": "replace", "path": pointer(HOOKS), "value": [{"hook": "session"}]}
        ]
