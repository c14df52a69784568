"""Property: whatever a client sends to a project operation, the emulator
answers without a server error and with a body the spec allows.

Requests are drawn from the spec itself: path ids that name existing things
(the project by id or slug, its organization, link, API key, member, current
revision) or do not, query parameters within and outside their bounds, and
bodies generated from each operation's request schema, mixed with arbitrary
JSON, malformed JSON and requests without a valid key.
"""

from __future__ import annotations

import datetime
import functools
import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conformance import (
    Exchange,
    project_operations,
    record_exchange,
    refuse_non_loopback,
    schema_error,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from spec_check import SPEC_PATH

from reconciler.emulator import Emulator

CORPUS = Path(__file__).parents[1] / ".." / "shared" / "corpus"
PROJECT_DOCUMENT = (
    CORPUS / "ory__cli__cmd__cloudx__project__fixtures__update__json__config.json"
)
PROJECT_ID = "6f0cae50-182d-8f7a-afdd-f83f3fa1f30c"
PROJECT_SLUG = "silly-hofstadter-e5balirqq2"
KEY = "ory_wak_fuzz"
EXAMPLES_PER_OPERATION = 50

# Pointers into a real project document, so that generated patches reach
# the service's treatment of a config and not only "no such path".
POINTERS = (
    "/name",
    "/id",
    "/revision_id",
    "/organizations",
    "/organizations/0",
    "/cors_public",
    "/cors_public/origins/-",
    "/services",
    "/services/identity/config",
    "/services/identity/config/session/lifespan",
    "/services/identity/config/courier/smtp/connection_uri",
    "/services/identity/config/selfservice/methods/password/enabled",
    "/services/identity/config/selfservice/flows/registration/after/hooks/0",
    "/services/identity/config/identity/schemas/0/url",
    "/services/oauth2/config/ttl/access_token",
    "/services/permission/config/namespaces/-",
    "/services/nonsense/config",
)


class KnownId:
    """Stands for an id of something that exists when the request is sent."""

    def __repr__(self) -> str:
        return "KNOWN"


KNOWN = KnownId()


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    template: str
    path_params: tuple[str, ...]
    query_params: dict[str, dict[str, Any]]
    body_schema: dict[str, Any] | None


@functools.cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def operations() -> dict[str, Operation]:
    found = {}
    for template, methods in spec()["paths"].items():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "project" not in operation.get(
                "tags", ()
            ):
                continue
            parameters = operation.get("parameters", [])
            body = operation.get("requestBody", {}).get("content", {})
            found[operation["operationId"]] = Operation(
                operation["operationId"],
                method.upper(),
                template,
                tuple(p["name"] for p in parameters if p["in"] == "path"),
                {p["name"]: p["schema"] for p in parameters if p["in"] == "query"},
                body.get("application/json", {}).get("schema"),
            )
    return found


# Strategies


JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
ANY_JSON = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
MALFORMED = st.sampled_from([b"{", b"[1,", b"nul", b'{"name": }', b"\xff\xfe", b"]"])
OFFSETS = st.integers(-14 * 60, 14 * 60).map(
    lambda minutes: datetime.timezone(datetime.timedelta(minutes=minutes))
)
# Ids that are not ids: any text, sent percent-encoded.
JUNK_ID = st.text(min_size=1, max_size=30).filter(lambda text: text.strip("."))
# Strings in request bodies, biased towards the pointers of a project.
HINTS: dict[str, st.SearchStrategy[Any]] = {
    "path": st.sampled_from(POINTERS) | st.text(max_size=20),
    "from": st.sampled_from(POINTERS) | st.text(max_size=20),
}


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that match an OpenAPI 3.0 schema of the spec's request bodies."""
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        return from_schema(spec()["components"]["schemas"][name])
    strategy = _typed(schema)
    return st.none() | strategy if schema.get("nullable") else strategy


def _typed(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        return _object(schema)
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {})), max_size=3)
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return st.integers(-(2**40), 2**40)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    return ANY_JSON


def _object(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    properties = schema.get("properties")
    if not properties:
        return st.dictionaries(st.text(max_size=10), ANY_JSON, max_size=3)
    required = set(schema.get("required", ()))
    values = {
        name: HINTS[name] if name in HINTS else from_schema(sub)
        for name, sub in properties.items()
    }
    return st.fixed_dictionaries(
        {name: s for name, s in values.items() if name in required},
        optional={name: s for name, s in values.items() if name not in required},
    )


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    form = schema.get("format")
    if form in ("uuid", "uuid4"):
        return st.uuids().map(str)
    if form == "date-time":
        return st.datetimes(timezones=OFFSETS).map(lambda moment: moment.isoformat())
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True)
    return st.text(max_size=20)


def path_value(name: str) -> st.SearchStrategy[Any]:
    ids: st.SearchStrategy[Any] = st.just(KNOWN) | st.uuids().map(str) | JUNK_ID
    if name in ("project", "project_id"):
        return ids | st.just(PROJECT_SLUG)
    return ids


def query_value(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    if schema.get("type") == "integer":
        low, high = schema.get("minimum", 0), schema.get("maximum", 1000)
        return st.integers(low - 2, high + 2).map(str) | st.text(max_size=5)
    return st.text(max_size=10)


@dataclass(frozen=True)
class Request:
    path: dict[str, Any]
    query: dict[str, str]
    body: bytes | None
    key: str | None


def requests(operation: Operation) -> st.SearchStrategy[Request]:
    # Half the requests name only things that exist, so that they get past
    # the lookups to the handling of their bodies.
    path = st.fixed_dictionaries(
        {name: st.just(KNOWN) for name in operation.path_params}
    ) | st.fixed_dictionaries(
        {name: path_value(name) for name in operation.path_params}
    )
    query = st.fixed_dictionaries(
        {},
        optional={name: query_value(s) for name, s in operation.query_params.items()},
    )
    body: st.SearchStrategy[bytes | None] = st.none()
    if operation.body_schema is not None:
        generated = from_schema(operation.body_schema)
        # Bodies from the schema come twice as often as the others.
        body = st.one_of(
            generated.map(_encode),
            generated.map(_encode),
            ANY_JSON.map(_encode),
            MALFORMED,
        )
    key = st.sampled_from([KEY] * 8 + ["ory_wak_unknown", "ory_pat_project_key", None])
    return st.builds(Request, path, query, body, key)


def _encode(value: Any) -> bytes:
    return json.dumps(value).encode()


# The emulator and the ids that exist in it


@dataclass
class Target:
    emulator: Emulator
    http: httpx.Client

    def known(self, name: str) -> str:
        """An id that exists now, creating what is missing."""
        self.emulator.ensure_project(PROJECT_ID)
        if name in ("project", "project_id"):
            return PROJECT_ID
        if name == "revision_id":
            return str(self.emulator.project(PROJECT_ID)["revision_id"])
        if name == "organization_id":
            return self._organization()
        if name == "onboarding_portal_link_id":
            return self._link()
        if name == "token_id":
            return self._first(f"/projects/{PROJECT_ID}/tokens", {"name": "ci"})
        if name == "member":
            return self._first(f"/projects/{PROJECT_ID}/members", None)
        raise KeyError(name)

    def _organization(self) -> str:
        organizations = self.emulator.project(PROJECT_ID)["organizations"]
        if organizations:
            return str(organizations[0]["id"])
        created = self.http.post(
            f"/projects/{PROJECT_ID}/organizations", json={"label": "Fuzz"}
        )
        return str(created.json()["id"])

    def _link(self) -> str:
        links = f"/projects/{PROJECT_ID}/organizations/{self._organization()}"
        links += "/onboarding-portal-links"
        found = self.http.get(links).json()["links"]
        if found:
            return str(found[0]["id"])
        body = {"enable_sso": True, "enable_scim": True}
        return str(self.http.post(links, json=body).json()["id"])

    def _first(self, path: str, create: dict[str, Any] | None) -> str:
        found = self.http.get(path).json()
        if not found and create is not None:
            return str(self.http.post(path, json=create).json()["id"])
        return str(found[0]["id"])


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The corpus project with an owner and a developer, served for the
    whole module; each example finds the ids it names recreated."""
    document = json.loads(PROJECT_DOCUMENT.read_text(encoding="utf-8"))
    document["x-emulator"] = {
        "members": [
            {"email": "ada@example.com", "name": "Ada", "role": "owner"},
            {"email": "bob@example.com", "name": "Bob", "role": "developer"},
        ]
    }
    seed = tmp_path_factory.mktemp("fuzz") / "project.json"
    seed.write_text(json.dumps(document), encoding="utf-8")
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        Emulator(api_keys=[KEY], seeds=[seed]) as emulator,
        httpx.Client(
            base_url=emulator.base_url,
            headers={"Authorization": f"Bearer {KEY}"},
            trust_env=False,
        ) as http,
    ):
        refuse_non_loopback(monkeypatch)
        yield Target(emulator, http)


def send(target: Target, operation: Operation, request: Request) -> httpx.Response:
    path = operation.template
    for name, value in request.path.items():
        raw = target.known(name) if value is KNOWN else value
        path = path.replace(f"{{{name}}}", urllib.parse.quote(raw, safe=""))
    # An empty Authorization replaces the client's key: no key at all.
    headers = {"Authorization": f"Bearer {request.key}" if request.key else ""}
    if request.body is not None:
        headers["Content-Type"] = "application/json"
    return target.http.request(
        operation.method,
        path,
        params=request.query,
        content=request.body,
        headers=headers,
    )


@pytest.mark.parametrize("operation_id", project_operations())
def test_every_answer_is_below_500_and_matches_the_spec(
    target: Target, operation_id: str, request: pytest.FixtureRequest
) -> None:
    operation = operations()[operation_id]

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None)
    @given(requests(operation))
    def answers_within_the_spec(sent: Request) -> None:
        response = send(target, operation, sent)
        body = response.json() if response.content else None
        error = schema_error(operation_id, response.status_code, body)
        record_exchange(
            request.node,
            Exchange("fuzz", operation_id, response.status_code, error is None),
        )

        assert response.status_code < 500, body
        assert error is None, error

    answers_within_the_spec()


@pytest.mark.parametrize(
    ("patch", "status"),
    [
        pytest.param(
            [{"op": "replace", "path": "name", "value": "x"}],
            400,
            id="path-not-a-pointer",
        ),
        pytest.param(
            [{"op": "add", "path": "/name", "from": "0", "value": "x"}],
            200,
            id="from-of-an-add-ignored",
        ),
        pytest.param(
            [{"op": "add", "path": "/services", "value": 1}],
            400,
            id="services-not-an-object",
        ),
    ],
)
def test_odd_patches_answer_400_or_apply_without_a_server_error(
    target: Target, patch: list[dict[str, Any]], status: int
) -> None:
    target.emulator.ensure_project(PROJECT_ID)

    response = target.http.patch(f"/projects/{PROJECT_ID}", json=patch)

    assert response.status_code == status
    assert schema_error("patchProject", status, response.json()) is None
