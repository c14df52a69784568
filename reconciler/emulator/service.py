"""What the emulated service does to projects, whichever endpoint asks."""

from __future__ import annotations

import copy
import datetime
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from reconciler.emulator.documents import (
    DEFAULT_HOME_REGION,
    Document,
    Documents,
    Patch,
    Warnings,
    complete,
)
from reconciler.emulator.errors import ApiError, not_found
from reconciler.emulator.store import ProjectRecord, Store

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_OWNER = {
    "email": "owner@example.com",
    "name": "Project Owner",
    "email_verified": True,
    "role": "owner",
    "source": "project",
}


def now() -> str:
    """The current time in RFC 3339, as the service writes timestamps."""
    return datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")


def members_with_owner(members: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """`members` completed with ids and flags, with a default owner added when
    none of them is an owner."""
    completed = [
        {"id": str(uuid.uuid4()), "email_verified": True, "source": "project", **m}
        for m in members
    ]
    if not any(member.get("role") == "owner" for member in completed):
        completed.insert(0, {"id": str(uuid.uuid4()), **DEFAULT_OWNER})
    return completed


class ProjectService:
    """Projects in a store, changed the way the service changes them."""

    def __init__(self, store: Store, documents: Documents) -> None:
        self.store = store
        self.documents = documents
        # The stored document before each project's latest write, for stale
        # reads; kept in memory only, as the service's replicas are.
        self._previous: dict[str, Document] = {}

    def resolve(self, id_or_slug: str) -> str:
        """The id of a project named by id or slug; 404 when there is none."""
        project_id = self.store.find(id_or_slug)
        if project_id is None:
            raise not_found(f"Project {id_or_slug}")
        return project_id

    def record(self, project_id: str) -> ProjectRecord:
        record = self.store.get(project_id)
        if record is None:
            raise not_found(f"Project {project_id}")
        return record

    def revision(self, project_id: str) -> str | None:
        record = self.store.get(project_id)
        return record.revision_id if record is not None else None

    def create(
        self,
        name: str,
        environment: str,
        *,
        project_id: str | None = None,
        home_region: str | None = None,
        workspace_id: str | None = None,
    ) -> ProjectRecord:
        """Creates a project from the new-project default document."""
        project_id = project_id or str(uuid.uuid4())
        document = self.documents.new(project_id, name, environment)
        document["home_region"] = home_region or DEFAULT_HOME_REGION
        if workspace_id is not None:
            document["workspace_id"] = workspace_id
        return self._add(document, members_with_owner([]))

    def seed(self, document: Document, members: Sequence[dict[str, Any]]) -> bool:
        """Loads a seed document unless its project is known or was purged."""
        project_id = str(document["id"])
        with self.store.lock():
            if self.store.get(project_id) or self.store.was_purged(project_id):
                return False
            self._add(complete(document), members_with_owner(members))
            return True

    def view(self, project_id: str, *, stale: bool = False) -> Document:
        """The project document as getProject answers it; with `stale`, as it
        was before the latest write (as a lagging replica answers)."""
        document = self.record(project_id).document
        if stale:
            document = self._previous.get(project_id, document)
        return self.documents.read_view(document)

    def write(
        self,
        project_id: str,
        patch: Patch,
        expected_revision: str | None = None,
        *,
        organizations: list[dict[str, Any]] | None = None,
    ) -> tuple[Document, Warnings]:
        """Applies `patch` and, when given, replaces the organizations; with
        `expected_revision`, only if it is still the current revision.
        Returns the new read view and the warnings."""
        with self.store.lock():
            record = self.record(project_id)
            if expected_revision is not None and expected_revision != (
                record.revision_id
            ):
                raise ApiError(
                    409,
                    f"Revision {expected_revision} is not the current revision of "
                    f"project {project_id}; fetch the project and try again.",
                )
            written, warnings = self.documents.write(record.document, patch)
            if organizations is not None:
                written["organizations"] = organizations
            self._previous[project_id] = record.document
            record.document = written
            record.updated_at = now()
            self.store.put(project_id, record)
            logger.info(
                "write: project=%s revision=%s warnings=%d",
                project_id,
                record.revision_id,
                len(warnings),
            )
            return self.documents.read_view(record.document), warnings

    def set_organizations(
        self, project_id: str, organizations: list[dict[str, Any]]
    ) -> None:
        """Replaces the project's organizations, with a new revision.

        Organizations are not config: a patch to them changes nothing (they
        have their own endpoints), so they bypass the rewrites.
        """
        with self.store.lock():
            record = self.record(project_id)
            self._previous[project_id] = copy.deepcopy(record.document)
            record.document["organizations"] = organizations
            record.document["revision_id"] = str(uuid.uuid4())
            record.updated_at = now()
            self.store.put(project_id, record)

    def update(self, project_id: str, change: Callable[[ProjectRecord], T]) -> T:
        """Runs `change` on the project's record and stores the result."""
        with self.store.lock():
            record = self.record(project_id)
            result = change(record)
            record.updated_at = now()
            self.store.put(project_id, record)
            return result

    def purge(self, project_id: str) -> None:
        with self.store.lock():
            self.record(project_id)
            self.store.purge(project_id)

    def _add(self, document: Document, members: list[dict[str, Any]]) -> ProjectRecord:
        timestamp = now()
        record = ProjectRecord(
            document=document,
            created_at=timestamp,
            updated_at=timestamp,
            members=members,
        )
        self.store.put(str(document["id"]), record)
        return record
