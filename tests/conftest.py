"""Fixtures shared by every test: a fresh hub per test with its own data directory and clock."""

from __future__ import annotations

import json
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hub.core import Hub, ManualClock
from hub.core.loader import DEFAULT_ROOTS
from tests.common import (
    chromium,
    wait_until,  # noqa: F401 - its old home; import it from tests.common
)

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def write_config(config_dir: Path, text: str, **files: str) -> Path:
    """Write configuration.yaml (and other named files) into `config_dir`."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "configuration.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    for name, content in files.items():
        (config_dir / name.replace("__", ".")).write_text(textwrap.dedent(content), encoding="utf-8")
    return config_dir


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 24, 8, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai")))


@pytest.fixture
async def make_hub(tmp_path: Path) -> AsyncIterator[Callable[..., object]]:
    """`await make_hub(yaml_text, clock=..., roots=...)` -> a started Hub; every hub is stopped after."""
    hubs: list[Hub] = []
    counter = iter(range(1000))

    async def factory(
        text: str = "hub:\n  name: Test\n",
        *,
        clock: ManualClock | None = None,
        roots: tuple[tuple[str, Path], ...] = DEFAULT_ROOTS,
        config_dir: Path | None = None,
        start: bool = True,
        **files: str,
    ) -> Hub:
        directory = write_config(config_dir or tmp_path / f"config{next(counter)}", text, **files)
        hub = Hub(directory, clock=clock, data_dir=directory / "data", integration_roots=roots)
        hubs.append(hub)
        if start:
            await hub.async_start()
        return hub

    yield factory
    for hub in reversed(hubs):
        await hub.async_stop()


@pytest.fixture
def integration_root(tmp_path: Path) -> Callable[..., tuple[str, Path]]:
    """Build throwaway integrations on disk: `root(name, domain=source, ...)` -> a loader root."""
    made: list[str] = []

    def build(package: str, integrations: dict[str, tuple[dict[str, object], str]]) -> tuple[str, Path]:
        base = tmp_path / "pkgs"
        root = base / package
        root.mkdir(parents=True, exist_ok=True)
        (root / "__init__.py").write_text("", encoding="utf-8")
        for domain, (manifest, source) in integrations.items():
            folder = root / domain
            folder.mkdir()
            full = {
                "domain": domain,
                "name": domain,
                "version": "1.0",
                "dependencies": [],
                "requirements": [],
                "iot_class": "calculated",
                **manifest,
            }
            (folder / "manifest.json").write_text(json.dumps(full), encoding="utf-8")
            (folder / "__init__.py").write_text(textwrap.dedent(source), encoding="utf-8")
        if str(base) not in sys.path:
            sys.path.insert(0, str(base))
        made.append(package)
        return package, root

    yield build
    for package in made:
        for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            del sys.modules[name]


PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


async def _pg_available() -> bool:
    try:
        import asyncpg

        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=2)
    except Exception:  # whatever the failure, there is no server to test on
        return False
    await conn.close()
    return True


@pytest.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """The `hub:` lines that select the database; PostgreSQL gets a fresh database, dropped after.

    A test that asks for it runs twice: on the embedded SQLite, and on the PostgreSQL server on
    127.0.0.1:5432 when one answers (skipped otherwise).
    """
    if request.param == "sqlite":
        yield ""
        return
    if not await _pg_available():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    import asyncpg

    name = f"ecogate_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"  db_url: postgres://postgres@127.0.0.1:5432/{name}\n"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    """Debian's Chromium for one test (tests/common.py: chromium)."""
    async with chromium() as launched:
        yield launched
