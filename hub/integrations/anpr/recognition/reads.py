"""Weighing plate reads against each other: scores, the choice of the lane's plate, and the vote of views.

Every candidate the pipeline reads becomes a `Read`. These rules say which read is the plate (confidence
first, then the largest plate, since the lane's vehicle is the nearest) and how several views of one plate
are combined into one read whose confidence says how far they agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .decode import Decoded
from .localise import Candidate, Quad, is_two_row, quad_size

CONFIDENT = 0.95  # a grammar-valid read this sure needs no second opinion
SURE = 0.9  # reads at least this sure compete on plate size rather than on confidence
_LARGER = 1.2  # a plate this much taller than another belongs to a nearer vehicle


@dataclass(frozen=True, slots=True)
class Read:
    candidate: Candidate
    decoded: Decoded
    score: float


def make_read(candidate: Candidate, decoded: Decoded, shape: tuple[int, ...]) -> Read:
    """Score a read: confidence first, then the mean character confidence, a little for size, and a
    penalty for text around the plate (an overlay, a dealer's name, a timestamp) in the same line."""
    size = min(1.0, height(candidate) / (0.05 * shape[0]))
    mean = float(np.mean(decoded.char_confidences))
    extra = max(0, sum(c.isalnum() for c in decoded.raw) - len(decoded.plate))
    return Read(candidate, decoded, decoded.confidence + 0.5 * mean + 0.1 * size - 0.1 * extra)


def best_read(reads: list[Read]) -> Read | None:
    """The plate of the lane: the best score, unless another sure read is of a clearly larger plate."""
    best = max(reads, key=lambda r: r.score, default=None)
    if best is None or best.decoded.confidence < SURE:
        return best
    larger = [
        r
        for r in reads
        if r.decoded.confidence >= SURE and height(r.candidate) > _LARGER * height(best.candidate)
    ]
    return max(larger, key=lambda r: r.score) if larger else best


def confident(read: Read | None) -> bool:
    return read is not None and read.decoded.confidence >= CONFIDENT


def vote(votes: list[Decoded]) -> Decoded | None:
    """The plate with the most support, each read supporting its own plate by its confidence.

    Whole plates are voted on, not characters, so that reads whose characters are shifted by a dropped
    or an extra character do not mix into a plate nobody read. A character's confidence becomes the share
    of all reads that have it in its place, weighted by their confidence in it: disagreement lowers it.
    """
    support: dict[str, float] = {}
    for d in votes:
        support[d.plate] = support.get(d.plate, 0.0) + d.confidence
    if not support:
        return None
    plate = max(support, key=lambda p: support[p])
    confidences = [
        sum(float(d.char_confidences[i]) for d in votes if len(d.plate) == len(plate) and d.plate[i] == char)
        / len(votes)
        for i, char in enumerate(plate)
    ]
    return Decoded(plate, tuple(confidences), next(d.raw for d in votes if d.plate == plate))


def fit_length(candidate: Candidate, decoded: Decoded | None) -> Decoded | None:
    """Two-row plates have 7 characters (no new-energy plate has two rows): take the best 7-character
    read of one that spelt 8, which is usually its lower row run on into whatever follows the plate."""
    if decoded is None or len(decoded.plate) != 8 or not two_rows(candidate):
        return decoded
    alternative = decoded.alternative
    return alternative if alternative is not None and len(alternative.plate) == 7 else None


def two_rows(candidate: Candidate) -> bool:
    """Whether a candidate is read as the two rows of a truck plate."""
    if candidate.rows is not None:
        return True
    w, h = quad_size(candidate.quad)
    return is_two_row(w, h) and candidate.origin in ("colour", "crop", "body", "plate")


def height(candidate: Candidate) -> float:
    return quad_size(candidate.quad)[1]


def overlap(a: Quad, b: Quad) -> float:
    """Intersection over the smaller of two quads' bounding boxes."""
    (ax0, ay0), (ax1, ay1) = a.min(axis=0), a.max(axis=0)
    (bx0, by0), (bx1, by1) = b.min(axis=0), b.max(axis=0)
    iw = max(0.0, min(ax1, bx1) - max(ax0, bx0))
    ih = max(0.0, min(ay1, by1) - max(ay0, by0))
    smaller = min((ax1 - ax0) * (ay1 - ay0), (bx1 - bx0) * (by1 - by0))
    return float(iw * ih / smaller) if smaller > 0 else 0.0


def serial_only(raw: str) -> bool:
    """Raw text of 4 to 6 letters/digits and no Chinese character: a plate's serial without its province."""
    return raw.isascii() and 4 <= sum(c.isalnum() for c in raw) <= 6
