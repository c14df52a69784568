"""Faults users reported in other tools for Ory Network config, shown absent here.

Each test runs the real code path (the command line, or ``apply_manifest``)
against the emulator on 127.0.0.1 with a manifest written to a file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from reconciler.apply import ConflictPolicy, apply_manifest
from reconciler.client import ProjectClient
from reconciler.emulator import Emulator
from reconciler.manifest import load_manifests
from reconciler.manifest.model import Manifest
from tests.conftest import API_KEY, CORPUS_PROJECT_ID

IDENTITY = "/services/identity/config"
PROVIDERS = f"{IDENTITY}/selfservice/methods/oidc/config/providers"
TEMPLATES = f"{IDENTITY}/session/whoami/tokenizer/templates"
RETURN_URLS = f"{IDENTITY}/selfservice/allowed_return_urls"
MAPPER = b"local claims = std.extVar('claims'); { identity: { traits: claims } }\n"
SCHEMA = b'{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}\n'


class PatchRecorder(httpx.HTTPTransport):
    """Sends every request on, keeping the JSON body of each PATCH as sent."""

    def __init__(self, before_patch: Callable[[int], None] | None = None) -> None:
        super().__init__()
        self.patches: list[Any] = []
        self.paths: list[str] = []
        self._before_patch = before_patch

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            if self._before_patch is not None:
                self._before_patch(len(self.patches))
            self.patches.append(json.loads(request.content))
            self.paths.append(request.url.path)
        return super().handle_request(request)


def write(directory: Path, body: str, name: str = "project.yaml") -> Path:
    """A manifest for the corpus project declaring ``body`` (YAML)."""
    path = directory / name
    path.write_text(f"project: {CORPUS_PROJECT_ID}\n" + textwrap.dedent(body))
    return path


def load(path: Path, environ: dict[str, str] | None = None) -> Manifest:
    [manifest] = load_manifests([path], environ=environ or {}).manifests
    return manifest


def line_of(path: Path, text: str) -> str:
    """``file:line`` of the first line of ``path`` containing ``text``."""
    lines = path.read_text().splitlines()
    number = next(i for i, line in enumerate(lines, 1) if text in line)
    return f"{path}:{number}"


def inline(content: bytes) -> str:
    return "base64://" + base64.b64encode(content).decode()


def sha512(content: bytes) -> str:
    return hashlib.sha512(content).hexdigest()


def identity_config(emulator: Emulator) -> Any:
    return emulator.project(CORPUS_PROJECT_ID)["services"]["identity"]["config"]


def add_provider(emulator: Emulator, provider: dict[str, Any]) -> None:
    """Another editor adds an OIDC provider to the corpus project."""
    emulator.edit_project(
        CORPUS_PROJECT_ID,
        [{"op": "add", "path": f"{PROVIDERS}/-", "value": provider}],
    )


def patches_sent(emulator: Emulator) -> int:
    return sum(1 for line in emulator.requests if line["method"] == "PATCH")


def test_an_exported_project_document_is_sent_as_a_json_patch_of_its_changes(
    emulator: Emulator, tmp_path: Path
) -> None:
    """An exported project document, given as desired state, becomes an RFC
    6902 array holding only what differs, never the document itself."""
    recorder = PatchRecorder()
    with ProjectClient(emulator.base_url, API_KEY, transport=recorder) as api:
        exported = api.get_project(CORPUS_PROJECT_ID)
        for key in ("id", "revision_id", "slug", "state", "environment"):
            del exported[key]
        for key in ("home_region", "workspace_id", "organizations"):
            exported.pop(key, None)
        exported["name"] = "Exported and edited"
        exported["services"]["identity"]["config"]["session"]["lifespan"] = "24h"
        path = tmp_path / "exported.yaml"
        path.write_text(json.dumps({"project": CORPUS_PROJECT_ID, **exported}))

        outcome = apply_manifest(api, load(path))

    assert outcome.applied and not outcome.not_converged
    assert recorder.patches == [
        [
            {"op": "replace", "path": "/name", "value": "Exported and edited"},
            {"op": "replace", "path": f"{IDENTITY}/session/lifespan", "value": "24h"},
        ]
    ]


def test_keys_with_slash_and_tilde_and_values_of_every_type_reach_the_patch_intact(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Pointers are built from the manifest's structure and escaped by us;
    values are sent as JSON, never parsed out of ``path=value`` text."""
    path = write(
        tmp_path,
        """
        services:
          identity:
            config:
              session:
                whoami:
                  tokenizer:
                    templates:
                      "jwt/v1~beta":
                        ttl: 1m
              courier:
                smtp:
                  headers:
                    "X-Route/Key~1": "a=b/c"
              selfservice:
                methods:
                  password:
                    config:
                      min_password_length: 12
                      haveibeenpwned_enabled: false
                  oidc:
                    config:
                      providers:
                        - id: "corp/sso~1"
                          provider: generic
                          client_id: "client=1/2"
                          issuer_url: https://sso.example/realm=x
                          requested_claims:
                            id_token:
                              email: {essential: true}
                              levels: {values: [1, 2.5, "x"]}
        """,
    )
    recorder = PatchRecorder()
    with ProjectClient(emulator.base_url, API_KEY, transport=recorder) as api:
        first = apply_manifest(api, load(path))
        second = apply_manifest(api, load(path))

    assert first.applied and not first.not_converged and not second.applied
    [patch] = recorder.patches
    assert isinstance(patch, list)
    provider = {
        "id": "corp/sso~1",
        "provider": "generic",
        "client_id": "client=1/2",
        "issuer_url": "https://sso.example/realm=x",
        "requested_claims": {
            "id_token": {
                "email": {"essential": True},
                "levels": {"values": [1, 2.5, "x"]},
            }
        },
    }
    password = f"{IDENTITY}/selfservice/methods/password/config"
    assert patch == [
        {"op": "add", "path": f"{TEMPLATES}/jwt~1v1~0beta", "value": {"ttl": "1m"}},
        {
            "op": "add",
            "path": f"{IDENTITY}/courier/smtp/headers",
            "value": {"X-Route/Key~1": "a=b/c"},
        },
        {"op": "replace", "path": f"{password}/min_password_length", "value": 12},
        {"op": "replace", "path": f"{password}/haveibeenpwned_enabled", "value": False},
        {"op": "add", "path": f"{PROVIDERS}/-", "value": provider},
    ]
    config = identity_config(emulator)
    assert config["session"]["whoami"]["tokenizer"]["templates"] == {
        "jwt/v1~beta": {"ttl": "1m0s"}
    }
    assert config["selfservice"]["methods"]["oidc"]["config"]["providers"][-1] == (
        provider
    )


def test_changing_only_the_permission_config_shows_no_warnings_about_identity_keys(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    """The service warns about identity keys on every write; apply shows the
    warnings about what it changed and only counts the others."""
    path = write(
        tmp_path,
        """
        services:
          permission:
            config:
              namespaces:
                - id: 1
                  name: default
                - id: 2
                  name: Document
        """,
    )

    applied = reconcile("apply", "--api-url", emulator.base_url, str(path))
    as_json = reconcile(
        "apply", "--api-url", emulator.base_url, "--output", "json", str(path)
    )

    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert "service warning:" not in applied.stdout
    assert "about keys this apply did not declare left out" in applied.stdout
    assert "serve" not in applied.stdout and "cookies" not in applied.stdout
    assert json.loads(as_json.stdout)["projects"][0]["warnings"] == []
    namespaces = emulator.project(CORPUS_PROJECT_ID)["services"]["permission"]
    assert namespaces["config"]["namespaces"][-1] == {"id": 2, "name": "Document"}


def test_default_schema_id_names_a_custom_schema_by_the_manifests_own_id(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    """The manifest names its schema ``customer``; the service only knows it
    by the hash of its content, and the plan translates."""
    path = write(
        tmp_path,
        f"""
        services:
          identity:
            config:
              identity:
                default_schema_id: customer
                schemas:
                  - id: customer
                    url: {inline(SCHEMA)}
        """,
    )
    url = ("--api-url", emulator.base_url)

    applied = reconcile("apply", *url, str(path))
    again = reconcile("plan", *url, "--detailed-exitcode", str(path))

    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert identity_config(emulator)["identity"]["default_schema_id"] == sha512(SCHEMA)
    assert again.exit_code == 0, again.stdout
    assert "No changes" in again.stdout


def test_a_missing_tokenizer_template_is_added_and_then_reads_as_in_sync(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A member missing from a nested map is sent as ``add`` (a ``replace``
    of a missing path changes nothing), and once there it is no change."""
    path = write(
        tmp_path,
        f"""
        services:
          identity:
            config:
              session:
                whoami:
                  tokenizer:
                    templates:
                      mobile:
                        ttl: 10m
                        claims_mapper_url: {inline(MAPPER)}
        """,
    )
    recorder = PatchRecorder()
    with ProjectClient(emulator.base_url, API_KEY, transport=recorder) as api:
        first = apply_manifest(api, load(path))
        second = apply_manifest(api, load(path))

    assert [op["op"] for op in recorder.patches[0]] == ["add"]
    assert recorder.patches[0][0]["path"] == f"{TEMPLATES}/mobile"
    assert first.applied and not first.not_converged
    assert not second.applied and not second.plan.changes
    template = identity_config(emulator)["session"]["whoami"]["tokenizer"]
    assert template["templates"]["mobile"]["ttl"] == "10m0s"


def test_an_email_template_change_is_applied_every_time_it_changes(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    """The template reads back as a storage URL; the plan compares content,
    so an unchanged template is in sync and a changed one is sent."""
    body = "{{ .RecoveryCode }} is your code\n"
    template = f"{IDENTITY}/courier/templates/recovery_code/valid/email/body/html"
    url = ("--api-url", emulator.base_url)

    stored = []
    for version in ("1", "2"):
        content = (body + version).encode()
        path = write(
            tmp_path,
            f"""
            services:
              identity:
                config:
                  courier:
                    templates:
                      recovery_code:
                        valid:
                          email:
                            body:
                              html: {inline(content)}
            """,
        )
        planned = reconcile("plan", *url, "--detailed-exitcode", str(path))
        applied = reconcile("apply", *url, str(path))
        again = reconcile("plan", *url, "--detailed-exitcode", str(path))

        assert planned.exit_code == 2 and template in planned.stdout
        assert applied.exit_code == 0, applied.stdout + applied.stderr
        assert again.exit_code == 0, again.stdout
        email = identity_config(emulator)["courier"]["templates"]["recovery_code"]
        stored.append(email["valid"]["email"]["body"]["html"])

    assert [name.rsplit("/", 1)[1] for name in stored] == [
        f"{sha512((body + version).encode())}.gotmpl" for version in ("1", "2")
    ]


def test_schema_ids_and_payload_urls_rewritten_by_the_service_plan_no_change(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    """After the write the service names the schema by its hash and stores
    both payloads; planning again finds nothing to do."""
    path = write(
        tmp_path,
        f"""
        services:
          identity:
            config:
              identity:
                schemas:
                  - id: partner
                    url: {inline(SCHEMA)}
              selfservice:
                methods:
                  oidc:
                    config:
                      providers:
                        - id: corp
                          provider: generic
                          client_id: corp-client
                          issuer_url: https://sso.example
                          mapper_url: {inline(MAPPER)}
        """,
    )
    url = ("--api-url", emulator.base_url)

    applied = reconcile("apply", *url, str(path))
    again = reconcile("plan", *url, "--detailed-exitcode", str(path))

    assert applied.exit_code == 0, applied.stdout + applied.stderr
    config = identity_config(emulator)
    schema = config["identity"]["schemas"][-1]
    assert schema["id"] == sha512(SCHEMA)
    assert schema["url"].startswith("https://storage.googleapis.com/")
    [provider] = config["selfservice"]["methods"]["oidc"]["config"]["providers"]
    assert provider["mapper_url"].endswith(f"/{sha512(MAPPER)}.jsonnet")
    assert again.exit_code == 0, again.stdout


def test_applying_the_same_schema_again_does_not_pile_up_copies(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    """Schemas cannot be deleted, so a tool that re-adds one on every apply
    fills the project; here the second apply sends nothing."""
    path = write(
        tmp_path,
        f"""
        services:
          identity:
            config:
              identity:
                schemas:
                  - id: partner
                    url: {inline(SCHEMA)}
        """,
    )
    before = len(identity_config(emulator)["identity"]["schemas"])
    url = ("--api-url", emulator.base_url)

    first = reconcile("apply", *url, str(path))
    sent_by_first = patches_sent(emulator)
    second = reconcile("apply", *url, str(path))

    assert first.exit_code == 0 and second.exit_code == 0, second.stdout
    assert sent_by_first == 1 and patches_sent(emulator) == 1
    assert "already in sync, nothing sent" in second.stdout
    assert len(identity_config(emulator)["identity"]["schemas"]) == before + 1


def test_a_rewritten_mapper_url_does_not_replace_the_provider_or_lose_its_fields(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The provider's mapper reads back as a storage URL; changing another
    field of the provider sends that field alone."""
    add_provider(
        emulator,
        {
            "id": "corp",
            "provider": "generic",
            "client_id": "old-client",
            "issuer_url": "https://sso.example",
            "mapper_url": inline(MAPPER),
            "organization_id": "org-1",
            "scope": ["openid", "email"],
        },
    )
    path = write(
        tmp_path,
        f"""
        services:
          identity:
            config:
              selfservice:
                methods:
                  oidc:
                    config:
                      providers:
                        - id: corp
                          provider: generic
                          client_id: new-client
                          mapper_url: {inline(MAPPER)}
        """,
    )
    recorder = PatchRecorder()
    with ProjectClient(emulator.base_url, API_KEY, transport=recorder) as api:
        outcome = apply_manifest(api, load(path))

    assert not outcome.not_converged
    assert recorder.patches == [
        [{"op": "replace", "path": f"{PROVIDERS}/0/client_id", "value": "new-client"}]
    ]
    [provider] = identity_config(emulator)["selfservice"]["methods"]["oidc"]["config"][
        "providers"
    ]
    assert provider["organization_id"] == "org-1"
    assert provider["scope"] == ["openid", "email"]
    assert provider["client_id"] == "new-client"


def test_reapplying_an_imported_provider_keeps_its_organization_id(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    """A provider written into a manifest from a read, without the
    organization it belongs to, is in sync: nothing is sent, nothing lost."""
    add_provider(
        emulator,
        {
            "id": "sso",
            "provider": "generic",
            "client_id": "sso-client",
            "client_secret": "stored-client-secret",
            "issuer_url": "https://sso.example",
            "mapper_url": inline(MAPPER),
            "organization_id": "org-7",
        },
    )
    with ProjectClient(emulator.base_url, API_KEY, read_only=True) as api:
        config = api.get_project(CORPUS_PROJECT_ID)["services"]["identity"]["config"]
    imported = config["selfservice"]["methods"]["oidc"]["config"]["providers"][0]
    del imported["organization_id"]
    imported["client_secret"] = "${SSO_CLIENT_SECRET}"
    document = {
        "project": CORPUS_PROJECT_ID,
        "services": {
            "identity": {
                "config": {
                    "selfservice": {
                        "methods": {"oidc": {"config": {"providers": [imported]}}}
                    }
                }
            }
        },
    }
    path = tmp_path / "imported.yaml"
    path.write_text(json.dumps(document))
    env = {"SSO_CLIENT_SECRET": "stored-client-secret"}

    applied = reconcile("apply", "--api-url", emulator.base_url, str(path), env=env)

    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert "already in sync, nothing sent" in applied.stdout
    assert patches_sent(emulator) == 0
    stored = identity_config(emulator)["selfservice"]["methods"]["oidc"]["config"]
    assert stored["providers"][0]["organization_id"] == "org-7"


def test_a_parallel_write_to_another_key_survives_the_apply(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Each write names the revision it was planned against; when another
    editor got there first, the write is refused, planned again and sent."""
    error_ui = f"{IDENTITY}/selfservice/flows/error/ui_url"

    def other_editor(attempt: int) -> None:
        if attempt == 0:
            emulator.edit_project(
                CORPUS_PROJECT_ID,
                [{"op": "replace", "path": error_ui, "value": "https://other.example"}],
            )

    path = write(
        tmp_path,
        """
        services:
          identity:
            config:
              session:
                lifespan: 48h
        """,
    )
    revision = emulator.project(CORPUS_PROJECT_ID)["revision_id"]
    recorder = PatchRecorder(before_patch=other_editor)
    policy = ConflictPolicy(sleep=lambda _: None)
    with ProjectClient(emulator.base_url, API_KEY, transport=recorder) as api:
        outcome = apply_manifest(api, load(path), policy=policy)

    assert outcome.attempts == 2 and not outcome.not_converged
    statuses = [
        line["status"] for line in emulator.requests if line["method"] == "PATCH"
    ]
    assert statuses == [409, 200]
    assert recorder.paths[0].endswith(f"/revision/{revision}")
    assert recorder.paths[1] != recorder.paths[0]
    config = identity_config(emulator)
    assert config["selfservice"]["flows"]["error"]["ui_url"] == "https://other.example"
    assert config["session"]["lifespan"] == "48h0m0s"


def test_clearing_allowed_return_urls_is_planned_and_reported_not_converged(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    """The service keeps a list a user clears to ``[]``; the plan shows the
    change and apply says, with the path, that it did not take."""
    emulator.edit_project(
        CORPUS_PROJECT_ID,
        [{"op": "add", "path": f"{RETURN_URLS}/-", "value": "https://app.example/"}],
    )
    path = write(
        tmp_path,
        """
        services:
          identity:
            config:
              selfservice:
                allowed_return_urls: []
        """,
    )
    url = ("--api-url", emulator.base_url)

    planned = reconcile("plan", *url, "--output", "json", str(path))
    applied = reconcile("apply", *url, str(path))

    [project] = json.loads(planned.stdout)["projects"]
    assert project["patch"] == [{"op": "replace", "path": RETURN_URLS, "value": []}]
    assert applied.exit_code == 3, applied.stdout + applied.stderr
    assert (
        f"not converged: {RETURN_URLS} did not take the desired value "
        f"({line_of(path, 'allowed_return_urls')})"
    ) in applied.stdout
    urls = identity_config(emulator)["selfservice"]["allowed_return_urls"]
    assert "https://app.example/" in urls


def test_a_plan_gated_key_is_refused_with_the_feature_and_the_manifest_line(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    """The 403 body names the feature; the error names it and where the
    manifest asks for it."""
    path = write(
        tmp_path,
        """
        services:
          identity:
            config:
              selfservice:
                methods:
                  saml:
                    enabled: true
        """,
    )

    applied = reconcile("apply", "--api-url", emulator.base_url, str(path))

    assert applied.exit_code == 1
    assert "the project's plan does not include the feature 'saml'" in applied.stderr
    where = f"{IDENTITY}/selfservice/methods/saml ({line_of(path, 'saml:')})"
    assert where in applied.stderr
    assert "Traceback" not in applied.stderr
    assert "saml" not in identity_config(emulator)["selfservice"]["methods"]
