"""The JSON Schema editors use to check manifests as they are typed."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from reconciler.manifest import manifest_json_schema

SCHEMA = manifest_json_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def problems(document: dict[str, Any]) -> list[str]:
    return sorted(error.message for error in VALIDATOR.iter_errors(document))


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_a_manifest_with_placeholders_and_unmanaged_keys_passes() -> None:
    manifest = {
        "project": "p",
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


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"servics": {}},
            "Additional properties are not allowed ('servics' was unexpected)",
        ),
        ({"cors_admin": {"enabled": "yes"}}, "'yes' is not of type 'boolean'"),
        (
            {"services": {"talos": {}}},
            "Additional properties are not allowed ('talos' was unexpected)",
        ),
        (
            {"services": {"identity": {"config": {"session": {"lifespan": 3600}}}}},
            "3600 is not valid under any of the given schemas",
        ),
        (
            {
                "services": {
                    "identity": {
                        "config": {"selfservice": {"allowed_return_urls": "x"}}
                    }
                }
            },
            "'x' is not of type 'array'",
        ),
    ],
)
def test_a_mistake_is_flagged(document: dict[str, Any], message: str) -> None:
    assert problems(document) == [message]
