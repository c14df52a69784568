"""Bad manifests through the command line: one line per error, exit 1, no request."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.manifest_cases import CASES, HOSTILE, Case


@pytest.fixture
def silent_api() -> Iterator[tuple[str, socket.socket]]:
    """A loopback port that accepts connections but never answers; tells if any came."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", listener
    listener.close()


def assert_refused(case: Case, reconcile: Any, api: tuple[str, socket.socket]) -> None:
    url, listener = api
    expected = [f"error: {line}" for line in case.expected.splitlines()]
    secrets = ("--secrets-dir", str(case.secrets_dir))

    for command in (
        ["validate", *secrets, str(case.path)],
        ["plan", "--api-url", url, *secrets, str(case.path)],
        ["apply", "--api-url", url, *secrets, str(case.path)],
    ):
        result = reconcile(*command, env={"ORY_WORKSPACE_API_KEY": "ory_wak_fake"})
        assert result.exit_code == 1, (command, result.stdout)
        assert result.stderr.splitlines() == expected, command
        assert result.stdout == ""

    with pytest.raises(BlockingIOError):
        listener.accept()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_a_bad_manifest_is_refused_before_any_request(
    case: Case, reconcile: Any, silent_api: tuple[str, socket.socket]
) -> None:
    assert_refused(case, reconcile, silent_api)


@pytest.mark.parametrize("build", HOSTILE, ids=lambda build: build.__name__)
def test_a_hostile_manifest_is_refused_before_any_request(
    build: Any, reconcile: Any, silent_api: tuple[str, socket.socket], tmp_path: Path
) -> None:
    assert_refused(build(tmp_path / "hostile"), reconcile, silent_api)
