"""Print, as a Markdown table, how each project operation of the spec fares
against the emulator.

Runs the conformance tests (official Python SDK, official TypeScript SDK,
spec fuzzing) in this process and reads the exchanges they record. Per
operation:

- statuses exercised: every status any of the runs met;
- schema-valid: every answer body of the operation matched the spec;
- Python SDK: the SDK called it and every test that did passed;
- TypeScript SDK: the SDK called it, every call answered the documented
  status with a body the spec allows and the fields the caller expects.

The test output goes to stderr, the table to stdout; the exit status is 1
unless every operation conforms.

    python scripts/conformance_table.py
"""

from __future__ import annotations

import contextlib
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
TEST_FILES = ("test_sdk_python.py", "test_sdk_typescript.py", "test_spec_fuzz.py")

sys.path.insert(0, str(TESTS))
from conformance import EXCHANGE, project_operations  # noqa: E402


@dataclass
class Recorder:
    """A pytest plugin keeping each test's outcome and recorded exchanges."""

    failed: set[str] = field(default_factory=set)
    exchanges: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.failed.add(report.nodeid)
        # Every phase's report carries the properties recorded so far.
        self.exchanges[report.nodeid] = [
            cast(dict[str, Any], value)
            for name, value in report.user_properties
            if name == EXCHANGE
        ]


@dataclass
class Row:
    statuses: set[int] = field(default_factory=set)
    schema_valid: bool = True
    # Per client: whether it was exercised with a success, and whether all
    # went well.
    succeeded: dict[str, bool] = field(default_factory=lambda: defaultdict(bool))
    sound: dict[str, bool] = field(default_factory=lambda: defaultdict(lambda: True))

    def ok(self, client: str) -> bool:
        return self.succeeded[client] and self.sound[client]

    def conforms(self) -> bool:
        return (
            bool(self.statuses)
            and self.schema_valid
            and self.ok("python-sdk")
            and self.ok("typescript-sdk")
        )


def collect(recorder: Recorder) -> dict[str, Row]:
    rows = {operation: Row() for operation in project_operations()}
    for nodeid, exchanges in recorder.exchanges.items():
        passed = nodeid not in recorder.failed
        for exchange in exchanges:
            row = rows[exchange["operation"]]
            client = exchange["client"]
            row.statuses.add(exchange["status"])
            row.schema_valid &= exchange["schema_valid"]
            row.succeeded[client] |= 200 <= exchange["status"] < 300
            row.sound[client] &= passed and exchange["ok"] and exchange["schema_valid"]
    return rows


def table(rows: dict[str, Row]) -> str:
    def mark(value: bool) -> str:
        return "yes" if value else "no"

    lines = [
        "| Operation | Statuses exercised | Schema-valid | Python SDK | TypeScript SDK |",
        "| --- | --- | --- | --- | --- |",
    ]
    for operation, row in rows.items():
        statuses = ", ".join(str(status) for status in sorted(row.statuses)) or "-"
        schema_valid = bool(row.statuses) and row.schema_valid
        lines.append(
            f"| {operation} | {statuses} | {mark(schema_valid)} "
            f"| {mark(row.ok('python-sdk'))} | {mark(row.ok('typescript-sdk'))} |"
        )
    conforming = sum(row.conforms() for row in rows.values())
    lines.append("")
    lines.append(f"{conforming} of {len(rows)} operations conform.")
    return "\n".join(lines) + "\n"


def main() -> int:
    recorder = Recorder()
    arguments = [str(TESTS / name) for name in TEST_FILES]
    with contextlib.redirect_stdout(sys.stderr):
        pytest.main(
            [*arguments, "-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT)],
            plugins=[recorder],
        )
    rows = collect(recorder)
    sys.stdout.write(table(rows))
    return 0 if all(row.conforms() for row in rows.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
