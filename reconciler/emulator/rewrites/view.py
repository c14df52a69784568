"""How a stored project reads back through getProject."""

from __future__ import annotations

import copy
from typing import Any

from reconciler.emulator.rewrites import defaults, derived, keys, secrets

Document = dict[str, Any]

VERSION_KEY = "version"

PROJECT_DEFAULTS: Document = {
    "cors_admin": {"enabled": False, "origins": []},
    "cors_public": {"enabled": False, "origins": []},
    "organizations": [],
    "workspace_id": None,
}


def read_view(stored: Document) -> Document:
    """The project document as getProject returns it from the stored one:
    defaults filled in, server-derived keys present, secrets redacted, no
    `version` key."""
    view = copy.deepcopy(stored)
    defaults.fill(view, PROJECT_DEFAULTS)
    services = view.setdefault("services", {})
    for content in services.values():
        if isinstance(content, dict) and isinstance(content.get("config"), dict):
            content["config"].pop(VERSION_KEY, None)
    for service in keys.SERVICES:
        config = services.setdefault(service, {}).setdefault("config", {})
        defaults.fill(config, service_defaults(view, service))
        derived.add(view, service, config)
        secrets.redact(service, config)
    return view


def service_defaults(project: Document, service: str) -> dict[str, Any]:
    return defaults.config(
        service, name=str(project.get("name", "")), domain=derived.domain(project)
    )
