"""The official TypeScript SDK (`@ory/client`, run by Node.js) against the
emulator: every ProjectApi method answers the status the spec documents,
with a body the spec allows and the fields the SDK's caller expects.

`tests/sdk_ts/conformance.js` makes the calls and prints one JSON line per
call; it refuses any host but 127.0.0.1. Its packages are installed with
`npm ci` from the committed lock file when they are missing or stale.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conformance import (
    Exchange,
    project_operations,
    record_exchange,
    schema_error,
    write_team_seed,
)

from reconciler.emulator import Emulator

SDK_DIR = Path(__file__).resolve().parent / "sdk_ts"
SCRIPT = SDK_DIR / "conformance.js"
LOCK = SDK_DIR / "package-lock.json"
# Written after a successful install: the hash of the lock file installed.
STAMP = SDK_DIR / "node_modules" / ".installed-lock-sha256"
TEAM_ID = "4e8b2f6a-1c3d-4a5e-9f70-8b6c5d4e3f21"
KEY = "ory_wak_typescript_sdk"


@dataclass(frozen=True)
class Run:
    """What one run of the script printed, and what the emulator saw."""

    lines: list[dict[str, Any]]
    returncode: int
    stderr: str
    requests_seen: int


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(
            f"{tool} is not on PATH: the TypeScript SDK conformance needs Node.js "
            "and npm installed"
        )
    return path


def install_packages() -> None:
    """`npm ci` unless node_modules holds exactly what the lock file says."""
    wanted = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    if STAMP.is_file() and STAMP.read_text(encoding="utf-8") == wanted:
        return
    result = subprocess.run(
        [require("npm"), "ci", "--no-audit", "--no-fund"],
        cwd=SDK_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "npm_config_update_notifier": "false"},
    )
    if result.returncode != 0:
        pytest.fail(f"npm ci failed:\n{result.stdout}\n{result.stderr}")
    STAMP.write_text(wanted, encoding="utf-8")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """Runs the script once against a fresh emulator for the whole module."""
    node = require("node")
    install_packages()
    team = write_team_seed(tmp_path_factory.mktemp("sdk_ts") / "team.yaml", TEAM_ID)

    with Emulator(api_keys=[KEY], seeds=[team]) as emulator:
        result = subprocess.run(
            [node, str(SCRIPT)],
            cwd=SDK_DIR,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={
                **os.environ,
                "EMULATOR_BASE_URL": emulator.base_url,
                "EMULATOR_API_KEY": KEY,
                "TEAM_PROJECT_ID": TEAM_ID,
            },
        )
        yield Run(
            [json.loads(line) for line in result.stdout.splitlines()],
            result.returncode,
            result.stderr,
            len(emulator.requests),
        )


def test_script_runs_to_the_end_and_sends_every_request_to_the_emulator(
    run: Run,
) -> None:
    assert run.returncode == 0, run.stderr
    assert all("error" not in line for line in run.lines), run.lines
    assert run.requests_seen == len(run.lines)


@pytest.mark.parametrize("operation", project_operations())
def test_sdk_method_answers_its_documented_status_and_schema(
    run: Run, operation: str, request: pytest.FixtureRequest
) -> None:
    calls = [line for line in run.lines if line["operation"] == operation]
    problems = []
    for call in calls:
        error = (
            None
            if call["status"] is None
            else schema_error(operation, call["status"], call["body"])
        )
        record_exchange(
            request.node,
            Exchange(
                "typescript-sdk",
                operation,
                call["status"] or 0,
                schema_valid=error is None,
                ok=call["ok"],
            ),
        )
        if not call["ok"]:
            problems.append(
                f"expected {call['expected']}, got {call['status']} "
                f"{call.get('error', '')}"
            )
        if error is not None:
            problems.append(f"{call['status']}: {error}")

    assert calls, f"{operation} was never called: {run.stderr}"
    assert not problems, problems
