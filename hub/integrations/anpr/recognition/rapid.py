"""rapidocr-onnxruntime backend: PP-OCRv4 detection and recognition shipped inside the wheel (offline).

Pinned to rapidocr-onnxruntime 1.4.4: its detector class and recogniser session are used directly so the
recogniser's CTC probabilities reach the plate-grammar decoder instead of a greedy string.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .decode import Decoded, PlateDecoder
from .localise import Quad, order_quad

_MAX_LINE_WIDTH = 640  # pixels at height 48; a plate line is ~200


class RapidOcrEngine:
    """Text detection and plate reading with the ONNX models of rapidocr-onnxruntime."""

    def __init__(
        self, *, threads: int | None = None, allow_authority_o: bool = False, stretch: float = 1.0
    ) -> None:
        try:
            import rapidocr_onnxruntime
            from rapidocr_onnxruntime.ch_ppocr_det import TextDetector
            from rapidocr_onnxruntime.ch_ppocr_rec import TextRecognizer
            from rapidocr_onnxruntime.utils import read_yaml
        except ImportError as err:
            raise RuntimeError(
                f"the rapidocr backend needs rapidocr-onnxruntime==1.4.4 and onnxruntime installed ({err})"
            ) from err
        package = Path(rapidocr_onnxruntime.__file__).parent
        config = read_yaml(str(package / "config.yaml"))
        # On a small gate PC all cores may go to one inference at a time; more threads than cores only thrash.
        threads = threads or min(4, os.cpu_count() or 1)
        for section in ("Det", "Rec"):
            config[section].update(
                model_path=str(package / config[section]["model_path"]),
                intra_op_num_threads=threads,
                inter_op_num_threads=1,
            )
        # The pipeline sizes the frame itself; "max" with a generous limit stops rapidocr resizing it again.
        config["Det"].update(limit_type="max", limit_side_len=2000, box_thresh=0.5, unclip_ratio=1.6)
        self._detector = TextDetector(config["Det"])
        self._recognizer = TextRecognizer(config["Rec"])
        self._decoder = PlateDecoder(
            self._recognizer.postprocess_op.character, allow_authority_o=allow_authority_o
        )
        self._stretch = stretch

    def detect(self, image_bgr: np.ndarray) -> list[Quad]:
        boxes, _ = self._detector(image_bgr)
        return [] if boxes is None else [order_quad(b) for b in boxes]

    def read(self, lines: Sequence[Sequence[np.ndarray]]) -> list[Decoded | None]:
        flat = [row for entry in lines for row in entry]
        if not flat:
            return []
        probs = self._recognise(flat)
        results: list[Decoded | None] = []
        position = 0
        for entry in lines:
            rows = probs[position : position + len(entry)]
            position += len(entry)
            # Rows of a two-row plate are read as one sequence: the grammar spans both.
            results.append(self._decoder.decode(np.concatenate(rows)))
        return results

    def _recognise(self, images: list[np.ndarray]) -> list[np.ndarray]:
        """CTC probabilities (frames x charset) of each line image, trimmed to the frames it covers."""
        height = self._recognizer.rec_image_shape[1]
        widths = [
            min(_MAX_LINE_WIDTH, max(height, math.ceil(height * self._stretch * im.shape[1] / im.shape[0])))
            for im in images
        ]
        batch_width = max(widths)
        batch = np.zeros((len(images), 3, height, batch_width), dtype=np.float32)
        import cv2

        for i, (image, width) in enumerate(zip(images, widths, strict=True)):
            resized = cv2.resize(image, (width, height)).astype(np.float32)
            batch[i, :, :, :width] = (resized.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
        output = self._recognizer.session(batch)[0]
        frames_per_pixel = output.shape[1] / batch_width
        return [
            output[i, : max(1, math.ceil(width * frames_per_pixel) + 1)] for i, width in enumerate(widths)
        ]
