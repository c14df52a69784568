"""How the service applies a JSON Patch to a project."""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import jsonpointer

from reconciler.emulator.rewrites import defaults, derived, keys, secrets, storage
from reconciler.emulator.rewrites.cleaning import Cleaner, Touched, Warnings
from reconciler.emulator.rewrites.refusal import Refusal, invalid_config, invalid_patch
from reconciler.emulator.rewrites.view import (
    PROJECT_DEFAULTS,
    VERSION_KEY,
    read_view,
    service_defaults,
)

Document = dict[str, Any]

OPERATIONS = ("add", "remove", "replace", "move", "copy", "test")
READ_ONLY = ("id", "revision_id", "slug", "state")
FIXED = "home_region"
# Fields with their own endpoints: a patch to them changes nothing.
IGNORED = ("environment", "organizations", "workspace_id")

# Accepted and kept at its stored value on the projects that lock it.
LOCKED = {"permission": "namespaces.experimental_strict_mode"}

# A key only some plans may turn on, and the feature it belongs to.
PLAN_GATED = ("identity", "selfservice.methods.saml.enabled", "saml")


def write(
    stored: Document, patch: list[dict[str, Any]]
) -> tuple[Document, list[dict[str, Any]]]:
    """Applies `patch` to the read view of `stored` the way the service does.

    Returns the new stored document and the warnings of the write; raises
    Refusal when the service answers with an error instead.
    """
    _check_operations(patch)
    view = read_view(stored)
    patched = _apply(view, patch)
    touched = _touched(patch)
    warnings = Warnings()

    written = _project_fields(stored, view, patched, touched, warnings)
    _check_plan(view, patched)
    written["services"] = _services(stored, view, patched, touched, warnings)
    return written, warnings.items


def _check_operations(patch: Any) -> None:
    if not isinstance(patch, list):
        raise invalid_patch("the body must be a JSON Patch array")
    for operation in patch:
        if not isinstance(operation, dict) or operation.get("op") not in OPERATIONS:
            raise invalid_patch(f"not an operation: {operation!r}")
        if not isinstance(operation.get("path"), str):
            raise invalid_patch(f"an operation without a path: {operation!r}")


def _apply(view: Document, patch: list[dict[str, Any]]) -> Document:
    """`view` with each operation applied; a `replace` of a path that does
    not exist changes nothing."""
    # One copy of the document, changed in place operation by operation:
    # copying it per operation made a long patch quadratic. Each value is
    # copied so that later operations never change the patch itself.
    document: Any = copy.deepcopy(view)
    for operation in patch:
        if operation["op"] == "replace" and not _exists(document, operation["path"]):
            continue
        try:
            document = jsonpatch.JsonPatch([copy.deepcopy(operation)]).apply(
                document, in_place=True
            )
        except (
            jsonpatch.JsonPatchException,
            jsonpointer.JsonPointerException,
        ) as error:
            raise invalid_patch(str(error)) from error
    if not isinstance(document, dict):
        raise invalid_config("the project must be an object")
    return document


def _exists(document: Any, path: str) -> bool:
    missing = object()
    try:
        return jsonpointer.resolve_pointer(document, path, missing) is not missing
    except jsonpointer.JsonPointerException:
        return False


def _touched(patch: list[dict[str, Any]]) -> Touched:
    """The paths the patch writes to or moves from (a `test` writes none)."""
    paths = []
    for operation in patch:
        if operation["op"] == "test":
            continue
        for field in ("path", "from"):
            if isinstance(operation.get(field), str):
                paths.append(jsonpointer.JsonPointer(operation[field]).parts)
    return Touched(paths)


def _project_fields(
    stored: Document,
    view: Document,
    patched: Document,
    touched: Touched,
    warnings: Warnings,
) -> Document:
    """The project's own fields after the write: read-only ones refused,
    ignored ones kept, the rest cleaned like a config."""
    for field in READ_ONLY:
        if patched.get(field) != view.get(field):
            raise Refusal(400, f"The field `/{field}` is read-only.")
    if patched.get(FIXED) != view.get(FIXED):
        raise Refusal(400, "The home region of a project can not change.")

    own = {
        key: value
        for key, value in patched.items()
        if key not in (*READ_ONLY, FIXED, *IGNORED, "services")
    }
    previous = {key: stored[key] for key in own if key in stored}
    cleaner = Cleaner("project", (), touched, warnings)
    cleaned = cleaner.clean_object(
        own, keys.tree("project"), previous, PROJECT_DEFAULTS
    )

    written = {
        key: copy.deepcopy(stored[key])
        for key in (*READ_ONLY, FIXED, *IGNORED, "name")
        if key in stored
    }
    written.update(cleaned)
    defaults.fill(written, PROJECT_DEFAULTS)
    return written


def _check_plan(view: Document, patched: Document) -> None:
    service, path, feature = PLAN_GATED
    before = keys.get(_config(view, service), path)
    after = keys.get(_config(patched, service), path)
    if after is True and before is not True:
        raise Refusal(
            403,
            f"The feature `{feature}` is not available on the plan of this project.",
            error_id="feature_not_available",
            details={"feature": feature},
        )


def _services(
    stored: Document,
    view: Document,
    patched: Document,
    touched: Touched,
    warnings: Warnings,
) -> dict[str, Any]:
    services = patched.get("services")
    if not isinstance(services, dict):
        services = {}
    written: dict[str, Any] = {}
    for service in keys.SERVICES:
        config = _config(patched, service)
        previous = _config(stored, service)
        cleaner = Cleaner(service, ("services", service, "config"), touched, warnings)
        written[service] = {
            "config": _service_config(stored, view, service, config, previous, cleaner)
        }
    # Services outside the key table keep what they store.
    for service in sorted({*view["services"], *services} - set(keys.SERVICES)):
        kept = view["services"].get(service)
        if services.get(service) != kept:
            warnings.dropped_key(f"services.{service}")
        if kept is not None:
            written[service] = copy.deepcopy(kept)
    return written


def _service_config(
    stored: Document,
    view: Document,
    service: str,
    config: dict[str, Any],
    previous: dict[str, Any],
    cleaner: Cleaner,
) -> dict[str, Any]:
    config = {key: value for key, value in config.items() if key != VERSION_KEY}
    own_defaults = service_defaults(view, service)
    cleaned = cleaner.clean_object(config, keys.tree(service), previous, own_defaults)

    if service in LOCKED:
        _keep_locked(cleaned, previous, LOCKED[service])
    secrets.restore(service, cleaned, previous)
    environment = str(stored.get("environment", "prod"))
    storage.store_inline(service, cleaned, environment)
    if service == "identity":
        storage.rewrite_schemas(cleaned, previous, environment)
    derived.remove(view, service, cleaned)
    defaults.fill(cleaned, own_defaults)
    return cleaned


def _keep_locked(config: dict[str, Any], previous: dict[str, Any], path: str) -> None:
    stored = keys.get(previous, path)
    parent = keys.get(config, path.rsplit(".", 1)[0])
    if not isinstance(parent, dict):
        return
    if stored is None:
        keys.delete(config, path)
    else:
        keys.put(config, path, stored)


def _config(document: Document, service: str) -> dict[str, Any]:
    services = document.get("services")
    if services is None:
        return {}
    if not isinstance(services, dict):
        raise invalid_config("/services must be an object")
    content = services.get(service)
    if not isinstance(content, dict):
        return {}
    config = content.get("config")
    if not isinstance(config, dict):
        raise invalid_config(f"/services/{service}/config must be an object")
    return config
