"""Derive the table of config keys Ory Network manages.

Reads Ory's OpenAPI spec (schema `normalizedProjectRevision`: one column per
setting, each saying which config key it governs, plus list-valued columns
whose items are schemas of their own) and the Kratos config JSON Schema (which
Kratos keys hold durations, which hook lists exist), and writes
`reconciler/data/managed_keys.json`.

Keys are dotted paths inside a service's config (`session.lifespan`); `*`
stands for any list item or any map key. The output is sorted and stable:
running the script twice gives the same bytes.

    python scripts/derive_key_table.py [--spec PATH] [--kratos-schema PATH]
                                       [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / ".." / "shared"
DEFAULT_SPEC = SHARED / "ory-spec" / "ory-client-v1.22.65.json"
DEFAULT_KRATOS_SCHEMA = SHARED / "corpus" / "ory__kratos__embedx__config.schema.json"
DEFAULT_OUT = REPO / "reconciler" / "data" / "managed_keys.json"

GOVERNS = re.compile(r'This governs the "([^"]+)" setting')
DURATION_UNITS = "(ns|us"

# Where each service's config sits in the project document.
ROOTS = {
    "identity": "/services/identity/config",
    "oauth2": "/services/oauth2/config",
    "permission": "/services/permission/config",
    "account_experience": "/services/account_experience/config",
    "project": "",
}

COLUMN_PREFIXES = {
    "kratos_": "identity",
    "hydra_": "oauth2",
    "keto_": "permission",
    "account_experience_": "account_experience",
}

# Columns named outside the prefix scheme, with the service they belong to.
UNPREFIXED_COLUMNS = {
    "disable_account_experience_welcome_screen": "account_experience",
    "enable_ax_v2": "account_experience",
}

# The CORS columns govern the project's own `cors_admin` and `cors_public`.
CORS_COLUMNS = {
    "serve_admin_cors_enabled": "cors_admin.enabled",
    "serve_admin_cors_allowed_origins": "cors_admin.origins",
    "serve_public_cors_enabled": "cors_public.enabled",
    "serve_public_cors_allowed_origins": "cors_public.origins",
}

# Spec descriptions that name a key differently from the service's config
# format; the Hydra config nests the pairwise salt under `pairwise`.
KEY_CORRECTIONS = {
    "oidc.subject_identifiers.pairwise_salt": "oidc.subject_identifiers.pairwise.salt",
}

# Defaults the spec states in prose rather than as a value.
PROSE_DEFAULTS = {"kratos_courier_http_request_config_auth_type"}

# A duration the spec describes in prose only (no pattern on the column).
PROSE_DURATIONS = {("oauth2", "oauth2.grant.refresh_token.rotation_grace_period")}

# Lists whose items are compared as a set; every other list keeps its order.
SET_LISTS = {
    "allowed_return_urls",
    "origins",
    "allowed_origins",
    "scope",
    "default_scope",
    "supported_scope",
}

# Write-only secrets: the service answers them redacted. The SMTP connection
# URI is redacted in its password part only.
WRITE_ONLY = {
    ("identity", "courier.smtp.connection_uri"): "url_password",
    ("identity", "selfservice.methods.oidc.config.providers.*.client_secret"): None,
    ("identity", "selfservice.methods.oidc.config.providers.*.apple_private_key"): None,
    ("oauth2", "oidc.subject_identifiers.pairwise.salt"): None,
}

# Keys the service fills in on read, from the project's slug or with fixed
# platform values, as the project document returned by getProject shows
# them. A managed key here still takes writes; an unmanaged one does not.
SERVER_DERIVED: dict[str, dict[str, str]] = {
    "identity": {
        "cookies.domain": "string",
        "cookies.path": "string",
        "organizations": "array",
        "serve.admin.base_url": "string",
        "serve.admin.request_log.disable_for_health": "boolean",
        "serve.public.base_url": "string",
        "serve.public.cors.enabled": "boolean",
        "serve.public.request_log.disable_for_health": "boolean",
        "session.cookie.domain": "string",
        "session.cookie.name": "string",
        "session.cookie.path": "string",
    },
    "oauth2": {
        "clients.http.disallow_private_ip_ranges": "boolean",
        "dev": "boolean",
        "hsm.enabled": "boolean",
        "oauth2.expose_internal_errors": "boolean",
        "oauth2.hashers.algorithm": "string",
        "oauth2.hashers.pbkdf2.iterations": "integer",
        "oauth2.session.encrypt_at_rest": "boolean",
        **{
            f"serve.{api}.cors.{key}": kind
            for api in ("admin", "public")
            for key, kind in (
                ("allow_credentials", "boolean"),
                ("allowed_headers", "array"),
                ("allowed_methods", "array"),
                ("debug", "boolean"),
                ("enabled", "boolean"),
                ("exposed_headers", "array"),
                ("max_age", "integer"),
            )
        },
        "serve.admin.tls.enabled": "boolean",
        "serve.public.tls.enabled": "boolean",
        "serve.tls.enabled": "boolean",
        "serve.cookies.domain": "string",
        "serve.cookies.names.consent_csrf": "string",
        "serve.cookies.names.login_csrf": "string",
        "serve.cookies.names.session_csrf": "string",
        "serve.cookies.secure": "boolean",
        "urls.self.admin": "string",
        "urls.self.issuer": "string",
        "urls.self.public": "string",
        "webfinger.oidc_discovery.auth_url": "string",
        "webfinger.oidc_discovery.jwks_url": "string",
        "webfinger.oidc_discovery.token_url": "string",
        "webfinger.oidc_discovery.userinfo_url": "string",
    },
    "permission": {"limit.max_read_depth": "integer"},
}

# The service puts the project's own URL first in this list; the entries
# after it are the user's.
SERVER_DERIVED_FIRST_ITEM = ("identity", "selfservice.allowed_return_urls")

# Keys that hold a document the service moves to blob storage when it is
# sent inline as `base64://`, with the extension of the stored file.
STORAGE_EXT = {
    "identity.schemas.*.url": "json",
    "mapper_url": "jsonnet",
    "claims_mapper_url": "jsonnet",
    "config.body": "jsonnet",
    "request_config.body": "jsonnet",
    "email.body.html": "gotmpl",
    "email.body.plaintext": "gotmpl",
    "email.subject": "gotmpl",
    "sms.body.plaintext": "gotmpl",
    "namespaces.location": "ts",
}

# Keto takes its namespace configuration as an object: the OPL `location`
# (the column `keto_namespace_configuration`) beside the strict-mode switch.
KETO_NAMESPACE_OBJECT = {"namespaces.experimental_strict_mode": "boolean"}

# Item properties that are bookkeeping of the service's database rows.
BOOKKEEPING = {"id", "created_at", "updated_at", "project_revision_id", "state"}

# The hook item's properties and the keys of a Kratos hook entry they fill.
HOOK_FIELDS = {
    "hook": "hook",
    "notify_previous_addresses_config_recipients": "config.recipients",
    "web_hook_config_auth_api_key_in": "config.auth.config.in",
    "web_hook_config_auth_api_key_name": "config.auth.config.name",
    "web_hook_config_auth_api_key_value": "config.auth.config.value",
    "web_hook_config_auth_basic_auth_password": "config.auth.config.password",
    "web_hook_config_auth_basic_auth_user": "config.auth.config.user",
    "web_hook_config_auth_type": "config.auth.type",
    "web_hook_config_body": "config.body",
    "web_hook_config_can_interrupt": "config.can_interrupt",
    "web_hook_config_method": "config.method",
    "web_hook_config_response_ignore": "config.response.ignore",
    "web_hook_config_response_parse": "config.response.parse",
    "web_hook_config_url": "config.url",
}

COURIER_CHANNEL_FIELDS = {
    "channel_id": "id",
    "request_config_auth_config_api_key_in": "request_config.auth.config.in",
    "request_config_auth_config_api_key_name": "request_config.auth.config.name",
    "request_config_auth_config_api_key_value": "request_config.auth.config.value",
    "request_config_auth_config_basic_auth_password": (
        "request_config.auth.config.password"
    ),
    "request_config_auth_config_basic_auth_user": "request_config.auth.config.user",
    "request_config_auth_type": "request_config.auth.type",
    "request_config_body": "request_config.body",
    "request_config_headers": "request_config.headers",
    "request_config_method": "request_config.method",
    "request_config_url": "request_config.url",
}


@dataclass(frozen=True)
class ItemList:
    """A list-valued column: where its items live in the service config and
    how the item schema's properties name the item's keys."""

    column: str
    service: str
    path: str
    list_kind: str
    list_key: str | None
    # Item property -> item key; properties not listed keep their name,
    # properties mapped to None are not config keys.
    fields: Mapping[str, str | None] = field(default_factory=dict)
    only_listed_fields: bool = False


ITEM_LISTS = (
    ItemList(
        column="kratos_selfservice_methods_oidc_config_providers",
        service="identity",
        path="selfservice.methods.oidc.config.providers",
        list_kind="keyed",
        list_key="id",
        fields={
            "provider_id": "id",
            "azure_tenant": "microsoft_tenant",
            "proxy_oidc_redirect_url": None,
        },
    ),
    ItemList(
        column="kratos_selfservice_methods_saml_config_providers",
        service="identity",
        path="selfservice.methods.saml.config.providers",
        list_kind="keyed",
        list_key="id",
        fields={"provider_id": "id"},
    ),
    ItemList(
        column="kratos_courier_channels",
        service="identity",
        path="courier.channels",
        list_kind="keyed",
        list_key="id",
        fields=COURIER_CHANNEL_FIELDS,
        only_listed_fields=True,
    ),
    # Schema ids are rewritten to the hash of the schema's content, so
    # schemas are told apart by the content their `url` points to.
    ItemList(
        column="kratos_identity_schemas",
        service="identity",
        path="identity.schemas",
        list_kind="by_content",
        list_key="url",
        fields={
            "import_id": "id",
            "import_url": "url",
            "selfservice_selectable": "selfservice_selectable",
        },
        only_listed_fields=True,
    ),
    # A map from the template's `key` to its settings.
    ItemList(
        column="kratos_session_whoami_tokenizer_templates",
        service="identity",
        path="session.whoami.tokenizer.templates",
        list_kind="map",
        list_key=None,
        fields={"key": None},
    ),
    ItemList(
        column="keto_namespaces",
        service="permission",
        path="namespaces",
        list_kind="keyed",
        list_key="name",
        fields={"id": "id"},
    ),
)

# The identity schema column's `is_default` flag is this key in the config.
DEFAULT_SCHEMA_KEY = "identity.default_schema_id"

# Columns not described here: what they are and why they are left out.
NOT_COVERED = {
    "account_experience_custom_translations": (
        "no source names the config key of the custom translations"
    ),
    "organizations": "organizations have their own endpoints",
    "scim_clients": "SCIM clients have no key in the service configs",
    "strict_security": "a project setting with no config key",
    "talos_*": "the talos service's columns name no config key",
}


FIELD_NOTES = {
    "type": "JSON type of the value",
    "managed": "the service takes writes to the key (false: shown on read only)",
    "duration": "a Go duration, read back as Go prints it (1h -> 1h0m0s)",
    "write_only": "a secret the service reads back redacted",
    "write_only_part": "null: the whole value; url_password: the URL's password",
    "list_kind": (
        "keyed (items told apart by list_key), set, ordered, by_content (items "
        "told apart by the content list_key points to), map (an object whose "
        "keys name its entries)"
    ),
    "list_key": "the item field that identifies an item",
    "server_derived": "the service fills the value in on read",
    "server_derived_items": (
        "how many leading list items the service puts first on read (the "
        "project's own URL in selfservice.allowed_return_urls)"
    ),
    "storage_ext": "a base64:// value is stored and read back as a blob URL",
    "source": "where the entry comes from",
    "default": "the spec's default, when it states one",
}


@dataclass
class Entry:
    """What the table says about one config key."""

    type: str
    source: str
    managed: bool = True
    duration: bool = False
    write_only: bool = False
    write_only_part: str | None = None
    list_kind: str | None = None
    list_key: str | None = None
    server_derived: bool = False
    server_derived_items: int = 0
    storage_ext: str | None = None
    default: Any = None
    has_default: bool = False

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type,
            "managed": self.managed,
            "duration": self.duration,
            "write_only": self.write_only,
            "write_only_part": self.write_only_part,
            "list_kind": self.list_kind,
            "list_key": self.list_key,
            "server_derived": self.server_derived,
            "server_derived_items": self.server_derived_items,
            "storage_ext": self.storage_ext,
            "source": self.source,
        }
        if self.has_default:
            out["default"] = self.default
        return out


Table = dict[str, dict[str, Entry]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC)
    parser.add_argument("--kratos-schema", type=Path, default=DEFAULT_KRATOS_SCHEMA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    spec = json.loads(args.spec.read_text())
    kratos_schema = json.loads(args.kratos_schema.read_text())
    table = derive(spec, kratos_schema)
    document = render(table, spec_file=args.spec.name)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")


def derive(spec: dict[str, Any], kratos_schema: dict[str, Any]) -> Table:
    """The table of managed keys per service."""
    schemas = spec["components"]["schemas"]
    kratos = list(walk_schema(kratos_schema, kratos_schema["definitions"]))
    kratos_durations = {
        path for path, schema in kratos if DURATION_UNITS in schema.get("pattern", "")
    }
    hook_lists = sorted(
        {
            path
            for path, schema in kratos
            if path.startswith("selfservice.flows.")
            and path.endswith(".hooks")
            and schema.get("type") == "array"
        }
    )
    table: Table = {service: {} for service in ROOTS}

    table["project"]["name"] = Entry(type="string", source="spec:project.name")
    add_columns(table, schemas)
    for item_list in ITEM_LISTS:
        add_item_list(table, schemas, item_list)
    add_hooks(table, schemas, hook_lists)
    for path, kind in KETO_NAMESPACE_OBJECT.items():
        table["permission"][path] = Entry(type=kind, source="keto-config")
    add_server_derived(table)

    mark_durations(table, kratos_durations)
    mark_write_only(table)
    mark_storage(table)
    return table


def add_columns(table: Table, schemas: dict[str, Any]) -> None:
    """One entry per column that says which key it governs."""
    columns = schemas["normalizedProjectRevision"]["properties"]
    for column, schema in sorted(columns.items()):
        governed = GOVERNS.findall(schema.get("description", ""))
        if not governed:
            continue
        service, path = locate_column(column, governed[0])
        entry = Entry(type=schema["type"], source=f"spec:{column}")
        if "default" in schema and column not in PROSE_DEFAULTS:
            entry.default, entry.has_default = schema["default"], True
        if "pattern" in schema and DURATION_UNITS in schema["pattern"]:
            entry.duration = True
        if entry.type == "array":
            entry.list_kind = list_kind_of(path)
        # Two columns may govern one key (captcha's own and bring-your-own
        # keys); the first one, in column order, describes it.
        table[service].setdefault(path, entry)


def locate_column(column: str, governed: str) -> tuple[str, str]:
    """The service and dotted key path a governing column stands for."""
    if column in CORS_COLUMNS:
        return "project", CORS_COLUMNS[column]
    if column in UNPREFIXED_COLUMNS:
        return UNPREFIXED_COLUMNS[column], governed
    for prefix, service in COLUMN_PREFIXES.items():
        if column.startswith(prefix):
            return service, KEY_CORRECTIONS.get(governed, governed)
    raise ValueError(f"column {column} names no known service")


def add_item_list(table: Table, schemas: dict[str, Any], item_list: ItemList) -> None:
    """The list's own entry, and one entry per key of its items."""
    columns = schemas["normalizedProjectRevision"]["properties"]
    list_schema = resolve(columns[item_list.column], schemas)
    item_schema = resolve(list_schema["items"], schemas)
    entries = table[item_list.service]
    entries[item_list.path] = Entry(
        type="object" if item_list.list_kind == "map" else "array",
        source=f"spec:{item_list.column}",
        list_kind=item_list.list_kind,
        list_key=item_list.list_key,
    )
    for prop, prop_schema in sorted(item_schema["properties"].items()):
        key = item_key(prop, item_list)
        prop_schema = resolve(prop_schema, schemas)
        if key is None or prop_schema.get("readOnly"):
            continue
        entries[f"{item_list.path}.*.{key}"] = item_entry(
            prop_schema, key, source=f"spec:{item_list.column}"
        )
    if item_list.column == "kratos_identity_schemas":
        entries[DEFAULT_SCHEMA_KEY] = Entry(
            type="string", source=f"spec:{item_list.column}.is_default"
        )


def item_key(prop: str, item_list: ItemList) -> str | None:
    """The item key a property of the item schema stands for, if any."""
    if prop in item_list.fields:
        return item_list.fields[prop]
    if item_list.only_listed_fields or prop in BOOKKEEPING:
        return None
    return prop


def item_entry(schema: dict[str, Any], key: str, source: str) -> Entry:
    """The entry of one item key from its property schema."""
    # A nullable enum without a type (`pkce`) is a string.
    entry = Entry(type=schema.get("type", "string"), source=source)
    if "default" in schema:
        entry.default, entry.has_default = schema["default"], True
    if DURATION_UNITS in schema.get("pattern", ""):
        entry.duration = True
    if entry.type == "array":
        entry.list_kind = list_kind_of(key)
    return entry


def add_hooks(table: Table, schemas: dict[str, Any], hook_lists: list[str]) -> None:
    """Every hook list of the Kratos config, with the keys of a hook entry.

    The spec keeps hooks in one column whose items name their list by
    `config_key`; the lists themselves are the Kratos config's.
    """
    hook_schema = schemas["normalizedProjectRevisionHook"]["properties"]
    entries = table["identity"]
    for path in hook_lists:
        entries[path] = Entry(
            type="array", source="spec:project_revision_hooks", list_kind="ordered"
        )
        for prop, key in HOOK_FIELDS.items():
            entries[f"{path}.*.{key}"] = item_entry(
                hook_schema[prop], key, source="spec:project_revision_hooks"
            )


def add_server_derived(table: Table) -> None:
    for service, keys in SERVER_DERIVED.items():
        for path, kind in keys.items():
            entry = table[service].setdefault(
                path, Entry(type=kind, source="read-view", managed=False)
            )
            entry.server_derived = True
    service, path = SERVER_DERIVED_FIRST_ITEM
    table[service][path].server_derived_items = 1


def mark_durations(table: Table, kratos_durations: set[str]) -> None:
    """Kratos keys whose schema takes a Go duration, and the prose ones."""
    for path, entry in table["identity"].items():
        if path in kratos_durations:
            entry.duration = True
    for service, path in PROSE_DURATIONS:
        table[service][path].duration = True


def mark_write_only(table: Table) -> None:
    for (service, path), part in WRITE_ONLY.items():
        entry = table[service][path]
        entry.write_only, entry.write_only_part = True, part


def mark_storage(table: Table) -> None:
    for entries in table.values():
        for path, entry in entries.items():
            if entry.type != "string":
                continue
            for suffix, ext in STORAGE_EXT.items():
                if path == suffix or path.endswith("." + suffix):
                    entry.storage_ext = ext


def list_kind_of(path: str) -> str:
    return "set" if path.rsplit(".", 1)[-1] in SET_LISTS else "ordered"


def resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its `$ref`s followed, local keys winning."""
    while "$ref" in schema:
        target = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def walk_schema(
    schema: Any, definitions: dict[str, Any], path: tuple[str, ...] = ()
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (dotted path, schema) of the Kratos config schema, with `*` for
    list items and for keys of maps."""
    if not isinstance(schema, dict):
        return
    while "$ref" in schema and schema["$ref"].startswith("#/definitions/"):
        target = definitions[schema["$ref"].rsplit("/", 1)[-1]]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    if path:
        yield ".".join(path), schema
    for alternative in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(alternative, []):
            yield from walk_schema(sub, definitions, path)
    for key, sub in schema.get("properties", {}).items():
        yield from walk_schema(sub, definitions, (*path, key))
    for sub in schema.get("patternProperties", {}).values():
        yield from walk_schema(sub, definitions, (*path, "*"))
    if isinstance(schema.get("additionalProperties"), dict):
        yield from walk_schema(
            schema["additionalProperties"], definitions, (*path, "*")
        )
    if isinstance(schema.get("items"), dict):
        yield from walk_schema(schema["items"], definitions, (*path, "*"))


def render(table: Table, spec_file: str) -> dict[str, Any]:
    version = re.search(r"v\d+\.\d+\.\d+", spec_file)
    return {
        "about": (
            "Config keys Ory Network manages, per service, as dotted paths "
            "inside the service's config ('*': any list item or map key). "
            "Generated by scripts/derive_key_table.py; do not edit."
        ),
        "fields": FIELD_NOTES,
        "spec": {"file": spec_file, "version": version.group(0) if version else None},
        "not_covered": NOT_COVERED,
        "services": {
            service: {
                "root": ROOTS[service],
                "keys": {path: entry.as_json() for path, entry in entries.items()},
            }
            for service, entries in table.items()
        },
    }


if __name__ == "__main__":
    main()
