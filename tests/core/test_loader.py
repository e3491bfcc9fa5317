"""Integration loader: dependencies first, a failing integration is isolated, bad manifests named."""

from __future__ import annotations

import json

import pytest

from hub.core import SetupError
from hub.core.loader import discover

RECORDER = """
ORDER = []

async def async_setup(hub, config):
    hub.data.setdefault("order", []).append(__name__.rsplit(".", 1)[1])
    return True
"""
FAILING = """
async def async_setup(hub, config):
    raise RuntimeError("PLC address missing")
"""


async def test_dependencies_load_first_and_a_failure_is_isolated(make_hub, integration_root) -> None:
    root = integration_root(
        "loadtest_pkg",
        {
            "ledger": ({"dependencies": ["vehicles"]}, RECORDER),
            "vehicles": ({}, RECORDER),
            "uplink": ({"dependencies": ["ledger"]}, RECORDER),
            "broken": ({}, FAILING),
            "needs_broken": ({"dependencies": ["broken"]}, RECORDER),
            "badimport": ({}, "import not_a_module_anywhere\n"),
            "needsreq": ({"requirements": ["surely-not-installed-pkg>=1"]}, RECORDER),
        },
    )
    hub = await make_hub(
        "hub: {}\nuplink:\nbroken:\nneeds_broken:\nbadimport:\nneedsreq:\n",
        roots=(root,),
    )
    assert hub.data["order"] == ["vehicles", "ledger", "uplink"]
    assert sorted(hub.loaded) == ["ledger", "uplink", "vehicles"]
    assert "PLC address missing" in hub.setup_errors["broken"]
    assert "broken" in hub.setup_errors["needs_broken"]
    assert "import failed" in hub.setup_errors["badimport"]
    assert "surely-not-installed-pkg" in hub.setup_errors["needsreq"]


async def test_dependency_cycle_and_missing_dependency_are_reported(make_hub, integration_root) -> None:
    root = integration_root(
        "cycle_pkg",
        {
            "a": ({"dependencies": ["b"]}, RECORDER),
            "b": ({"dependencies": ["a"]}, RECORDER),
            "c": ({"dependencies": ["ghost"]}, RECORDER),
            "d": ({}, RECORDER),
        },
    )
    hub = await make_hub("hub: {}\na:\nc:\nd:\n", roots=(root,))
    assert hub.loaded == ["d"]
    assert "cycle" in hub.setup_errors["a"] or "cycle" in hub.setup_errors["b"]
    assert "ghost" in hub.setup_errors["c"]


def test_every_shipped_manifest_is_valid_and_names_its_folder() -> None:
    found = discover()
    assert {"anpr", "console", "traffic"} <= set(found)
    for integration in found.values():
        assert integration.path.name == integration.domain
        assert (integration.path / "__init__.py").is_file()


def test_bad_manifest_is_named(integration_root, tmp_path) -> None:
    package, root = integration_root("badmanifest_pkg", {"x": ({}, RECORDER)})
    (root / "x" / "manifest.json").write_text(json.dumps({"domain": "x"}), encoding="utf-8")
    with pytest.raises(SetupError, match=r"x/manifest.json: invalid manifest"):
        discover(((package, root),))
