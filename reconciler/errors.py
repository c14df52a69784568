"""Errors a user can cause, and the exit codes every command shares."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    CHANGES = 2
    NOT_CONVERGED = 3
    INTERRUPTED = 130


class ReconcileError(Exception):
    """An error reported to the user as one line, without a traceback."""

    exit_code = ExitCode.ERROR


@dataclass(frozen=True)
class Location:
    """Where a value was written: a file and, when known, a 1-based line."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


class ManifestError(ReconcileError):
    """A manifest that cannot be used, with the place that is wrong."""

    def __init__(self, location: Location, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location = location
        self.message = message


class ManifestErrors(ReconcileError):
    """Every problem found in a set of manifests, reported together."""

    def __init__(self, errors: list[ManifestError]) -> None:
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = errors
