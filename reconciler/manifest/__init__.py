"""Manifests: the desired state of Ory Network projects, read from YAML files.

``load_manifests`` reads, checks and validates manifests and the fragments
they extend; ``manifest_json_schema`` describes a manifest for editors.
"""

from reconciler.manifest.load import LoadResult, load_manifests
from reconciler.manifest.model import Manifest
from reconciler.manifest.schema import manifest_json_schema

__all__ = ["LoadResult", "Manifest", "load_manifests", "manifest_json_schema"]
