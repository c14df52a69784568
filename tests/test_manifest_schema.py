"""The JSON Schema editors use to check manifests as they are typed.

It takes every manifest ``load_manifests`` accepts, as written, and flags
common mistakes.
"""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent
from typing import Any

import jsonschema
import pytest

from reconciler.manifest import load_manifests, manifest_json_schema
from reconciler.manifest.yaml_reader import read_document

SCHEMA = manifest_json_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
REPO_MANIFESTS = Path(__file__).resolve().parents[1] / "manifests"
PROJECT_ID = "9d1f0c4e-27b5-4e8a-b3f6-6c2a8e51d7f3"

# Manifests that load, written with the syntax the schema must take.
VALID = {
    "placeholders-where-values-are-typed": f"""\
        project: {PROJECT_ID}
        cors_public:
          enabled: ${{CORS_ON:-true}}
          origins: []
        cors_admin:
          enabled: ${{file:cors-admin}}
        services:
          identity:
            config:
              session:
                lifespan: ${{LIFESPAN_HOURS}}h
                earliest_possible_extend: ${{EXTEND:-1h}}
              selfservice:
                methods:
                  password:
                    enabled: ${{PASSWORD_ENABLED:-true}}
                    config:
                      min_password_length: ${{MIN_LEN:-10}}
          permission:
            config:
              namespaces:
                - id: ${{NAMESPACE_ID}}
                  name: User
        """,
    "null-removes-keys-in-a-service-config": f"""\
        project: {PROJECT_ID}
        services:
          identity:
            config:
              session:
                lifespan: null
                whoami: ~
              selfservice:
                methods:
                  password:
                    enabled:
                    config:
                      min_password_length: null
                allowed_return_urls: null
                flows:
                  login:
                    ui_url: null
          oauth2:
            config:
              ttl:
                access_token: null
        """,
    "a-project-id-in-upper-case": f"""\
        project: {PROJECT_ID.upper()}
        name: Upper case
        """,
    "the-largest-values-the-service-reads": f"""\
        project: {PROJECT_ID}
        services:
          identity:
            config:
              session:
                lifespan: 2562047h47m16.854775807s
              selfservice:
                methods:
                  password:
                    config:
                      min_password_length: 9223372036854775807
        """,
    "a-permission-language-file": f"""\
        project: {PROJECT_ID}
        services:
          permission:
            config:
              namespaces:
                location: base64://Y2xhc3MgVXNlciB7fQ==
        """,
}
ENVIRON = {"LIFESPAN_HOURS": "24", "NAMESPACE_ID": "3"}


def problems(document: dict[str, Any]) -> list[str]:
    return sorted(error.message for error in VALIDATOR.iter_errors(document))


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize(
    "path",
    sorted(REPO_MANIFESTS.rglob("*.yaml")),
    ids=lambda path: path.relative_to(REPO_MANIFESTS).as_posix(),
)
def test_the_example_manifests_are_valid(path: Path) -> None:
    document = read_document(path, path.name)

    assert problems(document.data) == []


@pytest.mark.parametrize("name", VALID)
def test_a_manifest_that_loads_is_valid(tmp_path: Path, name: str) -> None:
    path = tmp_path / "manifest.yaml"
    path.write_text(dedent(VALID[name]))
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "cors-admin").write_text("false\n")

    load_manifests([path], environ=ENVIRON, secrets_dir=secrets)

    assert problems(read_document(path, path.name).data) == []


def test_a_manifest_with_placeholders_and_unmanaged_keys_passes() -> None:
    manifest = {
        "project": PROJECT_ID,
        "name": "Project",
        "extends": ["base/identity.yaml"],
        "cors_public": {"enabled": True, "origins": ["https://example.com"]},
        "services": {
            "identity": {
                "config": {
                    "session": {"lifespan": "${SESSION_LIFESPAN}"},
                    "selfservice": {
                        "methods": {"password": {"enabled": "${PASSWORD_ENABLED}"}}
                    },
                    "dsn": "memory",
                }
            },
            "oauth2": {"config": {"ttl": {"access_token": "30m0s"}}},
        },
    }

    assert problems(manifest) == []


def test_a_fragment_without_project_passes() -> None:
    assert problems({"services": {"permission": {"config": {"namespaces": []}}}}) == []


NOT_ANY_OF = "is not valid under any of the given schemas"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"servics": {}},
            "Additional properties are not allowed ('servics' was unexpected)",
        ),
        ({"cors_admin": {"enabled": "yes"}}, f"'yes' {NOT_ANY_OF}"),
        ({"cors_admin": {"enabled": None}}, f"None {NOT_ANY_OF}"),
        (
            {"services": {"talos": {}}},
            "Additional properties are not allowed ('talos' was unexpected)",
        ),
        (
            {"services": {"identity": {"config": {"session": {"lifespan": 3600}}}}},
            f"3600 {NOT_ANY_OF}",
        ),
        (
            {"services": {"identity": {"config": {"session": {"lifespan": "-1h"}}}}},
            f"'-1h' {NOT_ANY_OF}",
        ),
        (
            {
                "services": {
                    "identity": {
                        "config": {"selfservice": {"allowed_return_urls": "x"}}
                    }
                }
            },
            "'x' is not of type 'array', 'null'",
        ),
        (
            {
                "services": {
                    "identity": {
                        "config": {
                            "selfservice": {
                                "methods": {"password": {"enabled": "on ${FLAG}"}}
                            }
                        }
                    }
                }
            },
            f"'on ${{FLAG}}' {NOT_ANY_OF}",
        ),
        (
            {"project": "../../etc/passwd"},
            "'../../etc/passwd' does not match "
            "'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
            "-[0-9a-fA-F]{12}$'",
        ),
        (
            {
                "services": {
                    "permission": {
                        "config": {"namespaces": [{"id": 1, "name": "A"}, None]}
                    }
                }
            },
            "None is not of type 'object'",
        ),
    ],
)
def test_a_mistake_is_flagged(document: dict[str, Any], message: str) -> None:
    assert problems(document) == [message]
