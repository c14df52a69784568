"""Which files to read: the paths given, directories searched recursively."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import Location, ManifestError

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Source:
    """A file to read, and the folder its includes and fragments must stay in.

    ``name`` is the file as messages show it: the path given, or the
    directory given joined with the file's path inside it. ``root`` is the
    directory given, or the directory of the file given.
    """

    path: Path
    name: str
    root: Path
    root_name: str


def discover(paths: Sequence[Path]) -> tuple[list[Source], list[ManifestError]]:
    """The files under ``paths`` (``*.yaml`` and ``*.yml`` in directories), sorted."""
    sources: list[Source] = []
    errors: list[ManifestError] = []
    seen: set[Path] = set()
    for given in paths:
        if given.is_dir():
            found = _directory(given)
        elif given.is_file():
            parent = given.parent
            found = [Source(given.resolve(), str(given), parent.resolve(), str(parent))]
        else:
            errors.append(
                ManifestError(Location(str(given)), "no such file or directory")
            )
            continue
        for source in found:
            if source.path not in seen:
                seen.add(source.path)
                sources.append(source)
    return sources, errors


def _directory(directory: Path) -> list[Source]:
    root = directory.resolve()
    found: list[tuple[str, Path]] = []
    for folder, _, files in os.walk(directory):
        for file in files:
            if file.endswith(SUFFIXES):
                path = Path(folder) / file
                found.append((path.relative_to(directory).as_posix(), path))
    found.sort()
    return [
        Source(path.resolve(), str(directory / relative), root, str(directory))
        for relative, path in found
    ]
