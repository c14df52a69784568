"""Desired values are checked offline against the key table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler import keytable
from reconciler.errors import ManifestErrors
from reconciler.manifest import load_manifests
from reconciler.pointer import Part, join
from tests.conftest import PROJECT_DOCUMENT

PROJECT_ID = "1f6e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"


def load_config(tmp_path: Path, service: str, config: dict[str, Any]) -> list[str]:
    """The warnings for a manifest declaring ``config`` for ``service``."""
    path = tmp_path / "manifest.yaml"
    document = {"project": PROJECT_ID, "services": {service: {"config": config}}}
    # JSON is YAML: the manifest is written as the service would read it.
    path.write_text(json.dumps(document, indent=2))
    return load_manifests([path], environ={}).warnings


@pytest.mark.parametrize(
    "duration",
    [
        "1h",
        "30m0s",
        "0.5h",
        "100ms",
        "1h30m",
        "0",
        "+2h",
        "2562047h47m16.854775807s",
        "2562047.7h",
        "9223372036854775807ns",
    ],
)
def test_a_go_duration_is_accepted(tmp_path: Path, duration: str) -> None:
    assert load_config(tmp_path, "identity", {"session": {"lifespan": duration}}) == []


@pytest.mark.parametrize(
    "duration", ["2562047h47m16.854775808s", "2562047.8h", "9223372036854775808ns"]
)
def test_a_duration_past_what_go_holds_is_an_error(
    tmp_path: Path, duration: str
) -> None:
    with pytest.raises(ManifestErrors) as raised:
        load_config(tmp_path, "identity", {"session": {"lifespan": duration}})

    assert str(raised.value).endswith(
        "/services/identity/config/session/lifespan: the duration is longer than "
        "Go's limit of 2562047h47m16.854775807s"
    )


@pytest.mark.parametrize("length", [-(2**63), 2**63 - 1])
def test_an_integer_that_fits_in_64_bits_is_accepted(
    tmp_path: Path, length: int
) -> None:
    config = {
        "selfservice": {
            "methods": {"password": {"config": {"min_password_length": length}}}
        }
    }

    assert load_config(tmp_path, "identity", config) == []


def test_cors_origins_take_http_origins_and_wildcards(tmp_path: Path) -> None:
    path = tmp_path / "manifest.yaml"
    origins = [
        "*",
        "https://app.example.com",
        "http://localhost:3000",
        "https://*.example.com",
        "HTTPS://Upper.Example.com",
        "http://[::1]:8080",
    ]
    document = {
        "project": PROJECT_ID,
        "cors_public": {"enabled": True, "origins": origins},
        "cors_admin": {"origins": origins[:2]},
    }
    path.write_text(json.dumps(document))

    (manifest,) = load_manifests([path], environ={}).manifests

    assert manifest.desired["cors_public"]["origins"] == origins


@pytest.mark.parametrize(
    "url",
    [
        "",
        "base64://eyJ0eXBlIjogIm9iamVjdCJ9",
        "https://schemas.example.com/customer.json",
        "http://127.0.0.1:8080/customer.json",
    ],
)
def test_an_identity_schema_url_the_service_can_load_is_accepted(
    tmp_path: Path, url: str
) -> None:
    config = {"identity": {"schemas": [{"id": "customer", "url": url}]}}

    assert load_config(tmp_path, "identity", config) == []


def test_a_file_url_from_a_variable_is_accepted_as_written(tmp_path: Path) -> None:
    path = tmp_path / "manifest.yaml"
    path.write_text(
        f"project: {PROJECT_ID}\n"
        "services:\n"
        "  identity:\n"
        "    config:\n"
        "      identity:\n"
        "        schemas:\n"
        "          - id: customer\n"
        "            url: ${SCHEMA_URL}\n"
    )

    result = load_manifests([path], environ={"SCHEMA_URL": "file:///etc/s.json"})

    (manifest,) = result.manifests
    schemas = manifest.desired["services"]["identity"]["config"]["identity"]
    assert schemas == {"schemas": [{"id": "customer", "url": "file:///etc/s.json"}]}


@pytest.mark.parametrize(
    "url",
    [
        "",
        "/ui/login",
        "https://auth.example.com/ui/login?x=1",
        "http://127.0.0.1:4455/login",
        "base64://eyJ0eXBlIjogIm9iamVjdCJ9",
    ],
)
def test_a_url_or_relative_reference_is_accepted(tmp_path: Path, url: str) -> None:
    config = {"selfservice": {"flows": {"login": {"ui_url": url}}}}

    assert load_config(tmp_path, "identity", config) == []


def test_an_smtp_url_with_a_host_is_accepted(tmp_path: Path) -> None:
    uri = "smtps://user:p%40ss@mail.example.com:465/?skip_ssl_verify=false"
    config = {"courier": {"smtp": {"connection_uri": uri}}}

    assert load_config(tmp_path, "identity", config) == []


def test_a_port_that_is_not_a_number_is_an_error(tmp_path: Path) -> None:
    config = {"courier": {"smtp": {"connection_uri": "smtps://mail.example.com:smtp/"}}}

    with pytest.raises(ManifestErrors) as raised:
        load_config(tmp_path, "identity", config)

    assert str(raised.value) == (
        f"{tmp_path}/manifest.yaml:8: /services/identity/config/courier/smtp/"
        "connection_uri: not a valid URL: the host or port is malformed"
    )


def test_keto_namespaces_may_name_a_permission_language_file(tmp_path: Path) -> None:
    config = {"namespaces": {"location": "base64://Y2xhc3MgVXNlciB7fQ=="}}

    assert load_config(tmp_path, "permission", config) == []


def test_an_integer_is_not_a_boolean(tmp_path: Path) -> None:
    config = {"selfservice": {"methods": {"password": {"enabled": 1}}}}

    with pytest.raises(ManifestErrors) as raised:
        load_config(tmp_path, "identity", config)

    assert str(raised.value) == (
        f"{tmp_path}/manifest.yaml:9: /services/identity/config/selfservice/methods/"
        "password/enabled: expected true or false, got an integer"
    )


def unmanaged_pointers(value: Any, parts: tuple[Part, ...]) -> list[str]:
    """The outermost pointers below ``parts`` that keytable says are not managed."""
    found = []
    children = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in children:
        path = (*parts, key)
        if not keytable.is_managed(path):
            found.append(join(path))
        elif isinstance(child, dict | list):
            found.extend(unmanaged_pointers(child, path))
    return found


def test_warnings_agree_with_the_key_table_on_a_real_project(tmp_path: Path) -> None:
    live = json.loads(PROJECT_DOCUMENT.read_text())
    warned = []
    expected = []
    for service, body in live["services"].items():
        warnings = load_config(tmp_path, service, body["config"])
        warned += [warning.split(": ")[1] for warning in warnings]
        expected += unmanaged_pointers(body["config"], ("services", service, "config"))

    assert warned == expected
    assert "/services/identity/config/serve" in warned


def test_null_is_allowed_inside_a_value_the_service_keeps_whole(
    tmp_path: Path,
) -> None:
    provider = {
        "id": "google",
        "provider": "google",
        "requested_claims": {"id_token": {"email": None, "email_verified": None}},
    }
    config = {
        "selfservice": {"methods": {"oidc": {"config": {"providers": [provider]}}}}
    }

    assert load_config(tmp_path, "identity", config) == []
