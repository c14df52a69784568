"""What the emulator cannot start with: one line naming the file, exit 1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.emulator import Emulator, EmulatorSetupError
from reconciler.emulator.cli import emulator as emulator_cli

KEY = "ory_wak_setup"
PROJECT_ID = "22222222-2222-4222-8222-222222222222"
RECONCILE = (sys.executable, "-m", "reconciler")


def serve(*args: str) -> tuple[int, str]:
    """Runs `serve` with arguments it must refuse. In a thread other than the
    main one, a `serve` that accepts them fails at once (signal handlers
    are the main thread's) instead of serving until killed."""
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(
            CliRunner().invoke, emulator_cli, ["serve", "--api-key", KEY, *args]
        )
        result = running.result(timeout=30)
    return result.exit_code, result.stderr


def valid_state() -> dict[str, Any]:
    """A state file's content as an emulator writes it, with one project."""
    source = Emulator()
    source.ensure_project(PROJECT_ID)
    document = source.project(PROJECT_ID)
    record = {"document": document, "created_at": "t", "updated_at": "t"}
    return {"version": 1, "projects": {PROJECT_ID: record}, "purged": []}


def test_a_broken_fault_plan_is_one_error_line_from_the_command_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "faults.yaml").write_text("x: [\n")

    completed = subprocess.run(
        [*RECONCILE, "emulator", "serve", "--api-key", KEY, "--faults", "faults.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert completed.returncode == 1
    assert completed.stderr.splitlines() == [
        "error: fault plan faults.yaml, line 2: not valid YAML: expected the node "
        "content, but found '<stream end>'"
    ]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("faults.yaml", "x: [\n", "fault plan {path}, line 2: not valid YAML"),
        ("faults.json", '{"seed":\n', "fault plan {path}, line 2: not valid JSON"),
        ("faults.yaml", "- 1\n", "fault plan {path}: a fault plan must be an object"),
        (
            "faults.yaml",
            "server_error: {statuses: [200]}\n",
            "fault plan {path}: server_error.statuses: 200 is not a server error",
        ),
        ("faults.yaml", "seed: 2024-01-01\n", "fault plan {path} holds a value JSON"),
    ],
)
def test_a_fault_plan_that_is_no_valid_plan_is_named_with_its_line(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content)

    code, stderr = serve("--faults", str(path))

    assert code == 1
    assert stderr.splitlines() == [stderr.strip()]
    assert stderr.startswith("error: " + expected.format(path=path))


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("seed.yaml", "name: [\n", "seed {path}, line 2: not valid YAML"),
        ("seed.json", '{"name": }', "seed {path}, line 1: not valid JSON"),
        (
            "seed.yaml",
            "- a project\n",
            "seed {path}: a seed must be a project document",
        ),
        ("seed.yaml", "name: 7\n", "seed {path}: not a project document: /name"),
        (
            "seed.yaml",
            "services: {identity: {config: {selfservice: 5}}}\n",
            "seed {path}: cannot read it back",
        ),
        ("seed.yaml", "created: 2024-01-01\n", "seed {path} holds a value JSON"),
        (
            "seed.yaml",
            "x-emulator: {members: [ada]}\n",
            "seed {path}: x-emulator.members must be a list of objects",
        ),
    ],
)
def test_a_seed_that_is_no_project_document_is_named_and_changes_no_state(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("name: Good\n")
    path = tmp_path / name
    path.write_bytes(content.encode())
    state = tmp_path / "state.json"

    code, stderr = serve(
        "--state", str(state), "--seed", str(good), "--seed", str(path)
    )

    assert code == 1
    assert stderr.splitlines() == [stderr.strip()]
    assert stderr.startswith("error: " + expected.format(path=path))
    assert not state.exists()


def broken_document(state: dict[str, Any]) -> dict[str, Any]:
    state["projects"][PROJECT_ID]["document"]["services"]["identity"]["config"][
        "selfservice"
    ] = 5
    return state


def other_id(state: dict[str, Any]) -> dict[str, Any]:
    projects = state["projects"]
    projects["33333333-3333-4333-8333-333333333333"] = projects.pop(PROJECT_ID)
    return state


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"projects": [\n', "line 2: not valid JSON: Expecting value"),
        (b"\x80\x81 garbage", "not JSON text"),
        (b"[]", "not a JSON object"),
        (b'{"version": 1, "projects": []}', "`projects` must be an object"),
        (b'{"version": 2, "projects": {}}', "version 2 is not 1"),
        (
            json.dumps({"version": 1, "projects": {"p": {"document": {}}}}).encode(),
            "project p: missing fields created_at, updated_at",
        ),
        (
            json.dumps({"version": 1, "projects": {"p": [1]}}).encode(),
            "project p: not an object",
        ),
        (
            json.dumps({"version": 1, "projects": {}, "purged": [1]}).encode(),
            "`purged` must be a list of project ids",
        ),
        (
            json.dumps(broken_document(valid_state())).encode(),
            f"project {PROJECT_ID}: cannot read it back",
        ),
        (
            json.dumps(other_id(valid_state())).encode(),
            "project 33333333-3333-4333-8333-333333333333: the document's id is",
        ),
    ],
)
def test_a_corrupt_state_file_is_named_with_how_to_start_over(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    state = tmp_path / "emulator.json"
    state.write_bytes(content)

    with pytest.raises(EmulatorSetupError) as raised:
        Emulator(state_path=state, api_keys=[KEY])
    code, stderr = serve("--state", str(state))

    message = str(raised.value)
    assert message.startswith(f"{state} is not a valid emulator state ({reason}")
    assert message.endswith("delete it to start over with no projects")
    assert "\n" not in message
    assert (code, stderr) == (1, f"error: {message}\n")
    assert state.read_bytes() == content


def test_a_state_file_of_the_right_shape_starts(tmp_path: Path) -> None:
    state = tmp_path / "emulator.json"
    state.write_text(json.dumps(valid_state()))

    with Emulator(state_path=state, api_keys=[KEY]) as started:
        assert started.project(PROJECT_ID)["id"] == PROJECT_ID


def test_a_request_log_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    log = tmp_path / "missing" / "requests.jsonl"

    code, stderr = serve("--request-log", str(log))

    assert code == 1
    assert (
        stderr == f"error: cannot write request log {log}: No such file or directory\n"
    )


def test_a_state_file_in_a_missing_directory_is_named(tmp_path: Path) -> None:
    state = tmp_path / "missing" / "emulator.json"

    code, stderr = serve("--state", str(state))

    assert code == 1
    assert stderr.startswith(f"error: cannot use state file {state}: ")


def test_a_port_in_use_is_named() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        code, stderr = serve("--port", str(port))

    assert code == 1
    assert (
        stderr == f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )
