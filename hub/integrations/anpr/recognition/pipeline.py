"""The plate pipeline shared by all OCR backends: candidates, straightening, scoring, colour, review flag.

A backend (`TextEngine`) only has to find text lines and read straightened line images into grammar-valid
plates; everything that makes it a plate reader rather than a text reader lives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import cv2
import numpy as np

from .base import PlateReading
from .colour import classify_colour
from .decode import Decoded
from .localise import (
    Candidate,
    Quad,
    colour_regions,
    expand_quad,
    is_two_row,
    merge_split_lines,
    quad_size,
    split_rows,
    warp_quad,
    with_upper_row,
)

LINE_HEIGHT = 48  # the recognisers' input height
_MIN_TEXT_HEIGHT = 8  # pixels in the original frame; smaller lines cannot be read
_MAX_CANDIDATES = 12
_CROP_DETECT_HEIGHT = 64


class TextEngine(Protocol):
    """An OCR backend: text-line detection and plate reading of straightened lines."""

    def detect(self, image_bgr: np.ndarray) -> list[Quad]:
        """Quadrilaterals of text lines in the image's own coordinates."""
        ...

    def read(self, lines: Sequence[Sequence[np.ndarray]]) -> list[Decoded | None]:
        """Read each entry (one line image, or the rows of a two-row plate, top first) as a plate."""
        ...


@dataclass(frozen=True, slots=True)
class _Read:
    candidate: Candidate
    decoded: Decoded
    score: float


class PlatePipeline:
    """`PlateRecognizer` implementation over any `TextEngine`."""

    def __init__(self, engine: TextEngine, *, review_threshold: float = 0.85, detect_side: int = 960) -> None:
        if not 0.0 <= review_threshold <= 1.0:
            raise ValueError(f"review_threshold must be within 0..1, got {review_threshold}")
        self._engine = engine
        self._review_threshold = review_threshold
        self._detect_side = detect_side

    # -- full frames -------------------------------------------------------------------------------------

    def recognize(self, image_bgr: np.ndarray) -> PlateReading | None:
        image = _as_bgr(image_bgr)
        best = self._best(image, self._text_candidates(image, self._detect_side))
        if best is None or best.decoded.confidence < self._review_threshold:
            # The detector missed the plate or read it poorly: try plate-coloured regions, and a sharper
            # look for small plates in large frames.
            extra = [Candidate(q, origin="colour") for q in colour_regions(image)]
            if max(image.shape[:2]) > self._detect_side:
                extra += self._text_candidates(image, self._detect_side * 5 // 3)
            retry = self._best(image, extra)
            if retry is not None and (best is None or retry.score > best.score):
                best = retry
        if best is None:
            return None
        # Second pass: a slightly wider straightened crop of the chosen plate.
        second = self._engine.read([_line_images(image, best.candidate, margin=0.06)])[0]
        return self._reading(
            image, best, "scene", agree=second is not None and second.plate == best.decoded.plate
        )

    def _text_candidates(self, image: np.ndarray, side: int) -> list[Candidate]:
        scale = side / max(image.shape[:2])
        small = cv2.resize(
            image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        )
        quads = [q / scale for q in self._engine.detect(small)]
        quads = [q for q in quads if _is_line(q)]
        return [Candidate(q) for q in quads] + merge_split_lines(quads)

    # -- plate crops -------------------------------------------------------------------------------------

    def recognize_crop(self, crop_bgr: np.ndarray) -> PlateReading | None:
        crop = _as_bgr(crop_bgr)
        h, w = crop.shape[:2]
        # The detector straightens the crop: its widest line (or a split or two-row plate joined). A small
        # copy is enough to find a line that fills the crop, and keeps this path fast.
        scale = min(1.0, _CROP_DETECT_HEIGHT / h)
        small = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        lines = [(q - _PAD) / scale for q in self._engine.detect(_pad(small))]
        lines = [q for q in lines if _is_line(q, scale) and quad_size(q)[0] > 0.25 * w]
        joined = merge_split_lines(lines)
        straightened = max(
            joined or [Candidate(q) for q in lines], key=lambda c: quad_size(c.quad)[0], default=None
        )
        # The whole crop is the second pass (as one line, or the two rows of a truck plate).
        whole = Candidate(np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32), origin="crop")
        reads = self._read(crop, [whole] if straightened is None else [straightened, whole])
        if not reads:
            return None
        best = max(reads, key=lambda r: r.score)
        passes = 1 if straightened is None else 2
        agree = len(reads) == passes and all(r.decoded.plate == best.decoded.plate for r in reads)
        return self._reading(crop, best, "crop", agree=agree)

    # -- shared steps ------------------------------------------------------------------------------------

    def _read(self, image: np.ndarray, candidates: list[Candidate]) -> list[_Read]:
        candidates = candidates[:_MAX_CANDIDATES]
        lines = [_line_images(image, c, margin=0.0) for c in candidates]
        return [
            _Read(c, d, _score(d, c, image.shape))
            for c, d in zip(candidates, self._engine.read(lines), strict=True)
            if d is not None
        ]

    def _best(self, image: np.ndarray, candidates: list[Candidate]) -> _Read | None:
        reads = self._read(image, candidates)
        # A line of five serial characters alone is the lower row of a two-row plate whose small upper row
        # (province, letter) the detector missed: read the two rows together.
        lower_rows = [r.candidate for r in reads if r.candidate.rows is None and _serial_only(r.decoded.raw)]
        reads += self._read(image, [with_upper_row(c.quad) for c in lower_rows])
        return max(reads, key=lambda r: r.score, default=None)

    def _reading(
        self, image: np.ndarray, best: _Read, source: Literal["scene", "crop"], *, agree: bool
    ) -> PlateReading:
        """The reading of the chosen candidate; when a second pass disagreed a guard should look."""
        decoded = best.decoded
        confidence = decoded.confidence if agree else min(decoded.confidence, 0.5)
        colour_crop = warp_quad(image, expand_quad(best.candidate.quad, 0.0, 0.05), LINE_HEIGHT * 2)
        box = tuple((float(x), float(y)) for x, y in best.candidate.quad)
        return PlateReading(
            plate=decoded.plate,
            colour=classify_colour(colour_crop, decoded.plate),
            confidence=round(float(confidence), 4),
            box=box,  # type: ignore[arg-type]  # four points by construction
            needs_review=bool(not agree or confidence < self._review_threshold),
            source=source,
        )


def _as_bgr(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or min(image.shape[:2]) < 8:
        raise ValueError("expected a BGR image array of at least 8x8 pixels")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def _is_line(quad: Quad, scale: float = 1.0) -> bool:
    w, h = quad_size(quad)
    return h * scale >= _MIN_TEXT_HEIGHT and w >= 1.2 * h


def _line_images(image: np.ndarray, candidate: Candidate, margin: float) -> list[np.ndarray]:
    if candidate.rows is not None:
        return [warp_quad(image, expand_quad(q, margin, margin), LINE_HEIGHT) for q in candidate.rows]
    quad = expand_quad(candidate.quad, margin, margin * 2)
    w, h = quad_size(quad)
    if is_two_row(w, h) and candidate.origin in ("colour", "crop"):
        plate = warp_quad(image, quad, LINE_HEIGHT * 3)
        return [
            cv2.resize(row, None, fx=LINE_HEIGHT / row.shape[0], fy=LINE_HEIGHT / row.shape[0])
            for row in split_rows(plate)
        ]
    return [warp_quad(image, quad, LINE_HEIGHT)]


def _score(decoded: Decoded, candidate: Candidate, shape: tuple[int, ...]) -> float:
    """Confidence first; among confident reads prefer the larger plate (the vehicle in the lane)."""
    _, h = quad_size(candidate.quad)
    size = min(1.0, h / (0.05 * shape[0]))
    mean = float(np.mean(decoded.char_confidences))
    # A plate line holds the plate and nothing else: text around it (an overlay, a dealer's name, a
    # timestamp) means the candidate is not (only) a plate.
    extra = max(0, sum(not _is_separator(c) for c in decoded.raw) - len(decoded.plate))
    return decoded.confidence + 0.5 * mean + 0.1 * size - 0.1 * extra


def _serial_only(raw: str) -> bool:
    """Raw text of 4 to 6 letters/digits and no Chinese character: a plate's serial without its province."""
    return raw.isascii() and 4 <= sum(c.isalnum() for c in raw) <= 6


def _is_separator(char: str) -> bool:
    return not char.isalnum()


_PAD = 16


def _pad(crop: np.ndarray) -> np.ndarray:
    # The detector needs some background around a line to find its edges.
    return cv2.copyMakeBorder(crop, _PAD, _PAD, _PAD, _PAD, cv2.BORDER_REPLICATE)
