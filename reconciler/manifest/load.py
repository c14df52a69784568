"""Reading a set of manifests: the steps from files on disk to validated desired state.

1. discover the files under the paths given;
2. read each as strict YAML; a file with ``project`` is a manifest, one
   without is a fragment, which some manifest must extend;
3. pick the manifests of the selected projects;
4. for each, follow ``extends``, check and interpolate every file, merge the
   fragments and the manifest, and check the result against the key table.

Every problem is collected; any error fails the whole load.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import Location, ManifestError, ManifestErrors
from reconciler.manifest.compose import Layer, compose
from reconciler.manifest.discover import Source, discover
from reconciler.manifest.envelope import (
    DESIRED_KEYS,
    EXTENDS,
    IGNORE,
    OWN,
    PROJECT,
    canonical_project_id,
    check_shape,
    check_top_level,
    json_type,
)
from reconciler.manifest.interpolate import Context, interpolate
from reconciler.manifest.model import Manifest
from reconciler.manifest.validate import expected_type, merge_key, validate
from reconciler.manifest.yaml_reader import Document, read_document

SECRETS_DIR_VARIABLE = "RECONCILE_SECRETS_DIR"
_EXAMPLE_PROJECT_ID = "5b3b7a1e-8d2c-4f6a-9c41-0a7e2d9b6c10"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadResult:
    """The manifests read, sorted by project id, and the warnings about them.

    A warning is one ``file:line: message`` line, such as a key the service
    would drop.
    """

    manifests: list[Manifest]
    warnings: list[str]


def load_manifests(
    paths: Sequence[Path],
    *,
    environ: Mapping[str, str],
    secrets_dir: Path | None = None,
    projects: Sequence[str] = (),
) -> LoadResult:
    """Read, check and validate the manifests under ``paths``.

    Project ids are UUIDs, compared and returned in lower case. ``projects``
    selects manifests by project id (all when empty); variables
    come from ``environ`` and ``${file:NAME}`` from ``secrets_dir`` (or the
    directory named by RECONCILE_SECRETS_DIR in ``environ``). Raises
    ManifestErrors listing every problem found.
    """
    if secrets_dir is None and environ.get(SECRETS_DIR_VARIABLE):
        secrets_dir = Path(environ[SECRETS_DIR_VARIABLE])
    return _Loader(environ, secrets_dir).load(paths, projects)


class _Loader:
    def __init__(self, environ: Mapping[str, str], secrets_dir: Path | None) -> None:
        self.environ = environ
        self.secrets_dir = secrets_dir
        self.errors: list[ManifestError] = []
        self.warnings: list[str] = []
        self.reached: set[Path] = set()
        self._documents: dict[Path, Document | None] = {}
        self._layers: dict[tuple[Path, Path], Layer | None] = {}

    def load(self, paths: Sequence[Path], projects: Sequence[str]) -> LoadResult:
        sources, errors = discover(paths)
        self.errors.extend(errors)
        documents = [
            (source, self._read(source.path, source.name)) for source in sources
        ]
        claims = self._claims(documents)
        selected = self._select(claims, projects, paths)

        manifests = []
        for project_id, (source, document) in sorted(claims.items()):
            report = project_id in selected
            fragments = self._extends(document, source, [document.path], report=report)
            if report:
                manifest = self._manifest(project_id, source, document, fragments)
                if manifest is not None:
                    manifests.append(manifest)
        if all(document is not None for _, document in documents):
            self._check_strays(documents)

        if self.errors:
            raise ManifestErrors(_ordered(self.errors))
        for manifest in manifests:
            logger.info(
                "read manifest %s for project %s",
                manifest.location,
                manifest.project_id,
            )
        return LoadResult(
            manifests=manifests, warnings=list(dict.fromkeys(self.warnings))
        )

    def _read(self, path: Path, name: str) -> Document | None:
        if path not in self._documents:
            try:
                self._documents[path] = read_document(path, name)
            except ManifestErrors as problems:
                self.errors.extend(problems.errors)
                self._documents[path] = None
        return self._documents[path]

    def _error(self, location: Location, message: str) -> None:
        self.errors.append(ManifestError(location, message))

    def _claims(
        self, documents: list[tuple[Source, Document | None]]
    ) -> dict[str, tuple[Source, Document]]:
        """The manifests by project id; a project claimed twice is an error."""
        claims: dict[str, tuple[Source, Document]] = {}
        for source, document in documents:
            if document is None or PROJECT not in document.data:
                continue
            written = document.data[PROJECT]
            project_id = canonical_project_id(written)
            here = document.location("/" + PROJECT)
            if project_id is None:
                self._error(here, f"/project: {_not_a_project_id(written)}")
            elif project_id in claims:
                first = claims[project_id][1].location("/" + PROJECT)
                self._error(
                    here, f"/project: project {project_id} is also declared in {first}"
                )
            else:
                claims[project_id] = (source, document)
        return claims

    def _select(
        self,
        claims: dict[str, tuple[Source, Document]],
        projects: Sequence[str],
        paths: Sequence[Path],
    ) -> set[str]:
        given = Location(", ".join(str(path) for path in paths))
        if not self._documents and not self.errors:
            self._error(given, "no YAML file found (*.yaml or *.yml)")
        selected = set()
        for project in projects:
            project_id = canonical_project_id(project) or project
            if project_id not in claims:
                self._error(given, f"no manifest declares project {project}")
            selected.add(project_id)
        return selected if projects else set(claims)

    def _extends(
        self, document: Document, source: Source, stack: list[Path], *, report: bool
    ) -> list[Document]:
        """The fragments ``document`` extends, in merge order, each once."""
        entries = document.data.get(EXTENDS)
        if not isinstance(entries, list):
            return []
        chain: dict[Path, Document] = {}
        for index, entry in enumerate(entries):
            if not isinstance(entry, str):
                continue
            pointer = f"/{EXTENDS}/{index}"
            fragment = self._fragment(document, source, entry, pointer, report=report)
            if fragment is None:
                continue
            if fragment.path in stack:
                if report:
                    cycle = " -> ".join(
                        [self._name(path) for path in stack] + [fragment.name]
                    )
                    self._error(
                        document.location(pointer), f"{pointer}: extends cycle: {cycle}"
                    )
                continue
            self.reached.add(fragment.path)
            below = self._extends(
                fragment, source, [*stack, fragment.path], report=report
            )
            for found in [*below, fragment]:
                chain.setdefault(found.path, found)
        return list(chain.values())

    def _name(self, path: Path) -> str:
        document = self._documents.get(path)
        return document.name if document is not None else str(path)

    def _fragment(
        self,
        document: Document,
        source: Source,
        entry: str,
        pointer: str,
        *,
        report: bool,
    ) -> Document | None:
        problem, fragment = self._find_fragment(document, source, entry)
        if problem is not None and report:
            self._error(document.location(pointer), f"{pointer}: {entry}: {problem}")
        return fragment

    def _find_fragment(
        self, document: Document, source: Source, entry: str
    ) -> tuple[str | None, Document | None]:
        if not entry or Path(entry).is_absolute():
            return "write the path of a fragment relative to this file", None
        resolved = (document.path.parent / entry).resolve()
        if not resolved.is_relative_to(source.root):
            return (
                f"the path leads outside the manifest folder {source.root_name}",
                None,
            )
        if not resolved.is_file():
            return "no such file", None
        name = os.path.normpath(os.path.join(os.path.dirname(document.name), entry))
        fragment = self._read(resolved, name)
        if fragment is None:
            return None, None
        if PROJECT in fragment.data:
            return (
                "declares `project`; only a fragment (a file without `project`) "
                "can be extended",
                None,
            )
        return None, fragment

    def _layer(self, document: Document, source: Source) -> Layer | None:
        key = (document.path, source.root)
        if key not in self._layers:
            self._layers[key] = self._check_layer(document, source)
        return self._layers[key]

    def _check_layer(self, document: Document, source: Source) -> Layer | None:
        errors = check_top_level(document)
        context = Context(
            environ=self.environ,
            secrets_dir=self.secrets_dir,
            root=source.root,
            root_name=source.root_name,
            expected_type=expected_type,
        )
        interpolated = interpolate(document, DESIRED_KEYS, context)
        errors.extend(interpolated.errors)
        # A value left uninterpolated would only repeat its error as a shape error.
        if not interpolated.errors:
            errors.extend(check_shape(document, interpolated.data))
        if errors:
            self.errors.extend(errors)
            return None
        return Layer(document, interpolated.data, frozenset(interpolated.secrets))

    def _manifest(
        self,
        project_id: str,
        source: Source,
        document: Document,
        fragments: list[Document],
    ) -> Manifest | None:
        layers = [self._layer(layer, source) for layer in [*fragments, document]]
        checked = [layer for layer in layers if layer is not None]
        if len(checked) != len(layers):
            return None
        composed, errors = compose(checked, merge_key)
        findings = validate(composed)
        self.errors.extend(errors + findings.errors)
        self.warnings.extend(findings.warnings)
        if errors or findings.errors:
            return None
        return Manifest(
            project_id=project_id,
            location=document.location("/" + PROJECT),
            desired=composed.data,
            sources=composed.sources,
            secrets=frozenset(composed.secrets),
            ignore=_patterns(checked, IGNORE),
            own=_patterns(checked, OWN),
        )

    def _check_strays(self, documents: list[tuple[Source, Document | None]]) -> None:
        for _, document in documents:
            if document is None or PROJECT in document.data:
                continue
            if document.path not in self.reached:
                self._error(
                    Location(document.name, 1),
                    "not a manifest (no `project`) and no manifest extends it",
                )


def _patterns(layers: list[Layer], key: str) -> tuple[str, ...]:
    """The patterns under ``key`` of every layer, in order, each once."""
    found: dict[str, None] = {}
    for layer in layers:
        found.update(dict.fromkeys(layer.data.get(key) or ()))
    return tuple(found)


def _not_a_project_id(value: object) -> str:
    if not isinstance(value, str):
        got = json_type(value)
    elif value:
        got = "a string that is not one"
    else:
        got = "an empty string"
    return f"expected a project id, a UUID such as {_EXAMPLE_PROJECT_ID}; got {got}"


def _ordered(errors: list[ManifestError]) -> list[ManifestError]:
    """Each error once, by file and line, in the order found within a line."""
    unique: dict[str, ManifestError] = {}
    for error in errors:
        unique.setdefault(str(error), error)
    return sorted(
        unique.values(),
        key=lambda error: (error.location.file, error.location.line or 0),
    )
