"""The emulator's model of what Ory Network does to a project config."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator.rewrites import Refusal, new_project, read_view, write
from reconciler.emulator.rewrites.durations import normalize

CORPUS = Path(__file__).parents[1] / ".." / "shared" / "corpus"
FIXTURE = CORPUS / "ory__cli__cmd__cloudx__project__fixtures__update__json__config.json"
CUSTOMER_SCHEMA = (
    CORPUS / "GaloyMoney__blink__dev__config__ory__phone_email_no_password_v0"
    ".identity.schema.json"
)
HYDRA_FAIL = "ory__cli__cmd__cloudx__project__fixtures__update-hydra__fail__config.json"
OPL = CORPUS / "ory__keto__contrib__rewrites-example__namespaces.keto.ts"

PROJECT_ID = "6f0cae50-182d-8f7a-afdd-f83f3fa1f30c"
IDENTITY = "/services/identity/config"
OAUTH2 = "/services/oauth2/config"
PERMISSION = "/services/permission/config"
PROVIDERS = f"{IDENTITY}/selfservice/methods/oidc/config/providers"


def project(environment: str = "prod") -> dict[str, Any]:
    return new_project(PROJECT_ID, "Acme", environment)


def apply(stored: dict[str, Any], *patch: dict[str, Any]) -> dict[str, Any]:
    """The read view after `patch`, as the PATCH response shows it."""
    written, _ = write(stored, list(patch))
    return read_view(written)


def at(document: dict[str, Any], pointer: str) -> Any:
    value: Any = document
    for part in pointer.strip("/").split("/"):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def inline(content: bytes) -> str:
    return "base64://" + base64.b64encode(content).decode()


def sha512(content: bytes) -> str:
    return hashlib.sha512(content).hexdigest()


def messages(warnings: list[dict[str, Any]]) -> list[str]:
    return [warning["message"] for warning in warnings]


def dropped(key: str) -> str:
    return f"Configuration key `{key}` can not be set and will be ignored."


# Durations


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("1h", "1h0m0s"),
        ("0.5h", "30m0s"),
        ("720h", "720h0m0s"),
        ("1.5s", "1.5s"),
        ("100ms", "100ms"),
        ("90s", "1m30s"),
        ("1500us", "1.5ms"),
        ("999ns", "999ns"),
        ("1h30m0.25s", "1h30m0.25s"),
        ("0s", "0s"),
    ],
)
def test_durations_read_back_as_go_prints_them(written: str, read: str) -> None:
    assert normalize(written) == read


def test_a_written_duration_key_reads_back_re_rendered() -> None:
    view = apply(
        project(),
        {"op": "replace", "path": f"{IDENTITY}/session/lifespan", "value": "1h"},
        {"op": "replace", "path": f"{OAUTH2}/ttl/refresh_token", "value": "0.5h"},
    )

    assert at(view, f"{IDENTITY}/session/lifespan") == "1h0m0s"
    assert at(view, f"{OAUTH2}/ttl/refresh_token") == "30m0s"


@pytest.mark.parametrize("value", [1234, "soon", "-1h", True])
def test_a_duration_key_refuses_other_values(value: Any) -> None:
    patch = [{"op": "replace", "path": f"{OAUTH2}/ttl/access_token", "value": value}]

    with pytest.raises(Refusal) as refused:
        write(project(), patch)

    assert refused.value.status == 400
    assert refused.value.reason.startswith("Unable to validate config: ")
    assert "/services/oauth2/config/ttl/access_token" in refused.value.reason


def test_the_corpus_config_with_an_integer_duration_is_refused() -> None:
    rejected = json.loads((CORPUS / HYDRA_FAIL).read_text())
    patch = [{"op": "replace", "path": OAUTH2, "value": rejected}]

    with pytest.raises(Refusal) as refused:
        write(project(), patch)

    assert refused.value.status == 400


def test_a_value_of_the_wrong_type_is_refused() -> None:
    path = f"{IDENTITY}/selfservice/methods/password/enabled"

    with pytest.raises(Refusal) as refused:
        write(project(), [{"op": "replace", "path": path, "value": "yes"}])

    assert refused.value.status == 400
    assert "expected boolean" in refused.value.reason


# Inline documents and identity schemas


def test_an_inline_identity_schema_is_stored_under_its_content_hash() -> None:
    content = CUSTOMER_SCHEMA.read_bytes()
    schema = {"id": "customer", "url": inline(content)}

    view = apply(
        project(),
        {"op": "add", "path": f"{IDENTITY}/identity/schemas/-", "value": schema},
        {
            "op": "replace",
            "path": f"{IDENTITY}/identity/default_schema_id",
            "value": "customer",
        },
    )

    digest = sha512(content)
    schemas = at(view, f"{IDENTITY}/identity/schemas")
    assert {
        "id": digest,
        "url": f"https://storage.googleapis.com/bac-gcs-prod/{digest}.json",
    } in schemas
    assert at(view, f"{IDENTITY}/identity/default_schema_id") == digest


def test_the_storage_bucket_follows_the_project_environment() -> None:
    content = CUSTOMER_SCHEMA.read_bytes()
    schema = {"id": "customer", "url": inline(content)}

    view = apply(
        project("stage"),
        {"op": "add", "path": f"{IDENTITY}/identity/schemas/-", "value": schema},
    )

    urls = [s["url"] for s in at(view, f"{IDENTITY}/identity/schemas")]
    assert (
        f"https://storage.googleapis.com/bac-gcs-staging/{sha512(content)}.json" in urls
    )


def test_preset_schemas_keep_their_ids_and_urls() -> None:
    fixture = json.loads(FIXTURE.read_text())
    presets = [
        schema
        for schema in fixture["services"]["identity"]["config"]["identity"]["schemas"]
        if schema["id"].startswith("preset://")
    ]

    view = apply(
        project(),
        {"op": "replace", "path": f"{IDENTITY}/identity/schemas", "value": presets},
    )

    assert at(view, f"{IDENTITY}/identity/schemas") == presets


def test_identity_schemas_are_never_deleted() -> None:
    content = CUSTOMER_SCHEMA.read_bytes()
    with_custom = write(
        project(),
        [
            {
                "op": "add",
                "path": f"{IDENTITY}/identity/schemas/-",
                "value": {"id": "customer", "url": inline(content)},
            }
        ],
    )[0]

    view = apply(
        with_custom, {"op": "remove", "path": f"{IDENTITY}/identity/schemas/2"}
    )

    ids = [schema["id"] for schema in at(view, f"{IDENTITY}/identity/schemas")]
    assert sha512(content) in ids


def test_a_default_schema_id_naming_no_schema_is_refused() -> None:
    path = f"{IDENTITY}/identity/default_schema_id"

    with pytest.raises(Refusal) as refused:
        write(project(), [{"op": "replace", "path": path, "value": "customer"}])

    assert refused.value.status == 400


@pytest.mark.parametrize(
    ("pointer", "ext"),
    [
        (f"{PROVIDERS}/0/mapper_url", "jsonnet"),
        (f"{IDENTITY}/courier/templates/recovery_code/valid/email/body/html", "gotmpl"),
        (f"{IDENTITY}/selfservice/flows/login/after/hooks/0/config/body", "jsonnet"),
    ],
)
def test_inline_documents_read_back_as_storage_urls(pointer: str, ext: str) -> None:
    content = b"function(ctx) { identity_id: ctx.identity.id }"
    provider = {
        "id": "google",
        "provider": "google",
        "client_id": "abc",
        "mapper_url": "x",
    }
    hook = {"hook": "web_hook", "config": {"url": "https://hooks.example", "body": "x"}}
    stored = write(
        project(),
        [
            {"op": "add", "path": f"{PROVIDERS}/-", "value": provider},
            {
                "op": "add",
                "path": f"{IDENTITY}/selfservice/flows/login/after/hooks/-",
                "value": hook,
            },
        ],
    )[0]

    view = apply(stored, {"op": "add", "path": pointer, "value": inline(content)})

    expected = f"https://storage.googleapis.com/bac-gcs-prod/{sha512(content)}.{ext}"
    assert at(view, pointer) == expected


def test_the_permission_language_file_is_stored_as_typescript() -> None:
    content = OPL.read_bytes()
    namespaces = {"location": inline(content)}

    view = apply(
        project(),
        {"op": "replace", "path": f"{PERMISSION}/namespaces", "value": namespaces},
    )

    expected = f"https://storage.googleapis.com/bac-gcs-prod/{sha512(content)}.ts"
    assert at(view, f"{PERMISSION}/namespaces/location") == expected


# Write-only secrets


def with_provider(secret: str) -> dict[str, Any]:
    provider = {
        "id": "github",
        "provider": "github",
        "client_id": "id-1",
        "client_secret": secret,
    }
    return write(
        project(), [{"op": "add", "path": f"{PROVIDERS}/-", "value": provider}]
    )[0]


def test_an_oidc_client_secret_reads_back_redacted() -> None:
    stored = with_provider("s3cret")

    assert at(read_view(stored), f"{PROVIDERS}/0/client_secret") == "REDACTED"
    assert at(stored, f"{PROVIDERS}/0/client_secret") == "s3cret"


def test_sending_the_redacted_secret_back_keeps_the_stored_one() -> None:
    stored = with_provider("s3cret")
    view = read_view(stored)
    provider = at(view, f"{PROVIDERS}/0")
    provider["label"] = "GitHub"

    written, _ = write(
        stored, [{"op": "replace", "path": f"{PROVIDERS}/0", "value": provider}]
    )

    assert at(written, f"{PROVIDERS}/0/client_secret") == "s3cret"
    assert at(written, f"{PROVIDERS}/0/label") == "GitHub"


def test_only_the_smtp_password_is_redacted_and_it_is_kept() -> None:
    uri = "smtps://test:test@mailslurper:1025/?skip_ssl_verify=true"
    path = f"{IDENTITY}/courier/smtp/connection_uri"
    stored = write(project(), [{"op": "add", "path": path, "value": uri}])[0]
    redacted = at(read_view(stored), path)

    rewritten, _ = write(stored, [{"op": "replace", "path": path, "value": redacted}])

    assert redacted == "smtps://test:REDACTED@mailslurper:1025/?skip_ssl_verify=true"
    assert at(rewritten, path) == uri


def test_the_pairwise_salt_is_write_only() -> None:
    path = f"{OAUTH2}/oidc/subject_identifiers/pairwise"
    stored = write(
        project(), [{"op": "add", "path": path, "value": {"salt": "pepper"}}]
    )[0]

    assert at(read_view(stored), f"{path}/salt") == "REDACTED"


# Empty values and defaults


def test_clearing_allowed_return_urls_leaves_them_in_place() -> None:
    path = f"{IDENTITY}/selfservice/allowed_return_urls"
    stored = write(
        project(), [{"op": "add", "path": f"{path}/-", "value": "https://a.example"}]
    )[0]

    view = apply(stored, {"op": "replace", "path": path, "value": []})

    assert "https://a.example" in at(view, path)


def test_an_empty_value_with_nothing_stored_gets_the_server_default() -> None:
    path = f"{IDENTITY}/selfservice/methods/totp/config/issuer"

    view = apply(project(), {"op": "replace", "path": path, "value": ""})

    assert at(view, path) == "Acme"


def test_a_zero_is_dropped_like_any_empty_value() -> None:
    path = f"{IDENTITY}/selfservice/methods/password/config/min_password_length"
    stored = write(project(), [{"op": "replace", "path": path, "value": 12}])[0]

    view = apply(stored, {"op": "replace", "path": path, "value": 0})

    assert at(view, path) == 12


def test_a_removed_key_comes_back_as_its_default() -> None:
    path = f"{IDENTITY}/selfservice/methods/password/enabled"
    disabled = write(project(), [{"op": "replace", "path": path, "value": False}])[0]

    view = apply(disabled, {"op": "remove", "path": path})

    assert at(read_view(disabled), path) is False
    assert at(view, path) is True


def test_defaults_include_empty_containers() -> None:
    view = read_view(project())

    assert at(view, f"{IDENTITY}/selfservice/flows/login/after/password/hooks") == []
    assert at(view, f"{IDENTITY}/courier/templates/recovery/valid/email/body") == {}
    assert at(view, f"{IDENTITY}/session/whoami/tokenizer/templates") == {}


# Unmanaged keys


def test_an_operational_key_is_dropped_with_a_warning() -> None:
    written, warnings = write(
        project(),
        [{"op": "add", "path": f"{OAUTH2}/log", "value": {"level": "debug"}}],
    )

    assert dropped("log.*") in messages(warnings)
    assert "log" not in at(read_view(written), OAUTH2)


def test_an_unknown_key_is_dropped_with_a_warning_naming_it() -> None:
    written, warnings = write(
        project(),
        [
            {
                "op": "add",
                "path": f"{IDENTITY}/selfservice/methods/magic",
                "value": {"enabled": True},
            }
        ],
    )

    assert dropped("selfservice.methods.magic.enabled") in messages(warnings)
    assert "magic" not in at(read_view(written), f"{IDENTITY}/selfservice/methods")


def test_a_patch_to_one_service_reports_operational_keys_of_another() -> None:
    stored = project()
    stored["services"]["identity"]["config"]["dsn"] = "memory"
    namespace = {"id": 2, "name": "groups"}

    written, warnings = write(
        stored,
        [{"op": "add", "path": f"{PERMISSION}/namespaces/-", "value": namespace}],
    )

    assert {
        dropped("dsn"),
        dropped("serve.*"),
        dropped("cookies.domain"),
        dropped("session.cookie.name"),
    } <= set(messages(warnings))
    assert "dsn" not in written["services"]["identity"]["config"]
    assert namespace in at(read_view(written), f"{PERMISSION}/namespaces")


def test_platform_values_the_write_did_not_touch_raise_no_warning() -> None:
    _, warnings = write(project(), [])

    assert not any(
        "cors" in message or "dev" in message for message in messages(warnings)
    )


def test_a_service_outside_the_key_table_keeps_its_config() -> None:
    stored = project()
    stored["services"]["talos"] = {"config": {"cache": {"enabled": True}}}

    written, warnings = write(
        stored,
        [
            {
                "op": "replace",
                "path": "/services/talos/config/cache/enabled",
                "value": False,
            }
        ],
    )

    assert written["services"]["talos"] == {"config": {"cache": {"enabled": True}}}
    assert dropped("services.talos") in messages(warnings)


# Server-derived values


def test_server_derived_values_come_from_the_slug() -> None:
    stored = project()
    url = f"https://{stored['slug']}.projects.oryapis.com"
    compact = stored["slug"].replace("-", "")

    view = read_view(stored)

    assert at(view, f"{IDENTITY}/serve/public/base_url") == f"{url}/"
    assert at(view, f"{IDENTITY}/cookies/domain") == url.removeprefix("https://")
    assert at(view, f"{IDENTITY}/session/cookie/name") == f"ory_session_{compact}"
    assert at(view, f"{IDENTITY}/selfservice/allowed_return_urls") == [url]
    assert at(view, f"{OAUTH2}/urls/self/admin") == f"{url}/admin"
    assert (
        at(view, f"{OAUTH2}/webfinger/oidc_discovery/token_url")
        == f"{url}/oauth2/token"
    )


def test_the_services_own_url_stays_first_of_the_allowed_return_urls() -> None:
    stored = project()
    path = f"{IDENTITY}/selfservice/allowed_return_urls"

    written, _ = write(
        stored, [{"op": "replace", "path": path, "value": ["https://a.example"]}]
    )

    own = f"https://{stored['slug']}.projects.oryapis.com"
    assert at(read_view(written), path) == [own, "https://a.example"]
    assert at(written, path) == ["https://a.example"]


def test_a_written_server_derived_value_does_not_stick() -> None:
    path = f"{IDENTITY}/serve/public/base_url"
    stored = project()

    view = apply(
        stored, {"op": "replace", "path": path, "value": "https://mine.example/"}
    )

    assert at(view, path) == at(read_view(stored), path)


# Patch semantics and project fields


def test_replacing_a_missing_path_changes_nothing() -> None:
    stored = project()
    path = f"{IDENTITY}/session/whoami/tokenizer/templates/jwt/ttl"

    written, _ = write(stored, [{"op": "replace", "path": path, "value": "10m"}])

    assert read_view(written) == read_view(stored)


def test_a_new_environment_in_a_patch_changes_nothing() -> None:
    written, _ = write(
        project(), [{"op": "replace", "path": "/environment", "value": "dev"}]
    )

    assert read_view(written)["environment"] == "prod"


def test_the_home_region_cannot_change() -> None:
    with pytest.raises(Refusal) as refused:
        write(
            project(), [{"op": "replace", "path": "/home_region", "value": "us-east"}]
        )

    assert refused.value.status == 400


@pytest.mark.parametrize("field", ["id", "revision_id", "slug", "state"])
def test_read_only_fields_are_refused(field: str) -> None:
    with pytest.raises(Refusal) as refused:
        write(project(), [{"op": "replace", "path": f"/{field}", "value": "other"}])

    assert refused.value.status == 400
    assert f"/{field}" in refused.value.reason


def test_the_project_name_and_cors_are_written() -> None:
    view = apply(
        project(),
        {"op": "replace", "path": "/name", "value": "Acme prod"},
        {
            "op": "replace",
            "path": "/cors_public/origins",
            "value": ["https://a.example"],
        },
    )

    assert view["name"] == "Acme prod"
    assert view["cors_public"] == {"enabled": False, "origins": ["https://a.example"]}


def test_a_removed_project_cors_setting_comes_back_as_its_default() -> None:
    enabled = write(
        project(), [{"op": "replace", "path": "/cors_admin/enabled", "value": True}]
    )[0]

    view = apply(enabled, {"op": "remove", "path": "/cors_admin"})

    assert read_view(enabled)["cors_admin"]["enabled"] is True
    assert view["cors_admin"] == {"enabled": False, "origins": []}


@pytest.mark.parametrize(
    "patch",
    [
        {"op": "remove", "path": f"{IDENTITY}/nothing/here"},
        {"op": "launch", "path": f"{IDENTITY}/session"},
        {"op": "test", "path": "/name", "value": "Not Acme"},
    ],
)
def test_an_invalid_patch_is_refused(patch: dict[str, Any]) -> None:
    with pytest.raises(Refusal) as refused:
        write(project(), [patch])

    assert refused.value.status == 400
    assert refused.value.reason.startswith("Unable to apply JSON patch")


def test_keto_strict_mode_is_locked_at_its_stored_value() -> None:
    namespaces = {
        "location": inline(OPL.read_bytes()),
        "experimental_strict_mode": True,
    }

    written, warnings = write(
        project(),
        [{"op": "replace", "path": f"{PERMISSION}/namespaces", "value": namespaces}],
    )

    view = read_view(written)
    assert "experimental_strict_mode" not in at(view, f"{PERMISSION}/namespaces")
    assert not any("strict" in message for message in messages(warnings))


def test_enabling_saml_is_refused_by_the_plan() -> None:
    path = f"{IDENTITY}/selfservice/methods/saml"

    with pytest.raises(Refusal) as refused:
        write(project(), [{"op": "add", "path": path, "value": {"enabled": True}}])

    assert refused.value.status == 403
    assert refused.value.error_id == "feature_not_available"
    assert refused.value.details == {"feature": "saml"}


def test_a_config_with_a_version_is_read_as_the_newest_without_it() -> None:
    config = read_view(project())["services"]["permission"]["config"]
    config["version"] = "v0.11.0"

    written, warnings = write(
        project(), [{"op": "replace", "path": PERMISSION, "value": config}]
    )

    assert "version" not in written["services"]["permission"]["config"]
    assert "version" not in at(read_view(written), PERMISSION)
    assert not any("version" in message for message in messages(warnings))


# New projects


def test_a_new_project_has_every_field_the_spec_requires() -> None:
    document = new_project(PROJECT_ID, "Acme", "stage")

    required = {
        "id",
        "revision_id",
        "slug",
        "state",
        "name",
        "environment",
        "home_region",
        "services",
        "organizations",
    }
    assert required | {"cors_admin", "cors_public", "workspace_id"} <= set(document)
    assert (document["id"], document["name"], document["environment"]) == (
        PROJECT_ID,
        "Acme",
        "stage",
    )
    assert document["state"] == "running"
    assert new_project(PROJECT_ID, "Acme")["slug"] == document["slug"]


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> set[tuple[Any, ...]]:
    if isinstance(value, dict) and value:
        return {leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))}
    return {path}


def test_a_new_project_reads_like_the_real_one() -> None:
    fixture = json.loads(FIXTURE.read_text())["services"]
    view = read_view(project())["services"]

    for service in ("identity", "oauth2", "permission"):
        real = _leaves(fixture[service])
        ours = _leaves(view[service])
        assert real <= ours, sorted(real - ours)


def test_a_long_patch_of_unknown_keys_warns_once_for_each_in_order() -> None:
    patch = [
        {"op": "add", "path": f"{IDENTITY}/unknown_{n}", "value": n}
        for n in range(3000)
    ]

    _, warnings = write(project(), patch + patch)

    unknown = [m for m in messages(warnings) if "unknown_" in m]
    assert unknown == [dropped(f"unknown_{n}") for n in range(3000)]


def test_each_redacted_secret_of_a_long_reordered_list_keeps_its_own() -> None:
    providers = [
        {
            "id": f"p{n}",
            "provider": "github",
            "client_id": f"id-{n}",
            "client_secret": f"secret-{n}",
        }
        for n in range(1000)
    ]
    stored, _ = write(project(), [{"op": "add", "path": PROVIDERS, "value": providers}])
    sent_back = list(reversed(at(read_view(stored), PROVIDERS)))

    written, _ = write(
        stored, [{"op": "replace", "path": PROVIDERS, "value": sent_back}]
    )

    assert [p["client_secret"] for p in at(written, PROVIDERS)] == [
        f"secret-{n}" for n in reversed(range(1000))
    ]
