"""Automation fixtures: a hub with automations from YAML, a real service standing in for plant devices,
and a collector of finished runs to wait on (never a sleep)."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Callable
from typing import Any

import pytest

from hub.core import Event, Hub, ServiceCall
from hub.core.auth import Role
from tests.common import wait_until

EVENT_FINISHED = "automation_finished"


class Calls:
    """A real registered service (`plant.<name>`) that records what reaches it."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.calls: list[ServiceCall] = []
        self._queue: asyncio.Queue[ServiceCall] = asyncio.Queue()

    def register(self, *names: str, fail: tuple[str, ...] = ()) -> Calls:
        for name in names:

            async def handler(call: ServiceCall, _name: str = name) -> dict[str, Any]:
                self.calls.append(call)
                self._queue.put_nowait(call)
                if _name in fail:
                    raise RuntimeError(f"plant.{_name} is broken")
                return {"ok": True, "service": _name}

            self.hub.services.async_register("plant", name, handler, roles={Role.ENGINEER})
        return self

    async def next(self, timeout: float = 5.0) -> ServiceCall:
        async with asyncio.timeout(timeout):
            return await self._queue.get()

    def named(self, name: str) -> list[ServiceCall]:
        return [c for c in self.calls if c.service == name]


class Runs:
    """Every `automation_finished` event, in order; `started` the `automation_triggered` ones (fired
    at once, inside the trigger: a test that expects no run checks this after moving the clock)."""

    def __init__(self, hub: Hub) -> None:
        self.events: list[Event] = []
        self.started: list[Event] = []
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        hub.bus.async_listen(EVENT_FINISHED, self._on)
        hub.bus.async_listen("automation_triggered", self.started.append)

    def _on(self, event: Event) -> None:
        self.events.append(event)
        self._queue.put_nowait(event)

    async def next(self, timeout: float = 5.0) -> Event:
        async with asyncio.timeout(timeout):
            return await self._queue.get()


async def reached(hub: Hub, automation_id: str, path: str, count: int = 1, timeout: float = 5.0) -> None:
    """Until `count` running runs of an automation have started the step at `path` (a delay, a wait):
    a run goes on in its own task and no event announces each step, so its traces are looked at."""

    async def started() -> bool:
        answer = await hub.services.async_call("automation", "trace", {"entity_id": automation_id})
        running = [t for t in answer["traces"] if t["state"] == "running"]
        return sum(any(step["path"] == path for step in t["steps"]) for t in running) >= count

    await wait_until(started, timeout, interval=0.005)


def automation_config(automations: str, extra: str = "") -> dict[str, str]:
    """configuration.yaml text and files for make_hub: automations from automations.yaml."""
    return {
        "text": "hub: {name: 自动化测试}\nautomation: !include automations.yaml\n" + textwrap.dedent(extra),
        "automations__yaml": textwrap.dedent(automations),
    }


@pytest.fixture
def plant_hub(make_hub: Callable[..., Any], clock: Any) -> Callable[..., Any]:
    """`hub, calls, runs = await plant_hub(automations_yaml, services=("alarm",))`."""

    async def build(automations: str, services: tuple[str, ...] = (), *, extra: str = "",
                    fail: tuple[str, ...] = (), **files: str) -> tuple[Hub, Calls, Runs]:  # fmt: skip
        cfg = automation_config(automations, extra)
        hub = await make_hub(
            cfg["text"], clock=clock, start=False, automations__yaml=cfg["automations__yaml"], **files
        )
        calls, runs = Calls(hub), Runs(hub)
        await hub.async_start()
        calls.register(*services, fail=fail)
        return hub, calls, runs

    return build
