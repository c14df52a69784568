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

Every fault takes `probability` (0 to 1, default 0) and `every` (0 or more,
default 0: never). `ms` is 0 to 60000, `retry_after_seconds` 0 to 3600,
`statuses` are 500 to 599 (a 429 is `rate_limit`'s), `path` a JSON pointer.

At run time, `POST /__emulator/faults` with a plan in JSON replaces the plan
(and restarts its random generator); `GET` shows it.
"""

from __future__ import annotations

import functools
import random
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import jsonpointer

from reconciler.emulator.errors import EmulatorSetupError
from reconciler.emulator.files import read_data

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


# Bounds that keep a plan from stalling a client for good.
MAX_DELAY_MS = 60_000
MAX_RETRY_AFTER_SECONDS = 3_600
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class FaultPlan:
    """Which faults strike, and how often. Everything is off by default.
    ValueError, naming the field, for a value out of its range."""

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

    def __post_init__(self) -> None:
        _integer(self.seed, "seed")
        for method in self.methods:
            if method not in METHODS:
                raise ValueError(
                    f"methods: {method!r} is not one of {', '.join(METHODS)}"
                )
        for name, kind in _FAULT_TYPES.items():
            fault = getattr(self, name)
            if not isinstance(fault, kind):
                raise ValueError(f"{name} must be a {kind.__name__}")
            for member in fields(fault):
                _CHECKS[member.name](
                    getattr(fault, member.name), f"{name}.{member.name}"
                )

    @classmethod
    def from_dict(cls, data: Any) -> FaultPlan:
        """A plan from its JSON form; ValueError, naming the field, on unknown
        keys or bad values."""
        if not isinstance(data, dict):
            raise ValueError("a fault plan must be an object")
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown fault plan keys: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name == "seed":
                values[name] = value
            elif name == "methods":
                values[name] = tuple(
                    m.upper() if isinstance(m, str) else m
                    for m in _typed(value, list, name)
                )
            else:
                values[name] = _fault(_FAULT_TYPES[name], value, name)
        return cls(**values)

    @classmethod
    def load(cls, path: Path) -> FaultPlan:
        """A plan from a JSON or YAML file; EmulatorSetupError, naming the
        file, when it cannot be read or is no valid plan."""
        data = read_data(path, "fault plan")
        try:
            return cls.from_dict({} if data is None else data)
        except ValueError as error:
            raise EmulatorSetupError(f"fault plan {path}: {error}") from error

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


def _fault(kind: type[Fault], value: Any, name: str) -> Fault:
    """A fault from its JSON form; its values are checked by the plan."""
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be an object")
    known = {f.name for f in fields(kind)}
    unknown = set(value) - known
    if unknown:
        raise ValueError(f"unknown keys in {name}: {', '.join(sorted(unknown))}")
    values = dict(value)
    if "statuses" in values:
        values["statuses"] = tuple(_typed(values["statuses"], list, f"{name}.statuses"))
    return kind(**values)


def _typed(value: Any, kind: type, name: str) -> Any:
    if not isinstance(value, kind):
        raise ValueError(f"{name} must be a {_JSON_TYPES.get(kind, kind.__name__)}")
    return value


_JSON_TYPES = {list: "list", str: "string", bool: "boolean"}


def _integer(
    value: Any, name: str, low: int | None = None, high: int | None = None
) -> None:
    # bool is an int in Python, never a count, a delay or a seed here.
    integer = isinstance(value, int) and not isinstance(value, bool)
    if integer and (low is None or value >= low) and (high is None or value <= high):
        return
    if low is None:
        raise ValueError(f"{name} must be an integer")
    if high is None:
        raise ValueError(f"{name} must be an integer of at least {low}")
    raise ValueError(f"{name} must be an integer from {low} to {high}")


def _probability(value: Any, name: str) -> None:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a number from 0 to 1")


def _statuses(value: Any, name: str) -> None:
    if not isinstance(value, tuple) or not value:
        raise ValueError(f"{name} must be a non-empty list of statuses")
    for status in value:
        if isinstance(status, bool) or not isinstance(status, int):
            raise ValueError(f"{name}: {status!r} is not a status code")
        if not 500 <= status <= 599:
            raise ValueError(
                f"{name}: {status} is not a server error status (500-599; "
                "a 429 comes from rate_limit)"
            )


def _boolean(value: Any, name: str) -> None:
    _typed(value, bool, name)


def _pointer(value: Any, name: str) -> None:
    _typed(value, str, name)
    try:
        jsonpointer.JsonPointer(value)
    except jsonpointer.JsonPointerException as error:
        raise ValueError(f"{name}: {value!r} is not a JSON pointer: {error}") from error
    if not value:
        raise ValueError(f"{name} must name a key, not the whole project")


_CHECKS: dict[str, Callable[[Any, str], None]] = {
    "probability": _probability,
    "every": functools.partial(_integer, low=0),
    "ms": functools.partial(_integer, low=0, high=MAX_DELAY_MS),
    "retry_after_seconds": functools.partial(
        _integer, low=0, high=MAX_RETRY_AFTER_SECONDS
    ),
    "statuses": _statuses,
    "after_handling": _boolean,
    "path": _pointer,
}


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
            status = self._random.choice(plan.server_error.statuses)
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
