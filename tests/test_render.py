"""How plans read: nothing hidden, nothing disguised."""

from __future__ import annotations

from reconciler.errors import Location
from reconciler.manifest.model import Manifest
from reconciler.plan import make_plan
from reconciler.render import plan_text

PROJECT = "6f0cae50-182d-8f7a-afdd-f83f3fa1f30c"


def test_a_live_value_cannot_disguise_itself_with_control_characters() -> None:
    manifest = Manifest(PROJECT, Location("p.yaml", 1), {"name": "Plain"})
    live = {"id": PROJECT, "revision_id": "r1", "name": "evil\u202egnp.exe\x1b[2J"}

    text = plan_text([make_plan(manifest, live)])

    assert '"evil\\u202egnp.exe\\u001b[2J" -> "Plain"' in text
    assert "\u202e" not in text and "\x1b" not in text
