"""Apply a plan with the revision it was made against, and verify the result.

When the revision moved underneath (409), the project is fetched again,
planned again and the new patch sent, a bounded number of times. After a
write the project in the response is taken as the new live state (a read
right after a write can be stale) and every managed path is checked again:
what still differs did not converge.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.client import (
    ApiError,
    ProjectClient,
    RetriesExhausted,
    RevisionConflict,
)
from reconciler.compare import Change, compare
from reconciler.errors import ReconcileError
from reconciler.manifest.model import Manifest
from reconciler.plan import ProjectPlan, make_plan, rules_for

log = logging.getLogger(__name__)

# Service warnings name the config key they are about between backticks.
_WARNED_KEY = re.compile(r"`([^`]+)`")


class ConflictsExhausted(ReconcileError):
    """The revision kept moving: every attempt met a concurrent write."""


class FeatureNotAvailable(ReconcileError):
    """The project's plan does not include a feature a planned change needs."""


@dataclass(frozen=True)
class ConflictPolicy:
    """How often to re-plan when another writer moved the revision."""

    attempts: int = 10
    base_delay: float = 0.2
    max_delay: float = 5.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempt: int) -> float:
        return self.rng.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


@dataclass
class ApplyOutcome:
    """What happened to one project."""

    plan: ProjectPlan
    attempts: int
    applied: bool = False
    revision_after: str | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)
    untouched_warnings: int = 0
    not_converged: list[Change] = field(default_factory=list)

    @property
    def retried(self) -> bool:
        return self.attempts > 1


def apply_manifest(
    client: ProjectClient,
    manifest: Manifest,
    *,
    sync_secrets: bool = False,
    policy: ConflictPolicy | None = None,
) -> ApplyOutcome:
    """Bring one project to its manifest, re-planning on revision conflicts."""
    policy = policy or ConflictPolicy()
    for attempt in range(policy.attempts):
        live = client.get_project(manifest.project_id)
        plan = make_plan(manifest, live, sync_secrets=sync_secrets)
        if not plan.changes:
            return ApplyOutcome(plan, attempts=attempt + 1)

        try:
            result = client.patch_project(
                manifest.project_id, plan.revision_id, plan.patch
            )
        except RevisionConflict:
            if attempt + 1 == policy.attempts:
                break
            delay = policy.delay(attempt)
            log.warning(
                "apply %s: revision %s moved under the plan; planning again in "
                "%.2fs (attempt %d of %d)",
                manifest.project_id,
                plan.revision_id,
                delay,
                attempt + 2,
                policy.attempts,
            )
            policy.sleep(delay)
            continue
        except ApiError as error:
            raise _explain(error, plan) from error
        except RetriesExhausted as error:
            raise ReconcileError(
                f"apply {manifest.project_id}: no answer to the write ({error}); "
                "it may or may not have been applied: plan again to see"
            ) from None

        relevant = [w for w in result.warnings if _about(w, plan.changes)]
        for warning in result.warnings:
            if warning not in relevant:
                log.debug("apply %s: service warning: %s", manifest.project_id, warning)
        return ApplyOutcome(
            plan,
            attempts=attempt + 1,
            applied=True,
            revision_after=str(result.project.get("revision_id", "")),
            warnings=relevant,
            untouched_warnings=len(result.warnings) - len(relevant),
            not_converged=verify(manifest, result.project),
        )
    raise ConflictsExhausted(
        f"apply {manifest.project_id}: the revision moved under every one of "
        f"{policy.attempts} attempts; another writer is busy, try again later"
    )


def verify(manifest: Manifest, project: dict[str, Any]) -> list[Change]:
    """The changes that still stand against ``project`` after a write.

    Secrets the service withholds cannot be checked and are not reported.
    """
    return compare(manifest.desired, project, rules_for(manifest)).changes


def _about(warning: dict[str, Any], changes: list[Change]) -> bool:
    """Whether a service warning names a key this apply declared.

    The service also warns about keys the patch never touched (every server
    derived key of every service); those say nothing about this change. A
    warning that names no key is always shown.
    """
    named = _WARNED_KEY.findall(str(warning.get("message", "")))
    if not named:
        return True
    declared = [".".join(str(p) for p in change.path[3:]) for change in changes]
    return any(
        key.rstrip(".*") == path
        or path.startswith(key.rstrip(".*") + ".")
        or key.startswith(path + ".")
        for key in named
        for path in declared
    )


def _explain(error: ApiError, plan: ProjectPlan) -> ReconcileError:
    """An API error in the words of the manifest that caused it."""
    if error.status == 403 and error.error_id == "feature_not_available":
        feature = str(error.details.get("feature") or error.reason or "unknown")
        culprits = _changes_naming(feature, plan.changes) or plan.changes
        where = ", ".join(
            f"{change.pointer} ({plan.source_of(change)})" for change in culprits[:5]
        )
        return FeatureNotAvailable(
            f"apply {plan.project_id}: the project's plan does not include the "
            f"feature {feature!r}, needed by {where}; nothing was changed"
        )
    return ReconcileError(f"apply {plan.project_id}: {error}; nothing was changed")


def _changes_naming(feature: str, changes: list[Change]) -> list[Change]:
    words = {word for word in re.split(r"[^a-z0-9]+", feature.lower()) if word}
    return [
        change
        for change in changes
        if words & {str(part).lower() for part in change.path}
    ]
