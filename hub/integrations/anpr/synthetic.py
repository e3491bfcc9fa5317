"""Labelled synthetic plate images: the demo's simulated camera and the recognition benchmarks use them.

Plates follow GA 36 proportions (440x140 mm one-row, 480x140 mm new-energy, 440x220 mm two-row yellow) with
characters from the Noto CJK font (Debian `fonts-noto-cjk`), stretched into the tall plate character cells.
Scenes put the plate on a simple vehicle rear, then add perspective, blur, night noise, a timestamp
overlay and JPEG compression according to the difficulty.
"""

from __future__ import annotations

import functools
import random
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from hub.util.plate import PlateColour, is_new_energy, normalise_plate, validate_plate

Difficulty = Literal["easy", "normal", "hard"]

FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
)
_SCALE = 0.5  # pixels per millimetre of the flat plate drawing (440 mm -> 220 px)
# Background (RGB) and ink per colour.
_PAINT: dict[PlateColour, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    PlateColour.BLUE: ((18, 62, 178), (245, 245, 245)),
    PlateColour.YELLOW: ((246, 190, 20), (20, 20, 20)),
    PlateColour.WHITE: ((236, 236, 236), (20, 20, 20)),
    PlateColour.BLACK: ((22, 22, 22), (240, 240, 240)),
    PlateColour.GREEN: ((70, 190, 90), (20, 20, 20)),
    PlateColour.YELLOW_GREEN: ((70, 190, 90), (20, 20, 20)),
}
_RED = (200, 20, 20)  # 警 and the suffixes of special series are printed in red


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    for path in FONT_PATHS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    raise RuntimeError("no CJK font found: install the Debian package fonts-noto-cjk")


def _glyph(char: str, width: int, height: int, ink: tuple[int, int, int]) -> Image.Image:
    """A character stretched to fill its cell, as on a plate (plate characters are narrow and tall)."""
    font = _font(height * 2)
    left, top, right, bottom = (round(v) for v in font.getbbox(char))
    canvas = Image.new("L", (right - left + 4, bottom - top + 4), 0)
    ImageDraw.Draw(canvas).text((2 - left, 2 - top), char, font=font, fill=255)
    mask = canvas.crop(canvas.getbbox() or (0, 0, 1, 1))
    if char in "1" and mask.width < mask.height / 4:  # a "1" keeps its own thin width, centred in the cell
        narrow = mask.resize((max(2, width // 3), height))
        mask = Image.new("L", (width, height), 0)
        mask.paste(narrow, ((width - narrow.width) // 2, 0))
    else:
        mask = mask.resize((width, height))
    glyph = Image.new("RGBA", (width, height), (*ink, 0))
    glyph.putalpha(mask)
    return glyph


def _background(colour: PlateColour, size: tuple[int, int], split: int) -> Image.Image:
    w, h = size
    paint, _ = _PAINT[colour]
    plate = Image.new("RGB", size, paint)
    if colour in (PlateColour.GREEN, PlateColour.YELLOW_GREEN):
        # New-energy plates fade from near white at the top to green at the bottom.
        ramp = np.linspace(0.0, 1.0, h)[:, None, None]
        light = np.array([235, 248, 235], dtype=np.float32)
        pixels = (light * (1 - ramp) + np.array(paint, dtype=np.float32) * ramp).repeat(w, axis=1)
        plate = Image.fromarray(pixels.astype(np.uint8))
        if colour is PlateColour.YELLOW_GREEN:
            plate.paste(_PAINT[PlateColour.YELLOW][0], (0, 0, split, h))
    return plate


def render_plate(plate: str, colour: PlateColour, *, two_row: bool = False) -> np.ndarray:
    """The flat plate as a BGR image (no margin, no distortion); `two_row` for a yellow truck rear plate."""
    plate = normalise_plate(plate)
    problem = validate_plate(plate, colour)
    if problem:
        raise ValueError(problem)
    ink = _PAINT[colour][1]
    two_row = two_row and colour is PlateColour.YELLOW and len(plate) == 7
    s = _SCALE
    if len(plate) == 8:
        size, cell, top, lefts = (480, 140), (43, 90), 25, [15.5, 64.5, 131, 180, 229, 278, 327, 376]
    elif two_row:
        size = (440, 220)
    else:
        size, cell, top, lefts = (440, 140), (45, 90), 25, [15.5, 72.5, 151.5, 208.5, 265.5, 322.5, 379.5]
    image = _background(colour, (round(size[0] * s), round(size[1] * s)), round(118 * s))
    draw = ImageDraw.Draw(image)
    border = _PAINT[colour][1] if colour is not PlateColour.BLACK else (240, 240, 240)
    draw.rounded_rectangle((2, 2, image.width - 3, image.height - 3), radius=6, outline=border, width=2)
    if two_row:
        # GA 36 two-row plate: province and letter in an upper row, five characters below.
        placements: list[tuple[str, float, float, float, float]]
        placements = [(plate[0], 110, 15, 80, 60), (plate[1], 250, 15, 80, 60)]
        placements += [(c, 27.5 + i * 80, 90, 65, 110) for i, c in enumerate(plate[2:])]
    else:
        placements = [(c, left, top, *cell) for c, left in zip(plate, lefts, strict=True)]
        dot_x = (lefts[1] + cell[0] + lefts[2]) / 2
        draw.ellipse(((dot_x - 5) * s, 67 * s, (dot_x + 5) * s, 77 * s), fill=ink)
    for char, x, y, w, h in placements:
        red = char in "警" or (colour is PlateColour.BLACK and char in "使领")
        glyph = _glyph(char, round(w * s), round(h * s), _RED if red else ink)
        image.paste(glyph, (round(x * s), round(y * s)), glyph)
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)


def _degrade(image: np.ndarray, rng: random.Random, difficulty: Difficulty, night: bool) -> np.ndarray:
    level = {"easy": 0, "normal": 1, "hard": 2}[difficulty]
    out: np.ndarray = image.astype(np.float32)
    if night:
        out = out * rng.uniform(0.35, 0.6) + np.array([rng.uniform(0, 25), 0, rng.uniform(0, 20)])
    sigma = rng.uniform(0, 0.6 + 0.5 * level)
    if sigma > 0.2:
        out = cv2.GaussianBlur(out, (0, 0), sigma)
    noise = rng.uniform(1, 4 + 5 * level) * (2.0 if night else 1.0)
    out += np.random.default_rng(rng.getrandbits(32)).normal(0, noise, out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def _jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return data.tobytes()


def _perspective(w: int, h: int, rng: random.Random, amount: float) -> np.ndarray:
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    jitter = [(rng.uniform(-amount, amount) * w, rng.uniform(-amount, amount) * h) for _ in range(4)]
    return cv2.getPerspectiveTransform(src, (src + np.array(jitter, dtype=np.float32)).astype(np.float32))


def render_plate_crop(
    plate: str,
    colour: PlateColour,
    rng: random.Random,
    *,
    difficulty: Difficulty = "normal",
    two_row: bool | None = None,
) -> bytes:
    """A camera's plate crop (JPEG): the plate with a little bumper around it, slightly skewed.
    `two_row` (default: at random) applies to yellow 7-character plates only."""
    flat = render_plate(plate, colour, two_row=rng.random() < 0.5 if two_row is None else two_row)
    h, w = flat.shape[:2]
    margin_x, margin_y = round(w * rng.uniform(0.03, 0.1)), round(h * rng.uniform(0.08, 0.25))
    body = tuple(rng.randint(20, 200) for _ in range(3))
    canvas = cv2.copyMakeBorder(flat, margin_y, margin_y, margin_x, margin_x, cv2.BORDER_CONSTANT, value=body)
    ch, cw = canvas.shape[:2]
    amount = {"easy": 0.01, "normal": 0.03, "hard": 0.05}[difficulty]
    canvas = cv2.warpPerspective(
        canvas, _perspective(cw, ch, rng, amount), (cw, ch), borderMode=cv2.BORDER_REPLICATE
    )
    scale = rng.uniform(0.6, 1.2)
    canvas = cv2.resize(canvas, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    night = difficulty != "easy" and rng.random() < 0.25
    return _jpeg(_degrade(canvas, rng, difficulty, night), rng.randint(55, 90))


def render_plate_scene(
    plate: str,
    colour: PlateColour,
    rng: random.Random,
    *,
    difficulty: Difficulty = "normal",
    size: tuple[int, int] = (1280, 720),
    two_row: bool | None = None,
) -> bytes:
    """A lane camera frame (JPEG) with one vehicle carrying the plate, timestamp overlay included.
    `two_row` (default: at random) applies to yellow 7-character plates only."""
    width, height = size
    level = {"easy": 0, "normal": 1, "hard": 2}[difficulty]
    top_shade, bottom_shade = rng.randint(90, 200), rng.randint(50, 120)
    ramp = np.linspace(top_shade, bottom_shade, height, dtype=np.float32)[:, None, None]
    scene: np.ndarray = np.repeat(ramp, width, axis=1).repeat(3, axis=2)
    scene = (scene * np.array([rng.uniform(0.85, 1.1) for _ in range(3)])).clip(0, 255).astype(np.uint8)
    # A vehicle rear: body, window, lights and bumper, roughly centred in the lane.
    car_w = round(width * rng.uniform(0.45, 0.7))
    car_h = round(car_w * rng.uniform(0.55, 0.75))
    x0 = round((width - car_w) * rng.uniform(0.3, 0.7))
    y0 = round(height - car_h - height * rng.uniform(0.02, 0.15))
    body = tuple(rng.randint(15, 235) for _ in range(3))
    cv2.rectangle(scene, (x0, y0), (x0 + car_w, y0 + car_h), body, -1)
    cv2.rectangle(
        scene,
        (x0 + car_w // 8, y0 + car_h // 12),
        (x0 + car_w * 7 // 8, y0 + car_h * 2 // 5),
        (40, 40, 45),
        -1,
    )
    for lx in (x0 + car_w // 20, x0 + car_w * 15 // 20):
        cv2.rectangle(scene, (lx, y0 + car_h // 2), (lx + car_w // 5, y0 + car_h * 2 // 3), (30, 30, 190), -1)
    cv2.rectangle(scene, (x0, y0 + car_h * 5 // 6), (x0 + car_w, y0 + car_h), (25, 25, 25), -1)
    # The plate, about 0.2-0.3 of the vehicle width, below the lights.
    flat = render_plate(plate, colour, two_row=rng.random() < 0.5 if two_row is None else two_row)
    plate_w = round(car_w * rng.uniform(0.2, 0.3))
    plate_img = cv2.resize(
        flat, (plate_w, round(plate_w * flat.shape[0] / flat.shape[1])), interpolation=cv2.INTER_AREA
    )
    ph, pw = plate_img.shape[:2]
    px = x0 + (car_w - pw) // 2 + round(rng.uniform(-0.05, 0.05) * car_w)
    py = min(height - ph - 2, y0 + car_h * 2 // 3 + round(rng.uniform(0.02, 0.08) * car_h))
    scene[py : py + ph, px : px + pw] = plate_img
    # Perspective of a camera above and beside the lane.
    scene = cv2.warpPerspective(
        scene,
        _perspective(width, height, rng, 0.03 + 0.03 * level),
        (width, height),
        borderMode=cv2.BORDER_REPLICATE,
    )
    night = level > 0 and rng.random() < 0.3
    scene = _degrade(scene, rng, difficulty, night)
    stamp = (
        f"20{rng.randint(20, 29)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    )
    cv2.putText(scene, stamp, (12, 32), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (255, 255, 255), 2, cv2.LINE_AA)
    return _jpeg(scene, rng.randint(60, 92))


def random_plate(rng: random.Random) -> tuple[str, PlateColour]:
    """A plausible plate and its colour, in proportions that exercise every kind of plate."""
    provinces = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
    letters, digits = "ABCDEFGHJKLMNPQRSTUVWXYZ", "0123456789"
    head = rng.choice(provinces) + rng.choice(letters)
    kind = rng.random()
    if kind < 0.4:
        serial = "".join(rng.choice(digits + letters if rng.random() < 0.3 else digits) for _ in range(5))
        plate, colour = head + serial, PlateColour.BLUE
    elif kind < 0.65:
        plate, colour = head + "".join(rng.choice(digits) for _ in range(5)), PlateColour.YELLOW
    elif kind < 0.8:
        plate = (
            head
            + rng.choice("DF")
            + rng.choice(letters + digits)
            + "".join(rng.choice(digits) for _ in range(4))
        )
        colour = PlateColour.GREEN
    elif kind < 0.88:
        plate = head + "".join(rng.choice(digits) for _ in range(5)) + rng.choice("DF")
        colour = PlateColour.YELLOW_GREEN
    elif kind < 0.94:
        plate, colour = head + "".join(rng.choice(digits) for _ in range(4)) + "警", PlateColour.WHITE
    elif kind < 0.97:
        plate, colour = head + "".join(rng.choice(digits) for _ in range(4)) + "挂", PlateColour.YELLOW
    else:
        # Black: Hong Kong / Macau cross-border plates (粤Z…港, 粤Z…澳).
        plate = "粤Z" + "".join(rng.choice(digits) for _ in range(4)) + rng.choice("港澳")
        colour = PlateColour.BLACK
    assert is_new_energy(plate) == (len(plate) == 8)
    return plate, colour
