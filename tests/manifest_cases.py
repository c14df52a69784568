"""Bad manifests and the exact errors they give.

Each case is a small file (or a folder) under ``tests/manifests/bad/``. The
errors it must give are written in the case itself, at the end, as comments:

    # error: trap-yes.yaml:8: /services/.../enabled: unquoted yes is ...

one per error line, the file named relative to ``tests/manifests/bad/`` and
``<bad>`` standing for that folder's absolute path. Loading the case's path
(absolute) with an empty environment and ``SECRETS_DIR`` as the secrets
directory must raise ManifestErrors whose text is exactly those lines, each
prefixed by the folder. Hostile inputs unfit for the repository (a 32 MiB
file, symbolic links leading out, raw bidirectional text controls, a
secrets directory that does not exist) are built in a scratch directory by
the builders in ``HOSTILE``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reconciler.manifest.yaml_reader import MAX_FILE_BYTES

HERE = Path(__file__).resolve().parent
BAD = HERE / "manifests" / "bad"
SECRETS_DIR = HERE / "manifests" / "secrets"
PROJECT_ID = "5b5f2a1c-3d4e-4f60-8a9b-0c1d2e3f4a5b"
_ERROR_COMMENT = re.compile(r"^# error: (.*)$", re.MULTILINE)
# Files that cases extend; they are not cases themselves.
_SHARED = "fragments"


@dataclass(frozen=True)
class Case:
    """A path to load and the exact text of the errors it gives."""

    path: Path
    expected: str
    secrets_dir: Path = SECRETS_DIR

    @property
    def name(self) -> str:
        return self.path.name


def _static_cases() -> list[Case]:
    cases = []
    for path in sorted(BAD.iterdir()):
        if path.name == _SHARED:
            continue
        files = sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
        errors = [
            f"{BAD}/{error.replace('<bad>', str(BAD))}"
            for file in files
            for error in _ERROR_COMMENT.findall(
                file.read_bytes().decode("utf-8", errors="replace")
            )
        ]
        cases.append(Case(path, "\n".join(errors)))
    return cases


CASES = _static_cases()


def oversized(directory: Path) -> Case:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "oversized.yaml"
    with path.open("w") as stream:
        stream.write(f"project: {PROJECT_ID}\nname: ")
        stream.write("x" * MAX_FILE_BYTES)
    return Case(
        path, f"{path}:1: the file is larger than 32 MiB, the most a manifest may hold"
    )


def include_through_symlink(directory: Path) -> Case:
    outside = _outside(directory, "schema.json", '{"type": "object"}\n')
    folder = _folder(directory)
    (folder / "schema.json").symlink_to(outside)
    path = _identity_manifest(
        folder,
        "identity:\n  schemas:\n    - id: customer\n      url: file://schema.json\n",
    )
    return Case(
        path,
        f"{path}:8: /services/identity/config/identity/schemas/0/url: "
        f"file://schema.json: the path leads outside the manifest folder {folder}",
    )


def secret_through_symlink(directory: Path) -> Case:
    outside = _outside(directory, "token", "not-for-manifests\n")
    secrets = directory / "secrets"
    secrets.mkdir()
    (secrets / "token").symlink_to(outside)
    path = _identity_manifest(
        _folder(directory),
        'courier:\n  smtp:\n    connection_uri: "smtps://a:${file:token}@example.com"\n',
    )
    return Case(
        path,
        f"{path}:7: /services/identity/config/courier/smtp/connection_uri: "
        "${file:token}: the path leads outside the secrets directory",
        secrets_dir=secrets,
    )


def fragment_through_symlink(directory: Path) -> Case:
    outside = _outside(directory, "base.yaml", "name: Shared\n")
    folder = _folder(directory)
    (folder / "base.yaml").symlink_to(outside)
    path = folder / "manifest.yaml"
    path.write_text(f"project: {PROJECT_ID}\nextends:\n  - base.yaml\n")
    return Case(
        path,
        f"{path}:3: /extends/0: base.yaml: "
        f"the path leads outside the manifest folder {folder}",
    )


def manifest_through_symlink(directory: Path) -> Case:
    outside = _outside(directory, "other.yaml", f"project: {PROJECT_ID}\nname: X\n")
    folder = _folder(directory)
    (folder / "link.yaml").symlink_to(outside)
    return Case(
        folder,
        f"{folder}/link.yaml: a symbolic link that leads outside the manifest "
        f"folder {folder}; move the file into the folder",
    )


def bidirectional_controls(directory: Path) -> Case:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "manifest.yaml"
    # Raw, as a reader would not see them: in a comment, a key and a value.
    path.write_text(
        f"project: {PROJECT_ID}\n"
        "# admin \u202e\u2066 only\n"
        "name: Shop\u2069\n"
        "services:\n"
        "  identity:\n"
        "    config:\n"
        "      \u202aa: 1\n"
    )
    refused = "(a bidirectional text control) is not allowed in a manifest"
    return Case(
        path,
        "\n".join(
            [
                f"{path}:2: character #x202e {refused}",
                f"{path}:2: character #x2066 {refused}",
                f"{path}:3: character #x2069 {refused}",
                f"{path}:7: character #x202a {refused}",
            ]
        ),
    )


def secrets_dir_missing(directory: Path) -> Case:
    secrets = directory / "no-such-secrets"
    path = _identity_manifest(
        _folder(directory),
        "courier:\n"
        "  smtp:\n"
        '    connection_uri: "smtps://a:${file:smtp}@example.com"\n'
        '    from_name: "${file:name}"\n',
    )
    return Case(
        path,
        f"{secrets}: no such secrets directory (--secrets-dir or "
        "RECONCILE_SECRETS_DIR)",
        secrets_dir=secrets,
    )


HOSTILE: list[Callable[[Path], Case]] = [
    oversized,
    include_through_symlink,
    secret_through_symlink,
    fragment_through_symlink,
    manifest_through_symlink,
    bidirectional_controls,
    secrets_dir_missing,
]


def _outside(directory: Path, name: str, content: str) -> Path:
    outside = directory / "outside"
    outside.mkdir(parents=True)
    (outside / name).write_text(content)
    return outside / name


def _folder(directory: Path) -> Path:
    folder = directory / "manifests"
    folder.mkdir(parents=True)
    return folder


def _identity_manifest(folder: Path, config: str) -> Path:
    path = folder / "manifest.yaml"
    indented = "".join(f"      {line}\n" for line in config.splitlines())
    path.write_text(
        f"project: {PROJECT_ID}\nservices:\n  identity:\n    config:\n{indented}"
    )
    return path
