"""What the conformance tests share: the spec's project operations, a record
of each exchange with the emulator, a guard that keeps every connection on
the loopback interface, and a seed for a project with several members.

A test records an exchange as a pytest user property named `exchange`
(`record_exchange`), so `scripts/conformance_table.py` can tell, per
operation, which statuses were exercised, whether every body matched the
spec and whether each official SDK handled it.
"""

from __future__ import annotations

import functools
import json
import re
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from spec_check import SPEC_PATH, validate_response

EXCHANGE = "exchange"
LOOPBACK_HOSTS = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, as a conformance run saw it."""

    # Who sent it: "python-sdk", "typescript-sdk" or "fuzz".
    client: str
    operation: str
    status: int
    schema_valid: bool
    # Whether the client handled the answer as the spec documents it.
    ok: bool = True


class LeftLoopback(AssertionError):
    """A request was about to leave 127.0.0.1."""


@functools.cache
def _project_routes() -> tuple[tuple[str, re.Pattern[str], str], ...]:
    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    routes = []
    for template, methods in spec["paths"].items():
        for method, operation in methods.items():
            if isinstance(operation, dict) and "project" in operation.get("tags", ()):
                pattern = re.sub(r"\{\w+\}", "[^/]+", template)
                routes.append(
                    (
                        method.upper(),
                        re.compile(f"^{pattern}$"),
                        operation["operationId"],
                    )
                )
    return tuple(routes)


def project_operations() -> tuple[str, ...]:
    """The operation ids of the spec's `project` tag, in the spec's order."""
    return tuple(operation for _, _, operation in _project_routes())


def operation_of(method: str, path: str) -> str:
    """The project operation a request path names; KeyError otherwise."""
    for route_method, pattern, operation in _project_routes():
        if route_method == method.upper() and pattern.match(path):
            return operation
    raise KeyError(f"{method} {path} is no project operation")


def schema_error(operation: str, status: int, body: Any) -> str | None:
    """Why `body` is not what the spec gives this answer, or None if it is."""
    try:
        validate_response(operation, status, body)
    except (jsonschema.ValidationError, AssertionError) as error:
        return str(error).splitlines()[0]
    return None


def record_exchange(node: pytest.Item, exchange: Exchange) -> None:
    """Keeps the exchange with the test's report."""
    node.user_properties.append((EXCHANGE, asdict(exchange)))


def refuse_non_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Makes every TCP connect of this process to anything but 127.0.0.1 (or
    ::1) raise LeftLoopback, for the rest of the test."""
    connect = socket.socket.connect

    def guarded(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if host not in LOOPBACK_HOSTS:
                raise LeftLoopback(f"refused a connection to {host}")
        connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def write_team_seed(path: Path, project_id: str) -> Path:
    """Writes an emulator seed: a project with an owner and a viewer."""
    members = [
        {"email": "ada@example.com", "name": "Ada", "role": "owner"},
        {"email": "bob@example.com", "name": "Bob", "role": "viewer"},
    ]
    seed = {"id": project_id, "name": "Team", "x-emulator": {"members": members}}
    path.write_text(yaml.safe_dump(seed), encoding="utf-8")
    return path
