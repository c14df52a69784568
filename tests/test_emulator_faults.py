"""Faults on demand: each kind strikes as planned, deterministically, and a
killed emulator leaves a state it can restart from."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from spec_check import validate_response

from reconciler.emulator import Emulator, EmulatorSetupError, FaultPlan
from reconciler.emulator.faults import (
    ConcurrentEditor,
    DropConnection,
    Latency,
    RateLimit,
    ServerError,
    SlowBody,
    StaleRead,
)

PROJECT_ID = "7c3e9a1d-5b2f-4e8a-9c6d-1f0e2d3c4b5a"
KEY = "ory_wak_faults"
HEADERS = {"Authorization": f"Bearer {KEY}"}
RENAME = [{"op": "replace", "path": "/name", "value": "renamed"}]


@dataclass
class Running:
    emulator: Emulator
    http: httpx.Client

    @property
    def stored(self) -> dict[str, Any]:
        return self.emulator.project(PROJECT_ID)


Start = Callable[..., Running]


@pytest.fixture
def start() -> Iterator[Start]:
    """Starts emulators with one project; stops them after the test."""
    started: list[Running] = []

    def starter(faults: FaultPlan | None = None) -> Running:
        emulator = Emulator(api_keys=[KEY], rewrites=False, faults=faults)
        emulator.ensure_project(PROJECT_ID, name="Faulty")
        emulator.start()
        http = httpx.Client(base_url=emulator.base_url, headers=HEADERS)
        started.append(Running(emulator, http))
        return started[-1]

    yield starter
    for running in started:
        running.http.close()
        running.emulator.stop()


def get(running: Running) -> httpx.Response:
    return running.http.get(f"/projects/{PROJECT_ID}")


def patch(running: Running, revision: str) -> httpx.Response:
    return running.http.patch(
        f"/projects/{PROJECT_ID}/revision/{revision}", json=RENAME
    )


def test_rate_limit_answers_429_with_retry_after(start: Start) -> None:
    running = start(FaultPlan(rate_limit=RateLimit(every=2, retry_after_seconds=3)))

    statuses = [get(running) for _ in range(4)]

    assert [r.status_code for r in statuses] == [200, 429, 200, 429]
    assert statuses[1].headers["Retry-After"] == "3"
    validate_response("getProject", 429, statuses[1].json())
    assert running.emulator.requests[1]["fault"] == "injected_error"


def test_server_errors_use_the_planned_statuses(start: Start) -> None:
    running = start(
        FaultPlan(server_error=ServerError(probability=1.0, statuses=(502,)))
    )

    response = get(running)

    assert response.status_code == 502
    validate_response("getProject", 502, response.json())


def test_same_seed_gives_the_same_faults(start: Start) -> None:
    plan = FaultPlan(seed=7, server_error=ServerError(probability=0.5))
    first, second = start(plan), start(plan)

    first_statuses = [get(first).status_code for _ in range(20)]
    second_statuses = [get(second).status_code for _ in range(20)]

    assert first_statuses == second_statuses
    assert 200 in first_statuses
    assert set(first_statuses) - {200} <= {500, 502, 503}
    assert set(first_statuses) != {200}


def test_latency_delays_the_answer(start: Start) -> None:
    running = start(FaultPlan(latency=Latency(probability=1.0, ms=200)))

    started = time.monotonic()
    response = get(running)

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.2


def test_dropped_connection_gets_no_answer(start: Start) -> None:
    running = start(FaultPlan(drop_connection=DropConnection(every=1)))

    with pytest.raises(httpx.TransportError):
        patch(running, running.stored["revision_id"])

    assert running.stored["name"] == "Faulty"
    assert running.emulator.requests[0]["status"] is None


def test_connection_dropped_after_handling_applies_the_write(
    start: Start,
) -> None:
    plan = FaultPlan(drop_connection=DropConnection(every=1, after_handling=True))
    running = start(plan)

    with pytest.raises(httpx.TransportError):
        patch(running, running.stored["revision_id"])

    assert running.stored["name"] == "renamed"


def test_slow_body_trickles_a_complete_answer(start: Start) -> None:
    running = start(FaultPlan(slow_body=SlowBody(probability=1.0, ms=300)))
    started = time.monotonic()
    with running.http.stream("GET", f"/projects/{PROJECT_ID}") as response:
        headers_after = time.monotonic() - started
        body = json.loads(response.read())
    body_after = time.monotonic() - started

    assert body["id"] == PROJECT_ID
    assert headers_after < 0.2
    assert body_after >= 0.25


def test_concurrent_editor_makes_revisioned_writers_meet_409(
    start: Start,
) -> None:
    running = start(FaultPlan(concurrent_editor=ConcurrentEditor(every=1)))
    revision = get(running).json()["revision_id"]

    response = patch(running, revision)

    assert response.status_code == 409
    assert running.stored["name"] == "Faulty (edited)"
    assert running.stored["revision_id"] != revision


def test_concurrent_editor_toggles_its_suffix(start: Start) -> None:
    running = start(FaultPlan(concurrent_editor=ConcurrentEditor(every=1)))

    for _ in range(2):
        patch(running, "any")

    assert running.stored["name"] == "Faulty"


def test_stale_read_answers_the_revision_before_the_last_write(
    start: Start,
) -> None:
    running = start(FaultPlan(stale_read=StaleRead(probability=1.0)))
    before = running.stored["revision_id"]
    written = patch(running, before).json()["project"]

    read = get(running).json()

    assert written["revision_id"] != before
    assert read["revision_id"] == before


def test_faults_apply_only_to_the_planned_methods(start: Start) -> None:
    plan = FaultPlan(methods=("PATCH",), server_error=ServerError(probability=1.0))
    running = start(plan)

    assert get(running).status_code == 200
    assert patch(running, "any").status_code >= 500


def test_admin_endpoint_changes_the_plan_at_run_time(start: Start) -> None:
    running = start()
    admin = httpx.Client(base_url=f"{running.emulator.base_url}/__emulator")

    changed = admin.post("/faults", json={"rate_limit": {"every": 1}})
    limited = get(running)
    shown = admin.get("/faults").json()
    refused = admin.post("/faults", json={"rate_limit": {"often": True}})
    cleared = admin.post("/faults", json={})
    admin.close()

    assert changed.status_code == 200
    assert limited.status_code == 429
    assert shown["rate_limit"]["every"] == 1
    assert refused.status_code == 400
    assert cleared.status_code == 200
    assert get(running).status_code == 200
    assert [
        entry["path"].startswith("/projects") for entry in running.emulator.requests
    ] == [
        True,
        True,
    ]


def test_fault_plan_loads_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "faults.yaml"
    path.write_text(
        "seed: 3\nmethods: [patch]\nserver_error: {probability: 0.2, statuses: [503]}\n"
        "concurrent_editor: {every: 4, path: /services/identity/config/x}\n"
    )

    plan = FaultPlan.load(path)

    assert plan.seed == 3
    assert plan.methods == ("PATCH",)
    assert plan.server_error == ServerError(probability=0.2, statuses=(503,))
    assert plan.concurrent_editor.path == "/services/identity/config/x"
    with pytest.raises(ValueError, match="probability"):
        FaultPlan.from_dict({"latency": {"probability": 2}})


def test_killed_during_a_burst_of_writes_restarts_with_every_acknowledged_write(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state.json"
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"rate_limit": {"every": 5}}))
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"id": PROJECT_ID, "services": {}}))
    command = [sys.executable, "-m", "reconciler.emulator", "serve", "--no-rewrites"]
    command += ["--state", str(state), "--seed", str(seed), "--faults", str(faults)]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "ORY_WORKSPACE_API_KEY": KEY},
    )
    assert process.stdout is not None
    base_url = process.stdout.readline().strip()
    acknowledged: list[str] = []

    def writer(number: int) -> None:
        with httpx.Client(base_url=base_url, headers=HEADERS) as client:
            for attempt in range(10_000):
                key = f"k{number}_{attempt}"
                try:
                    response = client.patch(
                        f"/projects/{PROJECT_ID}",
                        json=[{"op": "add", "path": f"/{key}", "value": attempt}],
                    )
                except httpx.TransportError:
                    return
                if response.status_code == 200:
                    acknowledged.append(key)

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in writers:
        thread.start()
    while len(acknowledged) < 30:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    for thread in writers:
        thread.join()

    assert json.loads(state.read_text())["projects"][PROJECT_ID]
    with Emulator(state_path=state, api_keys=[KEY]) as restarted:
        stored = restarted.project(PROJECT_ID)
    assert [key for key in acknowledged if key not in stored] == []
    assert list(tmp_path.glob(".state.json.*")) == []


OUT_OF_RANGE = [
    ({"server_error": {"statuses": [200]}}, "server_error.statuses: 200 is not"),
    ({"server_error": {"statuses": [999]}}, "server_error.statuses: 999 is not"),
    ({"server_error": {"statuses": [429]}}, "server_error.statuses: 429 is not"),
    ({"server_error": {"statuses": []}}, "server_error.statuses must be a non-empty"),
    ({"server_error": {"statuses": ["500"]}}, "server_error.statuses: '500' is not"),
    ({"latency": {"probability": 1.5}}, "latency.probability must be a number"),
    ({"rate_limit": {"probability": -0.1}}, "rate_limit.probability must be"),
    ({"stale_read": {"probability": True}}, "stale_read.probability must be"),
    ({"drop_connection": {"every": -1}}, "drop_connection.every must be an integer"),
    ({"drop_connection": {"every": 1.5}}, "drop_connection.every must be"),
    ({"latency": {"ms": -5}}, "latency.ms must be an integer from 0 to 60000"),
    ({"latency": {"ms": 60_001}}, "latency.ms must be an integer from 0 to 60000"),
    ({"slow_body": {"ms": 10**9}}, "slow_body.ms must be an integer from 0 to"),
    ({"rate_limit": {"retry_after_seconds": -1}}, "rate_limit.retry_after_seconds"),
    ({"rate_limit": {"retry_after_seconds": 10**6}}, "rate_limit.retry_after_seconds"),
    ({"drop_connection": {"after_handling": 1}}, "drop_connection.after_handling"),
    ({"concurrent_editor": {"path": "name"}}, "concurrent_editor.path: 'name' is"),
    ({"concurrent_editor": {"path": ""}}, "concurrent_editor.path must name a key"),
    ({"methods": ["FETCH"]}, "methods: 'FETCH' is not one of"),
    ({"methods": "PATCH"}, "methods must be a list"),
    ({"seed": "x"}, "seed must be an integer"),
]


def test_the_admin_endpoint_refuses_a_value_out_of_range_naming_the_field(
    start: Start,
) -> None:
    running = start(FaultPlan(rate_limit=RateLimit(every=3)))
    admin = httpx.Client(base_url=f"{running.emulator.base_url}/__emulator")

    refused = [admin.post("/faults", json=plan) for plan, _ in OUT_OF_RANGE]
    shown = admin.get("/faults").json()
    admin.close()

    assert [r.status_code for r in refused] == [400] * len(OUT_OF_RANGE)
    reasons = [r.json()["error"]["reason"] for r in refused]
    assert [
        reason
        for reason, (_, message) in zip(reasons, OUT_OF_RANGE, strict=True)
        if not reason.startswith(message)
    ] == []
    assert FaultPlan.from_dict(shown) == FaultPlan(rate_limit=RateLimit(every=3))


@pytest.mark.parametrize(("plan", "message"), OUT_OF_RANGE)
def test_a_plan_file_with_a_value_out_of_range_is_refused_naming_the_field(
    tmp_path: Path, plan: dict[str, Any], message: str
) -> None:
    path = tmp_path / "faults.json"
    path.write_text(json.dumps(plan))

    with pytest.raises(EmulatorSetupError) as raised:
        FaultPlan.load(path)

    assert str(raised.value).startswith(f"fault plan {path}: {message}")


def test_a_plan_built_in_code_is_checked_like_one_from_a_file() -> None:
    with pytest.raises(ValueError, match=r"server_error\.statuses: 200"):
        FaultPlan(server_error=ServerError(statuses=(200,)))
    with pytest.raises(ValueError, match=r"latency\.ms"):
        FaultPlan(latency=Latency(ms=-1))


def test_the_bounds_themselves_are_accepted(start: Start) -> None:
    plan = {
        "server_error": {"statuses": [500, 599], "every": 0},
        "latency": {"probability": 0, "ms": 60_000},
        "rate_limit": {"probability": 1, "retry_after_seconds": 3600},
        "slow_body": {"ms": 0},
        "concurrent_editor": {"path": "/services/identity/config/a~1b"},
        "methods": ["get", "PATCH"],
    }
    running = start()
    admin = httpx.Client(base_url=f"{running.emulator.base_url}/__emulator")

    accepted = admin.post("/faults", json=plan)
    admin.close()

    assert accepted.status_code == 200
    assert accepted.json()["server_error"]["statuses"] == [500, 599]
    assert accepted.json()["methods"] == ["GET", "PATCH"]
    assert get(running).status_code == 429
