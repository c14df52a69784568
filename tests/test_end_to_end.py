"""Plan, apply and plan again, over HTTP against the emulator."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import jsonpointer
import pytest

from reconciler import canonical
from reconciler.emulator import Emulator
from tests.conftest import API_KEY, CORPUS_PROJECT_ID, ROOT
from tests.corpus_manifests import CLEARS_A_LIST, CONVERGING, INVALID, write_manifest

MANIFESTS = ROOT / "manifests"
FAKE_SMTP = {"SMTP_PASSWORD": "fake-smtp-password"}


def read_project(emulator: Emulator, project_id: str = CORPUS_PROJECT_ID) -> Any:
    response = httpx.get(
        f"{emulator.base_url}/projects/{project_id}",
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    response.raise_for_status()
    return response.json()


def leaves(value: Any, pointer: str = "") -> dict[str, Any]:
    """Every scalar (and empty container) in a document, by pointer."""
    if isinstance(value, dict) and value:
        found: dict[str, Any] = {}
        for key, item in value.items():
            escaped = str(key).replace("~", "~0").replace("/", "~1")
            found.update(leaves(item, f"{pointer}/{escaped}"))
        return found
    if isinstance(value, list) and value:
        found = {}
        for index, item in enumerate(value):
            found.update(leaves(item, f"{pointer}/{index}"))
        return found
    return {pointer: value}


def test_the_readme_job_plans_applies_and_ends_in_sync(reconcile: Any) -> None:
    planned = reconcile("plan", "--emulator", str(MANIFESTS), env=FAKE_SMTP)
    assert planned.exit_code == 0, planned.stderr
    assert "Plan:" in planned.stdout

    applied = reconcile("apply", "--emulator", str(MANIFESTS), env=FAKE_SMTP)
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert "applied" in applied.stdout

    again = reconcile(
        "plan", "--emulator", "--detailed-exitcode", str(MANIFESTS), env=FAKE_SMTP
    )
    assert again.exit_code == 0, again.stdout
    assert "No changes" in again.stdout
    assert "fake-smtp-password" not in again.stdout + applied.stdout + planned.stdout


def test_detailed_exitcode_is_2_while_changes_are_pending(reconcile: Any) -> None:
    result = reconcile(
        "plan", "--emulator", "--detailed-exitcode", str(MANIFESTS), env=FAKE_SMTP
    )

    assert result.exit_code == 2


@pytest.mark.parametrize("name", sorted(CONVERGING))
def test_a_real_config_converges_and_leaves_the_rest_alone(
    name: str, emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path, CORPUS_PROJECT_ID, name)
    before = read_project(emulator)
    url = ("--api-url", emulator.base_url)

    planned = reconcile("plan", *url, "--output", "json", str(manifest))
    assert planned.exit_code == 0, planned.stderr
    [project] = json.loads(planned.stdout)["projects"]
    assert project["revision_id"] == before["revision_id"]
    for operation in project["patch"]:
        assert not _already_holds(before, operation), operation

    applied = reconcile("apply", *url, str(manifest))
    assert applied.exit_code == 0, applied.stdout + applied.stderr

    again = reconcile("plan", *url, "--detailed-exitcode", str(manifest))
    assert again.exit_code == 0, again.stdout
    after = read_project(emulator)
    managed = [op["path"] for op in project["patch"]]
    for pointer, value in leaves(before).items():
        if pointer == "/revision_id" or _under_any(pointer, managed):
            continue
        assert jsonpointer.resolve_pointer(after, pointer, None) == value, pointer


def _already_holds(live: Any, operation: dict[str, Any]) -> bool:
    if operation["op"] == "add" and operation["path"].endswith("/-"):
        return False
    current = jsonpointer.resolve_pointer(live, operation["path"], _ABSENT)
    if current is _ABSENT:
        return False
    return operation["op"] != "remove" and canonical.form(current) == canonical.form(
        operation["value"]
    )


_ABSENT = object()


def _under_any(pointer: str, prefixes: list[str]) -> bool:
    for prefix in prefixes:
        base = prefix.removesuffix("/-")
        related = pointer.startswith(base + "/") or base.startswith(pointer + "/")
        if pointer == base or related:
            return True
    return False


def test_plan_and_dry_run_send_no_write(emulator: Emulator, reconcile: Any) -> None:
    shutil.copytree(MANIFESTS, "manifests")
    seed = {"project": CORPUS_PROJECT_ID, "name": "Renamed by the manifest"}
    Path("manifests/corpus.yaml").write_text(json.dumps(seed))

    for command in (["plan"], ["apply", "--dry-run"]):
        result = reconcile(
            *command,
            "--api-url",
            emulator.base_url,
            "--project",
            CORPUS_PROJECT_ID,
            env=FAKE_SMTP,
        )
        assert result.exit_code == 0, result.stderr
        assert "Renamed by the manifest" in result.stdout

    methods = {line["method"] for line in emulator.requests}
    assert methods == {"GET"}


def test_a_list_cleared_by_the_manifest_is_reported_not_converged(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path, CORPUS_PROJECT_ID, CLEARS_A_LIST)
    url = ("--api-url", emulator.base_url)

    applied = reconcile("apply", *url, str(manifest))

    assert applied.exit_code == 3, applied.stdout + applied.stderr
    assert (
        "not converged: /services/identity/config/selfservice/allowed_return_urls "
        "did not take the desired value"
    ) in applied.stdout
    again = reconcile("plan", *url, "--detailed-exitcode", str(manifest))
    assert again.exit_code == 2
    assert "/services/identity/config/selfservice/allowed_return_urls" in again.stdout


def test_an_invalid_real_config_is_refused_before_any_request(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path, CORPUS_PROJECT_ID, INVALID)

    planned = reconcile("plan", "--api-url", emulator.base_url, str(manifest))

    assert planned.exit_code == 1
    assert planned.stderr.endswith(
        "/services/identity/config/session/whoami/tokenizer/templates: "
        "expected a mapping, got a list\n"
    )
    assert emulator.requests == []
