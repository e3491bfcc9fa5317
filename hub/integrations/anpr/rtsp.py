"""Frames from an RTSP stream (or any source OpenCV opens), read by the hub itself.

A reader thread keeps the newest frame and watches a region for motion; a loop detector (any entity that
turns `on`) triggers too. On a trigger the frame is recognised off the loop. A stream that fails is
reopened with backoff and the camera shows offline meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from hub.core import Event
from hub.core.const import STATE_ON
from hub.core.events import EventStateChangedData
from hub.core.track import async_track_state_change_event

from .camera import AnprCamera

_LOGGER = logging.getLogger(__name__)


class StreamReader(threading.Thread):
    """Blocking OpenCV capture in its own thread; talks to the loop only through call_soon_threadsafe."""

    def __init__(self, source: AnprStreamSource, url: str) -> None:
        super().__init__(name=f"rtsp-{source.camera.key}", daemon=True)
        self.source = source
        self.url = url
        self.stop_event = threading.Event()
        self.latest: Any = None
        self._previous: Any = None

    def run(self) -> None:
        import cv2

        backoff = 1.0
        while not self.stop_event.is_set():
            capture = cv2.VideoCapture(self.url)
            if not capture.isOpened():
                self.source.post(self.source.async_offline, f"cannot open {self.url}")
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            backoff = 1.0
            while not self.stop_event.is_set():
                ok, frame = capture.read()
                if not ok:
                    self.source.post(self.source.async_offline, "stream ended or broke")
                    break
                self.latest = frame
                self.source.post(self.source.async_frame)
                if self._moved(frame):
                    self.source.post(self.source.async_trigger, "motion")
                if self.source.frame_interval:
                    time.sleep(self.source.frame_interval)
            capture.release()
            self.stop_event.wait(backoff)

    def _moved(self, frame: Any) -> bool:
        """Share of changed pixels in a small grey copy, against the previous frame."""
        if self.source.motion_threshold <= 0:
            return False
        import cv2

        small = cv2.cvtColor(cv2.resize(frame, (160, 90)), cv2.COLOR_BGR2GRAY)
        previous, self._previous = self._previous, small
        if previous is None:
            return False
        changed = cv2.countNonZero(cv2.threshold(cv2.absdiff(small, previous), 25, 255, cv2.THRESH_BINARY)[1])
        return changed / small.size >= self.source.motion_threshold


class AnprStreamSource:
    def __init__(
        self,
        camera: AnprCamera,
        url: str,
        *,
        trigger_entity: str | None,
        motion_threshold: float,
        cooldown_seconds: float,
        frame_interval: float = 0.0,
    ) -> None:
        self.camera = camera
        self.url = url
        self.trigger_entity = trigger_entity
        self.motion_threshold = motion_threshold
        self.cooldown_seconds = cooldown_seconds
        self.frame_interval = frame_interval
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reader: StreamReader | None = None
        self._busy = False
        self._last_trigger = 0.0
        self._unsub: Callable[[], None] | None = None

    def post(self, callback: Any, *args: Any) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(callback, *args)

    def async_start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._reader = StreamReader(self, self.url)
        self._reader.start()
        if self.trigger_entity:
            self._unsub = async_track_state_change_event(
                self.camera.hub, self.trigger_entity, self._on_loop_detector
            )

    async def async_stop(self) -> None:
        if self._unsub:
            self._unsub()
        if self._reader is not None:
            self._reader.stop_event.set()
            await asyncio.get_running_loop().run_in_executor(None, self._reader.join, 5.0)

    def _on_loop_detector(self, event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None and new.state == STATE_ON:
            self.async_trigger("loop")

    def async_frame(self) -> None:
        self.camera.async_seen()

    def async_offline(self, reason: str) -> None:
        _LOGGER.warning("Camera %s: %s", self.camera.key, reason)
        self.camera.online.async_set_online(False)

    def async_trigger(self, why: str) -> None:
        now = time.monotonic()
        frame = self._reader.latest if self._reader else None
        if frame is None or self._busy or now - self._last_trigger < self.cooldown_seconds:
            return
        self._last_trigger, self._busy = now, True
        self.camera.hub.async_create_task(self._recognise(frame, why), name=f"anpr {self.camera.key} {why}")

    async def _recognise(self, frame: Any, why: str) -> None:
        try:
            data = await self.camera.hub.async_add_executor_job(_encode_jpeg, frame)
            await self.camera.async_read_image(data, f"stream:{why}")
        except ValueError as err:
            _LOGGER.warning("Camera %s: frame not usable: %s", self.camera.key, err)
        finally:
            self._busy = False


def _encode_jpeg(frame: Any) -> bytes:
    import cv2

    ok, buffer = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise ValueError("frame could not be encoded")
    return buffer.tobytes()
