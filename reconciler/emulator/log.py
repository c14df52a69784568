"""The request log: one JSON line per request, never a body or a key.

Each entry has `method`, `path`, `operation` (the operationId, or null),
`project_id` (as named in the path, or the project created), `status` (null
when the connection was dropped), `revision_before`, `revision_after`,
`duration_ms` (until the answer was ready to send) and, when a fault struck,
`fault`.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from reconciler.emulator.errors import EmulatorSetupError

logger = logging.getLogger(__name__)


class RequestLog:
    """Keeps the entries in memory and appends them to `path` if given."""

    def __init__(self, path: Path | None = None) -> None:
        """EmulatorSetupError when `path` cannot be appended to."""
        self._path = path
        self._entries: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        if path is not None:
            try:
                path.open("a", encoding="utf-8").close()
            except OSError as error:
                raise EmulatorSetupError(
                    f"cannot write request log {path}: {error.strerror or error}"
                ) from error

    def append(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, sort_keys=True)
        with self._lock:
            self._entries.append(entry)
            if self._path is not None:
                with self._path.open("a", encoding="utf-8") as file:
                    file.write(line + "\n")
        logger.info(
            "request: method=%s path=%s status=%s duration_ms=%s",
            entry["method"],
            entry["path"],
            entry["status"],
            entry["duration_ms"],
        )

    def entries(self) -> list[dict[str, Any]]:
        """A copy of the entries so far."""
        with self._lock:
            return list(self._entries)
