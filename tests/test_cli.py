"""The command line's own contract: exit codes and reports across projects."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import Emulator
from tests.conftest import API_KEY, ROOT

PROJECTS = [
    "11111111-1111-4111-8111-111111111111",
    "22222222-2222-4222-8222-222222222222",
    "33333333-3333-4333-8333-333333333333",
]


@pytest.mark.parametrize(
    "arguments",
    [["plan", "--output", "yaml"], ["plan", "-q"], ["nonsense"], ["plan", "--api-url"]],
)
def test_a_usage_error_exits_1_not_the_code_for_changes(arguments: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1, result.stderr
    assert "Error:" in result.stderr


def test_one_failing_project_leaves_the_others_applied_and_reported(
    tmp_path: Path, reconcile: Any
) -> None:
    server = Emulator(state_path=tmp_path / "state.json", api_keys=[API_KEY])
    folder = tmp_path / "manifests"
    folder.mkdir()
    for number, project in enumerate(PROJECTS, 1):
        server.ensure_project(project)
        body = f"project: {project}\nname: Project {number}\n"
        if number == 2:
            # A plan-gated feature: the service refuses this project's patch.
            body += (
                "services:\n  identity:\n    config:\n      selfservice:\n"
                "        methods:\n          saml:\n            enabled: true\n"
            )
        (folder / f"p{number}.yaml").write_text(body)

    with server:
        text = reconcile("apply", "--api-url", server.base_url, str(folder))
        names = [server.project(project)["name"] for project in PROJECTS]

    assert text.exit_code == 1
    assert names[0] == "Project 1" and names[2] == "Project 3"
    assert names[1] != "Project 2"
    assert f"Project {PROJECTS[0]}: applied" in text.stdout
    assert f"Project {PROJECTS[1]}: failed, nothing was changed" in text.stdout
    assert f"Project {PROJECTS[2]}: applied" in text.stdout
    assert "feature 'saml'" in text.stderr and "p2.yaml" in text.stderr


def test_a_corrupt_emulator_state_is_one_error_line(reconcile: Any) -> None:
    Path(".reconcile").mkdir()
    Path(".reconcile/emulator.json").write_text('{"projects": [truncated')
    Path("p.yaml").write_text(f"project: {PROJECTS[0]}\nname: X\n")

    result = reconcile("plan", "--emulator", "p.yaml")

    assert result.exit_code == 1
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "is not a valid emulator state" in line and "delete it" in line
