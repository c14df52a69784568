"""Seed files: project documents to start from, in JSON or YAML."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import yaml

from reconciler.emulator.documents import Document

EXTENSION_KEY = "x-emulator"


class SeedError(Exception):
    """A seed file that cannot be loaded."""


def load_seed(path: Path) -> tuple[Document, list[dict[str, Any]]]:
    """The project document of a seed file and the members it lists.

    A seed without `id` gets one derived from the file name, so that the same
    file names the same project on every start.
    """
    text = path.read_text(encoding="utf-8")
    try:
        content = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise SeedError(f"{path}: not valid JSON or YAML: {error}") from error
    if not isinstance(content, dict):
        raise SeedError(f"{path}: a seed must be a project document (an object)")

    extension = content.pop(EXTENSION_KEY, None) or {}
    members = extension.get("members", []) if isinstance(extension, dict) else None
    if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
        raise SeedError(f"{path}: {EXTENSION_KEY}.members must be a list of objects")

    content.setdefault("id", str(uuid.uuid5(uuid.NAMESPACE_URL, path.stem)))
    return content, members
