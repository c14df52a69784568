"""Shared fixtures: the emulator on a loopback port and the command line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
PROJECT_DOCUMENT = (
    CORPUS / "ory__cli__cmd__cloudx__project__fixtures__update__json__config.json"
)
CORPUS_PROJECT_ID = "6f0cae50-182d-8f7a-afdd-f83f3fa1f30c"
API_KEY = "ory_wak_fake_test_key_0123456789"


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    """An emulator holding the real project document from the corpus."""
    server = Emulator(
        state_path=tmp_path / "emulator-state.json",
        api_keys=[API_KEY],
        seeds=[PROJECT_DOCUMENT],
    )
    with server:
        yield server


@pytest.fixture
def reconcile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """Runs the ``reconcile`` command in-process, in a scratch directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ORY_WORKSPACE_API_KEY", API_KEY)
    monkeypatch.delenv("ORY_CONSOLE_API_URL", raising=False)

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        outcome = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
        return Result(outcome.exit_code, outcome.stdout, outcome.stderr)

    return run
