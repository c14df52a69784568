"""The emulator's core: getProject, patchProjectWithRevision, auth, state,
seeds, the request log and the `serve` command."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from reconciler.emulator import Emulator
from reconciler.emulator.cli import emulator as emulator_cli

CORPUS = Path(__file__).parents[1] / ".." / "shared" / "corpus"
PROJECT_SEED = (
    CORPUS / "ory__cli__cmd__cloudx__project__fixtures__update__json__config.json"
)
PROJECT_ID = "6f0cae50-182d-8f7a-afdd-f83f3fa1f30c"
SEED_REVISION = "cb047662-6232-4bc7-935e-0747093e4906"
KEY = "ory_wak_test"


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "state.json"


@pytest.fixture
def emulator(state_path: Path, tmp_path: Path) -> Iterator[Emulator]:
    with Emulator(
        state_path=state_path,
        api_keys=[KEY],
        seeds=[PROJECT_SEED],
        rewrites=False,
        request_log=tmp_path / "requests.jsonl",
    ) as started:
        yield started


@pytest.fixture
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=emulator.base_url, headers=headers) as http:
        yield http


def rename(client: httpx.Client, revision: str, name: str) -> httpx.Response:
    return client.patch(
        f"/projects/{PROJECT_ID}/revision/{revision}",
        json=[{"op": "replace", "path": "/name", "value": name}],
    )


def test_get_project_answers_the_seeded_document(client: httpx.Client) -> None:
    response = client.get(f"/projects/{PROJECT_ID}")

    assert response.status_code == 200
    project = response.json()
    assert project["id"] == PROJECT_ID
    assert project["revision_id"] == SEED_REVISION
    assert project["services"]["permission"]["config"]["limit"] == {"max_read_depth": 3}


def test_seed_is_completed_with_the_documented_defaults(client: httpx.Client) -> None:
    project = client.get(f"/projects/{PROJECT_ID}").json()

    assert project["environment"] == "prod"
    assert project["home_region"] == "eu-central"
    assert project["organizations"] == []
    assert project["slug"] == "silly-hofstadter-e5balirqq2"
    assert project["state"] == "running"


def test_patch_with_the_current_revision_applies_and_makes_a_new_revision(
    client: httpx.Client, emulator: Emulator
) -> None:
    response = rename(client, SEED_REVISION, "renamed")

    assert response.status_code == 200
    body = response.json()
    assert body["warnings"] == []
    assert body["project"]["name"] == "renamed"
    assert body["project"]["revision_id"] not in (SEED_REVISION, None)
    assert emulator.project(PROJECT_ID)["revision_id"] == body["project"]["revision_id"]
    assert client.get(f"/projects/{PROJECT_ID}").json()["name"] == "renamed"


def test_patch_with_a_stale_revision_is_a_conflict(client: httpx.Client) -> None:
    assert rename(client, SEED_REVISION, "first").status_code == 200

    response = rename(client, SEED_REVISION, "second")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == 409
    assert client.get(f"/projects/{PROJECT_ID}").json()["name"] == "first"


def test_patch_that_cannot_apply_is_a_bad_request_with_the_reason(
    client: httpx.Client,
) -> None:
    response = client.patch(
        f"/projects/{PROJECT_ID}/revision/{SEED_REVISION}",
        json=[{"op": "remove", "path": "/services/nothing/here"}],
    )

    assert response.status_code == 400
    assert "nothing" in response.json()["error"]["reason"]


@pytest.mark.parametrize(
    "body",
    [{"op": "replace"}, [{"path": "/name"}], [{"op": "add", "path": "/x"}], "oops"],
)
def test_body_that_is_not_a_json_patch_is_a_bad_request(
    client: httpx.Client, body: object
) -> None:
    response = client.patch(
        f"/projects/{PROJECT_ID}/revision/{SEED_REVISION}", json=body
    )

    assert response.status_code == 400


def test_unknown_project_is_not_found(client: httpx.Client) -> None:
    assert client.get("/projects/no-such-project").status_code == 404
    missing = client.patch(f"/projects/nope/revision/{SEED_REVISION}", json=[])
    assert missing.status_code == 404


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Basic " + KEY])
def test_missing_or_unknown_key_is_unauthorized_in_ory_envelope(
    emulator: Emulator, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = httpx.get(f"{emulator.base_url}/projects/{PROJECT_ID}", headers=headers)

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["status"] == "Unauthorized"
    assert error["message"] == "Access credentials are invalid"
    assert error["request"]


def test_project_api_key_is_forbidden_to_read_or_write(emulator: Emulator) -> None:
    headers = {"Authorization": "Bearer ory_pat_project"}
    url = f"{emulator.base_url}/projects/{PROJECT_ID}"

    read = httpx.get(url, headers=headers)
    write = httpx.patch(f"{url}/revision/{SEED_REVISION}", json=[], headers=headers)

    assert (read.status_code, write.status_code) == (403, 403)
    assert emulator.project(PROJECT_ID)["revision_id"] == SEED_REVISION


def test_state_survives_a_restart(
    client: httpx.Client, emulator: Emulator, state_path: Path
) -> None:
    revision = rename(client, SEED_REVISION, "kept").json()["project"]["revision_id"]
    emulator.stop()

    with Emulator(state_path=state_path, api_keys=[KEY], seeds=[PROJECT_SEED]) as again:
        # The seed is not loaded again: the project is in the state already.
        assert again.project(PROJECT_ID)["name"] == "kept"
        assert again.project(PROJECT_ID)["revision_id"] == revision


def test_state_file_is_replaced_whole_and_leaves_no_temporary_files(
    client: httpx.Client, state_path: Path
) -> None:
    rename(client, SEED_REVISION, "written")

    state = json.loads(state_path.read_text())
    assert state["projects"][PROJECT_ID]["document"]["name"] == "written"
    assert [p.name for p in state_path.parent.iterdir() if p.suffix == ".tmp"] == []


def test_parallel_writers_lose_no_revision(client: httpx.Client) -> None:
    successes: list[str] = []

    def writer(number: int) -> None:
        with httpx.Client(base_url=str(client.base_url), headers=client.headers) as own:
            for attempt in range(10):
                revision = own.get(f"/projects/{PROJECT_ID}").json()["revision_id"]
                response = own.patch(
                    f"/projects/{PROJECT_ID}/revision/{revision}",
                    json=[{"op": "add", "path": f"/w{number}_{attempt}", "value": 1}],
                )
                if response.status_code == 200:
                    successes.append(f"w{number}_{attempt}")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    project = client.get(f"/projects/{PROJECT_ID}").json()
    assert successes
    assert all(key in project for key in successes)
    assert sum(key.startswith("w") and key[1].isdigit() for key in project) == len(
        successes
    )


def test_ensure_project_creates_once_out_of_band(emulator: Emulator) -> None:
    emulator.ensure_project("11111111-2222-4333-8444-555555555555", name="Made")
    created = emulator.project("11111111-2222-4333-8444-555555555555")
    emulator.ensure_project("11111111-2222-4333-8444-555555555555", name="Other")

    assert emulator.project("11111111-2222-4333-8444-555555555555") == created
    assert created["name"] == "Made"
    assert created["state"] == "running"
    assert emulator.requests == []


def test_edit_project_makes_a_new_revision_that_stales_writers(
    client: httpx.Client, emulator: Emulator
) -> None:
    emulator.edit_project(
        PROJECT_ID, [{"op": "replace", "path": "/name", "value": "b"}]
    )

    assert emulator.project(PROJECT_ID)["name"] == "b"
    assert rename(client, SEED_REVISION, "a").status_code == 409


def test_request_log_has_one_line_per_request_without_body_or_key(
    client: httpx.Client, emulator: Emulator, tmp_path: Path
) -> None:
    client.get(f"/projects/{PROJECT_ID}")
    new_revision = rename(client, SEED_REVISION, "secret-name").json()["project"][
        "revision_id"
    ]

    text = (tmp_path / "requests.jsonl").read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines == emulator.requests
    assert [line["status"] for line in lines] == [200, 200]
    write = lines[1]
    assert write["method"] == "PATCH"
    assert write["project_id"] == PROJECT_ID
    assert write["revision_before"] == SEED_REVISION
    assert write["revision_after"] == new_revision
    assert isinstance(write["duration_ms"], float)
    assert "secret-name" not in text
    assert KEY not in text


def test_serve_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        emulator_cli,
        ["serve", "--state", str(tmp_path / "s.json")],
        env={"ORY_WORKSPACE_API_KEY": None},
    )

    assert result.exit_code != 0
    assert "API key" in result.output


def test_serve_prints_the_base_url_and_serves_until_terminated(tmp_path: Path) -> None:
    env = {**os.environ, "ORY_WORKSPACE_API_KEY": KEY}
    command = [sys.executable, "-m", "reconciler.emulator", "serve", "--no-rewrites"]
    command += ["--seed", str(PROJECT_SEED), "--state", str(tmp_path / "s.json")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        headers = {"Authorization": f"Bearer {KEY}"}
        response = httpx.get(f"{base_url}/projects/{PROJECT_ID}", headers=headers)
        assert base_url.startswith("http://127.0.0.1:")
        assert response.status_code == 200
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_a_body_too_large_to_hold_is_refused_unread(tmp_path: Path) -> None:
    with Emulator(state_path=tmp_path / "state.json", api_keys=["ory_wak_k"]) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as peer:
            peer.sendall(
                b"PATCH /projects/x HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Length: 99999999999\r\n\r\n"
            )
            answer = peer.recv(4096).decode()

    assert answer.startswith("HTTP/1.0 413") or answer.startswith("HTTP/1.1 413")
