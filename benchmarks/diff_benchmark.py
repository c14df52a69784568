"""How long planning takes on a large identity config, and how much memory.

Builds a live identity config (hundreds of OIDC providers with inline Jsonnet
mappers, hooks, identity schemas, courier templates) and a desired one that
differs from it in about ten places, some of them only in spelling (``1h``
against ``1h0m0s``, a ``base64://`` payload against the storage URL the
service reads it back as). Then it measures, on a ~1 MB and a ~7 MB pair:

- the time from the two parsed documents to the patch, with ``compare`` and
  ``to_patch``, and with ``jsonpatch.make_patch``, and their ratio;
- the peak memory of the comparison (tracemalloc);
- on the ~7 MB pair, a whole ``reconcile plan`` against the emulator on
  127.0.0.1: phase by phase in this process, end to end as a subprocess,
  with the subprocess's peak resident memory.

Run it from the repository root: ``python benchmarks/diff_benchmark.py``.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonpatch
import yaml

from reconciler.client import ProjectClient
from reconciler.compare import Rules, compare
from reconciler.emulator import Emulator
from reconciler.manifest import load_manifests
from reconciler.patch import to_patch
from reconciler.plan import make_plan
from reconciler.render import plan_text

PROJECT_ID = "3f2b8a4e-6c1d-4e8f-9a7b-0c5d2e1f4a6b"
API_KEY = "ory_wak_benchmark_0123456789abcdef"
STORAGE = "https://storage.googleapis.com/bac-gcs-prod/"
DERIVED_URL = "https://benchmark-slug.projects.oryapis.com"
FLOWS = ("registration", "login", "settings", "verification", "recovery")
TEMPLATES = ("recovery_code", "verification_code", "login_code", "registration_code")
# Provider counts that give a live config of about 1 MB and about 7 MB.
SIZES = {"1 MB": 180, "7 MB": 1280}


def b64(text: str) -> str:
    return "base64://" + base64.b64encode(text.encode()).decode()


def stored(text: str, ext: str) -> str:
    return f"{STORAGE}{hashlib.sha512(text.encode()).hexdigest()}.{ext}"


def mapper(i: int) -> str:
    """A Jsonnet claims mapper of a few kilobytes, different for each provider."""
    claims = "\n".join(
        f"      claim_{i}_{n}: claims.raw_claims['urn:example:{i}:{n}'],"
        for n in range(60)
    )
    return (
        "local claims = std.extVar('claims');\n{\n  identity: {\n    traits: {\n"
        f"      email: claims.email,\n{claims}\n    }},\n  }},\n}}\n"
    )


def schema(i: int) -> str:
    properties = {
        f"trait_{n}": {"type": "string", "title": f"Trait {i}.{n}"} for n in range(40)
    }
    return json.dumps({"$id": f"https://schemas.example/{i}", "properties": properties})


def template(name: str) -> str:
    paragraphs = "<p>{{ .Identity.traits.email }}</p>" * 40
    return f"<html><body><p>{name}</p>{paragraphs}</body></html>"


def provider(i: int) -> dict[str, Any]:
    return {
        "id": f"sso-{i:04d}",
        "provider": "generic",
        "label": f"Customer {i}",
        "client_id": f"client-{i}",
        "client_secret": "",
        "issuer_url": f"https://idp{i}.customers.example",
        "mapper_url": b64(mapper(i)),
        "scope": ["openid", "email", "profile"],
        "organization_id": f"00000000-0000-4000-8000-{i:012d}",
        "update_identity_on_login": "automatic",
        "pkce": "auto",
        "claims_source": "id_token",
    }


def hook(flow: str, i: int) -> dict[str, Any]:
    return {
        "hook": "web_hook",
        "config": {
            "url": f"https://hooks.example/{flow}/{i}",
            "method": "POST",
            "body": b64(
                f"function(ctx) {{ flow: '{flow}', n: {i}, identity: ctx.identity }}"
            ),
            "response": {"ignore": False, "parse": True},
        },
    }


def live_config(providers: int) -> dict[str, Any]:
    """An identity config as the service reads it back."""
    schemas = [schema(i) for i in range(20)]
    return {
        "session": {
            "lifespan": "24h0m0s",
            "whoami": {
                "tokenizer": {
                    "templates": {
                        f"jwt_{i}": {
                            "ttl": "1h0m0s",
                            "claims_mapper_url": b64(mapper(i)),
                        }
                        for i in range(10)
                    }
                }
            },
        },
        "identity": {
            "default_schema_id": hashlib.sha512(schemas[0].encode()).hexdigest(),
            "schemas": [
                {"id": hashlib.sha512(text.encode()).hexdigest(), "url": b64(text)}
                for text in schemas
            ],
        },
        "selfservice": {
            "default_browser_return_url": "https://app.example/",
            "allowed_return_urls": [DERIVED_URL]
            + [f"https://app{i}.example/" for i in range(20)],
            "methods": {
                "password": {"enabled": True},
                "oidc": {
                    "enabled": True,
                    "config": {"providers": [provider(i) for i in range(providers)]},
                },
            },
            "flows": {
                flow: {"after": {"hooks": [hook(flow, i) for i in range(8)]}}
                for flow in FLOWS
            },
        },
        "courier": {
            "templates": {
                name: {
                    "valid": {
                        "email": {
                            "subject": b64(f"Your {name}"),
                            "body": {
                                "html": b64(template(name)),
                                "plaintext": b64(f"{name}: {{{{ .Code }}}}"),
                            },
                        }
                    }
                }
                for name in TEMPLATES
            }
        },
        "oauth2_provider": {"headers": {"X-Tenant": "benchmark"}},
    }


@dataclass(frozen=True)
class Pair:
    """A live and a desired project document, each parsed from its own text."""

    live: dict[str, Any]
    desired: dict[str, Any]


def pair(providers: int) -> Pair:
    """Live and desired identity configs eleven changes apart, five of them in
    spelling only."""
    live = live_config(providers)
    desired = copy.deepcopy(live)
    sso = live["selfservice"]["methods"]["oidc"]["config"]["providers"]
    wanted = desired["selfservice"]["methods"]["oidc"]["config"]["providers"]
    middle = providers // 2

    # A manifest leaves the secrets the service reads back redacted out.
    for declared in wanted:
        del declared["client_secret"]

    # Spelled differently, meaning the same: no change.
    desired["session"]["lifespan"] = "24h"
    desired["session"]["whoami"]["tokenizer"]["templates"]["jwt_3"]["ttl"] = "1h"
    sso[middle]["mapper_url"] = stored(mapper(middle), "jsonnet")
    body = live["courier"]["templates"]["recovery_code"]["valid"]["email"]["body"]
    body["html"] = stored(template("recovery_code"), "gotmpl")
    live["identity"]["schemas"][0]["url"] = stored(schema(0), "json")
    desired["identity"]["schemas"][0]["id"] = "customer"
    desired["identity"]["default_schema_id"] = "customer"

    # Real changes.
    wanted[providers // 3]["client_id"] = "client-rotated"
    wanted[providers - 2]["label"] = "Customer renamed"
    added = provider(providers + 1)
    del added["client_secret"]
    wanted.append(added)
    login_hooks = desired["selfservice"]["flows"]["login"]["after"]["hooks"]
    login_hooks[4]["config"]["url"] = "https://hooks.example/login/v2"
    urls = desired["selfservice"]["allowed_return_urls"]
    urls[1:] = [*reversed(urls[1:]), "https://new.example/"]
    desired["oauth2_provider"]["headers"]["X-Region"] = "eu"

    # Parsed from separate texts, the documents share no strings, as in a run.
    return Pair(parsed(identity(live)), parsed(identity(desired)))


def identity(config: dict[str, Any]) -> dict[str, Any]:
    return {"services": {"identity": {"config": config}}}


def parsed(document: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(document))  # type: ignore[no-any-return]


def megabytes(document: Any) -> float:
    return len(json.dumps(document)) / 1e6


def median_seconds(runs: list[Callable[[], Any]], repeat: int) -> list[float]:
    """The median time of each of ``runs``, taken in turns so that a busy
    machine slows them alike."""
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(repeat):
        for run, taken in zip(runs, times, strict=True):
            started = time.perf_counter()
            run()
            taken.append(time.perf_counter() - started)
    return [statistics.median(taken) for taken in times]


def ours(pair: Pair) -> list[dict[str, Any]]:
    return to_patch(compare(pair.desired, pair.live, Rules()).changes)


def generic(pair: Pair) -> list[dict[str, Any]]:
    patch: list[dict[str, Any]] = jsonpatch.make_patch(pair.live, pair.desired).patch
    return patch


def traced_peak(run: Callable[[], Any]) -> float:
    """The peak of memory allocated while ``run`` runs, in MB."""
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def diff_figures(label: str, pair: Pair, repeat: int) -> None:
    our_ops, generic_ops = ours(pair), generic(pair)
    our_time, generic_time = median_seconds(
        [lambda: ours(pair), lambda: generic(pair)], repeat
    )
    print(
        f"{label} pair: live {megabytes(pair.live):.2f} MB, "
        f"desired {megabytes(pair.desired):.2f} MB, median of {repeat}"
    )
    print(
        f"  (a) compare + to_patch   {our_time * 1e3:8.1f} ms  "
        f"{len(our_ops):3d} operations"
    )
    print(
        f"  (b) jsonpatch.make_patch {generic_time * 1e3:8.1f} ms  "
        f"{len(generic_ops):3d} operations"
    )
    print(f"  (c) ratio (a)/(b)        {our_time / generic_time:8.3f}")
    print(
        f"  (e) tracemalloc peak: (a) {traced_peak(lambda: ours(pair)):.1f} MB, "
        f"(b) {traced_peak(lambda: generic(pair)):.1f} MB"
    )


def seed_file(folder: Path, live: dict[str, Any]) -> Path:
    """A seed holding a new project whose identity config is ``live``'s."""
    emulator = Emulator()
    emulator.ensure_project(PROJECT_ID)
    document = emulator.project(PROJECT_ID)
    document["services"]["identity"]["config"].update(
        live["services"]["identity"]["config"]
    )
    path = folder / "seed.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def manifest_folder(folder: Path, desired: dict[str, Any]) -> Path:
    manifests = folder / "manifests"
    manifests.mkdir()
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump({"project": PROJECT_ID, **desired}, Dumper=dumper, sort_keys=False)
    (manifests / "project.yaml").write_text(text, encoding="utf-8")
    return manifests


def plan_phases(manifests: Path, base_url: str, repeat: int) -> dict[str, float]:
    """Median seconds of each phase of ``reconcile plan``, run in this process."""
    timings: dict[str, list[float]] = {}

    def timed(phase: str, function: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        started = time.perf_counter()
        result = function(*args, **kw)
        timings.setdefault(phase, []).append(time.perf_counter() - started)
        return result

    for _ in range(repeat):
        loaded = timed("read YAML", load_manifests, [manifests], environ={})
        [manifest] = loaded.manifests
        with ProjectClient(base_url, API_KEY, read_only=True) as client:
            live = timed("fetch", client.get_project, PROJECT_ID)
        plan = timed("compare", make_plan, manifest, live)
        timed("print", plan_text, [plan])
    return {phase: statistics.median(times) for phase, times in timings.items()}


def end_to_end(manifests: Path, base_url: str) -> tuple[float, str]:
    """Seconds ``reconcile plan`` takes as a subprocess, and its summary line."""
    environ = {
        **os.environ,
        "ORY_WORKSPACE_API_KEY": API_KEY,
        "ORY_CONSOLE_API_URL": base_url,
    }
    command = [sys.executable, "-m", "reconciler", "-q", "plan"]
    command += ["--api-url", base_url, str(manifests)]
    started = time.perf_counter()
    run = subprocess.run(command, env=environ, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"reconcile plan failed: {run.stderr[-2000:]}")
    return elapsed, run.stdout.strip().splitlines()[-1]


def plan_figures(pair: Pair, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        seed = seed_file(folder, pair.live)
        manifests = manifest_folder(folder, pair.desired)
        size = (manifests / "project.yaml").stat().st_size / 1e6
        with Emulator(api_keys=[API_KEY], seeds=[seed]) as emulator:
            phases = plan_phases(manifests, emulator.base_url, repeat)
            runs = [end_to_end(manifests, emulator.base_url) for _ in range(repeat)]

    # Only the plan subprocesses are children of this process.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    total = sum(phases.values())
    print(f"(d) reconcile plan of a {size:.2f} MB manifest, median of {repeat}")
    for phase, seconds in phases.items():
        print(f"  {phase:<10} {seconds * 1e3:8.1f} ms  {seconds / total:6.1%}")
    print(f"  {'phases':<10} {total * 1e3:8.1f} ms")
    elapsed = statistics.median(seconds for seconds, _ in runs)
    print(f"  subprocess {elapsed * 1e3:8.1f} ms  end to end: {runs[0][1]}")
    print(f"  (e) peak resident memory of the subprocess: {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="repetitions")
    parser.add_argument(
        "--no-plan", action="store_true", help="skip the whole reconcile plan"
    )
    options = parser.parse_args()

    pairs = {label: pair(providers) for label, providers in SIZES.items()}
    for label, documents in pairs.items():
        diff_figures(label, documents, options.repeat)
    if not options.no_plan:
        plan_figures(pairs["7 MB"], max(1, options.repeat // 2 + 1))


if __name__ == "__main__":
    main()
