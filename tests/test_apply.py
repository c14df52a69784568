"""Apply against a project that another writer is changing at the same time."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.apply import ConflictPolicy, ConflictsExhausted, apply_manifest
from reconciler.client import ProjectClient, RetryPolicy
from reconciler.emulator import Emulator, FaultPlan
from reconciler.emulator.faults import Latency
from reconciler.manifest import load_manifests
from reconciler.manifest.model import Manifest
from reconciler.render import outcome_text
from tests.conftest import API_KEY, CORPUS_PROJECT_ID, PROJECT_DOCUMENT

ERROR_UI = "/services/identity/config/selfservice/flows/error/ui_url"
LIFESPAN = "/services/identity/config/session/lifespan"


class SecondWriter(httpx.HTTPTransport):
    """Lets another writer change the project just before each of our first writes."""

    def __init__(self, edit: Callable[[int], None], times: int) -> None:
        super().__init__()
        self.edit = edit
        self.times = times
        self.writes = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH" and self.writes < self.times:
            self.edit(self.writes)
            self.writes += 1
        return super().handle_request(request)


def manifest(tmp_path: Path, body: str) -> Manifest:
    path = tmp_path / "project.yaml"
    path.write_text(f"project: {CORPUS_PROJECT_ID}\n{body}")
    [loaded] = load_manifests([path], environ={}).manifests
    return loaded


def no_wait() -> ConflictPolicy:
    return ConflictPolicy(sleep=lambda _: None, rng=random.Random(1))


def test_a_concurrent_edit_of_another_key_survives_the_retry(
    emulator: Emulator, tmp_path: Path
) -> None:
    wanted = manifest(
        tmp_path,
        "services:\n  identity:\n    config:\n      session:\n        lifespan: 48h\n",
    )

    def edit(n: int) -> None:
        emulator.edit_project(
            CORPUS_PROJECT_ID,
            [
                {
                    "op": "replace",
                    "path": ERROR_UI,
                    "value": f"https://errors.example/{n}",
                }
            ],
        )

    writer = SecondWriter(edit, times=3)
    with ProjectClient(emulator.base_url, API_KEY, transport=writer) as api:
        outcome = apply_manifest(api, wanted, policy=no_wait())

    assert outcome.attempts == 4 and outcome.applied and not outcome.not_converged
    config = emulator.project(CORPUS_PROJECT_ID)["services"]["identity"]["config"]
    assert (
        config["selfservice"]["flows"]["error"]["ui_url"] == "https://errors.example/2"
    )
    assert config["session"]["lifespan"] == "48h0m0s"


def test_on_the_same_key_the_manifest_wins_and_says_it_retried(
    emulator: Emulator, tmp_path: Path, reconcile: Any
) -> None:
    wanted = manifest(tmp_path, "name: From the manifest\n")

    def edit(n: int) -> None:
        emulator.edit_project(
            CORPUS_PROJECT_ID,
            [{"op": "replace", "path": "/name", "value": f"Console {n}"}],
        )

    writer = SecondWriter(edit, times=2)
    with ProjectClient(emulator.base_url, API_KEY, transport=writer) as api:
        outcome = apply_manifest(api, wanted, policy=no_wait())

    assert outcome.retried
    assert emulator.project(CORPUS_PROJECT_ID)["name"] == "From the manifest"
    assert "the revision moved 2 time(s) during apply" in outcome_text(outcome)


def test_a_revision_that_never_stops_moving_is_an_error_not_a_loop(
    emulator: Emulator, tmp_path: Path
) -> None:
    wanted = manifest(tmp_path, "name: Never lands\n")

    def edit(n: int) -> None:
        emulator.edit_project(
            CORPUS_PROJECT_ID, [{"op": "replace", "path": ERROR_UI, "value": f"/e/{n}"}]
        )

    writer = SecondWriter(edit, times=100)
    with (
        ProjectClient(emulator.base_url, API_KEY, transport=writer) as api,
        pytest.raises(ConflictsExhausted),
    ):
        apply_manifest(api, wanted, policy=no_wait())

    assert emulator.project(CORPUS_PROJECT_ID)["name"] != "Never lands"


def test_a_writer_editing_several_times_a_second_loses_nothing(
    tmp_path: Path, reconcile: Any
) -> None:
    server = Emulator(
        state_path=tmp_path / "state.json",
        api_keys=[API_KEY],
        seeds=[PROJECT_DOCUMENT],
        faults=FaultPlan(latency=Latency(every=1, ms=60)),
    )
    path = tmp_path / "project.yaml"
    path.write_text(
        f"project: {CORPUS_PROJECT_ID}\nname: Reconciled\nservices:\n  identity:\n"
        "    config:\n      session:\n        lifespan: 48h\n"
        "      selfservice:\n        flows:\n          login:\n            lifespan: 15m\n"
    )
    stop = threading.Event()
    edits: list[str] = []

    def second_writer() -> None:
        n = 0
        while not stop.is_set():
            value = f"https://errors.example/{n}"
            server.edit_project(
                CORPUS_PROJECT_ID, [{"op": "replace", "path": ERROR_UI, "value": value}]
            )
            edits.append(value)
            n += 1
            time.sleep(0.2)

    with server:
        thread = threading.Thread(target=second_writer)
        thread.start()
        try:
            result = reconcile("apply", "--api-url", server.base_url, str(path))
        finally:
            stop.set()
            thread.join()
        final = server.project(CORPUS_PROJECT_ID)

    assert result.exit_code == 0, result.stdout + result.stderr
    config = final["services"]["identity"]["config"]
    assert final["name"] == "Reconciled"
    assert config["session"]["lifespan"] == "48h0m0s"
    assert config["selfservice"]["flows"]["login"]["lifespan"] == "15m0s"
    assert config["selfservice"]["flows"]["error"]["ui_url"] == edits[-1]


class LoseFirstAnswer(httpx.HTTPTransport):
    """Delivers the first write, then loses its answer, as a dropped connection does."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.method == "PATCH" and not self.lost:
            self.lost = True
            response.close()
            raise httpx.RemoteProtocolError("connection closed", request=request)
        return response


def test_a_write_whose_answer_was_lost_is_reported_as_such(
    emulator: Emulator, tmp_path: Path
) -> None:
    wanted = manifest(tmp_path, "name: Written once\n")
    retry = RetryPolicy(sleep=lambda _: None)

    with ProjectClient(
        emulator.base_url, API_KEY, transport=LoseFirstAnswer(), retry=retry
    ) as api:
        outcome = apply_manifest(api, wanted, policy=no_wait())

    assert emulator.project(CORPUS_PROJECT_ID)["name"] == "Written once"
    assert "an earlier write whose answer was lost" in outcome_text(outcome)
