"""Whether bytes that claim to be a photo are one, before they become evidence kept for 24 months."""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

PHOTO_FORMATS = frozenset({"JPEG", "PNG"})
MAX_PIXELS = 40_000_000  # a 40-megapixel frame; more is no camera's, and decoding it is a memory bomb


def photo_problem(data: bytes) -> str | None:
    """None for a JPEG or PNG of sensible dimensions; else why not, in words for the sender.

    Reads the header and checks the structure (Pillow's `verify`), without decoding every pixel.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in PHOTO_FORMATS:
                    return f"a JPEG or PNG photo is expected, not {image.format}"
                width, height = image.size
                if width < 16 or height < 16 or width * height > MAX_PIXELS:
                    return f"a photo of {width}x{height} pixels is not a camera's"
                image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return "the data is not a JPEG or PNG photo"
    except (OSError, SyntaxError, ValueError) as err:
        return f"the photo is damaged: {err}"
    return None
