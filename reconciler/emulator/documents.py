"""Project documents: how a write changes the stored document, and how a
stored document reads back.

With rewrites on, both go through `rewrites` (the service's treatment of a
config). With rewrites off, a patch is applied with plain RFC 6902 semantics
and the document reads back exactly as stored. Either way the emulator keeps
the keys it owns (`id`, `slug`, `state`) and gives every write a new
`revision_id`.
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from typing import Any

import jsonpatch
import jsonpointer

from reconciler.emulator import rewrites
from reconciler.emulator.errors import ApiError

Document = dict[str, Any]
Patch = list[dict[str, Any]]
Warnings = list[dict[str, Any]]

OWNED_KEYS = ("id", "slug", "state")
SERVICES = ("identity", "oauth2", "permission", "account_experience", "talos")
# Every key the emulator reads from a stored document, each a string unless
# listed in _NOT_STRINGS.
_REQUIRED_KEYS = (
    "id",
    "revision_id",
    "slug",
    "services",
    "state",
    "name",
    "environment",
    "home_region",
    "organizations",
)
_NOT_STRINGS = ("services", "organizations")

DEFAULT_NAME = "Emulated project"
DEFAULT_ENVIRONMENT = "prod"
DEFAULT_HOME_REGION = "eu-central"


def complete(document: Document) -> Document:
    """`document` with every key the spec requires of a project, filling the
    missing ones with the defaults listed in the package documentation."""
    completed = copy.deepcopy(document)
    digest = hashlib.sha256(str(completed["id"]).encode()).hexdigest()
    completed.setdefault("name", DEFAULT_NAME)
    completed.setdefault("environment", DEFAULT_ENVIRONMENT)
    completed.setdefault("home_region", DEFAULT_HOME_REGION)
    completed.setdefault("organizations", [])
    completed.setdefault("slug", f"emulated-{digest[:10]}")
    completed.setdefault("state", "running")
    completed.setdefault("services", {})
    completed.setdefault("revision_id", str(uuid.uuid4()))
    return completed


class Documents:
    """Reads and writes project documents, with or without the rewrites."""

    def __init__(self, *, rewrites: bool) -> None:
        self.use_rewrites = rewrites

    def new(self, project_id: str, name: str, environment: str) -> Document:
        """The stored document of a project created just now."""
        if self.use_rewrites:
            document = rewrites.new_project(project_id, name, environment)
        else:
            document = {
                "id": project_id,
                "name": name,
                "environment": environment,
                "services": {service: {"config": {}} for service in SERVICES},
            }
        document["revision_id"] = str(uuid.uuid4())
        return complete(document)

    def read_view(self, stored: Document) -> Document:
        """The document as getProject answers it."""
        if self.use_rewrites:
            view = rewrites.read_view(stored)
        else:
            view = copy.deepcopy(stored)
        for key in (*OWNED_KEYS, "revision_id"):
            view[key] = stored[key]
        return view

    def unreadable(self, stored: Document) -> str | None:
        """Why `stored` cannot be read back, if it cannot: a seed or a state
        file may hold values of a shape the service never stores."""
        try:
            self.read_view(stored)
        except (AttributeError, IndexError, KeyError, TypeError, ValueError) as error:
            return f"cannot read it back: {type(error).__name__}: {error}"
        return None

    def write(self, stored: Document, patch: Patch) -> tuple[Document, Warnings]:
        """The new stored document after `patch`, with a new revision, and the
        warnings of the write. Raises ApiError when the write is refused."""
        if self.use_rewrites:
            written, warnings = _write_with_rewrites(stored, patch)
        else:
            written, warnings = _write_plainly(stored, patch), []
        for key in OWNED_KEYS:
            written[key] = stored[key]
        written["revision_id"] = str(uuid.uuid4())
        return written, warnings


def _write_with_rewrites(stored: Document, patch: Patch) -> tuple[Document, Warnings]:
    try:
        return rewrites.write(stored, patch)
    except rewrites.Refusal as refusal:
        raise ApiError(
            refusal.status,
            refusal.reason,
            message=refusal.message,
            error_id=refusal.error_id,
            details=refusal.details,
        ) from refusal


def _write_plainly(stored: Document, patch: Patch) -> Document:
    try:
        written = jsonpatch.JsonPatch(patch).apply(stored)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as error:
        raise ApiError(400, f"Unable to apply JSON patch: {error}") from error
    problem = document_problem(written)
    if problem is not None:
        raise ApiError(400, f"Unable to validate config: {problem}")
    return dict(written)


def document_problem(document: Any) -> str | None:
    """What makes `document` no longer a project document, if anything."""
    if not isinstance(document, dict):
        return "the project must be an object"
    missing = [key for key in _REQUIRED_KEYS if key not in document]
    if missing:
        return f"missing properties: {', '.join(missing)}"
    for key in _REQUIRED_KEYS:
        if key not in _NOT_STRINGS and not isinstance(document[key], str):
            return f"/{key} must be a string"
    if not isinstance(document["organizations"], list):
        return "/organizations must be an array"
    services = document["services"]
    if not isinstance(services, dict):
        return "/services must be an object"
    for service, content in services.items():
        if not isinstance(content, dict) or not isinstance(content.get("config"), dict):
            return f"/services/{service}/config must be an object"
    return None
