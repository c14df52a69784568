"""Variables, secret files and ``file://`` includes in manifest string values.

* ``${NAME}`` is the environment variable NAME; unset, it is an error.
  ``${NAME:-default}`` falls back to ``default`` when NAME is unset or empty;
  ``${NAME:?message}`` is an error showing ``message`` when NAME is unset or
  empty. ``$$`` writes one ``$``; a ``$`` followed by anything else is kept.
  Defaults are plain text (no nested placeholders, no ``}``).
* ``${file:NAME}`` is the content of the file NAME in the secrets directory,
  less one trailing newline. NAME is a relative path that stays inside that
  directory, symbolic links included. A secrets directory that does not
  exist is one error, however many placeholders read from it.
* A path leading outside its folder is refused before its file is looked
  for, so that an error never tells whether a file outside exists.
* A value that came wholly or partly from the environment (not from a
  default) or from a secret file is secret: its pointer is reported so that
  it is never shown.
* A value that is one placeholder and nothing else becomes a boolean, an
  integer or a number where the key takes one (``enabled: ${FLAG}`` with
  FLAG=true is ``true``). Substitution never produces YAML structure.
* A string value starting with ``file://`` is replaced by the file's content
  as ``base64://<standard base64>``. The path is taken literally (no
  variables), is relative to the file that declares it, and stays inside the
  manifest folder, symbolic links included.

Only the desired values (``name``, ``cors_public``, ``cors_admin``,
``services``) are interpolated; ``project``, ``extends``, ``ignore`` and
``own`` are taken as written, so that the set of manifests and fragments
does not depend on the environment. Messages name the variable or the
path, never a value.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.errors import Location, ManifestError
from reconciler.manifest.yaml_reader import Document
from reconciler.pointer import Part, escape

MAX_INCLUDED_FILE_BYTES = 8 * 1024 * 1024

ExpectedType = Callable[[tuple[Part, ...]], str | None]

_TOKEN = re.compile(r"\$(?:\$|\{([^}]*)\}|\{)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INTEGER = re.compile(r"[-+]?[0-9]+")
_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_FILE_PREFIX = "file://"
_SECRET_FILE_PREFIX = "file:"


@dataclass(frozen=True)
class Context:
    """What a placeholder or an include may read."""

    environ: Mapping[str, str]
    secrets_dir: Path | None
    root: Path
    root_name: str
    expected_type: ExpectedType


@dataclass
class Interpolated:
    """A document's data with every placeholder and include replaced."""

    data: dict[str, Any]
    secrets: set[str] = field(default_factory=set)
    errors: list[ManifestError] = field(default_factory=list)


class _Problem(Exception):
    """A value that cannot be interpolated, reported at the value's place."""


class _MissingSecretsDir(Exception):
    """The secrets directory does not exist: one problem, however many use it."""

    def __init__(self, directory: Path) -> None:
        super().__init__(str(directory))
        self.directory = directory


def interpolate(
    document: Document, keys: tuple[str, ...], context: Context
) -> Interpolated:
    """Replace placeholders and includes in the values under the top-level ``keys``."""
    walker = _Walker(document, context)
    data = dict(document.data)
    for key in keys:
        if key in data:
            data[key] = walker.value(data[key], (key,), f"/{escape(key)}")
    return Interpolated(data=data, secrets=walker.secrets, errors=walker.errors)


class _Walker:
    def __init__(self, document: Document, context: Context) -> None:
        self.document = document
        self.context = context
        self.secrets: set[str] = set()
        self.errors: list[ManifestError] = []

    def value(self, value: Any, parts: tuple[Part, ...], pointer: str) -> Any:
        if isinstance(value, str):
            if "$" in value or value.startswith(_FILE_PREFIX):
                return self._string(value, parts, pointer)
            return value
        if isinstance(value, dict):
            return {
                key: self.value(item, (*parts, key), f"{pointer}/{escape(key)}")
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [
                self.value(item, (*parts, index), f"{pointer}/{index}")
                for index, item in enumerate(value)
            ]
        return value

    def _string(self, value: str, parts: tuple[Part, ...], pointer: str) -> Any:
        try:
            if value.startswith(_FILE_PREFIX):
                return self._include(value[len(_FILE_PREFIX) :])
            text, secret, whole = self._expand(value)
            if secret:
                self.secrets.add(pointer)
            if whole:
                return _typed(text, value, self.context.expected_type(parts))
            return text
        except _Problem as problem:
            self.errors.append(
                ManifestError(self.document.location(pointer), f"{pointer}: {problem}")
            )
        except _MissingSecretsDir as missing:
            # Placed at the directory, so that every use gives the same error.
            self.errors.append(
                ManifestError(
                    Location(str(missing.directory)),
                    "no such secrets directory "
                    "(--secrets-dir or RECONCILE_SECRETS_DIR)",
                )
            )
        return value

    def _expand(self, value: str) -> tuple[str, bool, bool]:
        """The text, whether a part of it is secret, whether it is one placeholder."""
        pieces: list[str] = []
        secret = False
        position = 0
        placeholders = 0
        for match in _TOKEN.finditer(value):
            pieces.append(value[position : match.start()])
            position = match.end()
            token = match.group(0)
            if token == "$$":
                pieces.append("$")
                continue
            if token == "${":
                raise _Problem("a ${ is not closed by }; write $$ for a literal $")
            text, from_secret = self._placeholder(match.group(1))
            pieces.append(text)
            secret = secret or from_secret
            placeholders += 1
        pieces.append(value[position:])
        whole = placeholders == 1 and _TOKEN.fullmatch(value) is not None
        return "".join(pieces), secret, whole

    def _placeholder(self, body: str) -> tuple[str, bool]:
        if body.startswith(_SECRET_FILE_PREFIX):
            return self._secret_file(body[len(_SECRET_FILE_PREFIX) :]), True
        name, operator, argument = _split_placeholder(body)
        found = self.context.environ.get(name)
        if operator == ":-":
            return (found, True) if found else (argument, False)
        if operator == ":?" and not found:
            raise _Problem(f"variable {name} is not set or empty: {argument}")
        if found is None:
            raise _Problem(f"variable {name} is not set")
        return found, True

    def _secret_file(self, name: str) -> str:
        shown = f"${{file:{name}}}"
        directory = self.context.secrets_dir
        if directory is None:
            raise _Problem(
                f"{shown} needs a secrets directory "
                "(--secrets-dir or RECONCILE_SECRETS_DIR)"
            )
        relative = Path(name)
        if not name or relative.is_absolute() or ".." in relative.parts:
            raise _Problem(
                f"{shown}: name a file inside the secrets directory "
                "with a relative path without '..'"
            )
        if not directory.is_dir():
            raise _MissingSecretsDir(directory)
        content = _read_inside(
            directory / relative, directory, shown, "secrets directory"
        )
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            raise _Problem(f"{shown}: the secret file is not UTF-8") from None
        return (
            text.removesuffix("\n").removesuffix("\r") if text.endswith("\n") else text
        )

    def _include(self, path: str) -> str:
        shown = f"{_FILE_PREFIX}{path}"
        if not path:
            raise _Problem(f"{shown}: the path is empty")
        if Path(path).is_absolute():
            raise _Problem(
                f"{shown}: the path is absolute; write it relative to this file"
            )
        content = _read_inside(
            self.document.path.parent / path,
            self.context.root,
            shown,
            f"manifest folder {self.context.root_name}",
        )
        return "base64://" + base64.b64encode(content).decode("ascii")


def _split_placeholder(body: str) -> tuple[str, str, str]:
    for operator in (":-", ":?"):
        name, found, argument = body.partition(operator)
        if found and _NAME.fullmatch(name):
            return name, operator, argument
    if _NAME.fullmatch(body):
        return body, "", ""
    raise _Problem(
        f"${{{body}}} is not a placeholder; write ${{NAME}}, ${{NAME:-default}}, "
        "${NAME:?message} or ${file:NAME}, or $$ for a literal $"
    )


def _read_inside(path: Path, folder: Path, shown: str, folder_label: str) -> bytes:
    """The bytes of ``path``, which must resolve to a file inside ``folder``.

    A path leading outside is refused before anything else is asked of it,
    so that the answer never tells whether a file outside exists.
    """
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError) as error:
        raise _Problem(f"{shown}: cannot read the file ({error})") from None
    if not resolved.is_relative_to(folder.resolve()):
        raise _Problem(f"{shown}: the path leads outside the {folder_label}")
    if not resolved.exists():
        raise _Problem(f"{shown}: no such file")
    if not resolved.is_file():
        raise _Problem(f"{shown}: not a file")
    try:
        with resolved.open("rb") as stream:
            content = stream.read(MAX_INCLUDED_FILE_BYTES + 1)
    except OSError as error:
        raise _Problem(f"{shown}: cannot read the file ({error.strerror})") from None
    if len(content) > MAX_INCLUDED_FILE_BYTES:
        limit = MAX_INCLUDED_FILE_BYTES // (1024 * 1024)
        raise _Problem(f"{shown}: the file is larger than {limit} MiB")
    return content


def _typed(text: str, written: str, expected: str | None) -> Any:
    """``text`` as the JSON type ``expected``, for a value that was one placeholder."""
    if expected == "boolean":
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise _Problem(f"{written} must give true or false for this key")
    if expected == "integer":
        if _INTEGER.fullmatch(text):
            return int(text)
        raise _Problem(f"{written} must give an integer for this key")
    if expected == "number":
        if _INTEGER.fullmatch(text):
            return int(text)
        if _NUMBER.fullmatch(text):
            return float(text)
        raise _Problem(f"{written} must give a number for this key")
    return text
