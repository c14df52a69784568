"""The document of a project created just now."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from reconciler.emulator.rewrites import defaults, derived, keys
from reconciler.emulator.rewrites.view import PROJECT_DEFAULTS

HOME_REGION = "eu-central"

# Slugs read like the real ones: two words and ten letters or digits.
_ADJECTIVES = (
    "silly",
    "upbeat",
    "admiring",
    "brave",
    "eager",
    "gifted",
    "jolly",
    "quirky",
)
_SURNAMES = (
    "hofstadter",
    "mclean",
    "tu",
    "lovelace",
    "hopper",
    "turing",
    "noether",
    "curie",
)
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_project(
    project_id: str, name: str, environment: str = "prod"
) -> dict[str, Any]:
    """The stored document of a new project: the service's defaults for
    every service, no derived values (a read adds them)."""
    document: dict[str, Any] = {
        "id": project_id,
        "revision_id": str(uuid.uuid4()),
        "slug": slug(project_id),
        "state": "running",
        "name": name,
        "environment": environment,
        "home_region": HOME_REGION,
        **{key: _copy(value) for key, value in PROJECT_DEFAULTS.items()},
    }
    domain = derived.domain(document)
    document["services"] = {
        service: {"config": defaults.config(service, name=name, domain=domain)}
        for service in keys.SERVICES
    }
    return document


def slug(project_id: str) -> str:
    """A slug derived from the project id, stable across runs."""
    digest = hashlib.sha256(project_id.encode()).digest()
    suffix = "".join(_ALPHABET[byte % len(_ALPHABET)] for byte in digest[2:12])
    return f"{_ADJECTIVES[digest[0] % 8]}-{_SURNAMES[digest[1] % 8]}-{suffix}"


def _copy(value: Any) -> Any:
    return value.copy() if isinstance(value, dict | list) else value
