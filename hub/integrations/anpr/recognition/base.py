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
    # Why a guard should confirm: low_confidence, recognisers_disagree, unexpected_region,
    # green_plate_short (a green plate read with 7 characters).
    review_reasons: tuple[str, ...] = ()


class PlateRecognizer(Protocol):
    """Blocking plate recogniser; create once (model loading is slow) and call from one executor thread."""

    def recognize(self, image_bgr: np.ndarray) -> PlateReading | None:
        """Find and read the plate of the main vehicle in a whole camera frame."""
        ...

    def recognize_crop(self, crop_bgr: np.ndarray) -> PlateReading | None:
        """Read a plate from an image that shows little more than the plate (a camera's plate crop)."""
        ...


def decode_image(data: bytes, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """Decode JPEG/PNG/BMP bytes into a BGR array; ValueError with the reason for anything else.

    A truncated JPEG is decoded as far as it goes (see `decode_image_part`)."""
    return decode_image_part(data, max_pixels)[0]


def decode_image_part(data: bytes, max_pixels: int = MAX_IMAGE_PIXELS) -> tuple[np.ndarray, float]:
    """The image and the share of its rows that arrived (1.0 for a whole image).

    A camera's upload interrupted mid-way leaves a JPEG without its end: OpenCV refuses it, although most
    of the picture is there. It is decoded again with the end-of-image marker put back, which makes libjpeg
    decode every scan line that arrived and fill the rest with grey; the plate is read if it is in the
    part that arrived. Only bytes with nothing decodable are refused. (Pillow's LOAD_TRUNCATED_IMAGES would
    do the same, but it is a process-wide switch; this keeps the leniency to this one decode.)"""
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
    if image is not None and image.size:
        return image, 1.0
    if data[:2] == _JPEG_START and not data.rstrip(b"\0").endswith(_JPEG_END):
        image = cv2.imdecode(np.frombuffer(data + _JPEG_END, dtype=np.uint8), cv2.IMREAD_COLOR)
        if image is not None and image.size and (share := _share_arrived(image)) > 0:
            return image, share
        raise ValueError(f"truncated JPEG with nothing decodable ({width}x{height}, {len(data)} bytes)")
    raise ValueError(f"corrupt or unsupported image ({width}x{height}, {len(data)} bytes)")


_JPEG_START = b"\xff\xd8"
_JPEG_END = b"\xff\xd9"
_MCU_LINES = 16  # the tallest JPEG block row (4:2:0 chroma subsampling)


def _share_arrived(image: np.ndarray) -> float:
    """Rows above the flat fill libjpeg leaves where the data ran out, as a share of the height.

    One row of blocks (at most 16 lines) does not count: with no scan data at all, libjpeg decodes the
    end marker we put back as the first blocks' data."""
    rows = image.reshape(image.shape[0], -1)
    varied = np.flatnonzero(rows.max(axis=1) != rows.min(axis=1))
    arrived = 0 if varied.size == 0 else int(varied[-1]) + 1
    return 0.0 if arrived <= _MCU_LINES else arrived / image.shape[0]
