"""The emulator as one object: state, seeds, server thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from reconciler.emulator.auth import Authenticator
from reconciler.emulator.documents import DEFAULT_NAME, Documents, Patch
from reconciler.emulator.errors import EmulatorSetupError
from reconciler.emulator.faults import FaultPlan
from reconciler.emulator.log import RequestLog
from reconciler.emulator.seeds import load_seed
from reconciler.emulator.server import Dispatcher, EmulatorHTTPServer
from reconciler.emulator.service import ProjectService
from reconciler.emulator.store import Store, not_a_state

logger = logging.getLogger(__name__)

MAX_PORT = 65_535


class Emulator:
    """The Ory Network project API on 127.0.0.1, served from a background
    thread. State and seeds are loaded on construction; `start` serves.

    Raises EmulatorSetupError, with a one-line message naming the file or
    the port, when it cannot start with what it is given.
    """

    def __init__(
        self,
        *,
        state_path: Path | None = None,
        api_keys: Sequence[str] = (),
        seeds: Sequence[Path] = (),
        rewrites: bool = True,
        faults: FaultPlan | None = None,
        request_log: Path | None = None,
        port: int = 0,
    ) -> None:
        if not 0 <= port <= MAX_PORT:
            raise EmulatorSetupError(f"port {port} is not from 0 to {MAX_PORT}")
        self._log = RequestLog(request_log)
        documents = Documents(rewrites=rewrites)
        # Every seed is checked before the state changes for any of them.
        loaded = [_load_seed(seed, documents) for seed in seeds]
        store = Store(state_path)
        if state_path is not None:
            _check_state(state_path, store, documents)
        self._service = ProjectService(store, documents)
        for seed, (document, members) in zip(seeds, loaded, strict=True):
            if self._service.seed(document, members):
                logger.info("seed: project %s from %s", document["id"], seed)
        self._dispatcher = Dispatcher(
            self._service, Authenticator(api_keys), self._log, faults or FaultPlan()
        )
        self._port = port
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    def start(self) -> None:
        """Binds 127.0.0.1 and serves in a background thread."""
        try:
            server = EmulatorHTTPServer(self._port, self._dispatcher)
        except OSError as error:
            raise EmulatorSetupError(
                f"cannot listen on 127.0.0.1:{self._port}: {error.strerror or error}"
            ) from error
        self._server = server
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="emulator",
            daemon=True,
        )
        self._thread.start()
        logger.info("start: serving at %s", self.base_url)

    def stop(self) -> None:
        """Stops serving and closes every open connection."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def ensure_project(self, project_id: str, name: str | None = None) -> None:
        """Creates the project out of band from the new-project default
        document, unless it exists."""
        with self._service.store.lock():
            if self._service.store.get(project_id) is None:
                self._service.create(
                    name or DEFAULT_NAME, "prod", project_id=project_id
                )

    def project(self, project_id: str) -> dict[str, Any]:
        """A copy of the stored document (write-only secrets included);
        KeyError for an unknown project."""
        record = self._service.store.get(project_id)
        if record is None:
            raise KeyError(project_id)
        return record.document

    def edit_project(self, project_id: str, patch: Patch) -> None:
        """Applies `patch` out of band, like a second editor in the console:
        the way a PATCH would, with a new revision. Raises ApiError when the
        service would refuse it."""
        self._service.write(project_id, patch)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The request log entries so far."""
        return self._log.entries()


def _check_state(path: Path, store: Store, documents: Documents) -> None:
    """Refuses a state file whose projects cannot be read back."""
    for project_id in store.ids():
        record = store.get(project_id)
        problem = documents.unreadable(record.document) if record else None
        if problem is not None:
            raise not_a_state(path, f"project {project_id}: {problem}")


def _load_seed(
    path: Path, documents: Documents
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    document, members = load_seed(path)
    problem = documents.unreadable(document)
    if problem is not None:
        raise EmulatorSetupError(f"seed {path}: {problem}")
    return document, members
