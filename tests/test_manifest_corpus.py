"""Real Ory configs, written as manifests, validate or fail as pinned here.

Every Kratos, Hydra and Keto config of the corpus (and every Ory Network
config in it) is written as a manifest the way a user would: the file's text
indented under ``services.<service>.config`` of an envelope, so that its YAML
is read exactly as written. Operational keys are removed; a ``file://``
reference (they all point outside the corpus) becomes an include of a copy
of the corpus file with that name, or inline content; each ``${VAR}`` gets a
value in the environment. A whole project document becomes a manifest for
its own project, less its read-only fields.

Each config's outcome is pinned: the keys the service would drop (warnings,
as pointers inside the service config), or the exact errors.
"""

from __future__ import annotations

import base64
import csv
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from reconciler.errors import ManifestErrors
from reconciler.manifest import load_manifests, manifest_json_schema
from reconciler.manifest.yaml_reader import read_document
from tests.conftest import CORPUS

PROJECT_ID = "7d2c1b0a-9e8f-4a6b-8c5d-3e2f1a0b9c8d"
OPERATIONAL = {
    "version",
    "dsn",
    "serve",
    "log",
    "tracing",
    "sqa",
    "profiling",
    "dev",
    "hsm",
    "expose_metrics_port",
    "database",
}
READ_ONLY = {"id", "revision_id", "slug", "state"}
# Corpus files that stand in for what a config's file:// reference names.
IN_CORPUS = {
    "identity.schema.json": (
        "ory__kratos__contrib__quickstart__kratos__email-password__identity.schema.json"
    ),
    "identity.traits.schema.json": (
        "ory__kratos__contrib__quickstart__kratos__phone-password__identity.schema.json"
    ),
    "phone_email_no_password_v0.identity.schema.json": (
        "GaloyMoney__blink__dev__config__ory__phone_email_no_password_v0"
        ".identity.schema.json"
    ),
    "namespaces.keto.ts": "ory__keto__contrib__rewrites-example__namespaces.keto.ts",
}
INLINE = {
    ".json": b'{"type": "object"}\n',
    ".jsonnet": b"function(ctx) { identity: ctx.identity }\n",
}
_REFERENCE = re.compile(r"""file://([^\s"',}]+)""")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")
_TOP_LEVEL_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):")


def corpus_configs() -> list[tuple[str, str]]:
    """Each config file of the corpus and the service (or project) it configures."""
    with (CORPUS / "SOURCES.tsv").open() as stream:
        rows = list(csv.DictReader(stream, delimiter="\t"))
    configs = []
    for row in rows:
        name, kind = row["saved_name"], row["kind"]
        if kind in ("kratos", "hydra", "keto"):
            service = {"kratos": "identity", "hydra": "oauth2", "keto": "permission"}
            configs.append((name, service[kind]))
        elif kind == "ory-network-project":
            configs.append((name, _network_service(name)))
    return configs


def _network_service(name: str) -> str:
    for marker, service in (
        ("update-kratos", "identity"),
        ("update-hydra", "oauth2"),
        ("update-keto", "permission"),
        ("oauth2.config", "oauth2"),
    ):
        if marker in name:
            return service
    return "project"


def write_manifest(name: str, service: str, directory: Path) -> Path:
    """The corpus config ``name`` written as a manifest in ``directory``."""
    text = (CORPUS / name).read_text()
    if service == "project":
        document = json.loads(text)
        envelope = {"project": document.get("id", PROJECT_ID)}
        envelope |= {k: v for k, v in document.items() if k not in READ_ONLY}
        manifest = json.dumps(envelope, indent=2) + "\n"
    else:
        config = _without_operational_keys(text, json_text=name.endswith(".json"))
        body = _REFERENCE.sub(lambda match: _include(match[1], directory), config)
        indented = "".join(
            f"      {line}\n" if line.strip() else "\n" for line in body.splitlines()
        )
        manifest = (
            f"project: {PROJECT_ID}\nservices:\n  {service}:\n    config:\n{indented}"
        )
    path = directory / "manifest.yaml"
    path.write_text(manifest)
    return path


def _without_operational_keys(text: str, *, json_text: bool) -> str:
    if json_text:
        config = json.loads(text)
        kept = {k: v for k, v in config.items() if k not in OPERATIONAL}
        return json.dumps(kept, indent=2)
    lines, skipping = [], False
    for line in text.splitlines():
        key = _TOP_LEVEL_KEY.match(line)
        if key:
            skipping = key[1] in OPERATIONAL
        elif line and not line[0].isspace() and not line.startswith("#"):
            skipping = False
        # Blank lines keep every other line where it was.
        lines.append("" if skipping else line)
    return "\n".join(lines)


def _include(reference: str, directory: Path) -> str:
    file_name = Path(reference).name
    if file_name in IN_CORPUS:
        shutil.copyfile(CORPUS / IN_CORPUS[file_name], directory / file_name)
        return f"file://{file_name}"
    content = INLINE.get(Path(file_name).suffix, b"{}\n")
    return "base64://" + base64.b64encode(content).decode()


def environment(path: Path) -> dict[str, str]:
    """A plausible value for every variable the manifest at ``path`` uses."""
    values = {}
    for variable in _VARIABLE.findall(path.read_text()):
        if "URL" in variable:
            values[variable] = f"https://{variable.lower()}.example.com"
        elif variable.endswith("HOST"):
            values[variable] = f"{variable.lower().replace('_', '-')}.example.com"
        elif variable.endswith("LIFESPAN"):
            values[variable] = "15m"
        elif variable.endswith("ENABLED"):
            values[variable] = "true"
        elif "MAPPER" in variable:
            values[variable] = base64.b64encode(b"{}\n").decode()
        else:
            values[variable] = f"{variable.lower()}-value"
    return values


@dataclass(frozen=True)
class Outcome:
    """Pointers (inside the service config) the service drops, or the errors.

    An error is ``"line: message"`` for a line of the written manifest.
    """

    dropped: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


BODY_URL = (
    "not a valid URL for this key: write a base64://, http://, https:// or "
    "file:// URL, the scheme in lower case"
)
EXPECTED: dict[str, Outcome] = {
    "ory__cli__cmd__cloudx__e2e__oauth2.config.yml": Outcome(
        dropped=(
            "clients",
            "oauth2/expose_internal_errors",
            "oauth2/hashers",
            "oauth2/session",
            "urls/self/admin",
            "urls/self/public",
        )
    ),
    "ory__cli__cmd__cloudx__project__fixtures__update-hydra__fail__config.json": Outcome(
        errors=(
            (
                "7: /services/oauth2/config/ttl/access_token: expected a "
                "duration such as 1h or 30m0s, got an integer"
            ),
        )
    ),
    "ory__cli__cmd__cloudx__project__fixtures__update-hydra__json__config.json": Outcome(
        dropped=(
            "clients",
            "oauth2/expose_internal_errors",
            "oauth2/hashers",
            "oauth2/session",
        )
    ),
    "ory__cli__cmd__cloudx__project__fixtures__update-keto__fail__config.json": Outcome(
        errors=(
            "6: /services/permission/config/namespaces: expected a list, got a string",
        )
    ),
    "ory__cli__cmd__cloudx__project__fixtures__update-keto__json__config.json": Outcome(
        dropped=("limit",)
    ),
    # The service refuses this config; nothing the key table records says
    # why, so it passes offline validation.
    "ory__cli__cmd__cloudx__project__fixtures__update-kratos__fail__config.json": Outcome(
        dropped=(
            "session/cookie/domain",
            "session/cookie/name",
            "session/cookie/path",
        )
    ),
    "ory__cli__cmd__cloudx__project__fixtures__update-kratos__json__config.json": Outcome(
        dropped=(
            "cookies/domain",
            "cookies/path",
            "selfservice/methods/webauthn/config/rp/origin",
            "session/cookie/domain",
            "session/cookie/name",
            "session/cookie/path",
        )
    ),
    # The service refuses this config; nothing the key table records says
    # why, so it passes offline validation.
    "ory__cli__cmd__cloudx__project__fixtures__update__fail__config.json": Outcome(
        dropped=(
            "services/identity/config/session/cookie/domain",
            "services/identity/config/session/cookie/name",
            "services/identity/config/session/cookie/path",
        )
    ),
    "ory__cli__cmd__cloudx__project__fixtures__update__json__config.json": Outcome(
        dropped=(
            "services/identity/config/cookies/domain",
            "services/identity/config/cookies/path",
            "services/identity/config/organizations",
            "services/identity/config/serve",
            "services/identity/config/session/cookie/domain",
            "services/identity/config/session/cookie/name",
            "services/identity/config/session/cookie/path",
            "services/oauth2/config/clients",
            "services/oauth2/config/dev",
            "services/oauth2/config/hsm",
            "services/oauth2/config/oauth2/expose_internal_errors",
            "services/oauth2/config/oauth2/hashers",
            "services/oauth2/config/oauth2/session",
            "services/oauth2/config/serve/admin",
            "services/oauth2/config/serve/cookies/domain",
            "services/oauth2/config/serve/cookies/names",
            "services/oauth2/config/serve/cookies/secure",
            "services/oauth2/config/serve/public",
            "services/oauth2/config/serve/tls",
            "services/oauth2/config/urls/self/admin",
            "services/oauth2/config/urls/self/public",
            "services/permission/config/limit",
        )
    ),
    "AlphaBytez__STING-CE__STING__kratos__kratos-aal2-webauthn.yml": Outcome(
        errors=(
            (
                "199: "
                "/services/identity/config/session/whoami/tokenizer/templates: "
                "expected a mapping, got a list"
            ),
        )
    ),
    "GaloyMoney__blink__dev__config__ory__kratos.yml": Outcome(
        dropped=(
            "ciphers",
            "hashers",
            "session/earliest_possible_extend",
        )
    ),
    "GaloyMoney__blink__dev__ory__email__kratos.email.yml": Outcome(
        dropped=(
            "ciphers",
            "hashers",
            "session/earliest_possible_extend",
        )
    ),
    "GaloyMoney__blink__dev__ory__kratos@236615f3.yml": Outcome(
        dropped=(
            "ciphers",
            "hashers",
            "session/earliest_possible_extend",
        )
    ),
    # `secrets:` with only comments below it: null, which leaves the key
    # unmanaged.
    "cativo23__nova-id__config__kratos__kratos.production.yml": Outcome(
        dropped=(
            "ciphers",
            "hashers",
            "courier/template_override_path",
            "cookies/domain",
            "cookies/path",
            "cookies/secure",
            "session/earliest_possible_extend",
            "clients",
        )
    ),
    "dyrector-io__dyrectorio__web__kratos__kratos.template@8ab86e75.yaml": Outcome(
        dropped=(
            "hashers",
            "courier/template_override_path",
        )
    ),
    "korjavin__ory-compose__config__kratos__kratos.yml.tmpl": Outcome(
        dropped=(
            "ciphers",
            "hashers",
            "session/cookie/domain",
            "session/cookie/path",
        )
    ),
    "larvit__plainpages__ory__kratos__kratos.yml": Outcome(
        dropped=(
            "session/earliest_possible_extend",
            "session/cookie/name",
        )
    ),
    "sanketika-labs__sunbird-rc-core__ory__kratos__kratos.yml": Outcome(
        dropped=(
            "ciphers",
            "hashers",
        )
    ),
    "ory__kratos__contrib__quickstart__kratos__all-strategies__kratos.yml": Outcome(
        dropped=(
            "selfservice/methods/webauthn/config/rp/origin",
            "ciphers",
            "hashers",
        )
    ),
    "ory__kratos__contrib__quickstart__kratos__cloud__kratos.yml": Outcome(
        dropped=("hashers",)
    ),
    "ory__kratos__contrib__quickstart__kratos__email-password__kratos.yml": Outcome(
        dropped=(
            "ciphers",
            "hashers",
        )
    ),
    "ory__kratos__contrib__quickstart__kratos__passkey__kratos.yml": Outcome(
        dropped=(
            "ciphers",
            "hashers",
        )
    ),
    "ory__kratos__contrib__quickstart__kratos__phone-password__kratos.yml": Outcome(
        dropped=(
            "ciphers",
            "hashers",
            "courier/channels/0/type",
        )
    ),
    "ory__kratos__driver__config__stub__.kratos.courier.remote.templates.yaml": Outcome(
        dropped=("courier/template_override_path",)
    ),
    # Web hook bodies written as bare paths (a form Kratos still reads from its
    # own disk): the service has no such disk and loads a body from a
    # base64://, http(s):// or file:// URL only.
    "ory__kratos__driver__config__stub__.kratos.yaml": Outcome(
        errors=tuple(
            f"{line}: /services/identity/config/selfservice/flows/{hook}/config/"
            f"body: {BODY_URL}"
            for line, hook in (
                (110, "recovery/after/hooks/0"),
                (125, "verification/after/hooks/0"),
                (142, "settings/after/password/hooks/0"),
                (151, "settings/after/profile/hooks/0"),
                (159, "settings/after/hooks/0"),
                (185, "login/after/password/hooks/2"),
                (199, "login/after/oidc/hooks/0"),
                (208, "login/after/hooks/0"),
                (233, "registration/after/password/hooks/1"),
                (241, "registration/after/hooks/0"),
                (257, "registration/after/oidc/hooks/0"),
            )
        )
    ),
    "ory__kratos__test__e2e__playwright__kratos.base-config.json": Outcome(),
    "ory__kratos__test__e2e__profiles__network__.kratos.yml": Outcome(
        dropped=("clients",)
    ),
    "ory__kratos__test__e2e__profiles__oidc__.kratos.yml": Outcome(),
    "ory__kratos__test__e2e__profiles__webhooks__.kratos.yml": Outcome(),
    "cativo23__nova-id__config__keto__keto.production.yml": Outcome(),
    "ory__keto__contrib__rewrites-example__keto.yaml": Outcome(),
    # `secrets:` with only comments below it: null, which leaves the key
    # unmanaged.
    "cativo23__nova-id__config__hydra__hydra.production.yml": Outcome(
        dropped=("oauth2/expose_internal_errors", "oauth2/hashers")
    ),
    "ory__hydra__contrib__quickstart__5-min__hydra.yml": Outcome(),
    "ory__hydra__internal__config__config.yaml": Outcome(
        dropped=(
            "urls/self/public",
            "oauth2/expose_internal_errors",
            "oauth2/hashers",
            "oauth2/session",
            "oauth2/refresh_token_rotation",
        )
    ),
    "ory__hydra__test__conformance__hydra__config__hydra.yml": Outcome(
        dropped=(
            "oauth2/hashers",
            "oauth2/session",
        )
    ),
}


@pytest.mark.parametrize(
    ("name", "service"), corpus_configs(), ids=[n for n, _ in corpus_configs()]
)
def test_a_corpus_config_validates_or_fails_as_pinned(
    tmp_path: Path, name: str, service: str
) -> None:
    path = write_manifest(name, service, tmp_path)
    expected = EXPECTED[name]

    try:
        result = load_manifests([path], environ=environment(path))
    except ManifestErrors as problems:
        assert [str(error) for error in problems.errors] == [
            f"{path}:{error}" for error in expected.errors
        ]
        return

    assert expected.errors == ()
    root = f"/services/{service}/config/" if service != "project" else "/"
    dropped = [warning.split(": ")[1].removeprefix(root) for warning in result.warnings]
    assert tuple(dropped) == expected.dropped


LOADS = [
    (name, service) for name, service in corpus_configs() if not EXPECTED[name].errors
]
SCHEMA = jsonschema.Draft202012Validator(manifest_json_schema())


@pytest.mark.parametrize(("name", "service"), LOADS, ids=[n for n, _ in LOADS])
def test_a_corpus_config_that_loads_is_valid_against_the_schema(
    tmp_path: Path, name: str, service: str
) -> None:
    path = write_manifest(name, service, tmp_path)

    written = read_document(path, path.name).data

    assert [error.message for error in SCHEMA.iter_errors(written)] == []


def test_every_corpus_config_is_pinned() -> None:
    assert {name for name, _ in corpus_configs()} == set(EXPECTED)
