"""The ``reconcile`` command: thin entry points over the flow's modules."""

from __future__ import annotations

import functools
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from reconciler.apply import ApplyOutcome, apply_manifest
from reconciler.emulator.cli import emulator
from reconciler.errors import ExitCode, ReconcileError
from reconciler.manifest import LoadResult, load_manifests, manifest_json_schema
from reconciler.masking import Masker, MaskingFilter, secret_values
from reconciler.plan import ProjectPlan, make_plan
from reconciler.render import outcome_text, plan_json, plan_text
from reconciler.target import API_KEY_VARIABLE, open_client

log = logging.getLogger("reconciler")
DEFAULT_PATHS = ("manifests",)


class Run:
    """The settings every command shares."""

    def __init__(self, debug: bool, quiet: bool) -> None:
        self.debug = debug
        self.masker = Masker([os.environ.get(API_KEY_VARIABLE, "")])
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        handler.addFilter(MaskingFilter(self.masker))
        root = logging.getLogger()
        root.handlers[:] = [handler]
        root.setLevel(logging.WARNING)
        log.setLevel(logging.WARNING if quiet else logging.INFO)
        # The in-process emulator's own request lines would double ours.
        logging.getLogger("reconciler.emulator").setLevel(logging.WARNING)
        if debug:
            log.setLevel(logging.DEBUG)

    def out(self, text: str) -> None:
        click.echo(self.masker(text), nl=False)


def _guard(command: Callable[..., int]) -> Callable[..., None]:
    """Turn a command's result into its exit code, and user errors into one line."""

    @functools.wraps(command)
    def guarded(*args: Any, **kwargs: Any) -> None:
        context = click.get_current_context()
        state: Run = context.obj
        try:
            code = command(*args, **kwargs)
        except ReconcileError as error:
            if state.debug:
                raise
            for line in state.masker(str(error)).splitlines():
                click.echo(f"error: {line}", err=True)
            code = error.exit_code
        context.exit(code)

    return guarded


def _load(
    paths: tuple[str, ...], projects: tuple[str, ...], secrets_dir: str | None, run: Run
) -> LoadResult:
    result = load_manifests(
        [Path(p) for p in paths or DEFAULT_PATHS],
        environ=os.environ,
        secrets_dir=Path(secrets_dir) if secrets_dir else None,
        projects=projects,
    )
    for manifest in result.manifests:
        run.masker.add(secret_values(manifest))
    return result


def _manifest_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("paths", nargs=-1, type=click.Path()),
        click.option(
            "--project", "projects", multiple=True, help="Only this project id."
        ),
        click.option(
            "--secrets-dir",
            envvar="RECONCILE_SECRETS_DIR",
            type=click.Path(file_okay=False),
            help="Folder that ${file:NAME} reads secrets from.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _target_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--emulator",
            is_flag=True,
            help="Run against the built-in emulator (state in .reconcile/).",
        ),
        click.option(
            "--api-url",
            envvar="ORY_CONSOLE_API_URL",
            help="Ory Network console API (default https://api.console.ory.sh).",
        ),
        click.option(
            "--output",
            type=click.Choice(["text", "json"]),
            default="text",
            show_default=True,
        ),
        click.option(
            "--detailed-exitcode",
            is_flag=True,
            help="Exit 2 when there are changes.",
        ),
        click.option(
            "--sync-secrets",
            is_flag=True,
            help="Send write-only secrets even when they cannot be compared.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.option("-q", "--quiet", is_flag=True, help="Log only warnings and errors.")
@click.pass_context
def main(context: click.Context, debug: bool, quiet: bool) -> None:
    """Plan and apply Ory Network project configuration from YAML manifests."""
    context.obj = Run(debug, quiet)


def _plan(
    run: Run,
    paths: tuple[str, ...],
    projects: tuple[str, ...],
    secrets_dir: str | None,
    emulator: bool,
    api_url: str | None,
    output: str,
    detailed_exitcode: bool,
    sync_secrets: bool,
) -> int:
    manifests = _load(paths, projects, secrets_dir, run).manifests
    plans: list[ProjectPlan] = []
    failures: dict[str, str] = {}
    with open_client(
        manifests, emulator=emulator, api_url=api_url, read_only=True
    ) as client:
        for manifest in manifests:
            try:
                live = client.get_project(manifest.project_id)
            except ReconcileError as error:
                failures[manifest.project_id] = f"{manifest.location}: {error}"
                continue
            plans.append(make_plan(manifest, live, sync_secrets=sync_secrets))

    if output == "json":
        document = json.loads(plan_json(plans))
        document["projects"] += _failed_json(failures)
        run.out(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        run.out((plan_text(plans) if plans else "") + _failed_text(failures))
    if failures:
        return _fail(run, failures)
    has_changes = any(plan.changes for plan in plans)
    return ExitCode.CHANGES if detailed_exitcode and has_changes else ExitCode.OK


@main.command()
@_manifest_options
@_target_options
@click.pass_obj
@_guard
def plan(run: Run, **options: Any) -> int:
    """Show the changes that would bring the projects to their manifests."""
    return _plan(run, **options)


@main.command()
@_manifest_options
@_target_options
@click.option("--dry-run", is_flag=True, help="Only plan; exactly `reconcile plan`.")
@click.pass_obj
@_guard
def apply(run: Run, dry_run: bool, **options: Any) -> int:
    """Apply the manifests, re-planning when the revision moves underneath."""
    if dry_run:
        return _plan(run, **options)

    manifests = _load(
        options["paths"], options["projects"], options["secrets_dir"], run
    ).manifests
    as_json = options["output"] == "json"
    outcomes: list[ApplyOutcome] = []
    failures: dict[str, str] = {}
    try:
        with open_client(
            manifests,
            emulator=options["emulator"],
            api_url=options["api_url"],
            read_only=False,
        ) as client:
            for manifest in manifests:
                if _STOP.is_set():
                    raise KeyboardInterrupt
                # Projects are independent: one that fails is left as it
                # was and the others are still applied. Each outcome is shown
                # as soon as it is known, so an interrupted run still says
                # what it wrote.
                try:
                    outcome = apply_manifest(
                        client, manifest, sync_secrets=options["sync_secrets"]
                    )
                except ReconcileError as error:
                    failures[manifest.project_id] = f"{manifest.location}: {error}"
                    if not as_json:
                        run.out(_failed_text({manifest.project_id: ""}))
                    continue
                outcomes.append(outcome)
                if not as_json:
                    run.out(plan_text([outcome.plan]) + outcome_text(outcome))
    except KeyboardInterrupt:
        done = {outcome.plan.project_id for outcome in outcomes} | set(failures)
        waiting = [m.project_id for m in manifests if m.project_id not in done]
        if as_json:
            _apply_json(run, outcomes, failures)
        click.echo(
            "error: interrupted; every project shown above is as reported, a "
            "write is whole or not made at all. "
            f"Not attempted: {', '.join(waiting) or 'none'}",
            err=True,
        )
        return ExitCode.INTERRUPTED

    if as_json:
        _apply_json(run, outcomes, failures)
    if failures:
        return _fail(run, failures)
    if any(outcome.not_converged for outcome in outcomes):
        return ExitCode.NOT_CONVERGED
    # A retried project that ended in sync changed during this run, by a
    # write whose answer was lost or by another writer.
    changed = any(outcome.applied or outcome.retried for outcome in outcomes)
    return ExitCode.CHANGES if options["detailed_exitcode"] and changed else ExitCode.OK


def _apply_json(
    run: Run, outcomes: list[ApplyOutcome], failures: dict[str, str]
) -> None:
    document = json.loads(plan_json([outcome.plan for outcome in outcomes]))
    for entry, outcome in zip(document["projects"], outcomes, strict=True):
        entry["applied"] = outcome.applied
        entry["attempts"] = outcome.attempts
        entry["revision_after"] = outcome.revision_after
        entry["warnings"] = outcome.warnings
        entry["not_converged"] = [c.pointer for c in outcome.not_converged]
    document["projects"] += _failed_json(failures)
    run.out(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _failed_json(failures: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"project_id": project, "error": message}
        for project, message in failures.items()
    ]


def _failed_text(failures: dict[str, str]) -> str:
    return "".join(
        f"Project {project}: failed (see the error)\n" for project in failures
    )


def _fail(run: Run, failures: dict[str, str]) -> int:
    for message in failures.values():
        for line in run.masker(message).splitlines():
            click.echo(f"error: {line}", err=True)
    return ExitCode.ERROR


@main.command()
@_manifest_options
@click.pass_obj
@_guard
def validate(
    run: Run, paths: tuple[str, ...], projects: tuple[str, ...], secrets_dir: str | None
) -> int:
    """Check manifests offline: nothing is sent anywhere."""
    result = _load(paths, projects, secrets_dir, run)
    for warning in result.warnings:
        log.warning("%s", warning)
    run.out(f"{len(result.manifests)} manifest(s) valid.\n")
    return ExitCode.OK


@main.command()
@click.pass_obj
@_guard
def schema(run: Run) -> int:
    """Print the JSON Schema of manifests, for editors."""
    run.out(json.dumps(manifest_json_schema(), indent=2) + "\n")
    return ExitCode.OK


main.add_command(emulator)


def run() -> None:
    """The console entry point: usage errors exit 1, like every other error.

    Click's own code for them is 2, which ``--detailed-exitcode`` gives to a
    plan with changes.
    """
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        code = main.main(standalone_mode=False)
    except click.ClickException as error:
        error.show()
        code = ExitCode.ERROR
    except (click.Abort, KeyboardInterrupt):
        click.echo("error: interrupted", err=True)
        code = ExitCode.INTERRUPTED
    sys.exit(code or 0)


# Set by the first SIGINT or SIGTERM: apply stops before its next project.
_STOP = threading.Event()


def _interrupt(signum: int, frame: object) -> None:
    """The first signal lets the project under way finish and be reported;
    a second one stops at once."""
    if _STOP.is_set():
        raise KeyboardInterrupt
    _STOP.set()
    click.echo(
        "stopping after the project under way (signal again to stop now)", err=True
    )
