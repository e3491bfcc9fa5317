"""End-to-end plate recognition on synthetic frames and, when present, a few real photos."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from hub.integrations.anpr.recognition import PlateReading, PlateRecognizer, create_recognizer, decode_image
from hub.integrations.anpr.synthetic import render_plate_crop, render_plate_scene
from hub.util.plate import PlateColour

REAL_PHOTOS = Path("/work/shared/data/plates-real")


@pytest.fixture(scope="module")
def recognizer() -> PlateRecognizer:
    return create_recognizer()  # loading the ONNX models is slow: once per module


@pytest.mark.parametrize(
    ("plate", "colour"),
    [
        ("京A88731", PlateColour.BLUE),
        ("粤BD12345", PlateColour.GREEN),
        ("沪A12345D", PlateColour.YELLOW_GREEN),
        ("冀F35779", PlateColour.YELLOW),
    ],
)
def test_reads_synthetic_scene(recognizer: PlateRecognizer, plate: str, colour: PlateColour) -> None:
    frame = decode_image(render_plate_scene(plate, colour, random.Random(plate), difficulty="easy"))
    reading = recognizer.recognize(frame)
    assert reading is not None
    assert (reading.plate, reading.colour, reading.source) == (plate, colour, "scene")
    assert 0.0 <= reading.confidence <= 1.0
    assert reading.box is not None and len(reading.box) == 4


def test_reads_synthetic_crop(recognizer: PlateRecognizer) -> None:
    crop = decode_image(render_plate_crop("浙A26M71", PlateColour.BLUE, random.Random(7), difficulty="easy"))
    reading = recognizer.recognize_crop(crop)
    assert reading == PlateReading(
        reading.plate, PlateColour.BLUE, reading.confidence, reading.box, reading.needs_review, "crop"
    )
    assert reading.plate == "浙A26M71"


def test_frame_without_plate(recognizer: PlateRecognizer) -> None:
    import numpy as np

    assert recognizer.recognize(np.full((480, 640, 3), 90, dtype=np.uint8)) is None


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image at all", b"\xff\xd8\xff\xe0" + b"\x00" * 64],
    ids=["empty", "text", "truncated-jpeg"],
)
def test_garbage_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(ValueError):
        decode_image(data)


def test_oversized_image_is_refused() -> None:
    import cv2
    import numpy as np

    ok, png = cv2.imencode(".png", np.zeros((2000, 2000, 3), dtype=np.uint8))
    assert ok
    with pytest.raises(ValueError, match="too large"):
        decode_image(png.tobytes(), max_pixels=1_000_000)


def test_unknown_backend_and_missing_paddle_models() -> None:
    with pytest.raises(ValueError, match="unknown plate recognition backend"):
        create_recognizer("tesseract")
    with pytest.raises(ValueError, match="detection_model_dir"):
        create_recognizer("paddleocr")
    with pytest.raises(FileNotFoundError):
        create_recognizer(
            "paddleocr", detection_model_dir="/nonexistent/det", recognition_model_dir="/nonexistent"
        )


def test_paddle_not_installed(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    try:
        import paddleocr  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="paddleocr"):
            create_recognizer("paddleocr", detection_model_dir=tmp_path, recognition_model_dir=tmp_path)
    else:
        pytest.skip("paddleocr is installed here")


@pytest.mark.skipif(not (REAL_PHOTOS / "labels.csv").exists(), reason="real plate photos not available")
def test_reads_real_photos(recognizer: PlateRecognizer) -> None:
    with (REAL_PHOTOS / "labels.csv").open(encoding="utf-8") as f:
        rows = [
            row for row in csv.DictReader(f) if row["filename"].endswith(("000.jpg", "034.jpg", "122.jpg"))
        ]
    assert rows
    for row in rows:
        reading = recognizer.recognize(decode_image((REAL_PHOTOS / row["filename"]).read_bytes()))
        assert reading is not None and reading.plate == row["plate"], (row, reading)
        assert reading.colour == PlateColour(row["colour"])
