"""Finding manifests in folders, selecting projects, and what a load returns."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import Location, ManifestErrors
from reconciler.manifest import load_manifests

ALPHA = "a1a1a1a1-0000-4000-8000-000000000001"
MID = "b2b2b2b2-0000-4000-8000-000000000002"
ZETA = "c3c3c3c3-0000-4000-8000-000000000003"
OTHER = "d4d4d4d4-0000-4000-8000-000000000004"


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write(tmp_path, "prod/zeta.yaml", f"project: {ZETA}\nname: Zeta\n")
    write(tmp_path, "prod/eu/alpha.yml", f"project: {ALPHA}\nname: Alpha\n")
    write(tmp_path, "staging/mid.yaml", f"project: {MID}\nname: Mid\n")
    write(tmp_path, "README.md", f"project: {OTHER}\n")
    write(tmp_path, "staging/notes.txt", f"project: {OTHER}\n")
    return tmp_path


def test_a_folder_is_searched_recursively_and_sorted_by_project(folder: Path) -> None:
    result = load_manifests([folder], environ={})

    assert [m.project_id for m in result.manifests] == [ALPHA, MID, ZETA]
    assert [m.location for m in result.manifests] == [
        Location(f"{folder}/prod/eu/alpha.yml", 1),
        Location(f"{folder}/staging/mid.yaml", 1),
        Location(f"{folder}/prod/zeta.yaml", 1),
    ]
    assert result.warnings == []


def test_files_are_named_as_the_folder_was_given(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(folder)

    result = load_manifests([Path("prod"), Path("staging/mid.yaml")], environ={})

    assert [str(m.location) for m in result.manifests] == [
        "prod/eu/alpha.yml:1",
        "staging/mid.yaml:1",
        "prod/zeta.yaml:1",
    ]


def test_projects_select_some_manifests(folder: Path) -> None:
    result = load_manifests([folder], environ={}, projects=[ZETA, ALPHA])

    assert [m.project_id for m in result.manifests] == [ALPHA, ZETA]


def test_an_unselected_manifest_is_not_interpolated(folder: Path) -> None:
    write(folder, "other.yaml", f"project: {OTHER}\nname: ${{UNSET_IN_THIS_TEST}}\n")

    result = load_manifests([folder], environ={}, projects=[MID])

    assert [m.desired for m in result.manifests] == [{"name": "Mid"}]


def test_selecting_a_project_no_manifest_declares_is_an_error(folder: Path) -> None:
    with pytest.raises(ManifestErrors) as raised:
        load_manifests([folder], environ={}, projects=[MID, OTHER])

    assert str(raised.value) == f"{folder}: no manifest declares project {OTHER}"


def test_desired_holds_only_what_the_manifest_declares(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "m.yaml",
        f"project: {ALPHA}\n"
        "ignore: [/services/identity/config/courier]\n"
        "cors_admin:\n"
        "  origins: [https://admin.example.com]\n"
        "services:\n"
        "  oauth2:\n"
        "    config:\n"
        "      ttl:\n"
        "        access_token: 30m\n",
    )

    (manifest,) = load_manifests([path], environ={}).manifests

    assert manifest.desired == {
        "cors_admin": {"origins": ["https://admin.example.com"]},
        "services": {"oauth2": {"config": {"ttl": {"access_token": "30m"}}}},
    }
    assert manifest.ignore == ("/services/identity/config/courier",)
    assert manifest.own == ()
    assert set(manifest.sources) == {
        "/cors_admin",
        "/cors_admin/origins",
        "/cors_admin/origins/0",
        "/services",
        "/services/oauth2",
        "/services/oauth2/config",
        "/services/oauth2/config/ttl",
        "/services/oauth2/config/ttl/access_token",
    }


def test_keys_the_service_drops_are_warnings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "m.yaml",
        f"project: {ALPHA}\n"
        "services:\n"
        "  identity:\n"
        "    config:\n"
        "      dsn: memory\n"
        "      serve:\n"
        "        public:\n"
        "          base_url: https://auth.example.com/\n"
        "      session:\n"
        "        lifespan: 1h\n"
        "        made_up_key: 1\n",
    )

    result = load_manifests([path], environ={})

    assert result.warnings == [
        f"{path}:5: /services/identity/config/dsn: "
        "the service does not manage this key and drops it",
        f"{path}:6: /services/identity/config/serve: "
        "the service does not manage this key and drops it",
        f"{path}:11: /services/identity/config/session/made_up_key: "
        "the service does not manage this key and drops it",
    ]
    # Declared as written: what reaches the service is the plan's business.
    (manifest,) = result.manifests
    assert manifest.desired["services"]["identity"]["config"]["dsn"] == "memory"


def test_a_project_id_in_any_case_is_read_and_selected_in_lower_case(
    tmp_path: Path,
) -> None:
    write(tmp_path, "m.yaml", f"project: {ALPHA.upper()}\nname: Alpha\n")

    result = load_manifests([tmp_path], environ={}, projects=[ALPHA.upper()])

    assert [m.project_id for m in result.manifests] == [ALPHA]


def test_a_symbolic_link_inside_the_folder_is_read(tmp_path: Path) -> None:
    write(tmp_path, "shared/alpha.yaml", f"project: {ALPHA}\nname: Alpha\n")
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod" / "alpha.yaml").symlink_to(tmp_path / "shared" / "alpha.yaml")

    result = load_manifests([tmp_path], environ={})

    assert [m.desired for m in result.manifests] == [{"name": "Alpha"}]
