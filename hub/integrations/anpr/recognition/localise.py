"""Where the plate is: candidate quadrilaterals in a scene, and straight crops of them.

The text detector finds most plates but splits some at the separator dot, reads two-row truck plates as
two lines, and misses small or low-contrast plates. Colour regions (plate backgrounds are saturated blue,
yellow or green) add candidates it missed. Every candidate is straightened by a perspective warp before
recognition: an unstraightened crop biases the recogniser on the province character.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

Quad = np.ndarray  # (4, 2) float32: top-left, top-right, bottom-right, bottom-left

# Plate background hues (OpenCV 0..180) for colour-region candidates: yellow, green, blue.
_PLATE_HUES = ((10, 35), (35, 95), (95, 135))
_TWO_ROW_MAX_ASPECT = 2.6  # one-row plates are 3.1:1 (3.4:1 new-energy); two-row plates are 2:1


@dataclass(frozen=True, slots=True)
class Candidate:
    """A place that may hold a plate: one quad, or two quads for the rows of a two-row plate."""

    quad: Quad
    rows: tuple[Quad, Quad] | None = None
    origin: str = "text"  # "text", "merged", "two_row", "colour", "body", "crop", "plate" (detector)


def order_quad(points: np.ndarray) -> Quad:
    """Order four corners as top-left, top-right, bottom-right, bottom-left of the text they enclose.

    The reading direction is the longer pair of sides unless that pair is steeper than 60 degrees (a
    single tall character), so a plate line rotated beyond 45 degrees keeps its reading direction.
    """
    pts = np.asarray(points, dtype=np.float32).reshape(4, 2)
    centre = pts.mean(axis=0)
    pts = pts[np.argsort(np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0]))]  # cyclic order
    edges = np.roll(pts, -1, axis=0) - pts  # edge i runs from corner i to corner i + 1
    lengths = np.linalg.norm(edges, axis=1)
    steep = np.degrees(np.arctan2(np.abs(edges[:2, 1]), np.abs(edges[:2, 0]) + 1e-9))
    k = 0 if lengths[0] + lengths[2] >= lengths[1] + lengths[3] else 1
    if steep[k] > 60:
        k = 1 - k
    side_a, side_b = pts[[k, (k + 1) % 4]], pts[[(k + 2) % 4, (k + 3) % 4]]
    top, bottom = (side_a, side_b) if side_a[:, 1].mean() <= side_b[:, 1].mean() else (side_b, side_a)
    top, bottom = top[np.argsort(top[:, 0])], bottom[np.argsort(bottom[:, 0])]
    return np.array([top[0], top[1], bottom[1], bottom[0]], dtype=np.float32)


def quad_size(quad: Quad) -> tuple[float, float]:
    """Width along the top and bottom edges, and height across them (area / width): the slanted sides of
    a plate seen from the side are longer than the plate is tall."""
    width = (np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / 2
    x, y = quad[:, 0], quad[:, 1]
    area = 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
    return float(width), area / max(float(width), 1e-6)


def expand_quad(quad: Quad, dx: float, dy: float) -> Quad:
    """Grow a quad by fractions of its own width (each side) and height (top and bottom)."""
    centre = quad.mean(axis=0)
    along = ((quad[1] - quad[0]) + (quad[2] - quad[3])) / 2
    across = ((quad[3] - quad[0]) + (quad[2] - quad[1])) / 2
    signs = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=np.float32)
    half = quad - centre
    grown = half + signs[:, :1] * along * dx + signs[:, 1:] * across * dy
    return (centre + grown).astype(np.float32)


def warp_quad(image: np.ndarray, quad: Quad, height: int, stretch: float = 1.0) -> np.ndarray:
    """Perspective-straighten the quad into a crop of the given height (width from its aspect)."""
    w, h = quad_size(quad)
    out_w = max(8, round(height * stretch * w / max(h, 1.0)))
    target = np.array([[0, 0], [out_w, 0], [out_w, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    return cv2.warpPerspective(
        image, matrix, (out_w, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def _line_geometry(quad: Quad) -> tuple[float, float, float, float]:
    """Left x, right x, centre y and height of a roughly horizontal quad."""
    return (
        float(quad[[0, 3], 0].mean()),
        float(quad[[1, 2], 0].mean()),
        float(quad[:, 1].mean()),
        quad_size(quad)[1],
    )


def merge_split_lines(quads: list[Quad]) -> list[Candidate]:
    """Join neighbours on one line of similar height (a plate split at its separator dot) and stack a short
    line over a longer one of the same width class (a two-row plate)."""
    merged: list[Candidate] = []
    geo = [_line_geometry(q) for q in quads]
    for i, (left_a, right_a, cy_a, h_a) in enumerate(geo):
        for j, (left_b, right_b, cy_b, h_b) in enumerate(geo):
            if i == j:
                continue
            a, b = quads[i], quads[j]
            same_line = abs(cy_a - cy_b) < 0.4 * max(h_a, h_b) and 0.6 < h_a / h_b < 1.6
            gap = left_b - right_a
            if same_line and -0.3 * h_a < gap < 1.5 * h_a:
                merged.append(
                    Candidate(np.array([a[0], b[1], b[2], a[3]], dtype=np.float32), origin="merged")
                )
            # Two-row plate: the upper row (province, letter) is shorter and sits centred over the lower one.
            width_a, width_b = right_a - left_a, right_b - left_b
            stacked = 0 < cy_b - cy_a < 2.2 * h_b and 0.3 * h_b < h_a < 1.0 * h_b
            centred = abs((left_a + right_a) / 2 - (left_b + right_b) / 2) < 0.35 * width_b
            if stacked and centred and width_a < width_b:
                box = order_quad(cv2.boxPoints(cv2.minAreaRect(np.vstack([a, b]))))
                merged.append(Candidate(box, rows=(a, b), origin="two_row"))
    return merged


def with_upper_row(lower: Quad) -> Candidate:
    """Two-row candidate from its lower row. GA 36 puts the upper row (about 0.6 as tall, province and
    letter) centred just above the lower one; the detector's box of the lower row tends to be tight."""
    lower = expand_quad(lower, 0.05, 0.0)
    along = lower[1] - lower[0]
    across = lower[3] - lower[0]
    top_left = lower[0] + 0.15 * along - 0.7 * across
    upper = np.array(
        [top_left, top_left + 0.7 * along, top_left + 0.7 * along + 0.8 * across, top_left + 0.8 * across],
        dtype=np.float32,
    )
    box = np.array([lower[0] - 0.7 * across, lower[1] - 0.7 * across, lower[2], lower[3]], dtype=np.float32)
    return Candidate(box, rows=(upper, lower), origin="two_row")


def colour_regions(image: np.ndarray, max_regions: int = 6, work_side: int = 640) -> list[Quad]:
    """Quads of saturated plate-coloured blobs with a plate's shape, largest first (scene coordinates)."""
    scale = min(1.0, work_side / max(image.shape[:2]))
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    saturated = cv2.inRange(hsv, (0, 80, 60), (180, 255, 255))
    found: list[tuple[float, Quad]] = []
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 3))
    for lo, hi in _PLATE_HUES:
        mask = cv2.bitwise_and(cv2.inRange(hsv[..., 0], lo, hi - 1), saturated)
        # Closing bridges the characters that cut through the plate background.
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            area = cv2.contourArea(contour)
            if area < 120:
                continue
            rect = cv2.minAreaRect(contour)
            w, h = rect[1]
            if w < h:
                w, h = h, w
            if h < 6 or not 1.6 < w / h < 6.5 or area < 0.45 * w * h:
                continue
            quad = order_quad(cv2.boxPoints(rect)) / scale
            found.append((area, quad.astype(np.float32)))
    found.sort(key=lambda item: -item[0])
    return [q for _, q in found[:max_regions]]


def edge_regions(image: np.ndarray, max_regions: int = 4, work_side: int = 640) -> list[Quad]:
    """Quads of dense vertical-edge blobs with a plate's shape, largest first (scene coordinates).

    Plate characters make many strong vertical edges side by side whatever the plate's colour, so this
    finds white, black and colour-cast plates that neither the detector nor the colour masks saw.
    """
    scale = min(1.0, work_side / max(image.shape[:2]))
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    edges = cv2.convertScaleAbs(cv2.Sobel(cv2.GaussianBlur(gray, (3, 3), 0), cv2.CV_16S, 1, 0, ksize=3))
    _, mask = cv2.threshold(edges, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Join the strokes of a line of characters into one blob, then cut thin bridges to other clutter.
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 3)))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found: list[tuple[float, Quad]] = []
    for contour in contours:
        area = cv2.contourArea(contour)
        if area < 150:
            continue
        rect = cv2.minAreaRect(contour)
        w, h = sorted(rect[1], reverse=True)
        if h < 8 or not 2.0 < w / h < 6.5 or area < 0.5 * w * h:
            continue
        found.append((area, (order_quad(cv2.boxPoints(rect)) / scale).astype(np.float32)))
    found.sort(key=lambda item: -item[0])
    return [q for _, q in found[:max_regions]]


def is_two_row(width: float, height: float) -> bool:
    return width / max(height, 1.0) < _TWO_ROW_MAX_ASPECT


def split_rows(crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Upper and lower rows of a two-row plate crop (GA 36: the upper row is about a third of the height)."""
    h, w = crop.shape[:2]
    cut = round(h * 0.36)
    upper = crop[: cut + h // 20, w // 6 : w - w // 6]  # the province and letter sit centred in the upper row
    lower = crop[cut - h // 20 :]
    return upper, lower
