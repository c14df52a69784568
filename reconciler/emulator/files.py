"""The emulator's input files (seeds, fault plans): JSON, or YAML for any
other suffix, read into plain JSON data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from reconciler.emulator.errors import EmulatorSetupError


def read_data(path: Path, what: str) -> Any:
    """The content of `path`; EmulatorSetupError naming `what`, the file and,
    where the parser gives one, the line when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise EmulatorSetupError(f"{what} {path} is not UTF-8 text") from error
    except OSError as error:
        raise EmulatorSetupError(
            f"cannot read {what} {path}: {error.strerror or error}"
        ) from error

    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise EmulatorSetupError(
                f"{what} {path}, line {error.lineno}: not valid JSON: {error.msg}"
            ) from error
    else:
        data = _load_yaml(text, path, what)

    # YAML knows more types than JSON (dates, for one); the emulator keeps
    # and answers JSON only.
    try:
        json.dumps(data)
    except (TypeError, ValueError) as error:
        raise EmulatorSetupError(
            f"{what} {path} holds a value JSON cannot represent: {error}"
        ) from error
    return data


def _load_yaml(text: str, path: Path, what: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = error.problem or error.context or "not valid YAML"
        raise EmulatorSetupError(
            f"{what} {path}{where}: not valid YAML: {problem}"
        ) from error
    except yaml.YAMLError as error:
        raise EmulatorSetupError(f"{what} {path}: not valid YAML: {error}") from error
