"""What a recogniser returns and accepts: `PlateReading`, the `PlateRecognizer` protocol, image decoding."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from hub.util.plate import PlateColour

MAX_IMAGE_PIXELS = 40_000_000  # a 40-megapixel frame is far beyond any plate camera: refuse, don't allocate

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class PlateReading:
    """One plate read from an image."""

    plate: str  # normalised, valid by hub.util.plate
    colour: PlateColour
    confidence: float  # 0..1, the weakest character's probability
    box: tuple[Point, Point, Point, Point] | None  # plate corners in the image (TL, TR, BR, BL), if known
    needs_review: bool  # low confidence or the recognition passes disagree: a guard should confirm
    source: Literal["scene", "crop"]


class PlateRecognizer(Protocol):
    """Blocking plate recogniser; create once (model loading is slow) and call from one executor thread."""

    def recognize(self, image_bgr: np.ndarray) -> PlateReading | None:
        """Find and read the plate of the main vehicle in a whole camera frame."""
        ...

    def recognize_crop(self, crop_bgr: np.ndarray) -> PlateReading | None:
        """Read a plate from an image that shows little more than the plate (a camera's plate crop)."""
        ...


def decode_image(data: bytes, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """Decode JPEG/PNG/BMP bytes into a BGR array; ValueError with the reason for anything else."""
    import cv2  # heavy, and only needed once images flow
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ValueError("empty image data")
    # Read the size from the header first so a decompression bomb is refused before it is decoded.
    try:
        with Image.open(io.BytesIO(data)) as header:
            width, height = header.size
    except (UnidentifiedImageError, OSError) as err:
        raise ValueError(f"not a readable image ({len(data)} bytes): {err}") from None
    except Image.DecompressionBombError:
        raise ValueError(f"image too large: more than {max_pixels} pixels") from None
    if width * height > max_pixels:
        raise ValueError(f"image too large: {width}x{height} is more than {max_pixels} pixels")
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise ValueError(f"corrupt or unsupported image ({width}x{height}, {len(data)} bytes)")
    return image
