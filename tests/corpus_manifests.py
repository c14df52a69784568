"""Real configs from the corpus written as manifests, as a user would write them.

Operational keys (the ones Ory Network runs for you) are removed, and a
``file://`` reference that points outside the corpus is replaced by inline
content. Placeholders for environment variables get a fixed value.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import CORPUS

OPERATIONAL = {
    "version",
    "dsn",
    "serve",
    "log",
    "tracing",
    "secrets",
    "ciphers",
    "sqa",
    "profiling",
    "dev",
    "hsm",
    "expose_metrics_port",
    "database",
}

IDENTITY = {
    "ory__kratos__contrib__quickstart__kratos__all-strategies__kratos.yml",
    "ory__kratos__contrib__quickstart__kratos__email-password__kratos.yml",
    "ory__kratos__contrib__quickstart__kratos__passkey__kratos.yml",
    "ory__kratos__contrib__quickstart__kratos__phone-password__kratos.yml",
    "ory__kratos__contrib__quickstart__kratos__cloud__kratos.yml",
    "ory__kratos__test__e2e__profiles__network__.kratos.yml",
    "ory__kratos__test__e2e__profiles__oidc__.kratos.yml",
    "ory__kratos__test__e2e__profiles__webhooks__.kratos.yml",
    "GaloyMoney__blink__dev__config__ory__kratos.yml",
    "larvit__plainpages__ory__kratos__kratos.yml",
    "cativo23__nova-id__config__kratos__kratos.production.yml",
    "sanketika-labs__sunbird-rc-core__ory__kratos__kratos.yml",
}
# An export that clears `selfservice.allowed_return_urls` to `[]`: the service
# keeps the list, so apply reports that path as not converged.
CLEARS_A_LIST = (
    "ory__cli__cmd__cloudx__project__fixtures__update-kratos__json__config.json"
)
# Writes `session.whoami.tokenizer.templates` as a list where the config format
# has a map of named templates.
INVALID = "AlphaBytez__STING-CE__STING__kratos__kratos-aal2-webauthn.yml"
OAUTH2 = {
    "ory__cli__cmd__cloudx__e2e__oauth2.config.yml",
    "ory__hydra__contrib__quickstart__5-min__hydra.yml",
    "ory__hydra__test__conformance__hydra__config__hydra.yml",
    "cativo23__nova-id__config__hydra__hydra.production.yml",
    "ory__cli__cmd__cloudx__project__fixtures__update-hydra__json__config.json",
}
PERMISSION = {
    "ory__cli__cmd__cloudx__project__fixtures__update-keto__json__config.json",
    "ory__keto__contrib__rewrites-example__keto.yaml",
    "cativo23__nova-id__config__keto__keto.production.yml",
}
CONVERGING = IDENTITY | OAUTH2 | PERMISSION
SERVICE_OF = {
    **dict.fromkeys(IDENTITY | {CLEARS_A_LIST, INVALID}, "identity"),
    **dict.fromkeys(OAUTH2, "oauth2"),
    **dict.fromkeys(PERMISSION, "permission"),
}

# Files some corpus configs point at that the corpus also holds.
_IN_CORPUS = {
    "identity.schema.json": (
        "ory__kratos__contrib__quickstart__kratos__email-password__identity.schema.json"
    ),
    "phone_email_no_password_v0.identity.schema.json": (
        "GaloyMoney__blink__dev__config__ory__phone_email_no_password_v0.identity.schema.json"
    ),
    "namespaces.keto.ts": "cativo23__nova-id__config__keto__namespaces.keto.ts",
}
_STAND_INS = {
    ".json": '{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}\n',
    ".jsonnet": "function(ctx) { identity: ctx.identity }\n",
    ".ts": "class User implements Namespace {}\n",
}
_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")


def corpus_config(name: str) -> dict[str, Any]:
    """The config in corpus file ``name``, less its operational keys."""
    loaded = yaml.safe_load((CORPUS / name).read_text())
    config = {k: v for k, v in loaded.items() if k not in OPERATIONAL}
    resolved = _resolve(config)
    assert isinstance(resolved, dict)
    return resolved


def _resolve(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _resolve(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item) for item in value]
    if isinstance(value, str) and value.startswith("file://"):
        return _inline(value)
    if isinstance(value, str):
        return _PLACEHOLDER.sub("placeholder", value)
    return value


def _inline(reference: str) -> str:
    name = Path(reference).name
    if name in _IN_CORPUS:
        content = (CORPUS / _IN_CORPUS[name]).read_bytes()
    else:
        # Named after the file it stands in for, so two stand-ins differ.
        stand_in = _STAND_INS.get(Path(name).suffix, "{}\n")
        content = f"// {reference}\n{stand_in}".encode()
        if name.endswith(".json"):
            content = stand_in.replace("{", f'{{"$id": "{reference}", ', 1).encode()
    return "base64://" + base64.b64encode(content).decode()


def write_manifest(directory: Path, project_id: str, name: str) -> Path:
    """A manifest file declaring corpus config ``name`` for ``project_id``."""
    document = {
        "project": project_id,
        "services": {SERVICE_OF[name]: {"config": corpus_config(name)}},
    }
    path = directory / "manifest.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path
