"""What a camera or a person sends as a photo must be one: a JPEG or PNG of sane size, before it is kept.

Photos are kept for 24 months beside the ledger, so bytes that are not a picture (an HTML error page, a
script, random noise) are refused at the door. Only the header is decoded here (format and dimensions),
which is cheap; the recogniser decodes the pixels when it reads the frame.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image

FORMATS = ("JPEG", "PNG")
MIN_SIDE = 16  # pixels; a plate crop is larger than this
MAX_SIDE = 8192
MAX_PIXELS = 40_000_000  # an 8K frame is 33 MP


class NotAPhoto(ValueError):
    """The bytes are not a usable photo; the message says why (it goes back to the camera)."""


def check_photo(name: str, data: bytes) -> str:
    """The photo's format (JPEG or PNG); NotAPhoto with the reason otherwise."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                width, height = image.size
                kind = str(image.format)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise NotAPhoto(f"{name} has too many pixels; at most {MAX_PIXELS}") from None
    except Exception:  # Pillow raises several kinds for bytes it cannot read; all mean the same here
        raise NotAPhoto(f"{name} is not a JPEG or PNG image ({_looks_like(data)})") from None
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
        raise NotAPhoto(f"{name} is {width}x{height} pixels; each side must be {MIN_SIDE} to {MAX_SIDE}")
    if width * height > MAX_PIXELS:
        raise NotAPhoto(f"{name} is {width}x{height} pixels; at most {MAX_PIXELS} pixels")
    return kind


def _looks_like(data: bytes) -> str:
    """A hint for the camera's installer: what the bytes start with instead of an image header."""
    head = data[:16].lstrip().lower()
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<")):
        return "it looks like HTML or XML"
    if not data:
        return "it is empty"
    return f"it starts with {data[:4].hex()}"
