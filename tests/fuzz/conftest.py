"""The fuzz suite's plant: one hub per module with the HMI on a free port, run in a thread of its own.

The fuzzers (Hypothesis, schemathesis) are synchronous and send real HTTP requests; the hub runs in its
own event loop on a background thread, so a blocked test never blocks the hub and the hub is reached
only through its doors. A bearer token per role, and a check that no web handler logged a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests

from hub.core import Hub
from hub.core.auth import Role
from tests.conftest import write_config

PASSWORDS = {role: f"{role.value}-fuzz-pass-2026" for role in Role}
CONFIG = """\
hub: {name: 模糊测试钢厂}
ledger:
vehicles:
reports: {schedule_enabled: false}
quality: {check_seconds: 3600}
insight:
barrier:
  lanes:
    - {gate: east, lane: in, port: 0, scan_seconds: 0.05, timeout: 0.3,
       registers: {pulse_seconds: 0.05}, simulator: {travel_seconds: 0.2, auto_close_seconds: 0.3}}
policy:
  grade: B
  lanes: [{gate: east, lane: in}]
automation:
ui: {port: 0}
"""
START_SECONDS = 60.0


@dataclass
class LiveHub:
    """A started hub on a background loop: its URL, a token per role, and a way to run code in it."""

    hub: Hub
    loop: asyncio.AbstractEventLoop
    base: str
    tokens: dict[Role, str]

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def bearer(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def answers(self) -> bool:
        """The hub still serves a signed-in request (after whatever was thrown at it)."""
        response = requests.get(f"{self.base}/api/me", headers=self.bearer(Role.GUARD), timeout=10)
        return response.status_code == 200 and response.json()["username"] == Role.GUARD.value


def _serve(loop: asyncio.AbstractEventLoop, started: threading.Event) -> None:
    asyncio.set_event_loop(loop)
    loop.call_soon(started.set)
    loop.run_forever()


@pytest.fixture(scope="module")
def live_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    directory = write_config(tmp_path_factory.mktemp("fuzz"), CONFIG)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    thread = threading.Thread(target=_serve, args=(loop, started), name="fuzz-hub", daemon=True)
    thread.start()
    assert started.wait(START_SECONDS)
    hub = Hub(directory, data_dir=directory / "data")

    def run(coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(START_SECONDS)

    try:
        run(hub.async_start())
        assert not hub.setup_errors, hub.setup_errors
        for role in Role:
            run(hub.auth.async_add_user(role.value, PASSWORDS[role], frozenset({role})))
        base = hub.data["ui"].url
        tokens = {role: _token(base, role) for role in Role}
        yield LiveHub(hub, loop, base, tokens)
    finally:
        run(hub.async_stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(START_SECONDS)
        loop.close()


async def feed_answer(ws: aiohttp.ClientWebSocketResponse, timeout: float = 10.0) -> dict[str, Any]:
    """The live feed's next answer to the client, past the events the hub broadcasts meanwhile."""
    while (message := await ws.receive_json(timeout=timeout))["type"] == "event":
        pass
    return message


def _token(base: str, role: Role) -> str:
    body = {"username": role.value, "password": PASSWORDS[role]}
    response = requests.post(f"{base}/api/auth/token", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


# Loggers of the web doors: aiohttp's own (an unhandled exception in a handler) and the HMI's; and the
# hub's, where a task a request started fails after the answer (an audit row that could not be written).
WEB_LOGGERS = ("aiohttp.server", "aiohttp.web", "hub")


def tracebacks(records: list[logging.LogRecord]) -> list[str]:
    return [
        f"{r.name}: {r.getMessage()}"
        for r in records
        if r.levelno >= logging.ERROR and r.exc_info and r.name.startswith(WEB_LOGGERS)
    ]


@pytest.fixture(autouse=True)
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Bad input is answered with a reason, never with a traceback in the hub's log."""
    caplog.set_level(logging.WARNING)
    yield
    # In teardown `caplog.records` holds only the teardown's records: the test's are the call phase's.
    found = tracebacks(caplog.get_records("call"))
    assert not found, f"{len(found)} traceback(s) logged by the web doors, the first: {found[0]}"


def repo_file(*parts: str) -> Path:
    return Path(__file__).resolve().parents[2].joinpath(*parts)
