"""How plan and apply cope with what the service does to a config.

The emulator's side of each behaviour is specified in the emulator's own
tests; these run the command line (or ``apply_manifest``) against it and
assert what a user sees: the plan, the exit code, the patch sent, the state.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply import apply_manifest
from reconciler.client import ProjectClient
from reconciler.emulator import Emulator
from reconciler.manifest import load_manifests
from tests.conftest import API_KEY, CORPUS_PROJECT_ID, ROOT
from tests.test_public_reports import (
    IDENTITY,
    MAPPER,
    PROVIDERS,
    SCHEMA,
    PatchRecorder,
    add_provider,
    identity_config,
    inline,
    line_of,
    load,
    patches_sent,
    sha512,
    write,
)

SMTP = f"{IDENTITY}/courier/smtp/connection_uri"
CLIENT_SECRET = f"{PROVIDERS}/0/client_secret"
STRICT_MODE = "/services/permission/config/namespaces/experimental_strict_mode"
OPL = inline(b"class User implements Namespace {}\n")

# Each kind of inline payload the service moves to storage: where it sits in
# a manifest, and the operation planned once its content changes.
PAYLOADS = {
    "email template": (
        """
        services:
          identity:
            config:
              courier:
                templates:
                  verification_code:
                    valid:
                      email:
                        body:
                          html: {payload}
        """,
        (
            "replace",
            f"{IDENTITY}/courier/templates/verification_code/valid/email/body/html",
        ),
    ),
    "oidc mapper": (
        """
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
                          client_id: corp-client
                          issuer_url: https://sso.example
                          mapper_url: {payload}
        """,
        ("replace", f"{PROVIDERS}/0/mapper_url"),
    ),
    "webhook body": (
        """
        services:
          identity:
            config:
              selfservice:
                flows:
                  registration:
                    after:
                      password:
                        hooks:
                          - hook: web_hook
                            config:
                              url: https://crm.example/sign-up
                              method: POST
                              body: {payload}
                          - hook: session
        """,
        # Hooks are an ordered list: a changed hook replaces the list.
        ("replace", f"{IDENTITY}/selfservice/flows/registration/after/password/hooks"),
    ),
    "identity schema": (
        """
        services:
          identity:
            config:
              identity:
                schemas:
                  - id: partner
                    url: {payload}
        """,
        ("add", f"{IDENTITY}/identity/schemas/-"),
    ),
}


# A write-only password inside a URL and a write-only provider secret.
SECRETS = """
services:
  identity:
    config:
      courier:
        smtp:
          connection_uri: smtps://mailer:{password}@{host}:465/
      selfservice:
        methods:
          oidc:
            config:
              providers:
                - id: corp
                  provider: generic
                  client_id: corp-client
                  client_secret: literal-client-secret
                  issuer_url: https://sso.example
"""


def plan_json(reconcile: Any, emulator: Emulator, path: Path, *flags: str) -> Any:
    result = reconcile(
        "plan", "--api-url", emulator.base_url, "--output", "json", *flags, str(path)
    )
    assert result.exit_code == 0, result.stderr
    [project] = json.loads(result.stdout)["projects"]
    return project


def test_a_duration_spelled_another_way_is_no_change(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        """
        services:
          identity:
            config:
              selfservice:
                flows:
                  login:
                    lifespan: 0.5h
                  settings:
                    privileged_session_max_age: 900s
        """,
    )

    planned = reconcile(
        "plan", "--api-url", emulator.base_url, "--detailed-exitcode", str(path)
    )

    assert planned.exit_code == 0, planned.stdout
    assert "No changes" in planned.stdout


def test_an_applied_duration_read_back_re_rendered_plans_no_change(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        """
        services:
          identity:
            config:
              session:
                lifespan: 1h
        """,
    )
    url = ("--api-url", emulator.base_url)

    applied = reconcile("apply", *url, str(path))
    again = reconcile("plan", *url, "--detailed-exitcode", str(path))

    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert identity_config(emulator)["session"]["lifespan"] == "1h0m0s"
    assert again.exit_code == 0, again.stdout


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_a_payload_stored_as_a_url_is_in_sync_until_its_content_changes(
    kind: str, emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    body, (op, pointer) = PAYLOADS[kind]
    first = write(tmp_path, body.format(payload=inline(MAPPER)))
    applied = reconcile("apply", "--api-url", emulator.base_url, str(first))
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    stored = json.dumps(emulator.project(CORPUS_PROJECT_ID))
    assert f"{sha512(MAPPER)}." in stored and inline(MAPPER) not in stored

    in_sync = plan_json(reconcile, emulator, first)
    changed = write(tmp_path, body.format(payload=inline(MAPPER + b"// v2\n")))
    after_change = plan_json(reconcile, emulator, changed)

    assert in_sync["patch"] == []
    assert [(o["op"], o["path"]) for o in after_change["patch"]] == [(op, pointer)]


def test_a_schema_named_in_the_manifest_and_made_default_round_trips(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    (tmp_path / "partner.schema.json").write_bytes(SCHEMA)
    path = write(
        tmp_path,
        """
        services:
          identity:
            config:
              identity:
                default_schema_id: partner
                schemas:
                  - id: partner
                    url: file://partner.schema.json
        """,
    )
    url = ("--api-url", emulator.base_url)

    planned = plan_json(reconcile, emulator, path)
    applied = reconcile("apply", *url, str(path))
    again = reconcile("plan", *url, "--detailed-exitcode", str(path))

    default = {"op": "replace", "path": f"{IDENTITY}/identity/default_schema_id"}
    assert {**default, "value": sha512(SCHEMA)} in planned["patch"]
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    identity = identity_config(emulator)["identity"]
    assert identity["default_schema_id"] == sha512(SCHEMA)
    assert again.exit_code == 0, again.stdout


def test_owned_schemas_the_service_keeps_are_reported_not_converged_once(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    """Schemas cannot be deleted: apply removes the undeclared ones once,
    then says which did not go, instead of trying again and again."""
    before = identity_config(emulator)["identity"]["schemas"]
    [email] = [schema for schema in before if schema["id"] == "preset://email"]
    path = write(
        tmp_path,
        f"""
        own:
          - /services/identity/config/identity/schemas
        services:
          identity:
            config:
              identity:
                schemas:
                  - id: preset://email
                    url: {email["url"]}
        """,
    )

    applied = reconcile("apply", "--api-url", emulator.base_url, str(path))

    assert applied.exit_code == 3, applied.stdout + applied.stderr
    assert applied.stdout.count(f"- {IDENTITY}/identity/schemas/") == 2
    assert applied.stdout.count(f"not converged: {IDENTITY}/identity/schemas/") == 2
    assert patches_sent(emulator) == 1
    after = identity_config(emulator)["identity"]["schemas"]
    assert sorted(s["id"] for s in after) == sorted(s["id"] for s in before)


def test_write_only_secrets_appear_in_no_plan_or_apply_output(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    path = write(
        tmp_path, SECRETS.format(password="literal-smtp-pass", host="smtp.example")
    )
    url = ("--api-url", emulator.base_url)

    outputs = [
        reconcile(command, *url, *output, str(path))
        for command in ("plan", "apply", "plan")
        for output in ((), ("--output", "json"))
    ]

    assert [result.exit_code for result in outputs] == [0] * 6
    for result in outputs:
        shown = result.stdout + result.stderr
        assert "literal-smtp-pass" not in shown
        assert "literal-client-secret" not in shown
    plan_text, plan_json_after = outputs[4].stdout, json.loads(outputs[5].stdout)
    assert f"? {SMTP}: write-only, not drift-checked" in plan_text
    assert f"? {CLIENT_SECRET}: write-only, not drift-checked" in plan_text
    assert plan_json_after["projects"][0]["unchecked_write_only"] == [
        SMTP,
        CLIENT_SECRET,
    ]


def test_a_secret_the_project_does_not_have_yet_is_sent(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    path = write(tmp_path, SECRETS.format(password="first-pass", host="smtp.example"))

    planned = plan_json(reconcile, emulator, path)
    applied = reconcile("apply", "--api-url", emulator.base_url, str(path))

    assert {"op": "add", "path": SMTP, "value": "(sensitive)"} in planned["patch"]
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    smtp = identity_config(emulator)["courier"]["smtp"]
    assert smtp["connection_uri"] == "smtps://mailer:first-pass@smtp.example:465/"


def test_a_changed_smtp_host_is_sent_though_the_password_reads_redacted(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    url = ("--api-url", emulator.base_url)
    first = write(tmp_path, SECRETS.format(password="pass-1", host="smtp.example"))
    assert reconcile("apply", *url, str(first)).exit_code == 0
    moved = write(tmp_path, SECRETS.format(password="pass-1", host="mail.example"))

    planned = plan_json(reconcile, emulator, moved)
    applied = reconcile("apply", *url, str(moved))

    assert planned["patch"] == [{"op": "replace", "path": SMTP, "value": "(sensitive)"}]
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    smtp = identity_config(emulator)["courier"]["smtp"]
    assert smtp["connection_uri"] == "smtps://mailer:pass-1@mail.example:465/"


def test_sync_secrets_sends_a_new_password_the_plan_cannot_see(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    url = ("--api-url", emulator.base_url)
    first = write(tmp_path, SECRETS.format(password="old-pass", host="smtp.example"))
    assert reconcile("apply", *url, str(first)).exit_code == 0
    rotated = write(tmp_path, SECRETS.format(password="new-pass", host="smtp.example"))

    without = plan_json(reconcile, emulator, rotated)
    with_sync = plan_json(reconcile, emulator, rotated, "--sync-secrets")
    applied = reconcile("apply", *url, "--sync-secrets", str(rotated))

    assert without["patch"] == []
    assert {(o["op"], o["path"]) for o in with_sync["patch"]} == {
        ("replace", SMTP),
        ("replace", CLIENT_SECRET),
    }
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    smtp = identity_config(emulator)["courier"]["smtp"]
    assert smtp["connection_uri"] == "smtps://mailer:new-pass@smtp.example:465/"


def test_empty_values_where_the_project_has_none_are_no_change(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    """The service drops an empty value a user sets and never reads it back."""
    path = write(
        tmp_path,
        """
        services:
          identity:
            config:
              courier:
                smtp:
                  from_address: ""
                  headers: {}
              selfservice:
                methods:
                  code:
                    max_submissions: 0
                flows:
                  login:
                    after:
                      passkey:
                        hooks: []
        """,
    )
    url = ("--api-url", emulator.base_url)

    planned = reconcile("plan", *url, "--detailed-exitcode", str(path))
    applied = reconcile("apply", *url, str(path))

    assert planned.exit_code == 0, planned.stdout
    assert applied.exit_code == 0 and patches_sent(emulator) == 0


def test_keys_the_service_derives_are_left_alone_in_an_owned_subtree(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    """Cookie domains, base URLs, the issuer: the service fills them in on
    every read, so a manifest owning their parents never removes them."""
    path = write(
        tmp_path,
        """
        own:
          - /services/identity/config/cookies
          - /services/identity/config/session/cookie
          - /services/oauth2/config/urls
          - /services/permission/config
        services:
          identity:
            config:
              cookies:
                same_site: Lax
              session:
                cookie:
                  persistent: false
                  same_site: Lax
          oauth2:
            config:
              urls:
                consent: /ui/consent
                error: /ui/error
                login: /ui/sign-in
                logout: /ui/logout
                post_logout_redirect: /oauth2/fallbacks/logout
          permission:
            config:
              namespaces:
                - id: 1
                  name: default
        """,
    )
    url = ("--api-url", emulator.base_url)

    planned = plan_json(reconcile, emulator, path)
    applied = reconcile("apply", *url, str(path))
    again = reconcile("plan", *url, "--detailed-exitcode", str(path))

    assert planned["patch"] == [
        {
            "op": "replace",
            "path": "/services/oauth2/config/urls/login",
            "value": "/ui/sign-in",
        }
    ]
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert again.exit_code == 0, again.stdout


def test_ignore_patterns_with_a_wildcard_leave_matching_paths_alone(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    add_provider(
        emulator,
        {
            "id": "corp",
            "provider": "generic",
            "client_id": "set-in-the-console",
            "issuer_url": "https://sso.example",
        },
    )
    path = write(
        tmp_path,
        """
        ignore:
          - /services/identity/config/selfservice/methods/oidc/config/providers/*/client_id
          - /services/identity/config/courier/templates/*/valid/email/body
        services:
          identity:
            config:
              courier:
                templates:
                  recovery_code:
                    valid:
                      email:
                        body:
                          html: base64://aWdub3JlZA==
              selfservice:
                methods:
                  oidc:
                    config:
                      providers:
                        - id: corp
                          provider: generic
                          client_id: from-the-manifest
                          label: Corp SSO
        """,
    )

    planned = plan_json(reconcile, emulator, path)

    assert planned["patch"] == [
        {"op": "add", "path": f"{PROVIDERS}/0/label", "value": "Corp SSO"}
    ]


def test_a_member_missing_live_is_added_never_replaced(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A ``replace`` of a path that does not exist answers 200 and changes
    nothing, so every missing member goes out as ``add``."""
    path = write(
        tmp_path,
        """
        services:
          identity:
            config:
              courier:
                smtp:
                  from_address: no-reply@example.com
              selfservice:
                flows:
                  login:
                    after:
                      passkey:
                        hooks:
                          - hook: session
        """,
    )
    recorder = PatchRecorder()
    with ProjectClient(emulator.base_url, API_KEY, transport=recorder) as api:
        outcome = apply_manifest(api, load(path))

    [patch] = recorder.patches
    assert [(o["op"], o["path"]) for o in patch] == [
        ("add", f"{IDENTITY}/courier/smtp/from_address"),
        ("add", f"{IDENTITY}/selfservice/flows/login/after/passkey"),
    ]
    assert outcome.applied and not outcome.not_converged
    config = identity_config(emulator)
    assert config["courier"]["smtp"]["from_address"] == "no-reply@example.com"
    after = config["selfservice"]["flows"]["login"]["after"]
    assert after["passkey"]["hooks"] == [{"hook": "session"}]


def test_a_write_the_service_silently_keeps_out_exits_3_naming_the_path(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    """A locked setting answers 200 and keeps its stored value; apply checks
    the answer and reports the path instead of claiming success."""
    emulator.edit_project(
        CORPUS_PROJECT_ID,
        [
            {
                "op": "replace",
                "path": "/services/permission/config/namespaces",
                "value": {"location": OPL},
            }
        ],
    )
    path = write(
        tmp_path,
        f"""
        services:
          permission:
            config:
              namespaces:
                location: {OPL}
                experimental_strict_mode: true
        """,
    )

    applied = reconcile("apply", "--api-url", emulator.base_url, str(path))

    assert applied.exit_code == 3, applied.stdout + applied.stderr
    assert (
        f"not converged: {STRICT_MODE} did not take the desired value "
        f"({line_of(path, 'experimental_strict_mode')})"
    ) in applied.stdout
    assert patches_sent(emulator) == 1


def test_a_manifest_cannot_set_the_environment(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    """A patch of ``/environment`` answers 200 and changes nothing; the
    manifest refuses it before anything is sent."""
    path = write(tmp_path, "environment: dev\n")

    applied = reconcile("apply", "--api-url", emulator.base_url, str(path))

    assert applied.exit_code == 1
    assert applied.stderr == (
        f"error: {line_of(path, 'environment')}: /environment: cannot be changed "
        "by patching the project; remove it\n"
    )
    assert emulator.requests == []


def test_a_plan_gated_key_stops_apply_with_the_feature_and_its_source(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        """
        name: With SAML
        services:
          identity:
            config:
              selfservice:
                methods:
                  saml:
                    enabled: true
        """,
    )

    applied = reconcile(
        "apply", "--api-url", emulator.base_url, "--output", "json", str(path)
    )

    assert applied.exit_code == 1
    assert "feature 'saml'" in applied.stderr
    assert f"({line_of(path, 'saml:')})" in applied.stderr
    assert "nothing was changed" in applied.stderr
    assert emulator.project(CORPUS_PROJECT_ID)["name"] != "With SAML"


def test_keys_the_service_does_not_manage_are_predicted_warnings_not_changes(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        """
        services:
          identity:
            config:
              dsn: memory
              log:
                level: debug
              serve:
                public:
                  base_url: https://auth.example/
        """,
    )
    expected = {
        f"{IDENTITY}/dsn": line_of(path, "dsn:"),
        f"{IDENTITY}/log": line_of(path, "log:"),
        f"{IDENTITY}/serve": line_of(path, "serve:"),
    }

    text = reconcile(
        "plan", "--api-url", emulator.base_url, "--detailed-exitcode", str(path)
    )
    planned = plan_json(reconcile, emulator, path)

    assert text.exit_code == 0, text.stdout
    for pointer, source in expected.items():
        assert (
            f"! {pointer}: not managed by the service, it will drop it with a "
            f"warning  ({source})"
        ) in text.stdout
    assert planned["patch"] == [] and planned["changes"] == []
    assert {w["path"]: w["source"] for w in planned["predicted_warnings"]} == expected


def test_the_example_manifests_applied_twice_send_nothing_the_second_time(
    reconcile: Any, tmp_path: Path
) -> None:
    manifests = ROOT / "manifests"
    env = {"SMTP_PASSWORD": "fake-smtp-password"}
    loaded = load_manifests([manifests], environ=env).manifests
    log = tmp_path / "requests.jsonl"
    server = Emulator(
        state_path=tmp_path / "state.json", api_keys=[API_KEY], request_log=log
    )

    with server:
        for manifest in loaded:
            server.ensure_project(manifest.project_id)
        url = ("--api-url", server.base_url)
        first = reconcile("apply", *url, str(manifests), env=env)
        written = len(log.read_text().splitlines())
        second = reconcile(
            "apply", *url, "--detailed-exitcode", str(manifests), env=env
        )

    assert first.exit_code == 0, first.stdout + first.stderr
    assert second.exit_code == 0, second.stdout + second.stderr
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    first_methods = [line["method"] for line in lines[:written]]
    second_methods = [line["method"] for line in lines[written:]]
    assert first_methods.count("PATCH") == len(loaded) == 2
    assert second_methods == ["GET"] * len(loaded)
