"""The table of managed paths: derived from the spec, read by path."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler import keytable

REPO = Path(__file__).parents[1]
SHARED = REPO / ".." / "shared"
CORPUS = SHARED / "corpus"
COMMITTED_TABLE = REPO / "reconciler" / "data" / "managed_keys.json"

IDENTITY = ("services", "identity", "config")
OAUTH2 = ("services", "oauth2", "config")
PERMISSION = ("services", "permission", "config")
PROVIDERS = (*IDENTITY, "selfservice", "methods", "oidc", "config", "providers")


def test_the_script_regenerates_the_committed_table(tmp_path: Path) -> None:
    out = tmp_path / "managed_keys.json"

    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "derive_key_table.py"), "--out", out],
        check=True,
    )

    assert out.read_bytes() == COMMITTED_TABLE.read_bytes()


def test_the_table_names_the_spec_version_it_came_from() -> None:
    assert keytable.spec_version() == "v1.22.65"


def test_session_lifespan_is_a_managed_duration() -> None:
    info = keytable.lookup((*IDENTITY, "session", "lifespan"))

    assert info is not None
    assert (info.type, info.duration, info.managed) == ("string", True, True)
    assert info.pointer == "/services/identity/config/session/lifespan"


def test_oauth2_token_lifetimes_are_durations_with_the_spec_default() -> None:
    info = keytable.lookup((*OAUTH2, "ttl", "refresh_token"))

    assert info is not None
    assert info.duration
    assert (info.has_default, info.default) == (True, "720h")


def test_a_plain_string_is_no_duration() -> None:
    info = keytable.lookup((*IDENTITY, "selfservice", "flows", "login", "ui_url"))

    assert info is not None
    assert not info.duration
    assert not info.has_default


def test_oidc_providers_are_keyed_by_id_and_their_secrets_write_only() -> None:
    providers = keytable.lookup(PROVIDERS)
    secret = keytable.lookup((*PROVIDERS, 0, "client_secret"))
    apple_key = keytable.lookup((*PROVIDERS, 3, "apple_private_key"))
    client_id = keytable.lookup((*PROVIDERS, 0, "client_id"))

    assert providers is not None
    assert (providers.list_kind, providers.list_key) == ("keyed", "id")
    assert secret is not None and secret.write_only
    assert secret.write_only_part is None
    assert apple_key is not None and apple_key.write_only
    assert client_id is not None and not client_id.write_only


def test_only_the_password_of_the_smtp_connection_uri_is_write_only() -> None:
    info = keytable.lookup((*IDENTITY, "courier", "smtp", "connection_uri"))

    assert info is not None
    assert (info.write_only, info.write_only_part) == (True, "url_password")


def test_the_pairwise_salt_is_write_only_under_its_hydra_name() -> None:
    salt = (*OAUTH2, "oidc", "subject_identifiers", "pairwise", "salt")

    info = keytable.lookup(salt)

    assert info is not None and info.write_only
    assert (
        keytable.lookup((*OAUTH2, "oidc", "subject_identifiers", "pairwise_salt"))
        is None
    )


def test_cors_origins_are_a_set_on_the_project_itself() -> None:
    info = keytable.lookup(("cors_public", "origins"))

    assert info is not None
    assert (info.service, info.list_kind) == ("project", "set")
    assert info.pointer == "/cors_public/origins"


@pytest.mark.parametrize(
    ("path", "kind", "key"),
    [
        ((*IDENTITY, "selfservice", "allowed_return_urls"), "set", None),
        ((*PROVIDERS, 0, "scope"), "set", None),
        (
            (
                *IDENTITY,
                "selfservice",
                "methods",
                "webauthn",
                "config",
                "rp",
                "origins",
            ),
            "set",
            None,
        ),
        (
            (
                *IDENTITY,
                "selfservice",
                "flows",
                "registration",
                "after",
                "password",
                "hooks",
            ),
            "ordered",
            None,
        ),
        (
            (*IDENTITY, "selfservice", "flows", "login", "before", "hooks"),
            "ordered",
            None,
        ),
        ((*IDENTITY, "courier", "channels"), "keyed", "id"),
        ((*IDENTITY, "identity", "schemas"), "by_content", "url"),
        ((*IDENTITY, "session", "whoami", "tokenizer", "templates"), "map", None),
        ((*PERMISSION, "namespaces"), "keyed", "name"),
        ((*IDENTITY, "secrets", "cookie"), "ordered", None),
    ],
)
def test_list_kinds(path: tuple[Any, ...], kind: str, key: str | None) -> None:
    info = keytable.lookup(path)

    assert info is not None
    assert (info.list_kind, info.list_key) == (kind, key)


def test_hook_entries_are_covered() -> None:
    hooks = (*IDENTITY, "selfservice", "flows", "settings", "after", "profile", "hooks")

    assert keytable.is_managed((*hooks, 0, "hook"))
    assert keytable.is_managed((*hooks, 1, "config", "url"))
    assert keytable.is_managed((*hooks, 1, "config", "auth", "config", "password"))
    assert not keytable.is_managed((*hooks, 1, "config", "emit_analytics_event"))


def test_courier_templates_are_covered_and_stored_as_go_templates() -> None:
    template = (*IDENTITY, "courier", "templates", "recovery_code", "valid", "email")

    body = keytable.lookup((*template, "body", "html"))

    assert body is not None and body.managed
    assert body.storage_ext == "gotmpl"
    assert keytable.is_managed(template)


def test_tokenizer_templates_are_a_map_of_durations() -> None:
    ttl = keytable.lookup(
        (*IDENTITY, "session", "whoami", "tokenizer", "templates", "jwt_example", "ttl")
    )

    assert ttl is not None
    assert ttl.duration
    assert ttl.default == "1m"


def test_inline_documents_have_a_storage_extension() -> None:
    schema_url = keytable.lookup((*IDENTITY, "identity", "schemas", 0, "url"))
    mapper = keytable.lookup((*PROVIDERS, 0, "mapper_url"))
    opl = keytable.lookup((*PERMISSION, "namespaces", "location"))

    assert schema_url is not None and schema_url.storage_ext == "json"
    assert mapper is not None and mapper.storage_ext == "jsonnet"
    assert opl is not None and opl.storage_ext == "ts"


def test_server_derived_keys_are_known_but_not_managed() -> None:
    base_url = (*IDENTITY, "serve", "public", "base_url")
    cookie_name = (*IDENTITY, "session", "cookie", "name")
    issuer = (*OAUTH2, "urls", "self", "issuer")

    for path in (base_url, cookie_name):
        info = keytable.lookup(path)
        assert info is not None and info.server_derived
        assert not keytable.is_managed(path)
    issuer_info = keytable.lookup(issuer)
    assert issuer_info is not None and issuer_info.server_derived
    assert keytable.is_managed(issuer)


def test_the_first_allowed_return_url_is_the_services_own() -> None:
    info = keytable.lookup((*IDENTITY, "selfservice", "allowed_return_urls"))

    assert info is not None
    assert info.server_derived_items == 1


def test_containers_leading_to_managed_keys_are_managed() -> None:
    assert keytable.is_managed(())
    assert keytable.is_managed(("services",))
    assert keytable.is_managed(IDENTITY)
    assert keytable.is_managed((*IDENTITY, "selfservice", "methods"))
    assert keytable.is_managed((*PROVIDERS, 2))
    assert keytable.is_managed((*IDENTITY, "selfservice", "allowed_return_urls", 0))
    assert keytable.is_managed((*IDENTITY, "courier", "smtp", "headers", "X-Tenant"))


def test_project_fields_outside_the_config_are_not_managed() -> None:
    for field in ("id", "revision_id", "slug", "state", "environment", "home_region"):
        assert not keytable.is_managed((field,))
    assert keytable.is_managed(("name",))
    assert not keytable.is_managed(("services", "talos", "config"))


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path


@pytest.mark.parametrize(
    "config_file",
    [
        "ory__kratos__contrib__quickstart__kratos__email-password__kratos.yml",
        "ory__kratos__driver__config__stub__.kratos.yaml",
        "cativo23__nova-id__config__kratos__kratos.production.yml",
    ],
)
def test_operational_keys_of_real_kratos_configs_are_not_managed(
    config_file: str,
) -> None:
    config = yaml.safe_load((CORPUS / config_file).read_text())
    operational = [
        leaf
        for leaf in _leaves(config)
        if leaf[0] in ("dsn", "log", "serve", "tracing")
    ]

    assert operational
    for leaf in operational:
        assert not keytable.is_managed((*IDENTITY, *leaf)), leaf


def test_managed_keys_of_a_real_kratos_config_are_found() -> None:
    config = yaml.safe_load(
        (CORPUS / "ory__kratos__test__e2e__profiles__webhooks__.kratos.yml").read_text()
    )
    hooks = config["selfservice"]["flows"]["registration"]["after"]["password"]["hooks"]

    assert any(hook["hook"] == "web_hook" for hook in hooks)
    for leaf in _leaves(hooks):
        path = (*IDENTITY, "selfservice", "flows", "registration", "after")
        assert keytable.is_managed((*path, "password", "hooks", *leaf)), leaf


def test_keto_operational_keys_are_not_managed_but_its_namespaces_are() -> None:
    config = yaml.safe_load(
        (CORPUS / "cativo23__nova-id__config__keto__keto.production.yml").read_text()
    )

    assert config["serve"]["read"]["port"] == 4466
    assert not keytable.is_managed((*PERMISSION, "dsn"))
    assert not keytable.is_managed((*PERMISSION, "serve", "read", "port"))
    assert not keytable.is_managed((*PERMISSION, "log", "level"))
    assert keytable.is_managed((*PERMISSION, "namespaces", "location"))
