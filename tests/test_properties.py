"""Properties of the patch built from random live and desired documents.

The documents are built inside managed subtrees of a project, so the key
table decides how each value compares: a map (``oauth2_provider.headers``),
a keyed list (OIDC providers by ``id``), set-like lists (allowed return URLs,
public CORS origins, a provider's ``scope``), an ordered list (registration
hooks) and leaves with several spellings of one meaning (durations, payloads
as ``base64://`` or as the storage URL named by their hash). A small model
below says what each kind means; the properties hold the patch to it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsonpatch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler import keytable
from reconciler.compare import MISSING, Rules, compare
from reconciler.patch import to_patch
from reconciler.pointer import PointerSet, join, split

Path = tuple[Any, ...]

IDENTITY = ("services", "identity", "config")
LIFESPAN = (*IDENTITY, "session", "lifespan")
HEADERS = (*IDENTITY, "oauth2_provider", "headers")
TEMPLATE = (*IDENTITY, "courier", "templates", "recovery", "valid", "email", "body")
TEMPLATE_HTML = (*TEMPLATE, "html")
RETURN_URLS = (*IDENTITY, "selfservice", "allowed_return_urls")
PROVIDERS = (*IDENTITY, "selfservice", "methods", "oidc", "config", "providers")
REGISTRATION = (*IDENTITY, "selfservice", "flows", "registration")
HOOKS = (*REGISTRATION, "after", "password", "hooks")
ORIGINS = ("cors_public", "origins")

# What the service puts first in the allowed return URLs of every project.
DERIVED_URL = "https://example-slug.projects.oryapis.com"
STORAGE = "https://storage.googleapis.com/bac-gcs-prod/"

# How the service treats each list in these documents. A provider's index is
# written "*" here: the model looks paths up with every index as "*".
KINDS = {
    PROVIDERS: "keyed",
    (*PROVIDERS, "*", "scope"): "set",
    RETURN_URLS: "set",
    ORIGINS: "set",
    HOOKS: "ordered",
}

# Values every live document holds and no manifest declares.
BACKGROUND = {
    ("name",): "Example project",
    ("cors_public", "enabled"): True,
    (*IDENTITY, "selfservice", "methods", "password", "enabled"): True,
    (*IDENTITY, "selfservice", "default_browser_return_url"): "https://app.example/",
    (*IDENTITY, "courier", "smtp", "from_name"): "Example",
}

URLS = [f"https://{name}.example" for name in "abcdef"]
TEXTS = ["local claims = std.extVar('claims'); {}", "<p>{{ .To }}</p>", "{}"]
PROVIDER_IDS = ["google", "github", "apple", "microsoft", "gitlab", "slack"]
SCOPES = ["email", "profile", "openid", "offline_access"]
HEADER_NAMES = ["X-Tenant", "X-Region", "X-Trace", "Accept-Language"]
WORDS = ["one", "two", "three"]
# The values a user sets that the service drops.
EMPTY: tuple[Any, ...] = ("", [], {})


def is_default(path: Path, live: Any) -> bool:
    """Whether ``live`` is what the service holds for a removed key."""
    if live is MISSING:
        return False
    info = keytable.lookup(path)
    return live in EMPTY or (
        info is not None and info.has_default and live == info.default
    )


# Spellings of one meaning.


def payload(text: str, as_url: bool) -> str:
    """``text`` inline or as the storage URL the service reads it back as."""
    if as_url:
        return f"{STORAGE}{hashlib.sha512(text.encode()).hexdigest()}.jsonnet"
    return "base64://" + base64.b64encode(text.encode()).decode()


def go_duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest}m0s"


def duration_spellings(minutes: int) -> list[str]:
    spellings = [go_duration(minutes), f"{minutes}m", f"{minutes * 60}s"]
    if minutes % 60 == 0:
        spellings.append(f"{minutes // 60}h")
    return spellings


# The model: what a value means and what live becomes once desired is applied.


def kind_of(path: Path) -> str | None:
    return KINDS.get(tuple(part if isinstance(part, str) else "*" for part in path))


def meaning(path: Path, value: Any) -> Any:
    """``value`` at ``path`` in a form where two spellings of a meaning are equal."""
    kind = kind_of(path)
    if isinstance(value, list) and kind == "set":
        items = frozenset(meaning((*path, i), item) for i, item in enumerate(value))
        return items - {DERIVED_URL} if path == RETURN_URLS else items
    if isinstance(value, list) and kind == "keyed":
        return {item["id"]: meaning((*path, i), item) for i, item in enumerate(value)}
    if isinstance(value, list):
        return tuple(meaning((*path, i), item) for i, item in enumerate(value))
    if isinstance(value, dict):
        return {key: meaning((*path, key), item) for key, item in value.items()}
    if isinstance(value, str) and path == LIFESPAN:
        seconds = {"h": 3600, "m": 60, "s": 1}
        return sum(
            int(n) * seconds[unit] for n, unit in re.findall(r"(\d+)([hms])", value)
        )
    if isinstance(value, str) and value.startswith("base64://"):
        content = base64.b64decode(value.removeprefix("base64://"))
        return ("payload", hashlib.sha512(content).hexdigest())
    if isinstance(value, str) and value.startswith(STORAGE):
        return ("payload", value.removeprefix(STORAGE).split(".")[0])
    return value


def pruned(value: Any) -> Any:
    """A declared value as it is sent: ``null`` members left out, and empty
    ones, which the service would drop."""
    if isinstance(value, dict):
        members = {k: pruned(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in members.items() if v not in EMPTY}
    if isinstance(value, list):
        return [pruned(item) for item in value]
    return value


def owned(path: Path, own: frozenset[Path]) -> bool:
    """Whether ``path`` is in a subtree the manifest owns."""
    return any(path[: len(root)] == root for root in own)


def leads_to_owned(path: Path, own: frozenset[Path]) -> bool:
    """Whether an owned subtree lies strictly below ``path``."""
    return any(len(root) > len(path) and root[: len(path)] == path for root in own)


def applied(
    path: Path,
    live: Any,
    desired: Any,
    own: frozenset[Path],
    *,
    remove_elements: bool = True,
) -> Any:
    """``live`` holding ``desired`` on what it declares, the rest as it was.

    With ``remove_elements=False`` the keyed-list elements an owned list
    would lose stay where they are.
    """
    if desired is None:
        # A removed key comes back as the service default: one that already
        # holds it is left alone.
        return live if is_default(path, live) else MISSING
    if live is MISSING:
        value = pruned(desired)
        # The service drops an empty value a user sets, so none is sent.
        return MISSING if value in EMPTY else value

    def inner(sub: Path, found: Any, wanted: Any) -> Any:
        return applied(sub, found, wanted, own, remove_elements=remove_elements)

    kind = kind_of(path)
    if kind == "keyed":
        wanted = {item["id"]: item for item in desired}
        found_ids = {item["id"] for item in live}
        kept = [
            inner((*path, i), item, wanted[item["id"]])
            if item["id"] in wanted
            else item
            for i, item in enumerate(live)
            if item["id"] in wanted or not (remove_elements and owned(path, own))
        ]
        return kept + [pruned(i) for i in desired if i["id"] not in found_ids]
    if kind == "ordered":
        # Items are compared in place; any difference replaces the list.
        if len(live) == len(desired):
            pairs = enumerate(zip(live, desired, strict=True))
            merged = [inner((*path, i), found, wanted) for i, (found, wanted) in pairs]
            if merged == live:
                return live
        return pruned(desired)
    if isinstance(live, dict) and isinstance(desired, dict):
        result = dict(live)
        for key, value in live.items():
            # An owned member the manifest does not declare is owned as
            # empty: a container is emptied, a value goes unless it already
            # is what the service would put back.
            child = (*path, key)
            if key in desired or not (owned(child, own) or leads_to_owned(child, own)):
                continue
            if isinstance(value, dict):
                result[key] = inner(child, value, {})
            elif isinstance(value, list) and kind_of(child) == "keyed":
                if owned(child, own):
                    result[key] = inner(child, value, [])
            elif owned(child, own) and not is_default(child, value):
                del result[key]
        for key, value in desired.items():
            merged = inner((*path, key), live.get(key, MISSING), value)
            if merged is MISSING:
                result.pop(key, None)
            else:
                result[key] = merged
        return result
    return live if meaning(path, live) == meaning(path, desired) else pruned(desired)


def leaves(path: Path, value: Any, *, empty_maps: bool = True) -> Iterator[Any]:
    """(address, value) of every leaf; a keyed element is addressed by its key,
    a set-like list is one leaf, an ordered list also gives its length."""
    kind = kind_of(path)
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from leaves((*path, key), item, empty_maps=empty_maps)
    elif isinstance(value, dict):
        if empty_maps:
            yield path, value
    elif isinstance(value, list) and kind == "keyed":
        for item in value:
            element = (*path, ("id", item["id"]))
            yield from leaves(element, item, empty_maps=empty_maps)
    elif isinstance(value, list) and kind != "set" and value:
        yield (*path, "#length"), len(value)
        for i, item in enumerate(value):
            yield from leaves((*path, i), item, empty_maps=empty_maps)
    else:
        yield path, value


def overlaps(address: Path, others: set[Path]) -> bool:
    return any(
        address[: len(other)] == other or other[: len(address)] == address
        for other in others
    )


def get(document: Any, path: Path) -> Any:
    for part in path:
        if isinstance(document, dict) and part in document:
            document = document[part]
        elif isinstance(document, list) and isinstance(part, int):
            document = document[part] if part < len(document) else MISSING
        else:
            return MISSING
    return document


def items_at(document: Any, path: Path) -> list[Any]:
    found = get(document, path)
    return found if isinstance(found, list) else []


def nest(entries: dict[Path, Any]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for path, value in entries.items():
        node = document
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return document


# Random documents.

words = st.sampled_from(WORDS)
payloads = st.builds(payload, st.sampled_from(TEXTS), st.booleans())
scopes = st.lists(st.sampled_from(SCOPES), unique=True, max_size=3)


def provider(live: bool) -> st.SearchStrategy[dict[str, Any]]:
    """A provider: a live one carries a field no manifest declares, a declared
    one may set fields to ``null``."""
    field = st.nothing() if live else st.none()
    optional = {
        "label": words | field,
        "client_id": words | field,
        "mapper_url": payloads | field,
        "scope": scopes | field,
        "organization_id": words | field,
        "update_identity_on_login": st.sampled_from(["automatic", "never"]) | field,
    }
    if live:
        optional["x_vendor_hint"] = words
    required = {"id": st.sampled_from(PROVIDER_IDS), "provider": st.just("generic")}
    return st.fixed_dictionaries(required, optional=optional)


def providers(live: bool) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(provider(live), max_size=5, unique_by=lambda p: p["id"])


def hooks(live: bool) -> st.SearchStrategy[list[dict[str, Any]]]:
    field = st.nothing() if live else st.none()
    config = {"url": st.sampled_from(URLS) | field, "body": payloads | field}
    if live:
        config["x_note"] = words
    hook = st.fixed_dictionaries(
        {"hook": st.sampled_from(["web_hook", "session"])},
        optional={"config": st.fixed_dictionaries({}, optional=config) | field},
    )
    return st.lists(hook, max_size=3)


def slots(live: bool) -> dict[Path, st.SearchStrategy[Any]]:
    urls = st.lists(st.sampled_from(URLS), unique=True, max_size=4)
    headers = st.dictionaries(
        st.sampled_from(HEADER_NAMES), words if live else words | st.none()
    )
    minutes = st.sampled_from([30, 60, 90, 120, 1440])
    durations = (
        minutes.map(go_duration)
        if live
        else minutes.flatmap(lambda m: st.sampled_from(duration_spellings(m)))
    )
    return {
        LIFESPAN: durations,
        HEADERS: headers,
        TEMPLATE_HTML: payloads,
        RETURN_URLS: urls.map(lambda u: [DERIVED_URL, *u]) if live else urls,
        ORIGINS: urls,
        PROVIDERS: providers(live),
        HOOKS: hooks(live),
    }


@dataclass(frozen=True)
class Scenario:
    live: dict[str, Any]
    desired: dict[str, Any]
    own: frozenset[Path]

    @property
    def rules(self) -> Rules:
        return Rules(own=PointerSet([join(path) for path in self.own]))


@st.composite
def scenarios(draw: st.DrawFn, owned: bool | None = None) -> Scenario:
    live = dict(BACKGROUND)
    desired: dict[Path, Any] = {}
    for path, values in slots(live=True).items():
        if draw(st.booleans()):
            live[path] = draw(values)
    for path, values in slots(live=False).items():
        declared = draw(st.sampled_from(["absent", "null", "value", "value"]))
        if declared != "absent":
            desired[path] = None if declared == "null" else draw(values)
    if owned is None:
        own = draw(st.sets(st.sampled_from([HEADERS, PROVIDERS])))
    else:
        own = {PROVIDERS} if owned else set()
    return Scenario(nest(live), nest(desired), frozenset(own))


def patch_of(scenario: Scenario) -> list[dict[str, Any]]:
    return to_patch(compare(scenario.desired, scenario.live, scenario.rules).changes)


def cost(patch: list[dict[str, Any]]) -> int:
    """Operations counted alike: a move stands for a removal and an addition."""
    return sum(2 if op["op"] == "move" else 1 for op in patch)


SETTINGS = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# The properties.


@SETTINGS
@given(scenarios())
def test_the_patch_applies_and_the_result_holds_desired(scenario: Scenario) -> None:
    result = jsonpatch.apply_patch(scenario.live, patch_of(scenario))

    found = dict(leaves((), result))
    was = dict(leaves((), scenario.live))
    for address, wanted in leaves((), scenario.desired, empty_maps=False):
        if wanted is None:
            present = any(f[: len(address)] == address for f in found)
            assert not present or is_default(address, was.get(address, MISSING)), (
                address
            )
        elif address not in found:
            # An empty value a user sets where live has none is not sent.
            assert wanted in EMPTY and address not in was, address
        else:
            assert meaning(address, found[address]) == meaning(address, wanted), address


@SETTINGS
@given(scenarios())
def test_what_desired_does_not_declare_keeps_its_live_value(
    scenario: Scenario,
) -> None:
    live, desired = scenario.live, scenario.desired
    declared = {address for address, _ in leaves((), desired, empty_maps=False)}
    live_hooks, desired_hooks = get(live, HOOKS), get(desired, HOOKS)
    both_lists = isinstance(desired_hooks, list) and isinstance(live_hooks, list)
    if (
        both_lists
        and applied(HOOKS, live_hooks, desired_hooks, scenario.own) != live_hooks
    ):
        # An ordered list that differs is replaced whole.
        declared.add(HOOKS)
    # An owned subtree is managed whole, declared or not.
    declared |= scenario.own

    result = jsonpatch.apply_patch(live, patch_of(scenario))

    found = dict(leaves((), result))
    for address, value in leaves((), live):
        if not overlaps(address, declared):
            assert found.get(address, MISSING) == value, address


@SETTINGS
@given(scenarios())
def test_no_operation_targets_a_path_that_already_holds_its_value(
    scenario: Scenario,
) -> None:
    document = scenario.live

    for op in patch_of(scenario):
        tokens = split(op["path"])
        parent = parts_of(document, tokens[:-1])
        if tokens[-1] == "-":
            assert op["op"] == "add"
            siblings = get(document, parent)
            if kind_of(parent) == "keyed" and isinstance(siblings, list):
                assert op["value"]["id"] not in {item["id"] for item in siblings}
        else:
            path = parts_of(document, tokens)
            current = get(document, path)
            if op["op"] == "remove":
                assert current is not MISSING, op
            elif op["op"] == "add":
                assert current is MISSING, op
            else:
                assert current is not MISSING, op
                assert meaning(path, current) != meaning(path, op["value"]), op
        document = jsonpatch.apply_patch(document, [op])


def parts_of(document: Any, tokens: list[str]) -> Path:
    """The path of pointer ``tokens`` in ``document``, list indexes as ints."""
    parts: list[Any] = []
    for token in tokens:
        node = get(document, tuple(parts))
        parts.append(int(token) if isinstance(node, list) and token != "-" else token)
    return tuple(parts)


@SETTINGS
@given(scenarios())
def test_no_more_operations_than_a_generic_diff_to_the_same_result(
    scenario: Scenario,
) -> None:
    live, desired, own = scenario.live, scenario.desired, scenario.own
    expected = applied((), live, desired, own, remove_elements=False)
    removed = len(items_at(expected, PROVIDERS)) - len(
        items_at(applied((), live, desired, own), PROVIDERS)
    )

    assert len(patch_of(scenario)) <= generic_cost(live, expected) + removed


def generic_cost(live: dict[str, Any], expected: dict[str, Any]) -> int:
    """The cost of a generic diff of the same pair."""
    return cost(jsonpatch.make_patch(live, expected).patch)


@SETTINGS
@given(scenarios(owned=True))
def test_an_owned_keyed_list_loses_its_undeclared_elements_end_first(
    scenario: Scenario,
) -> None:
    live_providers = get(scenario.live, PROVIDERS)
    wanted = get(scenario.desired, PROVIDERS)
    declared = {item["id"] for item in wanted} if isinstance(wanted, list) else set()
    patch = [op for op in patch_of(scenario) if op["path"].startswith(join(PROVIDERS))]
    removals = [
        op
        for op in patch
        if op["op"] == "remove" and len(split(op["path"])) == len(PROVIDERS) + 1
    ]

    document = scenario.live
    for op in patch:
        if op in removals:
            gone = get(document, (*PROVIDERS, int(split(op["path"])[-1])))
            assert gone["id"] not in declared
        document = jsonpatch.apply_patch(document, [op])

    indexes = [int(split(op["path"])[-1]) for op in removals]
    assert indexes == sorted(indexes, reverse=True)
    assert patch[len(patch) - len(removals) :] == removals
    if isinstance(live_providers, list) and wanted is not None:
        kept = [p["id"] for p in live_providers if p["id"] in declared]
        added = [p["id"] for p in wanted if p["id"] not in kept] if declared else []
        assert [p["id"] for p in get(document, PROVIDERS)] == kept + added
