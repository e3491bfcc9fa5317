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


# -- the failure classes of real photos, reproduced on rendered plates ---------------------------------------


def _scene_with_plate(
    plate: str,
    colour: PlateColour,
    corners: list[list[float]],
    *,
    two_row: bool = False,
    size: tuple[int, int] = (640, 480),
    light: float = 1.0,
    overlay: tuple[str, tuple[int, int]] | None = None,
):
    """A grey bumper with the flat plate warped onto `corners` (TL, TR, BR, BL), optionally darkened and
    with a white text overlay such as a camera's timestamp."""
    import cv2
    import numpy as np

    from hub.integrations.anpr.synthetic import render_plate

    flat = render_plate(plate, colour, two_row=two_row)
    h, w = flat.shape[:2]
    canvas = np.full((size[1], size[0], 3), 150, np.uint8)
    cv2.rectangle(
        canvas, (size[0] // 6, size[1] // 3), (size[0] * 5 // 6, size[1] * 7 // 8), (200, 200, 205), -1
    )
    matrix = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), np.float32(corners))
    warped = cv2.warpPerspective(flat, matrix, size)
    inside = cv2.warpPerspective(np.full((h, w), 255, np.uint8), matrix, size) > 0
    canvas[inside] = warped[inside]
    if overlay is not None:
        cv2.putText(
            canvas, overlay[0], overlay[1], cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2, cv2.LINE_AA
        )
    noise = np.random.default_rng(0).normal(0, 3, canvas.shape)
    return np.clip(canvas.astype(np.float32) * light + noise, 0, 255).astype(np.uint8)


def test_reads_a_plate_seen_from_the_side(recognizer: PlateRecognizer) -> None:
    # The plate's top edge climbs at 45 degrees while its sides stay upright: a rotated text box leaves the
    # characters slanted, so the quad must follow the characters.
    frame = _scene_with_plate("京A019W2", PlateColour.BLUE, [[250, 330], [370, 210], [370, 250], [250, 370]])
    for reading in (recognizer.recognize(frame), recognizer.recognize_crop(frame[190:390, 230:390])):
        assert reading is not None and reading.plate == "京A019W2", reading


def test_reads_a_two_row_plate_next_to_a_timestamp(recognizer: PlateRecognizer) -> None:
    # The overlay's digits right of the plate must not run on into the lower row (8 characters would make
    # a new-energy plate, which never has two rows).
    frame = _scene_with_plate(
        "粤AK9331",
        PlateColour.YELLOW,
        [[260, 250], [380, 250], [380, 310], [260, 310]],
        two_row=True,
        overlay=("2015/05/11", (384, 305)),
    )
    for reading in (recognizer.recognize(frame), recognizer.recognize_crop(frame[230:330, 240:520])):
        assert reading is not None and (reading.plate, reading.colour) == ("粤AK9331", PlateColour.YELLOW)


def test_reads_a_small_plate_in_a_dark_frame(recognizer: PlateRecognizer) -> None:
    frame = _scene_with_plate(
        "浙A26M71",
        PlateColour.BLUE,
        [[420, 330], [500, 330], [500, 355], [420, 355]],
        size=(1280, 960),
        light=0.2,
    )
    reading = recognizer.recognize(frame)
    assert reading is not None and reading.plate == "浙A26M71"


def test_reads_the_public_security_series(recognizer: PlateRecognizer) -> None:
    # 粤O: the O is drawn like a zero. Rare, so it is read but always left for the guard to confirm.
    frame = _scene_with_plate("粤OA9112", PlateColour.BLUE, [[200, 300], [420, 300], [420, 370], [200, 370]])
    reading = recognizer.recognize(frame)
    assert reading is not None and reading.plate == "粤OA9112" and reading.needs_review


# -- pieces of the pipeline ------------------------------------------------------------------------------


def _ctc(decoder_charset: list[str], frames: list[dict[str, float]]):
    """CTC probabilities: each frame a {character: probability} dict, the rest of the mass on the blank."""
    import numpy as np

    index = {c: i for i, c in enumerate(decoder_charset)}
    probs = np.zeros((len(frames), len(decoder_charset)), dtype=np.float32)
    for t, frame in enumerate(frames):
        for char, p in frame.items():
            probs[t, index[char]] = p
        probs[t, 0] = max(0.0, 1.0 - sum(frame.values()))
    return probs


def _spell(*chars: dict[str, float] | str) -> list[dict[str, float]]:
    """Frames for characters, each followed by a blank frame."""
    frames: list[dict[str, float]] = []
    for char in chars:
        frames += [{char: 0.98} if isinstance(char, str) else char, {}]
    return frames


@pytest.fixture(scope="module")
def charset() -> list[str]:
    from hub.util.plate import PROVINCES

    return ["blank", *sorted(PROVINCES), *"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ·使学挂警领港澳", " "]


def test_decoder_reads_the_authority_o_only_where_no_letter_fits(charset: list[str]) -> None:
    from hub.integrations.anpr.recognition.decode import PlateDecoder

    decoder = PlateDecoder(charset)
    zero_like = decoder.decode(_ctc(charset, _spell("粤", "0", "A", "9", "1", "1", "2")))
    assert zero_like is not None and zero_like.plate == "粤OA9112" and zero_like.confidence < 0.2
    d_or_zero = decoder.decode(_ctc(charset, _spell("粤", {"0": 0.6, "D": 0.35}, "A", "9", "1", "1", "2")))
    assert d_or_zero is not None and d_or_zero.plate == "粤DA9112"
    strict = PlateDecoder(charset, allow_authority_o=False).decode(
        _ctc(charset, _spell("粤", "0", "A", "9", "1", "1", "2"))
    )
    assert strict is None or strict.plate[1] != "O"


def test_decoder_keeps_the_best_read_of_the_other_length(charset: list[str]) -> None:
    from hub.integrations.anpr.recognition.decode import PlateDecoder

    decoder = PlateDecoder(charset)
    eight = _ctc(charset, _spell("粤", "A", "K", "9", "3", "3", "1", {"2": 0.6}))
    read = decoder.decode(eight)
    assert read is not None and read.plate == "粤AK93312"
    assert read.alternative is not None and read.alternative.plate == "粤AK9331"
    seven_only = decoder.decode(eight, lengths=(7,))
    assert seven_only is not None and seven_only.plate == "粤AK9331" and seven_only.alternative is None


def test_vote_takes_whole_plates_and_lowers_confidence_on_disagreement() -> None:
    from hub.integrations.anpr.recognition.decode import Decoded
    from hub.integrations.anpr.recognition.reads import vote

    sure = (0.99,) * 7
    votes = [
        Decoded("皖M12288", sure, ""),
        Decoded("皖M12288", sure, ""),
        Decoded("皖T12288", (0.99, 0.3, *sure[2:]), ""),
        Decoded("皖N33220", sure, ""),  # a read shifted by one character must not leak into the others
    ]
    result = vote(votes)
    assert result is not None and result.plate == "皖M12288"
    assert result.char_confidences[2:] != sure[2:] and result.confidence < 0.85


def test_order_quad_keeps_the_reading_direction_of_steep_lines() -> None:
    import cv2

    from hub.integrations.anpr.recognition.localise import order_quad, quad_size

    for angle in (0, -30, -50, 30, 50):
        quad = order_quad(cv2.boxPoints(((300, 200), (160, 40), angle)))
        width, height = quad_size(quad)
        assert width == pytest.approx(160, abs=1) and height == pytest.approx(40, abs=1), angle
        along = quad[1] - quad[0]
        assert along[0] > 0  # left to right
    # A single tall character stays tall (it is not a line turned on its side).
    assert quad_size(order_quad(cv2.boxPoints(((100, 100), (20, 40), 0))))[0] == pytest.approx(20, abs=1)


def test_plate_body_finds_the_corners_of_a_slanted_plate() -> None:
    import numpy as np

    from hub.integrations.anpr.recognition.rectify import deshear, plate_body

    corners = np.float32([[250, 330], [370, 210], [370, 250], [250, 370]])
    frame = _scene_with_plate("京A019W2", PlateColour.BLUE, corners.tolist())
    # A text box as the detector gives it: a rotated rectangle around the characters.
    centre, along = corners.mean(axis=0), (corners[1] - corners[0]) / 2
    unit = along / np.linalg.norm(along)
    normal = np.float32([-unit[1], unit[0]]) * 14
    text_box = np.float32(
        [centre - along - normal, centre + along - normal, centre + along + normal, centre - along + normal]
    )
    body = plate_body(frame, text_box)
    assert body is not None
    assert np.abs(body - corners).max() < 8
    # Without colour to go by, the slant of the characters gives the same sides.
    sheared = deshear(frame, text_box)
    sides = sheared[3] - sheared[0]
    assert abs(sides[0]) < 0.35 * abs(sides[1])  # nearly upright, like the plate's own sides


class _FakeEngine:
    """A TextEngine that finds one line and reads it with fixed confidences: counts the reads."""

    def __init__(self, confidence: float) -> None:
        self.confidence = confidence
        self.reads = 0
        self.plate = "京A88731"

    def detect(self, image_bgr):
        import numpy as np

        h, w = image_bgr.shape[:2]
        return [np.float32([[0.1 * w, 0.3 * h], [0.9 * w, 0.3 * h], [0.9 * w, 0.7 * h], [0.1 * w, 0.7 * h]])]

    def read(self, lines, *, padded=False):
        from hub.integrations.anpr.recognition.decode import Decoded

        self.reads += len(lines)
        chars = (0.99,) * (len(self.plate) - 1) + (self.confidence,)
        return [Decoded(self.plate, chars, self.plate[:2] + "·" + self.plate[2:]) for _ in lines]


@pytest.mark.parametrize(("confidence", "reads", "review"), [(0.99, 1, False), (0.6, 5, True)])
def test_a_confident_crop_is_read_once_and_a_doubtful_one_gets_more_views(
    confidence: float, reads: int, review: bool
) -> None:
    import numpy as np

    from hub.integrations.anpr.recognition.pipeline import PlatePipeline

    engine = _FakeEngine(confidence)
    crop = np.full((60, 200, 3), (170, 60, 20), dtype=np.uint8)
    reading = PlatePipeline(engine).recognize_crop(crop)
    assert reading is not None and reading.plate == "京A88731" and reading.needs_review is review
    assert engine.reads >= reads if review else engine.reads == reads


@pytest.mark.parametrize(
    ("plate", "colour"),
    [
        ("京A1234警", PlateColour.WHITE),
        ("渝B3587学", PlateColour.YELLOW),
        ("冀A1234挂", PlateColour.YELLOW),
        ("粤Z1234港", PlateColour.BLACK),
        ("使014578", PlateColour.BLACK),
        ("京A88731", PlateColour.BLUE),
        (None, PlateColour.BLUE),
    ],
)
def test_special_series_take_their_colour_from_the_text(plate: str | None, colour: PlateColour) -> None:
    # A blue-looking crop (a night cast on a white police plate, say): the series decides where it can.
    import numpy as np

    from hub.integrations.anpr.recognition.colour import classify_colour

    blue_crop = np.full((96, 300, 3), (170, 60, 20), dtype=np.uint8)
    assert classify_colour(blue_crop, plate) is colour


@pytest.mark.parametrize(("background", "plate", "review"), [
    ((60, 200, 40), "京A88731", True),  # green: a new-energy plate read a character short
    ((60, 200, 40), "京AD88731", False),
    ((170, 60, 20), "京A88731", False),  # blue
])  # fmt: skip
def test_a_green_plate_read_with_seven_characters_goes_to_review(
    background: tuple[int, int, int], plate: str, review: bool
) -> None:
    import numpy as np

    from hub.integrations.anpr.recognition.pipeline import PlatePipeline

    engine = _FakeEngine(0.99)
    engine.plate = plate
    crop = np.full((60, 200, 3), background, dtype=np.uint8)
    reading = PlatePipeline(engine).recognize_crop(crop)
    assert reading is not None and reading.plate == plate
    assert reading.needs_review is review
    assert ("green_plate_short" in reading.review_reasons) is review


def test_a_rendered_new_energy_plate_looks_green() -> None:
    from hub.integrations.anpr.recognition.colour import short_green

    rng = random.Random(7)
    green = decode_image(render_plate_crop("津BFT3169", PlateColour.GREEN, rng, difficulty="easy"))
    blue = decode_image(render_plate_crop("津FT3169", PlateColour.BLUE, rng, difficulty="easy"))
    assert short_green(green, "津FT3169") and not short_green(green, "津BFT3169")
    assert not short_green(blue, "津FT3169")
