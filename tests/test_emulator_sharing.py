"""Several emulators on one state file behave as one service: no write is
lost, and a write with a stale revision meets 409 whichever emulator took
the newer one."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.emulator import Emulator

PROJECT_ID = "dddddddd-0000-4000-8000-000000000001"
KEY = "ory_wak_sharing"
PATH = f"/projects/{PROJECT_ID}"
CORS = {"enabled": True, "origins": ["https://pub.example"]}


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "emulator.json"


@pytest.fixture
def pair(state: Path) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """Clients of two emulators started on the same state file."""
    with (
        Emulator(state_path=state, api_keys=[KEY], rewrites=False) as first,
        Emulator(state_path=state, api_keys=[KEY], rewrites=False) as second,
    ):
        first.ensure_project(PROJECT_ID)
        headers = {"Authorization": f"Bearer {KEY}"}
        with (
            httpx.Client(base_url=first.base_url, headers=headers) as a,
            httpx.Client(base_url=second.base_url, headers=headers) as b,
        ):
            yield a, b


def revisioned(revision: str) -> str:
    return f"{PATH}/revision/{revision}"


def test_a_stale_revision_meets_409_at_the_other_emulator(
    pair: tuple[httpx.Client, httpx.Client], state: Path
) -> None:
    a, b = pair
    revision = b.get(PATH).json()["revision_id"]

    renamed = a.patch(
        revisioned(revision), json=[{"op": "replace", "path": "/name", "value": "A"}]
    )
    stale = b.patch(
        revisioned(revision),
        json=[{"op": "add", "path": "/cors_public", "value": CORS}],
    )
    current = b.get(PATH).json()
    added = b.patch(
        revisioned(current["revision_id"]),
        json=[{"op": "add", "path": "/cors_public", "value": CORS}],
    )
    seen_by_a = a.get(PATH).json()

    assert renamed.status_code == 200
    assert stale.status_code == 409
    assert current["name"] == "A"
    assert current["revision_id"] == renamed.json()["project"]["revision_id"]
    assert added.status_code == 200
    assert seen_by_a == added.json()["project"]
    with Emulator(state_path=state) as restarted:
        stored = restarted.project(PROJECT_ID)
    assert (stored["name"], stored["cors_public"]) == ("A", CORS)


def test_writers_spread_over_two_emulators_lose_no_write(
    pair: tuple[httpx.Client, httpx.Client], state: Path
) -> None:
    def writer(client: httpx.Client, name: str) -> None:
        for number in range(10):
            key = f"/services/identity/config/{name}_{number}"
            response = client.patch(PATH, json=[{"op": "add", "path": key, "value": 1}])
            assert response.status_code == 200

    writers = [
        threading.Thread(target=writer, args=(client, f"{side}{n}"))
        for side, client in zip("ab", pair, strict=True)
        for n in range(2)
    ]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()

    with Emulator(state_path=state) as restarted:
        config = restarted.project(PROJECT_ID)["services"]["identity"]["config"]
    assert len(config) == 40


MANIFESTS = {
    "name": "name: Shared\n",
    "cors": "cors_public: {enabled: true, origins: ['https://pub.example']}\n",
    "session": "services: {identity: {config: {session: {lifespan: 77h}}}}\n",
    "oauth2": "services: {oauth2: {config: {ttl: {access_token: 17m}}}}\n",
}


def test_parallel_applies_with_the_emulator_in_one_directory_all_converge(
    tmp_path: Path,
) -> None:
    for name, content in MANIFESTS.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "a.yaml").write_text(f"project: {PROJECT_ID}\n{content}")
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("ORY_")
    }

    def run_all(*command: str) -> list[subprocess.CompletedProcess[str]]:
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "reconciler", "-q", *command, name],
                cwd=tmp_path,
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name in MANIFESTS
        ]
        outputs = [p.communicate(timeout=60) for p in processes]
        return [
            subprocess.CompletedProcess(p.args, p.returncode, *output)
            for p, output in zip(processes, outputs, strict=True)
        ]

    applied = run_all("apply", "--emulator")
    planned = run_all("plan", "--emulator", "--detailed-exitcode")

    # Each apply may meet 409 and plan again; none may fail.
    assert [p.returncode for p in applied] == [0] * len(MANIFESTS), applied
    assert [p.returncode for p in planned] == [0] * len(MANIFESTS), planned
    with Emulator(state_path=tmp_path / ".reconcile" / "emulator.json") as emulator:
        project = emulator.project(PROJECT_ID)
    assert project["name"] == "Shared"
    assert project["cors_public"]["origins"] == ["https://pub.example"]
