"""The project API client against the emulator: retries, errors, read-only runs."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.client import (
    ApiError,
    ProjectClient,
    RetriesExhausted,
    RetryPolicy,
    RevisionConflict,
    WriteRefused,
)
from reconciler.emulator import Emulator, FaultPlan
from reconciler.emulator.faults import DropConnection, Latency, RateLimit, ServerError
from reconciler.errors import ReconcileError
from tests.conftest import API_KEY, CORPUS_PROJECT_ID, PROJECT_DOCUMENT


class Recorder(httpx.HTTPTransport):
    """A real transport that remembers every request it sent."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.method)
        return super().handle_request(request)


@pytest.fixture
def faulty(tmp_path: Path) -> Iterator[list[Emulator]]:
    """Starts emulators with a fault plan; stops them after the test."""
    started: list[Emulator] = []
    yield started
    for server in started:
        server.stop()


def serve(started: list[Emulator], tmp_path: Path, faults: FaultPlan) -> Emulator:
    server = Emulator(
        state_path=tmp_path / "state.json",
        api_keys=[API_KEY],
        seeds=[PROJECT_DOCUMENT],
        faults=faults,
    )
    server.start()
    started.append(server)
    return server


def client(server: Emulator, delays: list[float], **options: object) -> ProjectClient:
    policy = RetryPolicy(sleep=delays.append, rng=random.Random(7))
    return ProjectClient(server.base_url, API_KEY, retry=policy, **options)  # type: ignore[arg-type]


def test_a_rate_limit_is_retried_no_sooner_than_retry_after(
    faulty: list[Emulator], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = serve(
        faulty,
        tmp_path,
        FaultPlan(rate_limit=RateLimit(every=2, retry_after_seconds=3)),
    )
    delays: list[float] = []
    caplog.set_level(logging.INFO, logger="reconciler")

    with client(server, delays) as api:
        api.get_project(CORPUS_PROJECT_ID)
        project = api.get_project(CORPUS_PROJECT_ID)

    assert project["id"] == CORPUS_PROJECT_ID
    assert len(delays) == 1 and delays[0] >= 3
    assert any(
        "429" in r.getMessage() and "retry" in r.getMessage() for r in caplog.records
    )


def test_server_errors_are_retried_until_the_budget_runs_out(
    faulty: list[Emulator], tmp_path: Path
) -> None:
    server = serve(faulty, tmp_path, FaultPlan(server_error=ServerError(every=1)))
    delays: list[float] = []

    with client(server, delays) as api, pytest.raises(RetriesExhausted) as raised:
        api.get_project(CORPUS_PROJECT_ID)

    assert len(delays) == RetryPolicy().attempts - 1
    assert "gave up after 6 attempts" in str(raised.value)


def test_a_dropped_connection_is_retried(
    faulty: list[Emulator], tmp_path: Path
) -> None:
    server = serve(faulty, tmp_path, FaultPlan(drop_connection=DropConnection(every=2)))
    delays: list[float] = []

    with client(server, delays) as api:
        api.get_project(CORPUS_PROJECT_ID)
        api.get_project(CORPUS_PROJECT_ID)

    assert len(delays) == 1


def test_every_call_has_a_timeout(faulty: list[Emulator], tmp_path: Path) -> None:
    server = serve(faulty, tmp_path, FaultPlan(latency=Latency(every=1, ms=400)))
    delays: list[float] = []

    with (
        client(server, delays, timeout=0.1) as api,
        pytest.raises(RetriesExhausted) as raised,
    ):
        api.get_project(CORPUS_PROJECT_ID)

    assert "ReadTimeout" in str(raised.value)


def test_an_error_envelope_becomes_one_clear_message(emulator: Emulator) -> None:
    with (
        ProjectClient(emulator.base_url, API_KEY) as api,
        pytest.raises(ApiError) as raised,
    ):
        api.get_project("00000000-0000-0000-0000-000000000000")

    assert raised.value.status == 404
    assert str(raised.value).startswith(
        "GET /projects/00000000-0000-0000-0000-000000000000: 404 "
    )


def test_a_wrong_key_is_refused_with_the_services_message(emulator: Emulator) -> None:
    with (
        ProjectClient(emulator.base_url, "ory_wak_wrong") as api,
        pytest.raises(ApiError) as raised,
    ):
        api.get_project(CORPUS_PROJECT_ID)

    assert raised.value.status == 401
    assert "ory_wak_wrong" not in str(raised.value)


def test_a_stale_revision_is_a_conflict(emulator: Emulator) -> None:
    with ProjectClient(emulator.base_url, API_KEY) as api:
        live = api.get_project(CORPUS_PROJECT_ID)
        emulator.edit_project(
            CORPUS_PROJECT_ID, [{"op": "replace", "path": "/name", "value": "x"}]
        )
        with pytest.raises(RevisionConflict):
            api.patch_project(
                CORPUS_PROJECT_ID,
                live["revision_id"],
                [{"op": "replace", "path": "/name", "value": "y"}],
            )


def test_a_read_only_client_sends_no_write(emulator: Emulator) -> None:
    recorder = Recorder()

    with ProjectClient(
        emulator.base_url, API_KEY, read_only=True, transport=recorder
    ) as api:
        live = api.get_project(CORPUS_PROJECT_ID)
        with pytest.raises(WriteRefused):
            api.patch_project(CORPUS_PROJECT_ID, live["revision_id"], [])

    assert recorder.sent == ["GET"]
    assert {entry["method"] for entry in emulator.requests} == {"GET"}


@pytest.mark.parametrize(
    "key", ["ory_wak_fake_key_with_newline\n", " ory_wak_fake_key", "ory_wak_fäke_key"]
)
def test_a_key_a_header_cannot_carry_is_refused_unseen_and_unsent(
    emulator: Emulator, key: str
) -> None:
    with pytest.raises(ReconcileError) as raised:
        ProjectClient(emulator.base_url, key)

    assert key.strip() not in str(raised.value)
    assert emulator.requests == []


@pytest.mark.parametrize("url", ["127.0.0.1:4000", "ftp://127.0.0.1/", "http://"])
def test_an_api_url_that_is_not_http_is_refused_at_once(url: str) -> None:
    with pytest.raises(ReconcileError, match="must be an http"):
        ProjectClient(url, API_KEY)


class NotAProject(httpx.HTTPTransport):
    """Answers 200 with an error body, as a misbehaving proxy might."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        super().handle_request(request).close()
        return httpx.Response(200, json={"error": {"message": "upstream"}})


def test_a_200_that_is_not_the_project_is_an_error_not_a_live_state(
    emulator: Emulator,
) -> None:
    transport = NotAProject()

    with (
        ProjectClient(emulator.base_url, API_KEY, transport=transport) as api,
        pytest.raises(ReconcileError, match="not the project document"),
    ):
        api.get_project(CORPUS_PROJECT_ID)


def test_a_project_id_cannot_climb_out_of_its_path(emulator: Emulator) -> None:
    with ProjectClient(emulator.base_url, API_KEY) as api, pytest.raises(ApiError):
        api.get_project(f"{CORPUS_PROJECT_ID}/../{CORPUS_PROJECT_ID}")

    [request] = emulator.requests
    assert (
        request["path"] == f"/projects/{CORPUS_PROJECT_ID}%2F..%2F{CORPUS_PROJECT_ID}"
    )
