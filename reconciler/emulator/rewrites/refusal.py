"""Refusals: writes the service answers with an error instead of a project."""

from __future__ import annotations

from typing import Any

# Ory's default messages for the statuses a write can be refused with.
_MESSAGES = {
    400: "The request was malformed or contained invalid parameters",
    403: "The requested action was forbidden",
}


class Refusal(Exception):
    """A write the service refuses, with the fields of Ory's error envelope."""

    def __init__(
        self,
        status: int,
        reason: str,
        *,
        error_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason
        self.message = _MESSAGES[status]
        self.error_id = error_id
        self.details = details


def invalid_patch(reason: str) -> Refusal:
    return Refusal(400, f"Unable to apply JSON patch: {reason}")


def invalid_config(reason: str) -> Refusal:
    return Refusal(400, f"Unable to validate config: {reason}")
