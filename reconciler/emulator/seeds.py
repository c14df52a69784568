"""Seed files: project documents to start from, in JSON or YAML."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from reconciler.emulator.documents import Document, complete, document_problem
from reconciler.emulator.errors import EmulatorSetupError
from reconciler.emulator.files import read_data

EXTENSION_KEY = "x-emulator"


def load_seed(path: Path) -> tuple[Document, list[dict[str, Any]]]:
    """The project document of a seed file, completed with the documented
    defaults, and the members it lists. EmulatorSetupError when the file is
    no project document.

    A seed without `id` gets one derived from the file name, so that the same
    file names the same project on every start.
    """
    content = read_data(path, "seed")
    if not isinstance(content, dict):
        raise EmulatorSetupError(f"seed {path}: a seed must be a project document")

    extension = content.pop(EXTENSION_KEY, None) or {}
    members = extension.get("members", []) if isinstance(extension, dict) else None
    if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
        raise EmulatorSetupError(
            f"seed {path}: {EXTENSION_KEY}.members must be a list of objects"
        )

    content.setdefault("id", str(uuid.uuid5(uuid.NAMESPACE_URL, path.stem)))
    document = complete(content)
    problem = document_problem(document)
    if problem is not None:
        raise EmulatorSetupError(f"seed {path}: not a project document: {problem}")
    return document, members
