"""Comparing desired with live: what is a change and what is not."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import jsonpatch

from reconciler.compare import Rules, compare
from reconciler.patch import to_patch
from reconciler.pointer import PointerSet

STORAGE = "https://storage.googleapis.com/bac-gcs-prod/"


def identity(config: dict[str, Any]) -> dict[str, Any]:
    return {"services": {"identity": {"config": config}}}


def patch_for(desired: dict[str, Any], live: dict[str, Any], **rules: Any) -> list[Any]:
    return to_patch(compare(desired, live, Rules(**rules)).changes)


def b64(text: str) -> str:
    return "base64://" + base64.b64encode(text.encode()).decode()


def stored(text: str, ext: str) -> str:
    return f"{STORAGE}{hashlib.sha512(text.encode()).hexdigest()}.{ext}"


def test_a_key_the_manifest_does_not_mention_is_never_touched() -> None:
    live = identity(
        {"session": {"lifespan": "24h0m0s", "whoami": {"required_aal": "aal1"}}}
    )
    desired = identity({"session": {"lifespan": "48h"}})

    assert patch_for(desired, live) == [
        {
            "op": "replace",
            "path": "/services/identity/config/session/lifespan",
            "value": "48h",
        }
    ]


def test_a_member_missing_live_is_added_not_replaced() -> None:
    live = identity({"session": {}})
    desired = identity({"session": {"whoami": {"required_aal": "highest_available"}}})

    assert patch_for(desired, live) == [
        {
            "op": "add",
            "path": "/services/identity/config/session/whoami",
            "value": {"required_aal": "highest_available"},
        }
    ]


def test_a_path_that_already_holds_the_value_gets_no_operation() -> None:
    live = identity({"selfservice": {"methods": {"password": {"enabled": True}}}})

    assert patch_for(live, live) == []


def test_pointers_are_escaped() -> None:
    live = identity({"oauth2_provider": {"headers": {}}})
    desired = identity({"oauth2_provider": {"headers": {"a/b~c": "1"}}})

    [operation] = patch_for(desired, live)

    assert (
        operation["path"] == "/services/identity/config/oauth2_provider/headers/a~1b~0c"
    )
    assert jsonpatch.apply_patch(live, [operation]) == desired


def test_durations_compare_by_value_in_both_directions() -> None:
    live = identity({"session": {"lifespan": "30m0s"}})

    assert patch_for(identity({"session": {"lifespan": "0.5h"}}), live) == []
    assert patch_for(identity({"session": {"lifespan": "31m"}}), live) != []


def test_a_payload_equals_the_storage_url_named_by_its_hash() -> None:
    body = "function(ctx) { email: ctx.identity.traits.email }\n"
    path = ("courier", "templates", "recovery_code", "valid", "email", "body")
    live = identity(
        {
            "courier": {
                "templates": {
                    "recovery_code": {
                        "valid": {"email": {"body": {"html": stored(body, "gotmpl")}}}
                    }
                }
            }
        }
    )

    same = identity(
        {
            "courier": {
                "templates": {
                    "recovery_code": {"valid": {"email": {"body": {"html": b64(body)}}}}
                }
            }
        }
    )
    other = identity(
        {
            "courier": {
                "templates": {
                    "recovery_code": {
                        "valid": {"email": {"body": {"html": b64(body + " ")}}}
                    }
                }
            }
        }
    )

    assert patch_for(same, live) == []
    [operation] = patch_for(other, live)
    assert operation["path"].endswith("/".join(path) + "/html")


def test_a_schema_id_chosen_by_the_manifest_matches_the_hash_id_live() -> None:
    schema = '{"type": "object"}'
    digest = hashlib.sha512(schema.encode()).hexdigest()
    live = identity(
        {
            "identity": {
                "default_schema_id": digest,
                "schemas": [
                    {"id": "preset://email", "url": b64("{}")},
                    {"id": digest, "url": stored(schema, "json")},
                ],
            }
        }
    )
    desired = identity(
        {
            "identity": {
                "default_schema_id": "customer",
                "schemas": [{"id": "customer", "url": b64(schema)}],
            }
        }
    )

    assert patch_for(desired, live) == []


def test_a_new_default_schema_is_sent_under_the_id_the_service_will_give_it() -> None:
    schema = '{"type": "object", "title": "new"}'
    digest = hashlib.sha512(schema.encode()).hexdigest()
    live = identity(
        {"identity": {"default_schema_id": "preset://email", "schemas": []}}
    )
    desired = identity(
        {
            "identity": {
                "default_schema_id": "customer",
                "schemas": [{"id": "customer", "url": b64(schema)}],
            }
        }
    )

    patch = patch_for(desired, live)

    assert {
        "op": "replace",
        "path": "/services/identity/config/identity/default_schema_id",
        "value": digest,
    } in patch
    assert {
        "op": "add",
        "path": "/services/identity/config/identity/schemas/-",
        "value": {"id": "customer", "url": b64(schema)},
    } in patch


def test_clearing_a_list_is_a_real_change() -> None:
    live = identity(
        {
            "selfservice": {
                "allowed_return_urls": ["https://a.example", "https://b.example"]
            }
        }
    )
    desired = identity({"selfservice": {"allowed_return_urls": []}})

    assert patch_for(desired, live) == [
        {
            "op": "replace",
            "path": "/services/identity/config/selfservice/allowed_return_urls",
            "value": [],
        }
    ]


def test_the_return_url_the_service_puts_first_is_not_drift() -> None:
    live = identity(
        {
            "selfservice": {
                "allowed_return_urls": [
                    "https://slug.projects.oryapis.com",
                    "https://b.example",
                    "https://a.example",
                ]
            }
        }
    )
    desired = identity(
        {
            "selfservice": {
                "allowed_return_urls": ["https://a.example", "https://b.example"]
            }
        }
    )

    assert patch_for(desired, live) == []


def test_set_like_lists_ignore_order_but_not_content() -> None:
    live = {
        "cors_public": {
            "enabled": True,
            "origins": ["https://a.example", "https://b.example"],
        }
    }

    assert (
        patch_for(
            {"cors_public": {"origins": ["https://b.example", "https://a.example"]}},
            live,
        )
        == []
    )
    assert patch_for({"cors_public": {"origins": ["https://b.example"]}}, live) != []


def test_a_key_the_service_does_not_manage_is_a_predicted_warning_not_a_change() -> (
    None
):
    live = identity({})
    desired = identity({"serve": {"public": {"port": 4433}}, "dsn": "memory"})

    found = compare(desired, live, Rules())

    assert found.changes == []
    assert {"/".join(map(str, path)) for path in found.dropped} == {
        "services/identity/config/serve",
        "services/identity/config/dsn",
    }


def test_null_removes_a_key() -> None:
    live = identity({"session": {"lifespan": "24h0m0s"}})

    found = compare(identity({"session": {"lifespan": None}}), live, Rules())

    [change] = found.changes
    assert (change.op, change.pointer) == (
        "remove",
        "/services/identity/config/session/lifespan",
    )
    assert change.note == "the service default applies"


def test_ignore_rules_match_one_item_or_key_with_a_star() -> None:
    live = identity(
        {
            "selfservice": {
                "methods": {
                    "oidc": {
                        "config": {
                            "providers": [
                                {"id": "google", "client_id": "live", "label": "Google"}
                            ]
                        }
                    }
                }
            }
        }
    )
    desired = identity(
        {
            "selfservice": {
                "methods": {
                    "oidc": {
                        "config": {
                            "providers": [
                                {"id": "google", "client_id": "desired", "label": "G"}
                            ]
                        }
                    }
                }
            }
        }
    )
    ignored = PointerSet(
        [
            "/services/identity/config/selfservice/methods/oidc/config/providers/*/client_id"
        ]
    )

    assert patch_for(desired, live, ignore=ignored) == [
        {
            "op": "replace",
            "path": "/services/identity/config/selfservice/methods/oidc/config/providers/0/label",
            "value": "G",
        }
    ]


class TestWriteOnlySecrets:
    URI = "/services/identity/config/courier/smtp/connection_uri"

    def smtp(self, uri: str) -> dict[str, Any]:
        return identity({"courier": {"smtp": {"connection_uri": uri}}})

    def test_a_redacted_secret_is_not_compared_and_is_listed_unchecked(self) -> None:
        found = compare(
            self.smtp("smtps://u:new@mail.example:465/"),
            self.smtp("smtps://u:REDACTED@mail.example:465/"),
            Rules(),
        )

        assert found.changes == []
        assert [("/" + "/".join(map(str, p))) for p in found.unchecked_write_only] == [
            self.URI
        ]

    def test_a_changed_host_is_sent_and_marked_sensitive(self) -> None:
        found = compare(
            self.smtp("smtps://u:new@mail2.example:465/"),
            self.smtp("smtps://u:REDACTED@mail.example:465/"),
            Rules(),
        )

        [change] = found.changes
        assert (change.op, change.pointer, change.sensitive) == (
            "replace",
            self.URI,
            True,
        )

    def test_an_absent_secret_is_added(self) -> None:
        found = compare(
            self.smtp("smtps://u:new@mail.example:465/"),
            identity({"courier": {"smtp": {}}}),
            Rules(),
        )

        assert [(c.op, c.pointer) for c in found.changes] == [("add", self.URI)]

    def test_sync_secrets_sends_it_anyway(self) -> None:
        found = compare(
            self.smtp("smtps://u:new@mail.example:465/"),
            self.smtp("smtps://u:REDACTED@mail.example:465/"),
            Rules(sync_secrets=True),
        )

        assert [(c.op, c.pointer) for c in found.changes] == [("replace", self.URI)]

    def test_a_secret_returned_in_full_is_compared_normally(self) -> None:
        path = ["selfservice", "methods", "oidc", "config", "providers"]
        live = identity(
            {
                "selfservice": {
                    "methods": {
                        "oidc": {
                            "config": {
                                "providers": [
                                    {"id": "github", "client_secret": "old-fake-secret"}
                                ]
                            }
                        }
                    }
                }
            }
        )
        desired = identity(
            {
                "selfservice": {
                    "methods": {
                        "oidc": {
                            "config": {
                                "providers": [
                                    {"id": "github", "client_secret": "new-fake-secret"}
                                ]
                            }
                        }
                    }
                }
            }
        )

        [change] = compare(desired, live, Rules()).changes

        assert (
            change.pointer
            == "/services/identity/config/" + "/".join(path) + "/0/client_secret"
        )
        assert change.sensitive


def test_a_keyed_element_keeps_its_manifest_path_for_sources_and_secrets() -> None:
    providers = "/services/identity/config/selfservice/methods/oidc/config/providers"
    live = identity(
        {
            "selfservice": {
                "methods": {
                    "oidc": {
                        "config": {
                            "providers": [
                                {"id": "google", "client_id": "g"},
                                {"id": "github", "client_id": "old-id"},
                            ]
                        }
                    }
                }
            }
        }
    )
    desired = identity(
        {
            "selfservice": {
                "methods": {
                    "oidc": {
                        "config": {
                            "providers": [
                                {
                                    "id": "github",
                                    "client_id": "id-from-the-environment",
                                },
                                {"id": "gitlab", "client_id": "new"},
                            ]
                        }
                    }
                }
            }
        }
    )

    found = compare(
        desired, live, Rules(secrets=frozenset({f"{providers}/0/client_id"}))
    )

    changed, added = found.changes
    assert (changed.pointer, changed.origin[-2:], changed.sensitive) == (
        f"{providers}/1/client_id",
        (0, "client_id"),
        True,
    )
    assert (added.pointer, added.origin[-1], added.sensitive) == (
        f"{providers}/-",
        1,
        False,
    )


class TestOwnership:
    COOKIE = ("services", "identity", "config", "session", "cookie")

    def test_an_owned_path_the_manifest_does_not_declare_is_owned_as_empty(
        self,
    ) -> None:
        live = identity(
            {
                "session": {
                    "lifespan": "24h0m0s",
                    "cookie": {"persistent": True, "same_site": "Strict"},
                }
            }
        )

        found = compare(
            identity({}),
            live,
            Rules(own=PointerSet(["/services/identity/config/session/cookie"])),
        )

        assert [(c.op, c.pointer) for c in found.changes] == [
            ("remove", "/services/identity/config/session/cookie/persistent"),
            ("remove", "/services/identity/config/session/cookie/same_site"),
        ]

    def test_an_owned_field_of_every_element_goes_where_it_is_not_declared(
        self,
    ) -> None:
        providers = (
            "/services/identity/config/selfservice/methods/oidc/config/providers"
        )
        live = identity(
            {
                "selfservice": {
                    "methods": {
                        "oidc": {
                            "config": {
                                "providers": [{"id": "google", "scope": ["email"]}]
                            }
                        }
                    }
                }
            }
        )
        desired = identity(
            {
                "selfservice": {
                    "methods": {"oidc": {"config": {"providers": [{"id": "google"}]}}}
                }
            }
        )

        found = compare(desired, live, Rules(own=PointerSet([f"{providers}/*/scope"])))

        assert [(c.op, c.pointer) for c in found.changes] == [
            ("remove", f"{providers}/0/scope")
        ]


def test_a_declared_key_the_service_derives_is_a_predicted_warning() -> None:
    issuer = ("services", "oauth2", "config", "urls", "self", "issuer")
    live = {
        "services": {
            "oauth2": {
                "config": {
                    "urls": {"self": {"issuer": "https://slug.projects.oryapis.com"}}
                }
            }
        }
    }
    desired = {
        "services": {
            "oauth2": {
                "config": {"urls": {"self": {"issuer": "https://issuer.example/"}}}
            }
        }
    }

    found = compare(desired, live, Rules())

    assert found.changes == []
    assert found.dropped == [issuer]


def test_null_leaves_alone_a_key_that_already_holds_false() -> None:
    live = identity({"selfservice": {"methods": {"oidc": {"enabled": False}}}})
    desired = identity({"selfservice": {"methods": {"oidc": {"enabled": None}}}})

    assert compare(desired, live, Rules()).changes == []
