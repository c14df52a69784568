"""Checks a response body against Ory's OpenAPI document.

`validate_response("getProject", 200, body)` raises `jsonschema.ValidationError`
when `body` does not match the schema the spec gives that operation and status
(or its `default` response), and AssertionError when the spec gives the status
no body but one was sent. OpenAPI 3.0's `nullable` is honoured; `uuid` and
`date-time` formats are checked.
"""

from __future__ import annotations

import copy
import datetime
import functools
import json
from pathlib import Path
from typing import Any

import jsonschema

SPEC_PATH = (
    Path(__file__).parents[1]
    / ".."
    / "shared"
    / "ory-spec"
    / "ory-client-v1.22.65.json"
)


@functools.cache
def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    spec["components"] = _with_nullable(copy.deepcopy(spec["components"]))
    return spec


@functools.cache
def _operations() -> dict[str, dict[str, Any]]:
    return {
        operation["operationId"]: operation
        for methods in _spec()["paths"].values()
        for operation in methods.values()
        if isinstance(operation, dict) and "operationId" in operation
    }


def _with_nullable(schema: Any) -> Any:
    """The schema with `nullable: true` spelt in JSON Schema terms."""
    if isinstance(schema, list):
        return [_with_nullable(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: _with_nullable(value) for key, value in schema.items()}
    if converted.pop("nullable", False) is True:
        if isinstance(converted.get("type"), str):
            converted["type"] = [converted["type"], "null"]
        if "enum" in converted:
            converted["enum"] = [*converted["enum"], None]
    return converted


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return datetime.datetime.fromisoformat(value).tzinfo is not None


def _format_checker() -> Any:
    checker = jsonschema.FormatChecker()
    checker.checks("date-time", raises=ValueError)(_is_date_time)
    return checker


_FORMATS = _format_checker()


def response_schema(operation_id: str, status: int) -> dict[str, Any] | None:
    """The schema of the body the spec gives an operation's status; None when
    the spec gives that status no body."""
    responses = _operations()[operation_id]["responses"]
    response = responses.get(str(status), responses.get("default"))
    if response is None:
        raise AssertionError(f"{operation_id} has no response {status} in the spec")
    if "$ref" in response:
        response = _spec()["components"]["responses"][response["$ref"].split("/")[-1]]
    content = response.get("content", {}).get("application/json")
    return None if content is None else dict(content["schema"])


def validate_response(operation_id: str, status: int, body: Any) -> None:
    """Raises unless `body` is what the spec allows for this response."""
    schema = response_schema(operation_id, status)
    if schema is None:
        assert body in (None, b"", ""), f"{operation_id} {status} must have no body"
        return
    document = {**schema, "components": _spec()["components"]}
    jsonschema.Draft202012Validator(document, format_checker=_FORMATS).validate(body)
