"""Changes turned into the RFC 6902 JSON Patch that apply sends.

The comparison lists changes in an order that applies in sequence: changes
inside list elements use the indexes of the revision the plan was made
against, appends (``/-``) come after them, and removals of list elements come
last, from the end of the list first, so no index shifts under a later
operation. The revision check makes those indexes safe from concurrent edits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.compare import Change
from reconciler.masking import hide_credentials

SENSITIVE = "(sensitive)"


def to_patch(changes: Sequence[Change]) -> list[dict[str, Any]]:
    """The JSON Patch operations for ``changes``, in order."""
    return [_operation(change, change.desired) for change in changes]


def masked(changes: Sequence[Change]) -> list[dict[str, Any]]:
    """The same patch with every secret and credential replaced, for showing
    or saving."""
    return [
        _operation(
            change,
            SENSITIVE
            if change.sensitive
            else hide_credentials(change.desired, SENSITIVE),
        )
        for change in changes
    ]


def _operation(change: Change, value: Any) -> dict[str, Any]:
    operation: dict[str, Any] = {"op": change.op, "path": change.pointer}
    if change.op != "remove":
        operation["value"] = value
    return operation
