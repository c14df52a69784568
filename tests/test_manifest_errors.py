"""Every bad manifest is refused with its exact errors: file, line and message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.errors import ManifestErrors
from reconciler.manifest import load_manifests
from tests.manifest_cases import CASES, HOSTILE, PROJECT_ID, Case

OTHER_ID = "0d9c8b7a-6f5e-4d3c-8b2a-190817263544"


def refusal(case: Case, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ManifestErrors) as raised:
        load_manifests([case.path], environ=environ or {}, secrets_dir=case.secrets_dir)
    return str(raised.value)


def test_the_suite_covers_many_bad_manifests_each_with_its_errors() -> None:
    assert len(CASES) >= 45
    assert all(case.expected for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_a_bad_manifest_is_refused_with_its_exact_errors(case: Case) -> None:
    assert refusal(case) == case.expected


@pytest.mark.parametrize("build", HOSTILE, ids=lambda build: build.__name__)
def test_a_hostile_manifest_is_refused_with_its_exact_error(
    tmp_path: Path, build: Callable[[Path], Case]
) -> None:
    case = build(tmp_path)
    assert refusal(case) == case.expected


def write(path: Path, text: str) -> Case:
    path.write_text(text)
    return Case(path, "")


def test_no_error_shows_the_value_of_a_variable(tmp_path: Path) -> None:
    case = write(
        tmp_path / "manifest.yaml",
        f"project: {PROJECT_ID}\n"
        "services:\n"
        "  identity:\n"
        "    config:\n"
        "      courier:\n"
        "        smtp:\n"
        "          connection_uri: smtps://mailer:${SMTP_PASSWORD}@/\n",
    )

    text = refusal(case, {"SMTP_PASSWORD": "hunter2-smtp"})

    assert text == (
        f"{case.path}:7: /services/identity/config/courier/smtp/connection_uri: "
        "not a valid URL: no host after smtps://"
    )


def test_no_error_shows_a_variable_that_does_not_fit_its_key(tmp_path: Path) -> None:
    case = write(
        tmp_path / "manifest.yaml",
        f"project: {PROJECT_ID}\ncors_admin:\n  enabled: ${{CORS}}\n",
    )

    text = refusal(case, {"CORS": "hunter2-flag"})

    assert text == (
        f"{case.path}:3: /cors_admin/enabled: ${{CORS}} must give true or false "
        "for this key"
    )


def test_no_error_shows_the_content_of_a_secret_file(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "flag").write_text("hunter2-in-a-file\n")
    case = write(
        tmp_path / "manifest.yaml",
        f"project: {PROJECT_ID}\ncors_public:\n  enabled: ${{file:flag}}\n",
    )

    with pytest.raises(ManifestErrors) as raised:
        load_manifests([case.path], environ={}, secrets_dir=secrets)

    assert str(raised.value) == (
        f"{case.path}:3: /cors_public/enabled: ${{file:flag}} must give true or false"
        " for this key"
    )


def test_errors_from_several_files_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(f"project: {PROJECT_ID}\nname: yes\n")
    (tmp_path / "b.yaml").write_text(f"project: {OTHER_ID}\nslug: nope\n")

    with pytest.raises(ManifestErrors) as raised:
        load_manifests([tmp_path], environ={})

    assert [str(error) for error in raised.value.errors] == [
        f"{tmp_path}/a.yaml:2: /name: unquoted yes is a boolean in YAML 1.1 and a "
        "string in YAML 1.2; write true/false, or quote the string",
        f"{tmp_path}/b.yaml:2: /slug: read-only in the project document; remove it",
    ]


def test_a_path_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"

    with pytest.raises(ManifestErrors) as raised:
        load_manifests([missing], environ={})

    assert str(raised.value) == f"{missing}: no such file or directory"


def test_a_folder_without_yaml_files_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing here\n")

    with pytest.raises(ManifestErrors) as raised:
        load_manifests([tmp_path], environ={})

    assert str(raised.value) == f"{tmp_path}: no YAML file found (*.yaml or *.yml)"
