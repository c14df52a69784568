"""The plan for one project: its changes against one live revision."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.compare import Change, Rules, compare
from reconciler.errors import Location
from reconciler.manifest.model import Manifest
from reconciler.patch import to_patch
from reconciler.pointer import PointerSet, join


@dataclass(frozen=True)
class PredictedWarning:
    """A declared key the service does not manage and will drop with a warning."""

    pointer: str
    source: Location


@dataclass(frozen=True)
class ProjectPlan:
    """What apply would send to one project, and why."""

    manifest: Manifest
    revision_id: str
    changes: list[Change]
    predicted_warnings: list[PredictedWarning] = field(default_factory=list)
    unchecked_write_only: list[str] = field(default_factory=list)

    @property
    def project_id(self) -> str:
        return self.manifest.project_id

    @property
    def patch(self) -> list[dict[str, Any]]:
        return to_patch(self.changes)

    def source_of(self, change: Change) -> Location:
        return self.manifest.source_of(join(change.origin or change.path))


def rules_for(manifest: Manifest, *, sync_secrets: bool = False) -> Rules:
    return Rules(
        ignore=PointerSet(manifest.ignore),
        own=PointerSet(manifest.own),
        secrets=manifest.secrets,
        sync_secrets=sync_secrets,
    )


def make_plan(
    manifest: Manifest, live: dict[str, Any], *, sync_secrets: bool = False
) -> ProjectPlan:
    """Compare ``manifest`` with the ``live`` project and plan the changes."""
    found = compare(
        manifest.desired, live, rules_for(manifest, sync_secrets=sync_secrets)
    )
    warnings = [
        PredictedWarning(join(path), manifest.source_of(join(path)))
        for path in found.dropped
    ]
    return ProjectPlan(
        manifest=manifest,
        revision_id=str(live.get("revision_id", "")),
        changes=found.changes,
        predicted_warnings=warnings,
        unchecked_write_only=[join(path) for path in found.unchecked_write_only],
    )
