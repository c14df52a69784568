"""Variables, secret files and file:// includes in manifest values."""

from __future__ import annotations

import base64
from pathlib import Path
from textwrap import dedent

from reconciler.manifest import Manifest, load_manifests

PROJECT_ID = "3e1b0f4c-5a6d-4e7f-8a9b-1c2d3e4f5a6b"
SMTP = "/services/identity/config/courier/smtp"
PASSWORD = "/services/identity/config/selfservice/methods/password"


def load(
    tmp_path: Path,
    text: str,
    environ: dict[str, str] | None = None,
    secrets_dir: Path | None = None,
) -> Manifest:
    path = tmp_path / "manifest.yaml"
    path.write_text(f"project: {PROJECT_ID}\n" + dedent(text))
    result = load_manifests([path], environ=environ or {}, secrets_dir=secrets_dir)
    (manifest,) = result.manifests
    return manifest


def identity(manifest: Manifest) -> dict[str, object]:
    config: dict[str, object] = manifest.desired["services"]["identity"]["config"]
    return config


def test_variables_are_replaced_and_their_values_are_secret(tmp_path: Path) -> None:
    manifest = load(
        tmp_path,
        """\
        name: ${PROJECT_NAME:-Fallback name}
        services:
          identity:
            config:
              courier:
                smtp:
                  connection_uri: smtps://mailer:${SMTP_PASSWORD}@mail.example.com:465/
                  from_name: ${FROM_NAME:-Accounts} at $$HOME
        """,
        environ={"SMTP_PASSWORD": "p@ss/word", "PROJECT_NAME": ""},
    )

    assert manifest.desired["name"] == "Fallback name"
    assert identity(manifest)["courier"] == {
        "smtp": {
            "connection_uri": "smtps://mailer:p@ss/word@mail.example.com:465/",
            "from_name": "Accounts at $HOME",
        }
    }
    # Values from defaults and literal text are not secret.
    assert manifest.secrets == {f"{SMTP}/connection_uri"}


def test_a_variable_set_to_a_value_is_secret_even_with_a_default(
    tmp_path: Path,
) -> None:
    manifest = load(
        tmp_path,
        "name: ${PROJECT_NAME:-Fallback}\n",
        environ={"PROJECT_NAME": "From the environment"},
    )

    assert manifest.desired == {"name": "From the environment"}
    assert manifest.secrets == {"/name"}


def test_a_whole_placeholder_takes_the_type_of_its_key(tmp_path: Path) -> None:
    manifest = load(
        tmp_path,
        """\
        cors_public:
          enabled: ${CORS_ENABLED}
        services:
          identity:
            config:
              selfservice:
                methods:
                  password:
                    enabled: ${PASSWORD_ENABLED}
                    config:
                      min_password_length: ${MIN_LENGTH}
                      identifier_similarity_check_enabled: ${SIMILARITY:-False}
              courier:
                smtp:
                  from_name: ${FROM_NAME}
        """,
        environ={
            "CORS_ENABLED": "false",
            "PASSWORD_ENABLED": "true",
            "MIN_LENGTH": "12",
            "FROM_NAME": "true",
        },
    )

    assert manifest.desired["cors_public"] == {"enabled": False}
    config = identity(manifest)
    assert config["selfservice"] == {
        "methods": {
            "password": {
                "enabled": True,
                "config": {
                    "min_password_length": 12,
                    "identifier_similarity_check_enabled": False,
                },
            }
        }
    }
    # A string key keeps the text, even when it reads like a boolean.
    assert config["courier"] == {"smtp": {"from_name": "true"}}


def test_a_substituted_value_never_becomes_yaml_structure(tmp_path: Path) -> None:
    manifest = load(
        tmp_path,
        "name: ${INJECTED}\n",
        environ={"INJECTED": "x\nservices: {identity: {config: {a: b}}}"},
    )

    assert manifest.desired == {"name": "x\nservices: {identity: {config: {a: b}}}"}


def test_a_secret_file_is_read_and_its_value_is_secret(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    (secrets / "smtp").mkdir(parents=True)
    (secrets / "smtp" / "password").write_text("s3cret\n")

    manifest = load(
        tmp_path,
        """\
        services:
          identity:
            config:
              courier:
                smtp:
                  connection_uri: "smtps://mailer:${file:smtp/password}@example.com/"
        """,
        secrets_dir=secrets,
    )

    assert identity(manifest)["courier"] == {
        "smtp": {"connection_uri": "smtps://mailer:s3cret@example.com/"}
    }
    assert manifest.secrets == {f"{SMTP}/connection_uri"}


def test_the_secrets_directory_can_come_from_the_environment(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "name").write_text("Secret name\n\n")

    manifest = load(
        tmp_path,
        "name: ${file:name}\n",
        environ={"RECONCILE_SECRETS_DIR": str(secrets)},
    )

    # One trailing newline goes; the text is otherwise kept as it is.
    assert manifest.desired == {"name": "Secret name\n"}


def test_an_included_file_is_sent_as_base64(tmp_path: Path) -> None:
    schema = bytes(range(256)) + "ünïcode".encode()
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "customer.json").write_bytes(schema)

    manifest = load(
        tmp_path,
        """\
        services:
          identity:
            config:
              identity:
                default_schema_id: customer
                schemas:
                  - id: customer
                    url: file://schemas/customer.json
        """,
    )

    url = identity(manifest)["identity"]["schemas"][0]["url"]  # type: ignore[index]
    assert url.startswith("base64://")
    assert base64.b64decode(url.removeprefix("base64://"), validate=True) == schema
    assert manifest.secrets == frozenset()


def test_a_fragment_includes_files_relative_to_itself(tmp_path: Path) -> None:
    (tmp_path / "shared" / "mappers").mkdir(parents=True)
    (tmp_path / "shared" / "mappers" / "google.jsonnet").write_text("{}\n")
    (tmp_path / "shared" / "oidc.yaml").write_text(
        dedent(
            """\
            services:
              identity:
                config:
                  selfservice:
                    methods:
                      oidc:
                        config:
                          providers:
                            - id: google
                              provider: google
                              mapper_url: file://mappers/../mappers/google.jsonnet
            """
        )
    )

    manifest = load(tmp_path, "extends: [shared/oidc.yaml]\n")

    methods = identity(manifest)["selfservice"]["methods"]  # type: ignore[index]
    provider = methods["oidc"]["config"]["providers"][0]
    assert provider["mapper_url"] == "base64://" + base64.b64encode(b"{}\n").decode()
