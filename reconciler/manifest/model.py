"""A manifest once read: the desired state of one project and where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import Location


@dataclass(frozen=True)
class Manifest:
    """The desired state of one Ory Network project.

    ``desired`` has the shape of the project document (``name``,
    ``cors_public``, ``cors_admin``, ``services``) holding only what the
    manifest declares. ``sources`` maps the JSON pointer of every declared
    value (``/services/identity/config/session/lifespan``) to the place it was
    written. ``secrets`` holds the pointers whose values are secret and must
    never be shown. ``project_id`` is a UUID in lower case. ``ignore`` and
    ``own`` are JSON pointer patterns, where ``*`` matches one list item or
    object key.
    """

    project_id: str
    location: Location
    desired: dict[str, Any]
    sources: dict[str, Location] = field(default_factory=dict)
    secrets: frozenset[str] = frozenset()
    ignore: tuple[str, ...] = ()
    own: tuple[str, ...] = ()

    def source_of(self, pointer: str) -> Location:
        """The place that declared ``pointer`` or, failing that, its nearest parent."""
        while pointer:
            if pointer in self.sources:
                return self.sources[pointer]
            pointer = pointer.rsplit("/", 1)[0]
        return self.location
