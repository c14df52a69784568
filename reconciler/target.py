"""Where a run sends its calls: the Ory Network API or the built-in emulator."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from reconciler.client import DEFAULT_API_URL, ProjectClient
from reconciler.errors import ReconcileError
from reconciler.manifest.model import Manifest

log = logging.getLogger(__name__)

API_KEY_VARIABLE = "ORY_WORKSPACE_API_KEY"
API_URL_VARIABLE = "ORY_CONSOLE_API_URL"
EMULATOR_STATE = Path(".reconcile") / "emulator.json"


@contextmanager
def open_client(
    manifests: Sequence[Manifest],
    *,
    emulator: bool,
    api_url: str | None,
    read_only: bool,
) -> Iterator[ProjectClient]:
    """A client for the service, or for an emulator started in this process.

    The emulator listens on a free loopback port, keeps its state in
    ``.reconcile/emulator.json`` under the current directory so consecutive
    runs see the same projects, and creates each project a manifest names on
    first use.
    """
    if not emulator:
        key = os.environ.get(API_KEY_VARIABLE)
        if not key:
            raise ReconcileError(
                f"{API_KEY_VARIABLE} is not set: give a workspace API key, "
                "or use --emulator to run against the built-in emulator"
            )
        url = api_url or os.environ.get(API_URL_VARIABLE) or DEFAULT_API_URL
        with ProjectClient(url, key, read_only=read_only) as client:
            yield client
        return

    from reconciler.emulator import Emulator, EmulatorSetupError

    if api_url:
        log.warning("--emulator given: the API URL %s is not used", api_url)

    key = "ory_wak_" + secrets.token_urlsafe(24)
    EMULATOR_STATE.parent.mkdir(exist_ok=True)
    try:
        server = Emulator(state_path=EMULATOR_STATE, api_keys=[key])
        server.start()
    except EmulatorSetupError as error:
        raise ReconcileError(str(error)) from None
    try:
        for manifest in manifests:
            server.ensure_project(manifest.project_id)
        with ProjectClient(server.base_url, key, read_only=read_only) as client:
            yield client
    except EmulatorSetupError as error:
        raise ReconcileError(str(error)) from None
    finally:
        server.stop()
