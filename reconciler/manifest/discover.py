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
    """The files under ``paths`` (``*.yaml`` and ``*.yml`` in directories), sorted.

    A file found in a directory through a symbolic link that leads outside
    that directory is an error, not a file to read.
    """
    sources: list[Source] = []
    errors: list[ManifestError] = []
    seen: set[Path] = set()
    for given in paths:
        if given.is_dir():
            found, outside = _directory(given)
            errors.extend(outside)
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


def _directory(directory: Path) -> tuple[list[Source], list[ManifestError]]:
    root = directory.resolve()
    found: list[tuple[str, Path]] = []
    for folder, _, files in os.walk(directory):
        for file in files:
            if file.endswith(SUFFIXES):
                path = Path(folder) / file
                found.append((path.relative_to(directory).as_posix(), path))
    found.sort()
    sources, errors = [], []
    for relative, path in found:
        name = str(directory / relative)
        resolved = path.resolve()
        if resolved.is_relative_to(root):
            sources.append(Source(resolved, name, root, str(directory)))
        else:
            errors.append(
                ManifestError(
                    Location(name),
                    "a symbolic link that leads outside the manifest folder "
                    f"{directory}; move the file into the folder",
                )
            )
    return sources, errors
