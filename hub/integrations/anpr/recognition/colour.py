"""Plate colour from the plate crop, judged on the plate background rather than on the characters.

Colour is advisory: night colour casts, faded paint and infrared frames defeat it. A grey frame says
`unknown` rather than guessing, and the plate text decides what is possible (8 characters = new-energy
green; a 7-character plate is never green).
"""

from __future__ import annotations

import cv2
import numpy as np

from hub.util.plate import PLATE_PATTERNS, PlateColour

_GREY_SPREAD = 14  # channel spread (0..255) under which a pixel carries no colour information
_SATURATED = 45  # median background saturation above which the hue decides
_BLUE_TINT = 8  # mean (B - R) of an unsaturated background that still reads as (faded, dark) blue
_TWO_TONE_SHARE = 0.2  # share of yellow background on a large new-energy (yellow-green) plate


def _hue_colour(hue: float) -> PlateColour:
    """OpenCV hue (0..180) of a plate background. Casts push blue towards teal or violet and yellow towards
    lime or orange, so the bands are wide and meet halfway between the inks."""
    if 8 <= hue < 38:
        return PlateColour.YELLOW
    if 38 <= hue < 85:
        return PlateColour.GREEN
    return PlateColour.BLUE if 85 <= hue < 160 else PlateColour.YELLOW


def classify_colour(crop_bgr: np.ndarray, plate: str | None = None) -> PlateColour:
    """Colour of a plate crop (BGR); `plate` is the recognised text, whose grammar limits the colours."""
    if plate is not None:
        # Special series come in one colour only (警 white, 学 and 挂 yellow, 使, 领, 港 and 澳 black):
        # the text is surer than the pixels of a night frame.
        issued = {c for p in PLATE_PATTERNS if p.matches(plate) for c in p.colours}
        if len(issued) == 1:
            return issued.pop()
    if crop_bgr.size == 0:
        return PlateColour.UNKNOWN
    h, w = crop_bgr.shape[:2]
    # The crop edges are often car body or frame: look at the inner part of the plate.
    inner = np.ascontiguousarray(crop_bgr[h // 8 : h - h // 8 or h, w // 16 : w - w // 16 or w])
    spread = inner.max(axis=2).astype(np.int16) - inner.min(axis=2)
    if np.count_nonzero(spread > _GREY_SPREAD) < 0.02 * spread.size:
        return PlateColour.UNKNOWN  # an infrared or monochrome frame: the pixels cannot tell
    gray = cv2.cvtColor(inner, cv2.COLOR_BGR2GRAY)
    _, bright = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Characters cover about a third of a plate: the larger Otsu class is the background.
    background = bright.astype(bool) if np.count_nonzero(bright) > bright.size // 2 else ~bright.astype(bool)
    hsv = cv2.cvtColor(inner, cv2.COLOR_BGR2HSV)[background]
    pixels = inner[background].astype(np.float32)
    hue, saturation, value = (float(np.median(hsv[:, i])) for i in range(3))
    new_energy = plate is not None and len(plate) == 8
    if new_energy:
        yellow = np.count_nonzero((hsv[:, 0] >= 8) & (hsv[:, 0] < 38) & (hsv[:, 1] >= _SATURATED))
        return PlateColour.YELLOW_GREEN if yellow >= _TWO_TONE_SHARE * len(hsv) else PlateColour.GREEN
    if saturation >= _SATURATED:
        colour = _hue_colour(hue)
        if colour is PlateColour.GREEN and plate is not None:
            # Only new-energy plates are green: a green-looking 7-character plate is a cast blue or yellow.
            colour = PlateColour.YELLOW if hue < 60 else PlateColour.BLUE
        return colour
    if float(np.mean(pixels[:, 0] - pixels[:, 2])) >= _BLUE_TINT:
        return PlateColour.BLUE
    return PlateColour.WHITE if value >= 128 else PlateColour.BLACK


def short_green(crop_bgr: np.ndarray, plate: str) -> bool:
    """A 7-character read of a plate whose background looks green. Only new-energy plates (8 characters)
    are green, so either a cast fooled the pixels or the read dropped a character (a D or F merged with
    the separator dot): the text alone cannot say which, a guard can. On the tune photos and synthetic
    seeds 11 and 12 no correct read that was not flagged already looked so."""
    return len(plate) == 7 and classify_colour(crop_bgr) is PlateColour.GREEN
