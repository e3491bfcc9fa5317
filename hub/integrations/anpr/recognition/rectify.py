"""Straightening a plate candidate beyond its text box: the slant of its characters, the plate's own corners.

The text detector returns rotated rectangles. A plate seen from the side is a parallelogram, so a
rectangle straightens its baseline but leaves the characters slanted, which the recogniser misreads
(W as 8, 3 as 5). `deshear` finds the slant from the characters themselves; `plate_body` finds the corner
quadrilateral of the plate's coloured background, which also cuts away what lies next to the plate
(a timestamp overlay, the bumper) and gives the true shape of a two-row plate.
"""

from __future__ import annotations

import cv2
import numpy as np

from .localise import Quad, quad_size, warp_quad

_SLANTS = np.round(np.arange(-1.2, 1.21, 0.1), 2)  # tan of the character slant: up to about 50 degrees
_SLANT_GAIN = 1.04  # a slant must sharpen the character columns by 4% to be believed
_HUE_BANDS = ((8, 38), (38, 90), (90, 140))  # yellow, green, blue plate backgrounds (OpenCV hue)


def deshear(image: np.ndarray, quad: Quad, height: int = 32) -> Quad:
    """The quad as a parallelogram whose sides follow the characters' vertical strokes.

    Shearing the line so that the strokes stand upright makes the column profile of the horizontal
    gradient sharpest (strokes line up, gaps between characters open); the best shear is carried back
    into the quad so that one perspective warp from the original image straightens both.
    """
    w, h = quad_size(quad)
    if w < 2 * h or h < 6:
        return quad
    line = warp_quad(image, quad, height)
    gray = cv2.cvtColor(line, cv2.COLOR_BGR2GRAY) if line.ndim == 3 else line
    grad = np.abs(cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3))
    lh, lw = grad.shape
    pad = int(np.ceil(_SLANTS.max() * lh / 2)) + 1
    scores = []
    for k in _SLANTS:
        matrix = np.array([[1, k, pad - k * lh / 2], [0, 1, 0]], dtype=np.float32)
        columns = cv2.warpAffine(grad, matrix, (lw + 2 * pad, lh)).sum(axis=0)
        scores.append(float((columns**2).sum() / max(float(columns.sum()) ** 2, 1e-9)))
    best = int(np.argmax(scores))
    k = float(_SLANTS[best])
    if k == 0.0 or scores[best] < _SLANT_GAIN * scores[int(np.flatnonzero(_SLANTS == 0)[0])]:
        return quad
    # In line coordinates the strokes lean by -k (x moves -k per pixel down), so the quad that follows them
    # has its top moved by +k h/2 and its bottom by -k h/2; widen it so no slanted character is cut.
    spread = abs(k) * lh / 2
    lean = k * lh / 2
    points = np.array(
        [[lean - spread, 0], [lw + lean + spread, 0], [lw - lean + spread, lh], [-lean - spread, lh]],
        dtype=np.float32,
    )
    target = np.array([[0, 0], [lw, 0], [lw, lh], [0, lh]], dtype=np.float32)
    back = cv2.getPerspectiveTransform(target, quad.astype(np.float32))
    return cv2.perspectiveTransform(points[None], back)[0].astype(np.float32)


def plate_body(image: np.ndarray, quad: Quad) -> Quad | None:
    """Corners of the coloured plate background around a text quad, or None when there is no clear one
    (white and black plates, grey night frames, a plate on a car of its own colour)."""
    w, h = quad_size(quad)
    if h < 6 or w < 2 * h:
        return None
    # Look around the text box with room for the border and the upper row of a two-row plate, at a
    # scale where the text is about 24 pixels tall, turned so that the text runs along x.
    along = (quad[1] - quad[0] + quad[2] - quad[3]) / 2
    centre = quad.mean(axis=0)
    scale = min(1.0, 24.0 / h)
    out_w, out_h = round(2.0 * w * scale), round(3.4 * h * scale)
    unit = along / max(float(np.linalg.norm(along)), 1e-6)
    normal = np.array([-unit[1], unit[0]])
    # Affine map from the output frame (x along the text, y across it) into the image.
    origin = centre - unit * (out_w / 2) / scale - normal * (1.9 * h)
    to_image = np.column_stack([unit / scale, normal / scale, origin]).astype(np.float32)
    to_roi = cv2.invertAffineTransform(to_image)
    roi = cv2.warpAffine(
        image,
        to_roi,
        (out_w, out_h),
        flags=cv2.INTER_LINEAR,  # warpAffine has no area averaging; the mask needs none
        borderMode=cv2.BORDER_CONSTANT,
    )
    local = cv2.transform(quad[None].astype(np.float32), to_roi)[0]
    hsv = cv2.cvtColor(roi, cv2.COLOR_BGR2HSV)
    inside = np.zeros(hsv.shape[:2], dtype=np.uint8)
    cv2.fillConvexPoly(inside, np.round(local).astype(np.int32), 1)
    inside_px = hsv[inside.astype(bool)]
    colourful = inside_px[(inside_px[:, 1] >= 70) & (inside_px[:, 2] >= 45)]
    if len(colourful) < 0.25 * max(1, len(inside_px)):
        return None
    hue, saturation, value = (float(np.median(colourful[:, i])) for i in range(3))
    if not any(lo <= hue < hi for lo, hi in _HUE_BANDS):
        return None
    distance = np.abs(hsv[..., 0].astype(np.int16) - round(hue))
    distance = np.minimum(distance, 180 - distance)
    # Thresholds relative to the plate's own paint: a faded bumper of a similar hue stays out.
    mask = (
        (distance <= 12) & (hsv[..., 1] >= max(50.0, 0.55 * saturation)) & (hsv[..., 2] >= 0.4 * value)
    ).astype(np.uint8)
    # Closing along the text fills the characters that cut through the background.
    text_h = max(4, round(h * scale))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (round(0.7 * text_h) | 1, 3))
    # Zero padding: OpenCV's erosion keeps whatever the dilation pushed against the image border.
    pad = kernel.shape[1]
    mask = cv2.morphologyEx(
        cv2.copyMakeBorder(mask, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0), cv2.MORPH_CLOSE, kernel
    )
    mask = np.ascontiguousarray(mask[pad:-pad, pad:-pad])
    count, labels = cv2.connectedComponents(mask, connectivity=4)
    overlap = np.bincount(labels[inside.astype(bool)], minlength=count)
    overlap[0] = 0
    label = int(overlap.argmax())
    if overlap[label] < 0.5 * inside.sum():
        return None
    body = _edge_quad(labels == label)
    if body is None:
        return None
    bw, bh = quad_size(body)
    # A plate: plate-shaped, not much larger than the text it carries, and holding that text.
    if not 1.4 <= bw / max(bh, 1.0) <= 6.5 or bw * bh > 4.5 * max(cv2.contourArea(local), 1.0):
        return None
    if cv2.pointPolygonTest(body.reshape(-1, 1, 2), tuple(map(float, local.mean(axis=0))), False) < 0:
        return None
    return cv2.transform(body[None], to_image)[0].astype(np.float32)


def _edge_quad(region: np.ndarray) -> Quad | None:
    """Corner quad of a plate-shaped region whose text runs along x: robust lines through its top, bottom,
    left and right edges, intersected. Unlike a hull this ignores what sticks out of the plate (a bracket,
    an overlay) and keeps the parallelogram of a slanted plate."""
    # Fill holes (characters the closing missed) so that edges are the outline's.
    contours, _ = cv2.findContours(region.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros(region.shape, dtype=np.uint8)
    cv2.drawContours(filled, contours, -1, 1, cv2.FILLED)
    solid = filled.astype(bool)
    h, w = map(int, solid.shape[:2])
    cols = np.flatnonzero(solid.any(axis=0))
    rows = np.flatnonzero(solid.any(axis=1))
    if len(cols) < 12 or len(rows) < 6:
        return None
    # Edge samples away from the rounded corners.
    inner_cols = cols[(cols > np.percentile(cols, 12)) & (cols < np.percentile(cols, 88))]
    inner_rows = rows[(rows > np.percentile(rows, 15)) & (rows < np.percentile(rows, 85))]
    if len(inner_cols) < 6 or len(inner_rows) < 3:
        return None
    top = np.argmax(solid[:, inner_cols], axis=0)
    bottom = h - 1 - np.argmax(solid[::-1, inner_cols], axis=0)
    left = np.argmax(solid[inner_rows], axis=1)
    right = w - 1 - np.argmax(solid[inner_rows, ::-1], axis=1)
    (at, bt), (ab, bb) = _robust_line(inner_cols, top), _robust_line(inner_cols, bottom + 1)  # y = a x + b
    (al, bl), (ar, br) = _robust_line(inner_rows, left), _robust_line(inner_rows, right + 1)  # x = a y + b
    corners = []
    for ay, by in ((at, bt), (ab, bb)):
        for ax, bx in ((al, bl), (ar, br)):
            denominator = 1 - ax * ay
            if abs(denominator) < 1e-6:
                return None
            y = (ay * bx + by) / denominator
            corners.append((ax * y + bx, y))
    tl, tr, bl_, br_ = corners
    return np.array([tl, tr, br_, bl_], dtype=np.float32)


def _robust_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares line y = a x + b refitted on the points within 2 pixels of the first fit, which drops
    the samples that belong to something touching the plate rather than to its edge."""
    x, y = x.astype(np.float64), y.astype(np.float64)
    a, b = np.polyfit(x, y, 1)
    for _ in range(2):
        residual = np.abs(y - (a * x + b))
        keep = residual <= max(2.0, float(np.median(residual)) * 2)
        if keep.sum() < 3:
            break
        a, b = np.polyfit(x[keep], y[keep], 1)
    return float(a), float(b)


__all__ = ["deshear", "plate_body"]
