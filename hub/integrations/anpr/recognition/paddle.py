"""Optional PaddleOCR 3.x backend for sites that bring their own (e.g. plate-tuned) Paddle models.

paddleocr downloads its default models on first use, which an offline gate PC cannot do, so this backend only
loads local model folders and refuses to start without them. It gives texts, not frame probabilities, so
the plate grammar repairs the text (decode_text) instead of steering the decoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .decode import Decoded, decode_text
from .localise import Quad, order_quad


class PaddleOcrEngine:
    """Text detection and recognition with PaddleOCR's TextDetection / TextRecognition modules."""

    def __init__(
        self,
        *,
        detection_model_dir: str | Path | None = None,
        recognition_model_dir: str | Path | None = None,
        device: str = "cpu",
    ) -> None:
        folders = {"detection_model_dir": detection_model_dir, "recognition_model_dir": recognition_model_dir}
        for name, folder in folders.items():
            if folder is None:
                raise ValueError(
                    f"the paddleocr backend needs {name} (a local model folder; nothing is downloaded)"
                )
            if not Path(folder).is_dir():
                raise FileNotFoundError(f"paddleocr {name} {str(folder)!r} is not a directory")
        try:
            from paddleocr import TextDetection, TextRecognition
        except ImportError as err:
            raise RuntimeError(
                "the paddleocr backend needs the paddleocr (3.x) and paddlepaddle packages, which are not "
                "installed; use the default rapidocr backend or install them"
            ) from err
        self._detector = TextDetection(model_dir=str(detection_model_dir), device=device)
        self._recognizer = TextRecognition(model_dir=str(recognition_model_dir), device=device)

    def detect(self, image_bgr: np.ndarray) -> list[Quad]:
        result: Any = next(iter(self._detector.predict(image_bgr)), None)
        polys = [] if result is None else result["dt_polys"]
        return [order_quad(np.asarray(p, dtype=np.float32)[:4]) for p in polys if len(p) >= 4]

    def read(self, lines: Sequence[Sequence[np.ndarray]], *, padded: bool = False) -> list[Decoded | None]:
        # PaddleOCR pads lines to the model's training width itself: `padded` changes nothing here.
        flat = [row for entry in lines for row in entry]
        if not flat:
            return []
        texts = [(r["rec_text"], float(r["rec_score"])) for r in self._recognizer.predict(flat)]
        results: list[Decoded | None] = []
        position = 0
        for entry in lines:
            rows = texts[position : position + len(entry)]
            position += len(entry)
            # Two-row plates: upper row (province, letter) then lower row; the weaker row's score counts.
            results.append(decode_text("".join(t for t, _ in rows), min(s for _, s in rows)))
        return results
