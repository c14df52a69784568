"""`emulator serve`: the emulator as a process."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import click

from reconciler.emulator.emulator import Emulator
from reconciler.emulator.errors import EmulatorSetupError
from reconciler.emulator.faults import FaultPlan


@click.group()
def emulator() -> None:
    """A local emulator of the Ory Network project API."""


@emulator.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65_535),
    default=0,
    show_default=True,
    help="0 picks a free port.",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The JSON file that keeps the state across restarts; default: memory only.",
)
@click.option(
    "--seed",
    "seeds",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A project document (JSON or YAML); repeatable.",
)
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    envvar="ORY_WORKSPACE_API_KEY",
    help="A workspace API key to accept; repeatable. Default: $ORY_WORKSPACE_API_KEY.",
)
@click.option(
    "--request-log",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append one JSON line per request to this file.",
)
@click.option(
    "--faults",
    "faults_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A fault plan (JSON or YAML).",
)
@click.option("--no-rewrites", is_flag=True, help="Store patches as sent.")
def serve(
    port: int,
    state_path: Path | None,
    seeds: tuple[Path, ...],
    api_keys: tuple[str, ...],
    request_log: Path | None,
    faults_path: Path | None,
    no_rewrites: bool,
) -> None:
    """Serve on 127.0.0.1 until interrupted; prints the base URL."""
    if not any(api_keys):
        raise click.UsageError(
            "no API key: give --api-key or set ORY_WORKSPACE_API_KEY"
        )
    try:
        faults = FaultPlan.load(faults_path) if faults_path else None
        server = Emulator(
            state_path=state_path,
            api_keys=api_keys,
            seeds=seeds,
            rewrites=not no_rewrites,
            faults=faults,
            request_log=request_log,
            port=port,
        )
        server.start()
    except EmulatorSetupError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(1) from error

    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    try:
        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        click.echo(server.base_url)
        stopping.wait()
    finally:
        server.stop()
