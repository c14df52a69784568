"""Errors of the emulator: those it answers with, in Ory's error envelope,
and those that keep it from starting."""

from __future__ import annotations

import uuid
from http import HTTPStatus
from typing import Any

# Default messages of Ory's error library; the 401 one is as captured from the
# live service.
_MESSAGES = {
    400: "The request was malformed or contained invalid parameters",
    401: "Access credentials are invalid",
    403: "The requested action was forbidden",
    404: "The requested resource could not be found",
    405: "The requested method is not allowed on this resource",
    406: "The request is not acceptable",
    409: "The resource could not be modified due to a conflict",
    429: "Too many requests",
    500: "An internal server error occurred, please contact the system administrator",
    502: "The upstream service answered with an invalid response",
    503: "The service is temporarily unavailable",
}


class EmulatorSetupError(Exception):
    """A state file, seed file, fault plan, request log or port the emulator
    cannot start with; the message is one line naming the culprit."""


class ApiError(Exception):
    """A request the emulator refuses, with the fields of Ory's envelope."""

    def __init__(
        self,
        status: int,
        reason: str,
        *,
        message: str | None = None,
        error_id: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.message = message or _MESSAGES.get(status, HTTPStatus(status).phrase)
        self.error_id = error_id
        self.details = details
        self.headers = headers or {}
        super().__init__(f"{status}: {reason}")

    def content(self) -> dict[str, Any]:
        """The inner object of the envelope."""
        content: dict[str, Any] = {
            "code": self.status,
            "status": HTTPStatus(self.status).phrase,
            "request": str(uuid.uuid4()),
            "reason": self.reason,
            "message": self.message,
        }
        if self.error_id is not None:
            content["id"] = self.error_id
        if self.details is not None:
            content["details"] = self.details
        return content

    def body(self, *, flat: bool = False) -> dict[str, Any]:
        """The response body: `{"error": {...}}`, or for operations whose spec
        names the flat `genericError` schema, the same fields at the top level
        as well."""
        content = self.content()
        if flat:
            return {**content, "error": content}
        return {"error": content}


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} could not be found.")


def bad_request(reason: str) -> ApiError:
    return ApiError(400, reason)
