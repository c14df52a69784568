"""The emulator's state: project records kept in memory and in one JSON file.

Every change is written to a temporary file in the state file's directory,
flushed to disk and moved over the state file, so a crash leaves either the
old or the new state, never a torn file.

Several emulators (in several processes) may share one state file and then
behave as one service. Every access runs under `lock()`: a lock shared by
the threads of this process and, through `flock` on a lock file beside the
state file, by every process. On entry the records are read again when
another writer changed the file since this store last read or wrote it; so a
read-modify-write under the lock never works on a stale copy, and a write
with a stale revision meets 409 whichever emulator took the other write.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from reconciler.emulator.documents import document_problem
from reconciler.emulator.errors import EmulatorSetupError

logger = logging.getLogger(__name__)

_FORMAT_VERSION = 1
# The lock file holds the number of writes so far, as fixed-width digits so
# that a rewrite in place never leaves a longer old number behind.
_GENERATION_WIDTH = 20


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


# What the file last read or written looked like: the generation in the lock
# file, and the state file's inode, modification time and size (None when
# there is no state file). The generation catches every write by an
# emulator; the file's identity catches a file replaced by hand.
_Version = tuple[int, tuple[int, int, int] | None]


class Store:
    """Project records by id, persisted to `path` when one is given.

    Raises EmulatorSetupError when the state file cannot be used.
    """

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._records: dict[str, ProjectRecord] = {}
        self._purged: set[str] = set()
        self._mutex = threading.RLock()
        self._depth = 0
        self._lock_descriptor: int | None = None
        self._version: _Version | None = None
        if path is not None:
            with self.lock():
                # No other emulator is inside a write now: what is left is
                # what a killed one left behind.
                _remove_temporary_files(path)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Serialises every access to the state, across threads and across
        the processes that share the state file; reentrant."""
        with self._mutex:
            if self._depth == 0 and self._path is not None:
                self._acquire_file_lock(self._path)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._release_file_lock()

    def get(self, project_id: str) -> ProjectRecord | None:
        """A copy of the record, or None for an unknown project."""
        with self.lock():
            record = self._records.get(project_id)
            return copy.deepcopy(record) if record is not None else None

    def ids(self) -> list[str]:
        with self.lock():
            return sorted(self._records)

    def find(self, id_or_slug: str) -> str | None:
        """The id of the project with this id or slug."""
        with self.lock():
            if id_or_slug in self._records:
                return id_or_slug
            for project_id, record in self._records.items():
                if record.document.get("slug") == id_or_slug:
                    return project_id
            return None

    def was_purged(self, project_id: str) -> bool:
        with self.lock():
            return project_id in self._purged

    def put(self, project_id: str, record: ProjectRecord) -> None:
        """Stores the record and persists the whole state."""
        with self.lock():
            self._records[project_id] = copy.deepcopy(record)
            self._persist()

    def purge(self, project_id: str) -> None:
        """Forgets the project for good: a seed does not bring it back."""
        with self.lock():
            self._records.pop(project_id, None)
            self._purged.add(project_id)
            self._persist()

    def _acquire_file_lock(self, path: Path) -> None:
        # Imported here: fcntl is POSIX only, and the package is imported on
        # every platform by a command line that may never use a state file.
        import fcntl

        lock_path = path.with_name(path.name + ".lock")
        try:
            descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise EmulatorSetupError(
                f"cannot use state file {path}: {lock_path}: {error.strerror or error}"
            ) from error
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            self._lock_descriptor = descriptor
            self._refresh(path, descriptor)
        except BaseException:
            self._release_file_lock(descriptor)
            raise

    def _release_file_lock(self, descriptor: int | None = None) -> None:
        descriptor = descriptor if descriptor is not None else self._lock_descriptor
        self._lock_descriptor = None
        if descriptor is not None:
            # Closing the descriptor releases the lock.
            os.close(descriptor)

    def _refresh(self, path: Path, descriptor: int) -> None:
        """Reads the records again when the file changed since they were
        last read or written."""
        version = (_read_generation(descriptor), _identity(path))
        if version == self._version:
            return
        if version[1] is None:
            self._records, self._purged = {}, set()
        else:
            self._records, self._purged = _parse_state(path)
            logger.info("load: %d projects from %s", len(self._records), path)
        self._version = version

    def _persist(self) -> None:
        if self._path is None or self._lock_descriptor is None:
            return
        state = {
            "version": _FORMAT_VERSION,
            "projects": {pid: asdict(rec) for pid, rec in self._records.items()},
            "purged": sorted(self._purged),
        }
        # The generation goes up before the file is replaced: should the
        # replace fail, the others read the unchanged file once more, never
        # miss a change.
        generation = _read_generation(self._lock_descriptor) + 1
        _write_generation(self._lock_descriptor, generation)
        self._version = None
        _write_atomically(self._path, json.dumps(state, indent=1, sort_keys=True))
        self._version = (generation, _identity(self._path))


def not_a_state(path: Path, reason: str) -> EmulatorSetupError:
    """The error for a state file the emulator cannot use."""
    return EmulatorSetupError(
        f"{path} is not a valid emulator state ({reason}); "
        "delete it to start over with no projects"
    )


def _parse_state(path: Path) -> tuple[dict[str, ProjectRecord], set[str]]:
    try:
        state = json.loads(path.read_bytes())
    except OSError as error:
        raise EmulatorSetupError(
            f"cannot read state file {path}: {error.strerror or error}"
        ) from error
    except json.JSONDecodeError as error:
        raise not_a_state(
            path, f"line {error.lineno}: not valid JSON: {error.msg}"
        ) from error
    except ValueError as error:  # not UTF-8
        raise not_a_state(path, "not JSON text") from error

    if not isinstance(state, dict):
        raise not_a_state(path, "not a JSON object")
    if state.get("version") != _FORMAT_VERSION:
        raise not_a_state(path, f"version {state.get('version')!r} is not 1")
    projects, purged = state.get("projects"), state.get("purged", [])
    if not isinstance(projects, dict):
        raise not_a_state(path, "`projects` must be an object")
    if not isinstance(purged, list) or not all(isinstance(p, str) for p in purged):
        raise not_a_state(path, "`purged` must be a list of project ids")
    records = {}
    for project_id, record in projects.items():
        problem = _record_problem(project_id, record)
        if problem is not None:
            raise not_a_state(path, f"project {project_id}: {problem}")
        records[project_id] = ProjectRecord(**record)
    return records, set(purged)


_RECORD_FIELDS = {f.name: f for f in fields(ProjectRecord)}
_LIST_FIELDS = ("members", "api_keys", "onboarding_portal_links")


def _record_problem(project_id: str, record: Any) -> str | None:
    """What keeps `record` from being a stored project record, if anything."""
    if not isinstance(record, dict):
        return "not an object"
    unknown = sorted(set(record) - set(_RECORD_FIELDS))
    if unknown:
        return f"unknown fields {', '.join(unknown)}"
    missing = [
        name for name in ("document", "created_at", "updated_at") if name not in record
    ]
    if missing:
        return f"missing fields {', '.join(missing)}"
    problem = document_problem(record["document"])
    if problem is not None:
        return problem
    if record["document"]["id"] != project_id:
        return f"the document's id is {record['document']['id']}"
    if not all(isinstance(record[name], str) for name in ("created_at", "updated_at")):
        return "created_at and updated_at must be strings"
    for name in _LIST_FIELDS:
        items = record.get(name, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            return f"{name} must be a list of objects"
    created = record.get("organization_created_at", {})
    if not isinstance(created, dict) or not all(
        isinstance(v, str) for v in created.values()
    ):
        return "organization_created_at must map ids to times"
    return None


def _read_generation(descriptor: int) -> int:
    text = os.pread(descriptor, _GENERATION_WIDTH + 1, 0)
    try:
        return int(text or b"0")
    except ValueError:
        # Not written by an emulator: start over; a changed generation only
        # makes the others read the file once more.
        return -1


def _write_generation(descriptor: int, generation: int) -> None:
    text = f"{generation:0{_GENERATION_WIDTH}d}\n".encode()
    os.pwrite(descriptor, text, 0)


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return (status.st_ino, status.st_mtime_ns, status.st_size)


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
