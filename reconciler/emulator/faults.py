"""Faults on demand: what can go wrong between a client and the service.

A `FaultPlan` says, per kind of fault, how often it strikes: with a
probability per request, or on every Nth request, or both. Decisions come
from one random generator seeded by the plan, so a client that sends the same
requests in the same order meets the same faults.

The concurrent editor stands for a second person editing the project in the
console: on a write it strikes, it first changes the project out of band, so
the writer's revision is stale and a revisioned PATCH meets 409. It toggles
the suffix ` (edited)` on the string at `path` (default `/name`, the
project's display name, which a reconciler of service config leaves alone),
or adds one to a number there.

A plan file (JSON, or YAML for any other suffix), every key optional:

    seed: 7                  # of the random generator
    methods: [PATCH, PUT]    # requests the faults apply to; default all
    latency: {probability: 0.5, ms: 200}
    drop_connection: {every: 10, after_handling: true}
    rate_limit: {probability: 0.1, retry_after_seconds: 1}
    server_error: {every: 7, statuses: [500, 502, 503]}
    slow_body: {probability: 0.2, ms: 500}
    concurrent_editor: {every: 3, path: /name}
    stale_read: {probability: 0.3}

At run time, `POST /__emulator/faults` with a plan in JSON replaces the plan
(and restarts its random generator); `GET` shows it.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

import yaml

EDIT_SUFFIX = " (edited)"


@dataclass(frozen=True)
class Fault:
    """How often a fault strikes: with `probability` per eligible request,
    and on every `every`th eligible request when `every` is positive."""

    probability: float = 0.0
    every: int = 0


@dataclass(frozen=True)
class RateLimit(Fault):
    retry_after_seconds: int = 1


@dataclass(frozen=True)
class ServerError(Fault):
    statuses: tuple[int, ...] = (500, 502, 503)


@dataclass(frozen=True)
class Latency(Fault):
    ms: int = 200


@dataclass(frozen=True)
class DropConnection(Fault):
    # When true the request is handled (a write is applied) before the
    # connection closes, so the client cannot know whether it took effect.
    after_handling: bool = False


@dataclass(frozen=True)
class SlowBody(Fault):
    ms: int = 500


@dataclass(frozen=True)
class ConcurrentEditor(Fault):
    path: str = "/name"


@dataclass(frozen=True)
class StaleRead(Fault):
    """getProject answers the revision before the latest write."""


F = TypeVar("F", bound=Fault)


@dataclass(frozen=True)
class FaultPlan:
    """Which faults strike, and how often. Everything is off by default."""

    seed: int = 0
    # Methods the faults apply to; empty means all.
    methods: tuple[str, ...] = ()
    latency: Latency = field(default_factory=Latency)
    drop_connection: DropConnection = field(default_factory=DropConnection)
    rate_limit: RateLimit = field(default_factory=RateLimit)
    server_error: ServerError = field(default_factory=ServerError)
    slow_body: SlowBody = field(default_factory=SlowBody)
    concurrent_editor: ConcurrentEditor = field(default_factory=ConcurrentEditor)
    stale_read: StaleRead = field(default_factory=StaleRead)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultPlan:
        """A plan from its JSON form; ValueError on unknown keys or bad values."""
        if not isinstance(data, dict):
            raise ValueError("a fault plan must be an object")
        kinds = {f.name: f.type for f in fields(cls)}
        unknown = set(data) - set(kinds)
        if unknown:
            raise ValueError(f"unknown fault plan keys: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name == "seed":
                values[name] = _typed(value, int, name)
            elif name == "methods":
                values[name] = tuple(str(m).upper() for m in _typed(value, list, name))
            else:
                values[name] = _fault(_FAULT_TYPES[name], value, name)
        return cls(**values)

    @classmethod
    def load(cls, path: Path) -> FaultPlan:
        """A plan from a JSON or YAML file."""
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        return cls.from_dict(data or {})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_FAULT_TYPES: dict[str, type[Fault]] = {
    "latency": Latency,
    "drop_connection": DropConnection,
    "rate_limit": RateLimit,
    "server_error": ServerError,
    "slow_body": SlowBody,
    "concurrent_editor": ConcurrentEditor,
    "stale_read": StaleRead,
}


def _typed(value: Any, kind: type, name: str) -> Any:
    # bool is an int in Python, never a count or a seed here.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{name} must be of type {kind.__name__}")
    return value


def _fault(kind: type[F], value: Any, name: str) -> F:
    """A fault from its JSON form, each value checked against the type of its
    default: numbers non-negative, probabilities at most 1."""
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be an object")
    defaults = {f.name: f.default for f in fields(kind)}
    unknown = set(value) - set(defaults)
    if unknown:
        raise ValueError(f"unknown keys in {name}: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for key, given in value.items():
        label = f"{name}.{key}"
        default = defaults[key]
        if isinstance(default, tuple):
            values[key] = tuple(
                _typed(v, int, label) for v in _typed(given, list, label)
            )
        elif isinstance(default, float):
            number = given if isinstance(given, int | float) else None
            if number is None or isinstance(given, bool) or not 0 <= number <= 1:
                raise ValueError(f"{label} must be a probability between 0 and 1")
            values[key] = float(number)
        elif isinstance(default, int) and not isinstance(default, bool):
            if _typed(given, int, label) < 0:
                raise ValueError(f"{label} must not be negative")
            values[key] = given
        else:
            values[key] = _typed(given, type(default), label)
    return kind(**values)


@dataclass(frozen=True)
class Decision:
    """The faults that strike one request."""

    latency_ms: int = 0
    drop: bool = False
    drop_after_handling: bool = False
    error_status: int | None = None
    retry_after_seconds: int | None = None
    slow_body_ms: int = 0
    edit: bool = False
    stale_read: bool = False


class FaultInjector:
    """Draws the faults of each request from a plan, deterministically."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self._random = random.Random(plan.seed)
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def decide(
        self, method: str, *, writes_project: bool, reads_project: bool
    ) -> Decision:
        """The faults for a request; every kind draws once per eligible request
        so one fault's outcome does not shift another's sequence."""
        plan = self.plan
        if plan.methods and method not in plan.methods:
            return Decision()
        with self._lock:
            latency = self._strikes("latency", plan.latency)
            drop = self._strikes("drop_connection", plan.drop_connection)
            limited = self._strikes("rate_limit", plan.rate_limit)
            failed = self._strikes("server_error", plan.server_error)
            status = self._random.choice(plan.server_error.statuses or (500,))
            slow = self._strikes("slow_body", plan.slow_body)
            edit = writes_project and self._strikes(
                "concurrent_editor", plan.concurrent_editor
            )
            stale = reads_project and self._strikes("stale_read", plan.stale_read)

        error_status = 429 if limited else status if failed else None
        return Decision(
            latency_ms=plan.latency.ms if latency else 0,
            drop=drop,
            drop_after_handling=drop and plan.drop_connection.after_handling,
            error_status=None if drop else error_status,
            retry_after_seconds=plan.rate_limit.retry_after_seconds
            if limited
            else None,
            slow_body_ms=plan.slow_body.ms if slow else 0,
            edit=edit,
            stale_read=stale,
        )

    def _strikes(self, name: str, fault: Fault) -> bool:
        count = self._counts.get(name, 0) + 1
        self._counts[name] = count
        drawn = self._random.random() < fault.probability
        return drawn or (fault.every > 0 and count % fault.every == 0)


def edited(value: Any) -> Any:
    """The concurrent editor's change to the value at its path."""
    if isinstance(value, bool) or value is None:
        return not value
    if isinstance(value, int | float):
        return value + 1
    text = str(value)
    return (
        text.removesuffix(EDIT_SUFFIX)
        if text.endswith(EDIT_SUFFIX)
        else text + EDIT_SUFFIX
    )
