"""rapidocr-onnxruntime backend: PP-OCRv4 detection and recognition shipped inside the wheel (offline).

Pinned to rapidocr-onnxruntime 1.4.4, used for its model files, its character list and its DB box
post-processing. The ONNX sessions are our own: their threading suits a small shared gate PC, and the
recogniser's CTC probabilities reach the plate-grammar decoder instead of a greedy string.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .decode import Decoded, PlateDecoder
from .localise import Quad, order_quad

_MAX_LINE_WIDTH = 640  # pixels at height 48; a plate line is ~200
_LINE_HEIGHT = 48  # PP-OCRv4 recogniser input height
_TRAINING_WIDTH = 320  # PP-OCRv4 trained on lines padded to 320 pixels at height 48
_DET_MODEL = "ch_PP-OCRv4_det_infer.onnx"
_REC_MODEL = "ch_PP-OCRv4_rec_infer.onnx"


def _session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Spinning worker threads burn a core between the many small inferences of one frame, which on a
    # two-core PC shared with the rest of the hub costs more than the wake-up latency it saves.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class RapidOcrEngine:
    """Text detection and plate reading with the ONNX models of rapidocr-onnxruntime."""

    def __init__(
        self, *, threads: int | None = None, allow_authority_o: bool = True, stretch: float = 1.0
    ) -> None:
        try:
            import onnxruntime  # noqa: F401
            import rapidocr_onnxruntime
            from rapidocr_onnxruntime.ch_ppocr_det.utils import DBPostProcess
        except ImportError as err:
            raise RuntimeError(
                f"the rapidocr backend needs rapidocr-onnxruntime==1.4.4 and onnxruntime installed ({err})"
            ) from err
        models = Path(rapidocr_onnxruntime.__file__).parent / "models"
        # Detection (one large image) gains from a second core; recognition of a plate line is too small
        # to split, and a second thread there only adds synchronisation.
        threads = max(1, threads or min(2, os.cpu_count() or 1))
        self._det = _session(models / _DET_MODEL, threads)
        self._rec = _session(models / _REC_MODEL, 1)
        self._det_input = self._det.get_inputs()[0].name
        self._rec_input = self._rec.get_inputs()[0].name
        self._postprocess = DBPostProcess(
            thresh=0.3, box_thresh=0.5, max_candidates=200, unclip_ratio=1.6, use_dilation=True
        )
        # The recogniser's classes: CTC blank, the model's characters, then the space rapidocr appends.
        characters = self._rec.get_modelmeta().custom_metadata_map["character"].splitlines()
        self.charset = ["blank", *characters, " "]
        self._decoder = PlateDecoder(self.charset, allow_authority_o=allow_authority_o)
        self._stretch = stretch

    def detect(self, image_bgr: np.ndarray) -> list[Quad]:
        """Text-line quads; an image whose sides are multiples of 32 is used as it is (no resize)."""
        h, w = image_bgr.shape[:2]
        rh, rw = max(32, round(h / 32) * 32), max(32, round(w / 32) * 32)
        resized = image_bgr if (rh, rw) == (h, w) else cv2.resize(image_bgr, (rw, rh))
        blob = cv2.dnn.blobFromImage(resized, 1 / 127.5, mean=(127.5, 127.5, 127.5))
        prediction = self._det.run(None, {self._det_input: blob})[0]
        boxes, _ = self._postprocess(prediction, (h, w))
        quads = []
        for box in boxes:
            quad = order_quad(np.clip(box, 0, [w - 1, h - 1]))
            if min(np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[3] - quad[0])) > 3:
                quads.append(quad)
        return quads

    def read(self, lines: Sequence[Sequence[np.ndarray]], *, padded: bool = False) -> list[Decoded | None]:
        """Plates in line images. `padded` runs the recogniser as it was trained, on lines padded to its
        training width: slower, and differently (often more sharply) wrong, which makes it a second
        opinion rather than a better first one."""
        flat = [row for entry in lines for row in entry]
        if not flat:
            return []
        probs = self.probabilities(flat, padded=padded)
        results: list[Decoded | None] = []
        position = 0
        for entry in lines:
            rows = probs[position : position + len(entry)]
            position += len(entry)
            # Rows of a two-row plate are read as one sequence: the grammar spans both.
            results.append(self._decoder.decode(np.concatenate(rows)))
        return results

    def probabilities(self, images: list[np.ndarray], *, padded: bool = False) -> list[np.ndarray]:
        """CTC probabilities (frames x charset) of each line image, trimmed to the frames it covers."""
        widths = [
            min(
                _MAX_LINE_WIDTH,
                max(_LINE_HEIGHT, math.ceil(_LINE_HEIGHT * self._stretch * im.shape[1] / im.shape[0])),
            )
            for im in images
        ]
        batch_width = max(max(widths), _TRAINING_WIDTH if padded else 0)
        batch = np.zeros((len(images), 3, _LINE_HEIGHT, batch_width), dtype=np.float32)
        for i, (image, width) in enumerate(zip(images, widths, strict=True)):
            if image.shape[:2] != (_LINE_HEIGHT, width):
                image = cv2.resize(image, (width, _LINE_HEIGHT), interpolation=cv2.INTER_LINEAR)
            batch[i, :, :, :width] = image.transpose(2, 0, 1)
            batch[i, :, :, :width] *= 1 / 127.5
            batch[i, :, :, :width] -= 1.0
        output = self._rec.run(None, {self._rec_input: batch})[0]
        frames_per_pixel = output.shape[1] / batch_width
        return [
            output[i, : max(1, math.ceil(width * frames_per_pixel) + 1)] for i, width in enumerate(widths)
        ]
