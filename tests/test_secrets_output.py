"""Secrets stay out of every output, including live values a manifest no longer declares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.emulator import Emulator
from reconciler.masking import hide_credentials
from tests.conftest import CORPUS_PROJECT_ID

HOOK_PASSWORD = "hook-password-Zq78-fake"
API_KEY_VALUE = "api-key-value-Qw12-fake"
SMTP_PASSWORD = "smtp-password-Xy34-fake"

WITH_SECRETS = f"""\
project: {CORPUS_PROJECT_ID}
services:
  identity:
    config:
      courier:
        smtp:
          connection_uri: smtps://u:${{SMTP_PASSWORD}}@smtp.example:465/
      selfservice:
        flows:
          registration:
            after:
              password:
                hooks:
                  - hook: web_hook
                    config:
                      url: https://hooks.example/signup
                      method: POST
                      body: base64://e30=
                      auth:
                        type: basic_auth
                        config:
                          user: hookuser
                          password: ${{file:hook-password}}
                  - hook: web_hook
                    config:
                      url: https://hooks.example/audit
                      method: POST
                      body: base64://e30=
                      auth:
                        type: api_key
                        config:
                          name: Authorization
                          value: ${{file:api-key}}
                          in: header
"""
WITHOUT_WEBHOOKS = f"""\
project: {CORPUS_PROJECT_ID}
services:
  identity:
    config:
      selfservice:
        flows:
          registration:
            after:
              password:
                hooks:
                  - hook: session
"""


def test_a_replaced_value_holding_credentials_is_shown_without_them(
    emulator: Emulator, reconcile: Any, tmp_path: Path
) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "hook-password").write_text(HOOK_PASSWORD + "\n")
    (secrets / "api-key").write_text(API_KEY_VALUE)
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "project.yaml").write_text(WITH_SECRETS)
    (second / "project.yaml").write_text(WITHOUT_WEBHOOKS)
    common = ("--api-url", emulator.base_url, "--secrets-dir", str(secrets))
    env = {"SMTP_PASSWORD": SMTP_PASSWORD}

    outputs = [
        reconcile("--debug", "apply", *common, str(first), env=env),
        reconcile("--debug", "plan", *common, str(second), env=env),
        reconcile("plan", "--output", "json", *common, str(second), env=env),
        reconcile("apply", "--output", "json", *common, str(second), env=env),
    ]

    assert [result.exit_code for result in outputs] == [0, 0, 0, 0]
    assert "/hooks" in outputs[1].stdout
    for result in outputs:
        for secret in (HOOK_PASSWORD, API_KEY_VALUE, SMTP_PASSWORD):
            assert secret not in result.stdout + result.stderr


def test_credentials_are_hidden_by_the_key_that_holds_them() -> None:
    value = {
        "auth": {
            "type": "api_key",
            "config": {"name": "X", "value": "v", "in": "header"},
        },
        "basic": {"user": "u", "password": "p"},
        "uri": "smtps://user:pw@mail.example:465/",
        "url": "https://hooks.example/x",
        "headers": {"Authorization": "Bearer t", "X-Api-Key": "k", "Accept": "*/*"},
        "hook": "https://hooks.example/x?tenant=a&token=t&sig=s",
    }

    assert hide_credentials(value, "***") == {
        "auth": {
            "type": "api_key",
            "config": {"name": "X", "value": "***", "in": "header"},
        },
        "basic": {"user": "u", "password": "***"},
        "uri": "smtps://user:***@mail.example:465/",
        "url": "https://hooks.example/x",
        "headers": {"Authorization": "***", "X-Api-Key": "***", "Accept": "*/*"},
        "hook": "https://hooks.example/x?tenant=a&token=***&sig=***",
    }
