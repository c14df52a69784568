"""Requests and responses as the endpoint handlers see them."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.emulator.errors import bad_request
from reconciler.emulator.service import ProjectService


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, list[str]]
    body: bytes
    # A fault: getProject answers the revision before the latest write.
    stale_read: bool = False

    def json(self) -> Any:
        """The body decoded as JSON; 400 when it is not JSON."""
        try:
            return json.loads(self.body or b"null")
        except ValueError as error:
            raise bad_request(f"Unable to decode the body as JSON: {error}") from error

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object; 400 otherwise."""
        content = self.json()
        if not isinstance(content, dict):
            raise bad_request("The request body must be a JSON object.")
        return content

    def query_value(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None


@dataclass
class ApiResponse:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # The project a request without a project in its path acted on.
    project_id: str | None = None


Handler = Callable[[ProjectService, ApiRequest], ApiResponse]


def require_string(body: dict[str, Any], key: str) -> str:
    """`body[key]` as a non-empty string; 400 when missing or of another type."""
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise bad_request(f"Property {key} is required and must be a non-empty string.")
    return value


def require_enum(body: dict[str, Any], key: str, allowed: tuple[str, ...]) -> None:
    """400 when `body[key]` is present and not one of `allowed`."""
    if key in body and body[key] not in allowed:
        raise bad_request(f"Property {key} must be one of {', '.join(allowed)}.")


def require_bool(body: dict[str, Any], key: str) -> bool:
    value = body.get(key)
    if not isinstance(value, bool):
        raise bad_request(f"Property {key} is required and must be a boolean.")
    return value


ENVIRONMENTS = ("prod", "stage", "dev")
REGIONS = (
    "eu-central",
    "asia-northeast",
    "us-east",
    "us-west",
    "eu",
    "asia",
    "us",
    "global",
)


def parse_expires_at(body: dict[str, Any]) -> str | None:
    """`expires_at` of a body, normalised to RFC 3339 UTC; 400 when invalid."""
    value = body.get("expires_at")
    if value is None:
        return None
    try:
        moment = datetime.datetime.fromisoformat(str(value))
    except ValueError as error:
        raise bad_request("Property expires_at must be an RFC 3339 time.") from error
    if moment.tzinfo is None:
        raise bad_request("Property expires_at must carry a time zone.")
    return timestamp(moment)


def timestamp(moment: datetime.datetime) -> str:
    utc = moment.astimezone(datetime.UTC)
    return utc.isoformat().replace("+00:00", "Z")
