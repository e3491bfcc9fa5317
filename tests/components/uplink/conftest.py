"""Uplink fixtures: a platform simulator on a free loopback port (outside the hub, so it outlives a hub
restart), the YAML of a hub with the ledger and the uplink, and passages as the policy records them."""

from __future__ import annotations

import asyncio
import textwrap
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from hub.components.uplink.profile import load_profile
from hub.components.uplink.simulator import PlatformSimulator
from hub.core import ManualClock

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF"
ACCOUNT, KEY, SECRET = "plant001", "k3y-plant001", "s3cret-plant001"


@pytest.fixture
async def start_sim(clock: ManualClock) -> AsyncIterator[Callable[..., Any]]:
    """`await start_sim(profile="default", **options)` -> a started simulator (stopped after the test)."""
    sims: list[PlatformSimulator] = []

    async def factory(profile: str = "default", config_dir: Any = None, **options: Any) -> PlatformSimulator:
        sim = PlatformSimulator(
            load_profile(profile, config_dir), account=ACCOUNT, key=KEY, secret=SECRET,
            clock=lambda: clock.now().timestamp(), **options,
        )  # fmt: skip
        await sim.async_start()
        sims.append(sim)
        return sim

    yield factory
    for sim in sims:
        await sim.async_stop()


@pytest.fixture
async def sim(start_sim: Callable[..., Any]) -> PlatformSimulator:
    return await start_sim()


# The real policy and register beside the uplink (the policy takes the platform's control measures).
POLICY = "vehicles:\npolicy:\n  grade: B\n  schedule_check_seconds: 0.05\n"


def uplink_yaml(
    url: str, *, profile: str = "default", platform: str = "", extra: str = "", db: str = ""
) -> str:
    """A hub with the ledger and one platform; `platform` adds lines to the platform entry, `db` to the
    hub section (the ledger tests' `database` fixture: SQLite, or PostgreSQL when a server runs)."""
    entry = textwrap.indent(textwrap.dedent(platform).strip(), "      ") if platform.strip() else ""
    return (
        f"hub:\n  name: 上传测试\n{db}ledger: {{}}\n"
        "uplink:\n"
        "  plant: {code: '91130200MA0TEST001', name: 测试钢厂, region: '130200'}\n"
        "  schedule_check_seconds: 0.05\n  control_poll_seconds: 0.1\n  idle_poll_seconds: 0.5\n"
        "  stop_grace_seconds: 5\n"
        "  platforms:\n"
        f"    - name: province\n      profile: {profile}\n      url: {url}\n"
        f"      account: {ACCOUNT}\n      key: {KEY}\n      secret: {SECRET}\n"
        "      retry: {initial_seconds: 0.02, max_seconds: 0.2, request_timeout: 5}\n"
        + (entry + "\n" if entry else "")
        + extra
    )


def passage(n: int = 0, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "passage_id": str(uuid.uuid4()),
        "read_id": f"READ{n:06d}",
        "gate": "east_gate", "lane": "in", "direction": "in",
        "plate": f"冀B{n:05d}", "colour": "yellow", "vehicle_class": "transport",
        "vehicle": {"emission_stage": "5", "fuel": "B", "fleet": "唐山顺达物流有限公司",
                    "vehicle_type": "重型半挂牵引车", "vin": "LFWADRJF1J1000001", "registered": True},
        "decision": "allow", "reason_code": "allowed", "reason_text": "国五柴油货车，准予入厂",
        "alert_level": "normal", "confidence": 0.97, "needs_review": False,
        "images": {"plate": JPEG + f"plate-{n}".encode(), "scene": JPEG + f"scene-{n}".encode()},
        "video_ref": f"nvr://east_gate/in/{n}",
    }  # fmt: skip
    data.update(overrides)
    return data


async def record(hub: Any, data: dict[str, Any]) -> dict[str, Any]:
    return await hub.services.async_call("ledger", "record_passage", data)


async def status(hub: Any, **data: Any) -> dict[str, Any]:
    result = await hub.services.async_call("uplink", "status", data)
    return result["platforms"][0]


def state(hub: Any, what: str) -> str:
    found = hub.states.get(f"{what}")
    assert found is not None, what
    return found.state


async def acceptance_rows(hub: Any, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Wait until the ledger holds `count` acceptance rows; returns them."""
    from hub.core.const import EVENT_PASSAGE_RECORDED

    async def rows() -> list[dict[str, Any]]:
        found = await hub.services.async_call("ledger", "read_records", {"after_seq": 0, "limit": 1000})
        return [r for r in found if r["kind"] == "acceptance"]

    # Listening before each read: a row recorded between the read and the wait still wakes it.
    arrived = asyncio.Event()
    stop = hub.bus.async_listen(
        EVENT_PASSAGE_RECORDED, lambda e: arrived.set() if e.data["kind"] == "acceptance" else None
    )
    try:
        async with asyncio.timeout(timeout):
            while True:
                arrived.clear()
                if len(current := await rows()) >= count:
                    return current
                await arrived.wait()
    finally:
        stop()
