"""The emulator's state: project records kept in memory and in one JSON file.

Every change is written to a temporary file in the state file's directory,
flushed to disk and moved over the state file, so a crash leaves either the
old or the new state, never a torn file. Callers serialise the changes to one
project with `lock(project_id)`; the file itself is written under a store-wide
lock. One process owns a state file: on start it removes the temporary files
a killed predecessor left behind.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

_FORMAT_VERSION = 1


@dataclass
class ProjectRecord:
    """One project: its stored document and the resources around it."""

    document: dict[str, Any]
    created_at: str
    updated_at: str
    members: list[dict[str, Any]] = field(default_factory=list)
    api_keys: list[dict[str, Any]] = field(default_factory=list)
    onboarding_portal_links: list[dict[str, Any]] = field(default_factory=list)
    organization_created_at: dict[str, str] = field(default_factory=dict)

    @property
    def revision_id(self) -> str:
        return str(self.document["revision_id"])


class Store:
    """Project records by id, persisted to `path` when one is given."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._records: dict[str, ProjectRecord] = {}
        self._purged: set[str] = set()
        self._write_lock = threading.Lock()
        self._locks: dict[str, threading.RLock] = {}
        self._locks_lock = threading.Lock()
        if path is not None:
            _remove_temporary_files(path)
            if path.exists():
                self._load(path)

    def lock(self, project_id: str) -> threading.RLock:
        """The lock that serialises every change to one project."""
        with self._locks_lock:
            return self._locks.setdefault(project_id, threading.RLock())

    def get(self, project_id: str) -> ProjectRecord | None:
        """A copy of the record, or None for an unknown project."""
        record = self._records.get(project_id)
        return copy.deepcopy(record) if record is not None else None

    def ids(self) -> list[str]:
        return sorted(self._records)

    def find(self, id_or_slug: str) -> str | None:
        """The id of the project with this id or slug."""
        if id_or_slug in self._records:
            return id_or_slug
        for project_id, record in list(self._records.items()):
            if record.document.get("slug") == id_or_slug:
                return project_id
        return None

    def was_purged(self, project_id: str) -> bool:
        return project_id in self._purged

    def put(self, project_id: str, record: ProjectRecord) -> None:
        """Stores the record and persists the whole state."""
        with self._write_lock:
            self._records[project_id] = copy.deepcopy(record)
            self._persist()

    def purge(self, project_id: str) -> None:
        """Forgets the project for good: a seed does not bring it back."""
        with self._write_lock:
            self._records.pop(project_id, None)
            self._purged.add(project_id)
            self._persist()

    def _load(self, path: Path) -> None:
        state = json.loads(path.read_text(encoding="utf-8"))
        self._records = {
            project_id: ProjectRecord(**record)
            for project_id, record in state["projects"].items()
        }
        self._purged = set(state.get("purged", []))
        logger.info("load: %d projects from %s", len(self._records), path)

    def _persist(self) -> None:
        if self._path is None:
            return
        state = {
            "version": _FORMAT_VERSION,
            "projects": {pid: asdict(rec) for pid, rec in self._records.items()},
            "purged": sorted(self._purged),
        }
        _write_atomically(self._path, json.dumps(state, indent=1, sort_keys=True))


def _temporary_prefix(path: Path) -> str:
    return f".{path.name}."


def _remove_temporary_files(path: Path) -> None:
    """Removes what a process killed in the middle of a write left behind."""
    for leftover in path.parent.glob(f"{_temporary_prefix(path)}*.tmp"):
        leftover.unlink(missing_ok=True)


def _write_atomically(path: Path, text: str) -> None:
    directory = path.parent
    descriptor, temporary = tempfile.mkstemp(
        prefix=_temporary_prefix(path), suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    # The rename itself must reach the disk for the new state to survive a
    # power loss.
    directory_descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_descriptor)
    finally:
        os.close(directory_descriptor)
