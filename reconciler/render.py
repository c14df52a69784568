"""Plans and apply outcomes as text for people and JSON for machines.

Nothing here prints; the command line decides where the text goes. Secret
values never reach the output: a sensitive change shows ``(sensitive)`` on
both sides, in text and in JSON alike.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any

from reconciler.apply import ApplyOutcome
from reconciler.compare import MISSING, Change, Op
from reconciler.masking import hide_credentials
from reconciler.patch import SENSITIVE, masked
from reconciler.plan import ProjectPlan

_SYMBOLS = {"add": "+", "replace": "~", "remove": "-"}
_VERBS: dict[Op, str] = {"add": "to add", "replace": "to change", "remove": "to remove"}
_WIDTH = 100


def plan_text(plans: Sequence[ProjectPlan]) -> str:
    """Every project's changes, one line each, and a summary."""
    sections = [_project_text(plan) for plan in plans]
    return "\n\n".join([*sections, _summary(plans)]) + "\n"


def _project_text(plan: ProjectPlan) -> str:
    lines = [f"Project {plan.project_id} at revision {plan.revision_id or '-'}"]
    for change in plan.changes:
        lines.append(f"  {_change_line(change)}  ({plan.source_of(change)})")
    for warning in plan.predicted_warnings:
        lines.append(
            f"  ! {warning.pointer}: not managed by the service, it will drop it "
            f"with a warning  ({warning.source})"
        )
    for pointer in plan.unchecked_write_only:
        lines.append(f"  ? {pointer}: write-only, not drift-checked")
    if not plan.changes:
        lines.append("  no changes")
    return "\n".join(lines)


def _change_line(change: Change) -> str:
    symbol = _SYMBOLS[change.op]
    if change.op == "add":
        text = f"{symbol} {change.pointer}: {_show(change, change.desired)}"
    elif change.op == "remove":
        text = f"{symbol} {change.pointer}: {_show(change, change.live)}"
    else:
        live, desired = _show(change, change.live), _show(change, change.desired)
        text = f"{symbol} {change.pointer}: {live} -> {desired}"
    return f"{text} ({change.note})" if change.note else text


def _show(change: Change, value: Any) -> str:
    if change.sensitive:
        return SENSITIVE
    if value is MISSING:
        return "(none)"
    shown = hide_credentials(value, SENSITIVE)
    text = _visible(json.dumps(shown, ensure_ascii=False, sort_keys=True))
    if len(text) > _WIDTH:
        text = f"{text[: _WIDTH - 1]}… ({len(text)} characters)"
    return text


def _visible(text: str) -> str:
    """Control and format characters (bidirectional overrides among them)
    escaped, so that a value cannot disguise itself in a review."""
    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cf") else c
        for c in text
    )


def _summary(plans: Sequence[ProjectPlan]) -> str:
    counts = Counter(change.op for plan in plans for change in plan.changes)
    if not counts:
        return f"No changes: {_projects(len(plans))} in sync."
    parts = ", ".join(f"{counts[op]} {verb}" for op, verb in _VERBS.items())
    changed = sum(1 for plan in plans if plan.changes)
    return f"Plan: {parts} in {_projects(changed)}."


def _projects(count: int) -> str:
    return f"{count} project" + ("" if count == 1 else "s")


def plan_json(plans: Sequence[ProjectPlan]) -> str:
    """One JSON document with a ``projects`` list; secrets masked."""
    document = {"projects": [_project_json(plan) for plan in plans]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _project_json(plan: ProjectPlan) -> dict[str, Any]:
    return {
        "project_id": plan.project_id,
        "revision_id": plan.revision_id,
        "patch": masked(plan.changes),
        "changes": [_change_json(plan, change) for change in plan.changes],
        "predicted_warnings": [
            {"path": warning.pointer, "source": str(warning.source)}
            for warning in plan.predicted_warnings
        ],
        "unchecked_write_only": plan.unchecked_write_only,
    }


def _change_json(plan: ProjectPlan, change: Change) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "op": change.op,
        "path": change.pointer,
        "source": str(plan.source_of(change)),
    }
    for name, value in (("live", change.live), ("desired", change.desired)):
        if value is not MISSING:
            entry[name] = (
                SENSITIVE if change.sensitive else hide_credentials(value, SENSITIVE)
            )
    if change.note:
        entry["note"] = change.note
    return entry


def outcome_text(outcome: ApplyOutcome) -> str:
    """What apply did to one project."""
    project = outcome.plan.project_id
    lines = []
    if outcome.retried:
        lines.append(
            f"Project {project}: the revision moved {outcome.attempts - 1} time(s) "
            "during apply; planned again and retried"
        )
    if not outcome.applied and outcome.retried:
        lines.append(
            f"Project {project}: in sync after planning again, nothing more to "
            "send (an earlier write whose answer was lost, or another writer, "
            "made the changes)"
        )
    elif not outcome.applied:
        lines.append(f"Project {project}: already in sync, nothing sent")
    else:
        lines.append(
            f"Project {project}: applied {len(outcome.plan.changes)} change(s), "
            f"revision {outcome.plan.revision_id} -> {outcome.revision_after}"
        )
    for warning in outcome.warnings:
        lines.append(f"  service warning: {warning.get('message', warning)}")
    if outcome.untouched_warnings:
        lines.append(
            f"  ({outcome.untouched_warnings} service warning(s) about keys this "
            "apply did not declare left out)"
        )
    for change in outcome.not_converged:
        lines.append(
            f"  not converged: {change.pointer} did not take the desired value "
            f"({outcome.plan.source_of(change)})"
        )
    return "\n".join(lines) + "\n"
