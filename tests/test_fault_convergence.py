"""The reconciler converges through a faulty network, and never writes with
a revision its plan was not made against.

About 30% of requests meet a fault: 429 with Retry-After, 500/502/503, a
dropped connection (before or after the request is handled: two runs), or
latency. The fault plan has a fixed seed, so a run meets the same faults
each time.

The revision rule checked on the emulator's request log: every
patchProjectWithRevision names, in its path, the revision that the latest
successful (200) getProject of the same project, logged before it, served
(`revision_after`). A PATCH retried after a dropped connection or a 5xx
repeats that revision; a PATCH after a 409 follows a new read.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conformance import refuse_non_loopback

from reconciler.apply import ApplyOutcome, ConflictPolicy, apply_manifest
from reconciler.client import ProjectClient, RetryPolicy
from reconciler.emulator import Emulator, FaultPlan
from reconciler.emulator.faults import DropConnection, Latency, RateLimit, ServerError
from reconciler.manifest import load_manifests
from reconciler.manifest.model import Manifest
from reconciler.plan import make_plan

ROOT = Path(__file__).resolve().parents[1]
MANIFESTS = ROOT / "manifests"
ENVIRON = {"SMTP_PASSWORD": "fake-smtp-password"}
KEY = "ory_wak_fault_convergence"
SEED = 11
LATENCY_MS = 40
# A second editor's changes to keys the manifests declare.
DRIFT: list[dict[str, Any]] = [
    {
        "op": "replace",
        "path": "/services/identity/config/session/lifespan",
        "value": "1h",
    },
    {"op": "replace", "path": "/services/permission/config/namespaces", "value": []},
]
ROUNDS = 4


def faulty(*, drop_after_handling: bool, retry_after_seconds: int = 1) -> FaultPlan:
    """About 30% of requests faulted. Each kind strikes on every Nth request
    (so a run of 19 requests meets them all) and now and then at random."""
    return FaultPlan(
        seed=SEED,
        rate_limit=RateLimit(
            probability=0.02, every=13, retry_after_seconds=retry_after_seconds
        ),
        server_error=ServerError(probability=0.02, every=11, statuses=(500, 502, 503)),
        drop_connection=DropConnection(
            probability=0.02, every=7, after_handling=drop_after_handling
        ),
        latency=Latency(probability=0.02, every=19, ms=LATENCY_MS),
    )


def no_sleep(seconds: float) -> None:
    """Retries go on at once: the delays are the client's, not under test."""


def manifests() -> list[Manifest]:
    return load_manifests([MANIFESTS], environ=ENVIRON).manifests


Start = Callable[[FaultPlan | None], Emulator]


@pytest.fixture
def start(monkeypatch: pytest.MonkeyPatch) -> Iterator[Start]:
    """Starts an emulator holding the projects the manifests name."""
    refuse_non_loopback(monkeypatch)
    started: list[Emulator] = []

    def starter(faults: FaultPlan | None) -> Emulator:
        emulator = Emulator(api_keys=[KEY], faults=faults)
        for manifest in manifests():
            emulator.ensure_project(manifest.project_id)
        emulator.start()
        started.append(emulator)
        return emulator

    yield starter
    for emulator in started:
        emulator.stop()


def client(emulator: Emulator, *, read_only: bool = False) -> ProjectClient:
    retry = RetryPolicy(attempts=8, sleep=no_sleep, rng=random.Random(SEED))
    return ProjectClient(emulator.base_url, KEY, read_only=read_only, retry=retry)


def apply_all(emulator: Emulator) -> list[ApplyOutcome]:
    policy = ConflictPolicy(sleep=no_sleep, rng=random.Random(SEED))
    with client(emulator) as writer:
        return [apply_manifest(writer, m, policy=policy) for m in manifests()]


def pending_changes(emulator: Emulator) -> dict[str, int]:
    """The number of changes a plan finds, per project."""
    with client(emulator, read_only=True) as reader:
        plans = [make_plan(m, reader.get_project(m.project_id)) for m in manifests()]
    return {plan.project_id: len(plan.changes) for plan in plans}


def patches_off_their_plan(requests: list[dict[str, Any]]) -> list[str]:
    """The PATCHes whose revision is not the one their project's latest
    successful read served."""
    served: dict[str, str] = {}
    wrong = []
    for entry in requests:
        if entry["operation"] == "getProject" and entry["status"] == 200:
            served[entry["project_id"]] = entry["revision_after"]
        elif entry["operation"] == "patchProjectWithRevision":
            revision = entry["path"].rsplit("/", 1)[-1]
            if revision != served.get(entry["project_id"]):
                wrong.append(entry["path"])
    return wrong


def faults_met(requests: list[dict[str, Any]]) -> set[str]:
    """The kinds of faults the log shows. Latency leaves no mark in it."""
    kinds = set()
    for entry in requests:
        if entry.get("fault") == "drop_connection":
            kinds.add(f"drop {entry['method']}")
        elif entry["status"] == 429:
            kinds.add("429")
        elif entry["status"] is not None and entry["status"] >= 500:
            kinds.add("5xx")
    return kinds


@pytest.mark.parametrize(
    "drop_after_handling",
    [
        pytest.param(False, id="drops-before-handling"),
        pytest.param(True, id="drops-after-handling"),
    ],
)
def test_apply_converges_through_faults_and_patches_only_planned_revisions(
    start: Start, drop_after_handling: bool
) -> None:
    emulator = start(faulty(drop_after_handling=drop_after_handling))

    for round_ in range(ROUNDS):
        if round_:
            for manifest in manifests():
                emulator.edit_project(manifest.project_id, DRIFT)
        outcomes = apply_all(emulator)
        assert [o.not_converged for o in outcomes] == [[], []]

    requests = emulator.requests
    assert set(pending_changes(emulator).values()) == {0}
    assert patches_off_their_plan(requests) == []
    faulted = [r for r in requests if r.get("fault")]
    assert 0.2 <= len(faulted) / len(requests) <= 0.45
    assert faults_met(requests) == {"429", "5xx", "drop GET", "drop PATCH"}


def test_command_line_apply_exits_0_through_faults_and_a_plan_then_finds_nothing(
    start: Start, reconcile: Any
) -> None:
    emulator = start(faulty(drop_after_handling=True, retry_after_seconds=0))
    url = emulator.base_url
    env = {**ENVIRON, "ORY_WORKSPACE_API_KEY": KEY}

    applied = reconcile("apply", str(MANIFESTS), "--api-url", url, env=env)
    planned = reconcile(
        "plan", str(MANIFESTS), "--api-url", url, "--detailed-exitcode", env=env
    )

    assert applied.exit_code == 0, applied.stderr
    assert planned.exit_code == 0, planned.stdout
    assert "No changes" in planned.stdout
    assert patches_off_their_plan(emulator.requests) == []
    assert any(r.get("fault") for r in emulator.requests)


# The fault plan itself


def statuses(http: httpx.Client, project_id: str, count: int) -> list[int | None]:
    """The statuses of `count` reads; None for a dropped connection."""
    seen: list[int | None] = []
    for _ in range(count):
        try:
            seen.append(http.get(f"/projects/{project_id}").status_code)
        except httpx.TransportError:
            seen.append(None)
    return seen


def test_admin_endpoint_changes_the_fault_plan_at_run_time(start: Start) -> None:
    emulator = start(None)
    project_id = manifests()[0].project_id
    http = httpx.Client(
        base_url=emulator.base_url,
        headers={"Authorization": f"Bearer {KEY}"},
        trust_env=False,
    )
    with http:
        before = statuses(http, project_id, 3)
        set_plan = http.post(
            "/__emulator/faults",
            json={"seed": 5, "server_error": {"every": 1, "statuses": [503]}},
        )
        during = statuses(http, project_id, 3)
        shown = http.get("/__emulator/faults").json()
        cleared = http.post("/__emulator/faults", json={})
        after = statuses(http, project_id, 3)
        refused = http.post("/__emulator/faults", json={"nonsense": {}})

    assert (before, during, after) == ([200] * 3, [503] * 3, [200] * 3)
    assert set_plan.status_code == cleared.status_code == 200
    assert (shown["seed"], shown["server_error"]["statuses"]) == (5, [503])
    assert refused.status_code == 400
    # Admin requests are not part of the API's request log.
    assert len(emulator.requests) == 9


def test_same_seed_gives_the_same_faults(start: Start) -> None:
    plan = faulty(drop_after_handling=False)
    first, second = start(plan), start(plan)
    project_id = manifests()[0].project_id

    runs: list[list[int | None]] = []
    for emulator in (first, second, first):
        with httpx.Client(
            base_url=emulator.base_url,
            headers={"Authorization": f"Bearer {KEY}"},
            trust_env=False,
        ) as http:
            if emulator is first and runs:
                # Posting the plan again restarts its random generator.
                http.post("/__emulator/faults", json=plan.to_dict())
            runs.append(statuses(http, project_id, 30))

    assert runs[0] == runs[1] == runs[2]
    assert {429, 500, 502, 503, None} & set(runs[0])
    assert 200 in runs[0]
