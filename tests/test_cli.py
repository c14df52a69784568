"""The command line's own contract: exit codes and reports across projects."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import Emulator, FaultPlan
from reconciler.emulator.faults import DropConnection
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
    assert f"Project {PROJECTS[1]}: failed (see the error)" in text.stdout
    assert f"Project {PROJECTS[2]}: applied" in text.stdout
    assert "feature 'saml'" in text.stderr and "p2.yaml" in text.stderr
    assert "nothing was changed" in text.stderr


def test_a_corrupt_emulator_state_is_one_error_line(reconcile: Any) -> None:
    Path(".reconcile").mkdir()
    Path(".reconcile/emulator.json").write_text('{"projects": [truncated')
    Path("p.yaml").write_text(f"project: {PROJECTS[0]}\nname: X\n")

    result = reconcile("plan", "--emulator", "p.yaml")

    assert result.exit_code == 1
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "is not a valid emulator state" in line and "delete it" in line


def test_plan_covers_every_project_even_when_one_cannot_be_read(
    tmp_path: Path, reconcile: Any
) -> None:
    server = Emulator(state_path=tmp_path / "state.json", api_keys=[API_KEY])
    server.ensure_project(PROJECTS[1])
    for number, project in enumerate(PROJECTS[:2], 1):
        Path(f"p{number}.yaml").write_text(f"project: {project}\nname: P{number}\n")

    with server:
        text = reconcile("plan", "--api-url", server.base_url, "p1.yaml", "p2.yaml")
        as_json = reconcile(
            "plan",
            "--output",
            "json",
            "--api-url",
            server.base_url,
            "p1.yaml",
            "p2.yaml",
        )

    assert text.exit_code == as_json.exit_code == 1
    assert f"Project {PROJECTS[0]}: failed (see the error)" in text.stdout
    assert f"Project {PROJECTS[1]} at revision" in text.stdout
    assert "p1.yaml" in text.stderr and "404" in text.stderr
    entries = {
        entry["project_id"]: entry for entry in json.loads(as_json.stdout)["projects"]
    }
    assert "error" in entries[PROJECTS[0]] and entries[PROJECTS[1]]["patch"]


def losing_answers(tmp_path: Path, every: int) -> Emulator:
    """An emulator that applies every ``every``th write and drops its answer."""
    server = Emulator(
        state_path=tmp_path / "state.json",
        api_keys=[API_KEY],
        faults=FaultPlan(
            methods=("PATCH",),
            drop_connection=DropConnection(every=every, after_handling=True),
        ),
    )
    server.ensure_project(PROJECTS[0])
    return server


def test_a_write_without_any_answer_is_reported_as_unknown(
    tmp_path: Path, reconcile: Any
) -> None:
    server = losing_answers(tmp_path, every=1)
    Path("p.yaml").write_text(f"project: {PROJECTS[0]}\nname: Lost answers\n")

    with server:
        result = reconcile("apply", "--api-url", server.base_url, "p.yaml")
        name = server.project(PROJECTS[0])["name"]

    assert result.exit_code == 1
    assert name == "Lost answers"
    assert "it may or may not have been applied: plan again to see" in result.stderr


def test_a_change_made_by_a_write_whose_answer_was_lost_counts_as_a_change(
    tmp_path: Path, reconcile: Any
) -> None:
    server = losing_answers(tmp_path, every=2)
    Path("p.yaml").write_text(f"project: {PROJECTS[0]}\nname: First\n")

    with server:
        first = reconcile("apply", "--api-url", server.base_url, "p.yaml")
        Path("p.yaml").write_text(f"project: {PROJECTS[0]}\nname: Second\n")
        second = reconcile(
            "apply", "--detailed-exitcode", "--api-url", server.base_url, "p.yaml"
        )
        name = server.project(PROJECTS[0])["name"]

    assert first.exit_code == 0
    assert name == "Second"
    assert "answer was lost" in second.stdout
    assert second.exit_code == 2


def test_an_interrupted_apply_reports_what_it_wrote_and_what_it_did_not(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "manifests"
    folder.mkdir()
    many = [f"{n:08x}-0000-4000-8000-000000000000" for n in range(1, 41)]
    for project in many:
        (folder / f"{project}.yaml").write_text(f"project: {project}\nname: Renamed\n")
    environment = {**os.environ, "ORY_CONSOLE_API_URL": ""}

    output = tmp_path / "stdout.txt"
    with output.open("w") as stdout:
        process = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "apply", "--emulator", str(folder)],
            cwd=tmp_path,
            env=environment,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while ": applied" not in output.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=60)

    assert process.returncode == 130
    assert "interrupted" in errors and "Not attempted:" in errors
    state = json.loads((tmp_path / ".reconcile" / "emulator.json").read_text())
    renamed = {
        project
        for project, record in state["projects"].items()
        if record["document"]["name"] == "Renamed"
    }
    reported = {
        line.split()[1].rstrip(":")
        for line in output.read_text().splitlines()
        if line.startswith("Project ") and ": applied" in line
    }
    assert reported and len(renamed) < len(many)
    assert "stopping after the project under way" in errors
    assert renamed == reported
