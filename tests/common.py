"""Waiting helpers shared by every test: on states, on events, on conditions no event announces.

Each waits with a timeout and raises TimeoutError naming what it waited for. A wait on a state returns at
once when the state is already there, so a test can not miss a change that happened before it waited.
Timers on the hub's clock are driven by moving the `ManualClock` (`clock.advance(seconds)`, or
`await advance(clock, seconds, step)` for work that sleeps again after it wakes): timers set with
`hub.clock.call_later` / `async_sleep` and listeners added with `hub.clock.add_listener` run their due
work at once, as Home Assistant's `async_fire_time_changed` does for its tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from hub.core import Event, Hub, ManualClock, State
from hub.core.const import EVENT_STATE_CHANGED

Match = Callable[[Event], bool] | Mapping[str, Any] | None


def _event_filter(match: Match) -> Callable[[Event], bool]:
    if match is None:
        return lambda _event: True
    if callable(match):
        return match
    wanted = dict(match)
    return lambda event: all(event.data.get(key) == value for key, value in wanted.items())


async def wait_until(
    condition: Callable[[], bool | Awaitable[bool]], timeout: float = 10.0, interval: float = 0.05
) -> None:
    """For conditions no event announces (files on disk, another process, rows a service reads):
    check until true or timeout. The condition may be a coroutine function (`lambda: rows(hub)`)."""
    async with asyncio.timeout(timeout):
        while True:
            result = condition()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return
            await asyncio.sleep(interval)


async def wait_event(hub: Hub, event_type: str, match: Match = None, timeout: float = 10.0) -> Event:
    """The next `event_type` event that matches: a predicate on the event, or a mapping that the
    event's data must contain (`{"gate": "east_gate"}`). Start waiting before causing the event, or
    use `expect_event`."""
    return await hub.bus.async_wait_for(event_type, _event_filter(match), timeout)


def expect_event(hub: Hub, event_type: str, match: Match = None, timeout: float = 10.0) -> Awaitable[Event]:
    """Listen now, await later: `seen = expect_event(...)`, cause the event, then `await seen`."""
    check = _event_filter(match)
    future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()

    def catch(event: Event) -> None:
        if not future.done():
            future.set_result(event)

    unsub = hub.bus.async_listen(event_type, catch, event_filter=check)

    async def result() -> Event:
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(f"no {event_type} event within {timeout} s") from None
        finally:
            unsub()

    return result()


async def wait_entity(
    hub: Hub, entity_id: str, check: Callable[[State], bool], timeout: float = 10.0
) -> State:
    """Wait until the entity's whole State (attributes too) satisfies `check`; returns that State."""
    current = hub.states.get(entity_id)
    if current is not None and check(current):
        return current
    try:
        event = await hub.bus.async_wait_for(
            EVENT_STATE_CHANGED,
            lambda e: (
                e.data["entity_id"] == entity_id
                and e.data["new_state"] is not None
                and check(e.data["new_state"])
            ),
            timeout,
        )
    except TimeoutError:
        last = hub.states.get(entity_id)
        raise TimeoutError(
            f"{entity_id} not as wanted within {timeout} s (last: {last.state if last else None!r})"
        ) from None
    state: State = event.data["new_state"]
    return state


async def wait_state(
    hub: Hub, entity_id: str, wanted: str | Callable[[str], bool], timeout: float = 10.0
) -> State:
    """Wait until the entity's state is `wanted` (a value, or a predicate on the state text);
    returns the State."""
    if callable(wanted):
        check = wanted
        return await wait_entity(hub, entity_id, lambda s: check(s.state), timeout)
    return await wait_entity(hub, entity_id, lambda s: s.state == wanted, timeout)


async def advance(clock: ManualClock, seconds: float, step: float | None = None) -> None:
    """Time passes on the hub's clock: move `clock` on by `seconds`, in steps of `step` (at once by
    default). Before each step the loop runs what is ready (a task just created reaches its sleep, so
    the step counts for it), and after it what the step woke (a coroutine that slept on the clock
    sleeps again before the next step), as HA's `async_fire_time_changed` + `async_block_till_done`."""
    step = seconds if step is None or step <= 0 else step
    moved = 0.0
    while moved < seconds - 1e-9:
        await _let_the_loop_run()
        delta = min(step, seconds - moved)
        clock.advance(delta)
        moved += delta
    await _let_the_loop_run()


async def _let_the_loop_run() -> None:
    for _ in range(3):  # a task's first step or a woken sleeper's, the listeners it calls, its next sleep
        await asyncio.sleep(0)


# ----- the browser ---------------------------------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"  # Debian's; a test never downloads a browser
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """Debian's Chromium through Playwright, headless; the test is skipped where it is not installed."""
    import pytest
    from playwright.async_api import async_playwright

    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 - once, before anything runs
        pytest.skip("Debian's chromium is not installed")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
