"""Manifests extend shared fragments: deep merge, list rules, and sources."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from reconciler.client import ProjectClient
from reconciler.emulator import Emulator
from reconciler.errors import Location
from reconciler.manifest import Manifest, load_manifests
from reconciler.plan import make_plan
from tests.conftest import API_KEY, CORPUS_PROJECT_ID

PROJECT_ID = "0c8e6a52-8a4f-4b43-9d0b-2f7a1c3e5d71"
OTHER_ID = "7a1c3e5d-2f7a-4b43-9d0b-0c8e6a528a4f"
OIDC = "/services/identity/config/selfservice/methods/oidc"
SESSION = "/services/identity/config/session"
PROVIDERS = f"{OIDC}/config/providers"


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dedent(text))
    return path


def load(root: Path) -> Manifest:
    (manifest,) = load_manifests([root], environ={}).manifests
    return manifest


@pytest.fixture
def base(tmp_path: Path) -> Path:
    write(
        tmp_path,
        "base/identity.yaml",
        """\
        services:
          identity:
            config:
              session:
                lifespan: 1h
                whoami:
                  required_aal: aal1
              selfservice:
                allowed_return_urls:
                  - https://one.example.com/
                  - https://two.example.com/
                methods:
                  oidc:
                    enabled: true
                    config:
                      providers:
                        - id: google
                          provider: google
                          client_id: shared-google
                          scope: [email, profile]
                        - id: github
                          provider: github
                          client_id: shared-github
        """,
    )
    return tmp_path


def test_mappings_merge_and_the_manifest_wins(base: Path) -> None:
    write(
        base,
        "project.yaml",
        f"""\
        project: {PROJECT_ID}
        extends: [base/identity.yaml]
        services:
          identity:
            config:
              session:
                lifespan: 24h
        """,
    )

    session = load(base).desired["services"]["identity"]["config"]["session"]

    assert session == {"lifespan": "24h", "whoami": {"required_aal": "aal1"}}


def test_sources_name_the_file_and_line_each_value_came_from(base: Path) -> None:
    write(
        base,
        "project.yaml",
        f"""\
        project: {PROJECT_ID}
        extends: [base/identity.yaml]
        services:
          identity:
            config:
              session:
                lifespan: 24h
        """,
    )

    manifest = load(base)

    fragment = str(base / "base" / "identity.yaml")
    own = str(base / "project.yaml")
    assert manifest.sources["/services/identity/config/session"] == Location(own, 6)
    assert manifest.sources["/services/identity/config/session/lifespan"] == Location(
        own, 7
    )
    assert manifest.sources[
        "/services/identity/config/session/whoami/required_aal"
    ] == Location(fragment, 7)
    assert manifest.sources[f"{PROVIDERS}/1/client_id"] == Location(fragment, 23)


def test_null_in_a_later_layer_removes_a_key_a_fragment_sets(
    emulator: Emulator, tmp_path: Path
) -> None:
    write(
        tmp_path,
        "base.yaml",
        """\
        services:
          identity:
            config:
              session:
                lifespan: 720h
                whoami:
                  required_aal: aal1
        """,
    )
    write(
        tmp_path,
        "project.yaml",
        f"""\
        project: {CORPUS_PROJECT_ID}
        extends: [base.yaml]
        services:
          identity:
            config:
              session: {{lifespan: null}}
        """,
    )

    manifest = load(tmp_path)
    with ProjectClient(emulator.base_url, API_KEY) as client:
        plan = make_plan(manifest, client.get_project(CORPUS_PROJECT_ID))

    session = manifest.desired["services"]["identity"]["config"]["session"]
    assert session == {"lifespan": None, "whoami": {"required_aal": "aal1"}}
    assert manifest.source_of(f"{SESSION}/lifespan") == Location(
        str(tmp_path / "project.yaml"), 6
    )
    # The live project has a lifespan of 72h: the plan removes it.
    assert [(change.op, change.pointer) for change in plan.changes] == [
        ("remove", f"{SESSION}/lifespan")
    ]


def test_a_plain_list_is_replaced_whole(base: Path) -> None:
    write(
        base,
        "project.yaml",
        f"""\
        project: {PROJECT_ID}
        extends: [base/identity.yaml]
        services:
          identity:
            config:
              selfservice:
                allowed_return_urls:
                  - https://three.example.com/
        """,
    )

    manifest = load(base)

    selfservice = manifest.desired["services"]["identity"]["config"]["selfservice"]
    assert selfservice["allowed_return_urls"] == ["https://three.example.com/"]
    assert "/services/identity/config/selfservice/allowed_return_urls/1" not in (
        manifest.sources
    )


def test_a_keyed_list_merges_item_by_item(base: Path) -> None:
    write(
        base,
        "project.yaml",
        f"""\
        project: {PROJECT_ID}
        extends: [base/identity.yaml]
        services:
          identity:
            config:
              selfservice:
                methods:
                  oidc:
                    config:
                      providers:
                        - id: github
                          client_id: own-github
                        - id: apple
                          provider: apple
                          client_id: own-apple
        """,
    )

    manifest = load(base)

    oidc = manifest.desired["services"]["identity"]["config"]["selfservice"]["methods"]
    assert oidc["oidc"]["config"]["providers"] == [
        {
            "id": "google",
            "provider": "google",
            "client_id": "shared-google",
            "scope": ["email", "profile"],
        },
        {"id": "github", "provider": "github", "client_id": "own-github"},
        {"id": "apple", "provider": "apple", "client_id": "own-apple"},
    ]
    own = str(base / "project.yaml")
    fragment = str(base / "base" / "identity.yaml")
    assert manifest.sources[f"{PROVIDERS}/1/client_id"] == Location(own, 12)
    assert manifest.sources[f"{PROVIDERS}/1/provider"] == Location(fragment, 22)
    assert manifest.sources[f"{PROVIDERS}/2/client_id"] == Location(own, 15)
    assert manifest.sources[f"{PROVIDERS}/0/scope/1"] == Location(fragment, 20)


def test_keto_namespaces_merge_by_name(tmp_path: Path) -> None:
    write(
        tmp_path,
        "shared/keto.yaml",
        """\
        services:
          permission:
            config:
              namespaces:
                - {name: files, id: 1}
                - {name: folders, id: 2}
        """,
    )
    write(
        tmp_path,
        "project.yaml",
        f"""\
        project: {PROJECT_ID}
        extends: [shared/keto.yaml]
        services:
          permission:
            config:
              namespaces:
                - {{name: folders, id: 20}}
                - {{name: groups, id: 3}}
        """,
    )

    namespaces = load(tmp_path).desired["services"]["permission"]["config"]

    assert namespaces["namespaces"] == [
        {"name": "files", "id": 1},
        {"name": "folders", "id": 20},
        {"name": "groups", "id": 3},
    ]


def test_fragments_extend_fragments_and_each_applies_once(tmp_path: Path) -> None:
    write(tmp_path, "common/base.yaml", "name: Base\ncors_public: {enabled: false}\n")
    write(
        tmp_path,
        "common/strict.yaml",
        "extends: [base.yaml]\ncors_public: {enabled: true}\nignore: [/name]\n",
    )
    write(
        tmp_path,
        "common/named.yaml",
        "extends: [base.yaml]\nname: Named\nignore: [/services/oauth2]\n",
    )
    write(
        tmp_path,
        "project.yaml",
        f"""\
        project: {PROJECT_ID}
        extends: [common/strict.yaml, common/named.yaml]
        ignore: [/name, /cors_admin]
        own: [/services/identity/config/courier/templates]
        """,
    )

    manifest = load(tmp_path)

    # base.yaml applies once, before strict.yaml: a second pass after
    # strict.yaml would switch cors_public back off.
    assert manifest.desired == {"name": "Named", "cors_public": {"enabled": True}}
    assert manifest.ignore == ("/name", "/services/oauth2", "/cors_admin")
    assert manifest.own == ("/services/identity/config/courier/templates",)


def test_a_fragment_in_the_manifest_folder_is_not_a_stray(base: Path) -> None:
    write(
        base,
        "project.yaml",
        f"project: {PROJECT_ID}\nextends: [base/identity.yaml]\n",
    )

    manifest = load(base)

    assert manifest.project_id == PROJECT_ID
    assert manifest.location == Location(str(base / "project.yaml"), 1)


def test_a_fragment_of_an_unselected_manifest_is_not_a_stray(base: Path) -> None:
    write(base, "a.yaml", f"project: {PROJECT_ID}\nname: A\n")
    write(base, "b.yaml", f"project: {OTHER_ID}\nextends: [base/identity.yaml]\n")

    result = load_manifests([base], environ={}, projects=[PROJECT_ID])

    assert [manifest.desired for manifest in result.manifests] == [{"name": "A"}]


def test_a_secret_from_a_fragment_stays_secret_where_it_lands(base: Path) -> None:
    write(
        base,
        "secrets/oidc.yaml",
        """\
        services:
          identity:
            config:
              selfservice:
                methods:
                  oidc:
                    config:
                      providers:
                        - id: apple
                          client_secret: ${APPLE_SECRET}
                        - id: github
                          client_secret: ${GITHUB_SECRET}
        """,
    )
    write(
        base,
        "project.yaml",
        f"""\
        project: {PROJECT_ID}
        extends: [base/identity.yaml, secrets/oidc.yaml]
        """,
    )

    result = load_manifests(
        [base], environ={"APPLE_SECRET": "apple-s3cret", "GITHUB_SECRET": "gh-s3cret"}
    )

    (manifest,) = result.manifests
    providers = manifest.desired["services"]["identity"]["config"]["selfservice"][
        "methods"
    ]["oidc"]["config"]["providers"]
    assert [provider["id"] for provider in providers] == ["google", "github", "apple"]
    assert manifest.secrets == {
        f"{PROVIDERS}/1/client_secret",
        f"{PROVIDERS}/2/client_secret",
    }
    assert manifest.sources[f"{PROVIDERS}/2/client_secret"] == Location(
        str(base / "secrets" / "oidc.yaml"), 10
    )
