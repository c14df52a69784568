"""The defaults the service fills into every config, modelled on the project
document getProject returns for a project nobody has configured yet."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

Config = dict[str, Any]

PRESET_PREFIX = "preset://"
DEFAULT_SCHEMA_ID = "preset://email"


def config(service: str, *, name: str, domain: str) -> Config:
    """The default config of `service` for a project called `name`."""
    if service == "identity":
        return _identity(name, domain)
    if service == "oauth2":
        return _oauth2()
    if service == "permission":
        return {"namespaces": [{"id": 1, "name": "default"}]}
    if service == "account_experience":
        return {
            "default_locale": "en",
            "enabled_locales": ["en"],
            "locale_behavior": "respect_accept_language",
        }
    return {}


def fill(target: Config, defaults: Config) -> None:
    """Adds to `target` every key of `defaults` it lacks, object by object."""
    for key, value in defaults.items():
        if key not in target:
            target[key] = copy.deepcopy(value)
        elif isinstance(target[key], dict) and isinstance(value, dict):
            fill(target[key], value)


def _identity(name: str, domain: str) -> Config:
    origin = f"https://{domain}"
    relying_party = {"display_name": name, "id": domain, "origins": [origin]}
    return {
        "cookies": {"same_site": "Lax"},
        "courier": {
            "smtp": {"from_name": f"{name} via Ory"},
            "templates": _courier_templates(),
        },
        "feature_flags": {"cacheable_sessions": False},
        "identity": {
            "default_schema_id": DEFAULT_SCHEMA_ID,
            "schemas": [
                {"id": preset, "url": _inline(schema)}
                for preset, schema in PRESET_SCHEMAS.items()
            ],
        },
        "oauth2_provider": {"override_return_to": False},
        "selfservice": {
            "allowed_return_urls": [],
            "default_browser_return_url": "/ui/welcome",
            "flows": _flows(),
            "methods": {
                "code": {
                    "config": {"lifespan": "15m0s"},
                    "enabled": True,
                    "passwordless_enabled": False,
                },
                "link": {
                    "config": {"base_url": "", "lifespan": "15m0s"},
                    "enabled": True,
                },
                "lookup_secret": {"enabled": False},
                "oidc": {"config": {"providers": []}, "enabled": False},
                "passkey": {"config": {"rp": dict(relying_party)}, "enabled": False},
                "password": {
                    "config": {
                        "haveibeenpwned_enabled": True,
                        "identifier_similarity_check_enabled": True,
                        "ignore_network_errors": True,
                        "max_breaches": 1,
                        "min_password_length": 8,
                    },
                    "enabled": True,
                },
                "profile": {"enabled": True},
                "totp": {"config": {"issuer": name}, "enabled": False},
                "webauthn": {
                    "config": {"passwordless": False, "rp": dict(relying_party)},
                    "enabled": False,
                },
            },
        },
        "session": {
            "cookie": {"persistent": False, "same_site": "Lax"},
            "lifespan": "72h0m0s",
            "whoami": {"required_aal": "aal1", "tokenizer": {"templates": {}}},
        },
    }


def _courier_templates() -> Config:
    templates: Config = {}
    for template, variants in (
        ("login_code", ("valid",)),
        ("recovery", ("invalid", "valid")),
        ("recovery_code", ("invalid", "valid")),
        ("registration_code", ("valid",)),
        ("verification", ("invalid", "valid")),
        ("verification_code", ("invalid", "valid")),
    ):
        templates[template] = {variant: {"email": {"body": {}}} for variant in variants}
    return templates


def _flows() -> Config:
    def after(*methods: str) -> Config:
        hooks: Config = {method: {"hooks": []} for method in methods}
        return {"hooks": [], **hooks}

    session_hook = [{"hook": "session"}]
    registration_after = after("code")
    for method in ("oidc", "password", "webauthn"):
        registration_after[method] = {"hooks": list(session_hook)}
    lifespan = "30m0s"
    return {
        "error": {"ui_url": "/ui/error"},
        "login": {
            "after": after(
                "code", "lookup_secret", "oidc", "password", "totp", "webauthn"
            ),
            "before": {"hooks": []},
            "lifespan": lifespan,
            "ui_url": "/ui/login",
        },
        "logout": {"after": {}},
        "recovery": {
            "after": {"hooks": []},
            "before": {"hooks": []},
            "enabled": True,
            "lifespan": lifespan,
            "notify_unknown_recipients": False,
            "ui_url": "/ui/recovery",
            "use": "code",
        },
        "registration": {
            "after": registration_after,
            "before": {"hooks": []},
            "enabled": True,
            "lifespan": lifespan,
            "login_hints": True,
            "ui_url": "/ui/registration",
        },
        "settings": {
            "after": after(
                "lookup_secret", "oidc", "password", "profile", "totp", "webauthn"
            ),
            "before": {"hooks": []},
            "lifespan": lifespan,
            "privileged_session_max_age": "15m0s",
            "required_aal": "highest_available",
            "ui_url": "/ui/settings",
        },
        "verification": {
            "after": {"hooks": []},
            "before": {"hooks": []},
            "enabled": True,
            "lifespan": lifespan,
            "notify_unknown_recipients": False,
            "ui_url": "/ui/verification",
            "use": "code",
        },
    }


def _oauth2() -> Config:
    return {
        "oauth2": {
            "client_credentials": {"default_grant_allowed_scope": False},
            "exclude_not_before_claim": False,
            "grant": {
                "jwt": {
                    "iat_optional": False,
                    "jti_optional": False,
                    "max_ttl": "720h0m0s",
                }
            },
            "pkce": {"enforced": False, "enforced_for_public_clients": False},
        },
        "oidc": {
            "dynamic_client_registration": {"enabled": False},
            "subject_identifiers": {},
        },
        "serve": {
            "cookies": {"same_site_legacy_workaround": False, "same_site_mode": "Lax"}
        },
        "strategies": {"access_token": "opaque", "scope": "wildcard"},
        "ttl": {
            "access_token": "1h0m0s",
            "auth_code": "30m0s",
            "id_token": "1h0m0s",
            "login_consent_request": "30m0s",
            "refresh_token": "720h0m0s",
        },
        "urls": {
            "consent": "/ui/consent",
            "error": "/ui/error",
            "login": "/ui/login",
            "logout": "/ui/logout",
            "post_logout_redirect": "/oauth2/fallbacks/logout",
        },
        "webfinger": {"jwks": {}},
    }


def _inline(document: Config) -> str:
    text = json.dumps(document, indent=2) + "\n"
    return "base64://" + base64.b64encode(text.encode()).decode()


def _preset(trait: str, trait_schema: Config) -> Config:
    return {
        "$id": f"https://schemas.ory.sh/presets/kratos/identity.{trait}.schema.json",
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Person",
        "type": "object",
        "properties": {
            "traits": {
                "type": "object",
                "properties": {trait: trait_schema},
                "required": [trait],
                "additionalProperties": False,
            }
        },
    }


_CREDENTIALS = {
    "password": {"identifier": True},
    "webauthn": {"identifier": True},
    "totp": {"account_name": True},
}

PRESET_SCHEMAS = {
    "preset://email": _preset(
        "email",
        {
            "type": "string",
            "format": "email",
            "title": "E-Mail",
            "ory.sh/kratos": {
                "credentials": {
                    **_CREDENTIALS,
                    "code": {"identifier": True, "via": "email"},
                },
                "recovery": {"via": "email"},
                "verification": {"via": "email"},
            },
            "maxLength": 320,
        },
    ),
    "preset://username": _preset(
        "username",
        {
            "type": "string",
            "title": "Username",
            "maxLength": 100,
            "ory.sh/kratos": {"credentials": _CREDENTIALS},
        },
    ),
}
