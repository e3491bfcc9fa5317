"""The recogniser's waiting room: lanes take turns, each lane's newest frame is read first.

There is one recogniser thread (the ONNX sessions are not shared between threads), so frames that need
reading wait here. Each lane keeps at most a few frames; when another comes, the oldest undecided one is
dropped (a newer frame of the same lane is the better evidence). Lanes are served round-robin, so a
camera that floods its lane never holds up a vehicle on another lane for more than one reading.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from hub.core import Hub

_LOGGER = logging.getLogger(__name__)


class FrameDropped(Exception):
    """A newer frame of the same lane came while this one waited; this one is not read."""


@dataclass(slots=True)
class _Frame:
    work: Callable[[], Awaitable[Any]]
    answer: asyncio.Future[Any]


class LaneTurns:
    def __init__(self, hub: Hub, frames_per_lane: int) -> None:
        self.hub = hub
        self.frames_per_lane = frames_per_lane
        self._waiting: dict[str, deque[_Frame]] = {}
        self._turns: deque[str] = deque()  # lanes with frames waiting, in the order they are served
        self._wake = asyncio.Event()
        self._server: asyncio.Task[None] | None = None
        self._serving: str | None = None  # the lane whose frame is being read
        self._stopping = False

    async def async_read(
        self, lane: str, work: Callable[[], Awaitable[Any]], dropped: Callable[[], None]
    ) -> Any:
        """Run `work` when the lane's turn comes; FrameDropped if newer frames of the lane pushed it out."""
        if self._stopping:
            raise FrameDropped("the hub is stopping; send it again later")
        frames = self._waiting.setdefault(lane, deque())
        if len(frames) >= self.frames_per_lane:
            oldest = frames.popleft()
            if not oldest.answer.done():
                _LOGGER.warning(
                    "Camera %s: frames come faster than they are read; an older frame dropped", lane
                )
                oldest.answer.set_exception(FrameDropped("a newer frame from this camera is read instead"))
                dropped()
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        frames.append(_Frame(work, answer))
        if lane not in self._turns and lane != self._serving:
            self._turns.append(lane)
        self._wake.set()
        if self._server is None or self._server.done():
            self._server = self.hub.async_create_background_task(self._async_serve(), name="anpr lane turns")
        return await answer

    def async_stop(self) -> None:
        """Answer every waiting frame now (the hub stops), so no camera is left hanging on its push."""
        self._stopping = True
        for frames in self._waiting.values():
            for frame in frames:
                if not frame.answer.done():
                    frame.answer.set_exception(FrameDropped("the hub is stopping; send it again later"))
            frames.clear()
        self._turns.clear()

    async def _async_serve(self) -> None:
        while True:
            if not self._turns:
                self._wake.clear()
                await self._wake.wait()
                continue
            lane = self._turns.popleft()
            frames = self._waiting[lane]
            frame = frames.pop()  # the newest
            self._serving = lane
            try:
                await self._async_answer(frame)
            finally:
                self._serving = None
            if frames:
                # Back of the line, behind every lane that got a frame while this one was read.
                self._turns.append(lane)

    @staticmethod
    async def _async_answer(frame: _Frame) -> None:
        if frame.answer.done():
            return  # the camera hung up meanwhile
        try:
            result = await frame.work()
        except Exception as err:  # the caller gets it (a bad image is the camera's problem, not ours)
            if not frame.answer.done():
                frame.answer.set_exception(err)
        else:
            if not frame.answer.done():
                frame.answer.set_result(result)
