"""Banknote photo -> the note alone, upright, and the banknote preprocessing contract.

Steps of :func:`read_note`:

1. :func:`find_note`: the background is modelled from the picture's border strip (a colour
   plane in Lab, so an even lighting gradient is part of it); pixels far from it after a blur
   that flattens table and cloth textures are foreground. After morphological clean-up the
   largest outline is the note, unless a second one of note-like shape and size is there too.
   An opening wider than a thumb removes fingers over an edge; sides fitted to the outline
   give rough corners, then each side moves onto the outermost strong colour edge near it
   (sub-pixel, robust line fits), and the corners are the sides' intersections.
2. :func:`rectify`: perspective warp to a landscape rectangle of the note's aspect ratio.
3. orientation (0 or 180 degrees) and side: :func:`orientation_cue` finds the corner holding
   the large numeral (a black-hat then an opening keep strokes of numeral width and drop thin
   lines); the generator's rule is top-right on the front, top-left on the back. Any other
   decision (the embedder's classifier, later) can replace it in :func:`read_note`; when it
   is unsure both rotations are returned.
4. :func:`preprocess_banknote` (in :mod:`desktop.core.banknote.preprocess`, re-exported
   here): the contract shared by training and the app.

Only numpy and OpenCV: no Qt, no torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np

from desktop.core.banknote.preprocess import (  # noqa: F401  (re-exported)
    PREPROCESSING_NAME,
    PREPROCESSING_VERSION,
    BanknotePreprocessing,
    preprocess_banknote,
)
from desktop.core.errors import N_, InputImageError, Message
from desktop.core.imaging.decode import MAX_NOTE_SIDE, load_page

MIN_IMAGE_SIDE = 64
WORK_SIDE = 800  # detection runs on a copy whose longer side is at most this many pixels
NOTE_ASPECT = (1.4, 3.2)  # width/height of anything accepted as a banknote
MIN_NOTE_FRAC = 0.03  # the note covers at least this share of the picture
UNSURE_BELOW = 0.25  # orientation confidence under which both rotations are returned
CROPPED_DETAIL = 0.3  # edges outside the found note above which a note-shaped picture is
# taken as a cropped scan (measured: 0.49-0.98 on flat euro pictures, under 0.04 on captures)


@dataclass(frozen=True)
class NoteQuad:
    """A note's corners in a picture: float32 (4, 2), clockwise, TL->TR a long side."""

    corners: np.ndarray

    @property
    def aspect(self) -> float:
        """Long side over short side (mean of opposite sides)."""
        c = self.corners
        s = [float(np.linalg.norm(c[(i + 1) % 4] - c[i])) for i in range(4)]
        return (s[0] + s[2]) / max(s[1] + s[3], 1e-6)

    def rotated180(self) -> NoteQuad:
        """The same quadrilateral named from the opposite corner (the note turned round)."""
        return NoteQuad(np.roll(self.corners, 2, axis=0))


@dataclass(frozen=True)
class NoteOrientation:
    """How to turn a rectified note upright and which side it shows."""

    rotation: int  # 0 or 180: turn the rectified image by this many degrees
    side: str  # "front" or "back"
    confidence: float  # 0 (a guess) .. 1 (one corner alone holds the cue)

    @property
    def unsure(self) -> bool:
        """True when the cue is too weak to trust; callers then try both rotations."""
        return self.confidence < UNSURE_BELOW


OrientationDecider = Callable[[np.ndarray], NoteOrientation]


@dataclass(frozen=True)
class NoteReading:
    """A note found in a picture: its corners (note's own TL, TR, BR, BL), upright image."""

    quad: NoteQuad
    upright: np.ndarray  # BGR uint8, landscape, after the orientation's rotation
    orientation: NoteOrientation
    cfg: BanknotePreprocessing = field(default_factory=BanknotePreprocessing, repr=False)
    path: str | Path | None = field(default=None, repr=False, compare=False)

    @cached_property
    def candidates(self) -> list[np.ndarray]:
        """Contract tensors: upright first, then turned when the orientation is unsure.
        Made when first read (the model's check preprocesses both turns itself)."""
        cands = [preprocess_banknote(self.upright, self.cfg, self.path)]
        if self.orientation.unsure:
            cands.append(preprocess_banknote(cv2.rotate(self.upright, cv2.ROTATE_180),
                                             self.cfg, self.path))
        return cands


def load_bgr(path: str | Path, data: bytes | None = None) -> np.ndarray:
    """Decode an image file (or its ``data``) to BGR uint8 with the app's safety checks
    (:func:`desktop.core.imaging.decode.load_page`: size, format, truncation; errors name the
    file). Multi-page files give their first page; a photo whose longer side is over
    :data:`~desktop.core.imaging.limits.MAX_NOTE_SIDE` pixels is reduced to it while decoded."""
    return load_page(path, 0, data, colour=True, max_side=MAX_NOTE_SIDE)


def as_bgr(image: np.ndarray) -> np.ndarray:
    """A uint8 picture (grey, BGR or BGRA) as BGR; ``TypeError`` for anything else."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise TypeError("expected a uint8 numpy image")
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 4):
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR if image.ndim == 2 else cv2.COLOR_BGRA2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    raise TypeError(f"expected a grey, BGR or BGRA image, not shape {image.shape}")


def check_picture(bgr: np.ndarray, path: str | Path | None) -> None:
    """Refuse (:class:`InputImageError` naming ``path``) a picture too small to hold a note,
    or one flat tone (black or blank)."""
    h, w = bgr.shape[:2]
    if min(h, w) < MIN_IMAGE_SIDE:
        raise InputImageError(path, Message(N_(
            "the picture is too small ({size} pixels; at least {least} pixels on each side are "
            "needed to find a banknote)"), size=f"{w}x{h}", least=MIN_IMAGE_SIDE))
    small = cv2.resize(bgr, (64, 64), interpolation=cv2.INTER_AREA).astype(np.float32)
    if float(small.std(axis=(0, 1)).max()) < 3.0:
        raise InputImageError(path, Message(
            N_("the picture is black: there is no banknote in it") if small.mean() < 25 else
            N_("the picture is blank (one flat tone): there is no banknote in it")))


def _foreground(lab: np.ndarray) -> np.ndarray:
    """Pixels unlike the background, modelled as a colour plane fitted to the border strip."""
    h, w = lab.shape[:2]
    b = max(3, round(0.03 * min(h, w)))
    border = np.zeros((h, w), bool)
    border[:b], border[-b:], border[:, :b], border[:, -b:] = True, True, True, True
    # The plane's design matrix (1, x / w - 0.5, y / h - 0.5), filled column by column.
    design = np.empty((h, w, 3), np.float32)
    design[..., 0] = 1.0
    design[..., 1] = np.arange(w, dtype=np.float32) / w - 0.5
    design[..., 2] = (np.arange(h, dtype=np.float32) / h - 0.5)[:, None]
    coef, *_ = np.linalg.lstsq(design[border], lab[border], rcond=None)
    resid = lab - design @ coef
    # Robust spread of the background per channel, with a floor (a flat plain background).
    mad = np.median(np.abs(resid[border]), axis=0) * 1.4826
    dist = np.sqrt(((resid / np.maximum(mad, [2.5, 1.5, 1.5])) ** 2).sum(axis=-1))
    d8 = np.clip(dist * 8, 0, 255).astype(np.uint8)
    t, _ = cv2.threshold(d8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return dist > max(t / 8.0, 4.0)


def _outlines(mask: np.ndarray) -> list[np.ndarray]:
    """External contours of ``mask`` (holes such as a light watermark window are ignored)."""
    found = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    return list(found[0])


def _shape(contour: np.ndarray) -> tuple[float, float, float]:
    """(area, minAreaRect aspect >= 1, solidity) of a contour."""
    area = float(cv2.contourArea(contour))
    (_, _), (rw, rh), _ = cv2.minAreaRect(contour)
    hull = float(cv2.contourArea(cv2.convexHull(contour)))
    return area, max(rw, rh) / max(min(rw, rh), 1e-6), area / max(hull, 1e-6)


def _rough_quad(contour: np.ndarray) -> np.ndarray:
    """Four corners from an outline: sides fitted to the outline's points near each side of
    the minimum-area rectangle (perspective tilts sides a little; rounded corners are left
    out), falling back on the rectangle itself."""
    box = order_corners(cv2.boxPoints(cv2.minAreaRect(contour)))
    pts = contour.reshape(-1, 2).astype(np.float32)
    lines = []
    for i in range(4):
        p0, p1 = box[i], box[(i + 1) % 4]
        seg = p1 - p0
        length = float(np.linalg.norm(seg))
        d = seg / max(length, 1e-6)
        n = np.array([-d[1], d[0]], np.float32)
        t = (pts - p0) @ d / max(length, 1e-6)
        off = np.abs((pts - p0) @ n)
        near = pts[(t > 0.2) & (t < 0.8) & (off < 0.15 * length + 3)]
        if len(near) < 8:
            return box
        lines.append(cv2.fitLine(near, cv2.DIST_HUBER, 0, 0.01, 0.01).reshape(4))
    try:
        return np.stack([_line_intersect(lines[i - 1], lines[i]) for i in range(4)])
    except np.linalg.LinAlgError:
        return box


def _line_intersect(l1: np.ndarray, l2: np.ndarray) -> np.ndarray:
    (vx1, vy1, x1, y1), (vx2, vy2, x2, y2) = l1, l2
    a = np.array([[vx1, -vx2], [vy1, -vy2]])
    t = np.linalg.solve(a, np.array([x2 - x1, y2 - y1]))
    return np.array([x1 + t[0] * vx1, y1 + t[0] * vy1], np.float32)


def _refine(quad: np.ndarray, grad: np.ndarray, reach: float) -> np.ndarray:
    """Move each side onto the strongest edge within ``reach`` px; robust line fits."""
    lines = []
    ts = np.linspace(0.06, 0.94, 80, dtype=np.float32)
    offs = np.arange(-reach, reach + 0.01, 0.25, dtype=np.float32)
    for i in range(4):
        p0, p1 = quad[i], quad[(i + 1) % 4]
        d = (p1 - p0) / max(float(np.linalg.norm(p1 - p0)), 1e-6)
        n = np.array([-d[1], d[0]], np.float32)
        base = p0 + ts[:, None] * (p1 - p0)
        pts = base[:, None, :] + offs[None, :, None] * n  # (samples, offsets, 2)
        prof = cv2.remap(grad, pts[..., 0], pts[..., 1], cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        # The outermost strong peak, not the strongest: the printed frame a few pixels
        # inside the edge can contrast more than the edge itself.
        peak = prof.max(axis=1, keepdims=True)
        local = np.zeros_like(prof, dtype=bool)
        local[:, 1:-1] = (prof[:, 1:-1] >= prof[:, :-2]) & (prof[:, 1:-1] >= prof[:, 2:])
        k = (local & (prof >= 0.5 * peak)).argmax(axis=1)
        strong = peak[:, 0] > 0.3 * np.median(peak)
        edge = base + offs[k][:, None] * n
        edge = edge[strong]
        if len(edge) < 8:
            lines.append(np.array([d[0], d[1], p0[0], p0[1]], np.float64))
            continue
        for _ in range(3):  # fit, drop points far from the line (thumb, fold), refit
            line = cv2.fitLine(edge, cv2.DIST_HUBER, 0, 0.01, 0.01).reshape(4)
            r = np.abs((edge[:, 0] - line[2]) * line[1] - (edge[:, 1] - line[3]) * line[0])
            keep = r < max(1.0, 2.5 * float(np.median(r)))
            if keep.all() or keep.sum() < 8:
                break
            edge = edge[keep]
        lines.append(line.astype(np.float64))
    try:
        return np.stack([_line_intersect(lines[i - 1], lines[i]) for i in range(4)])
    except np.linalg.LinAlgError:
        return quad


def order_corners(c: np.ndarray) -> np.ndarray:
    """Clockwise (in image coordinates), a long side first, its middle as high as possible."""
    c = np.asarray(c, np.float32)
    x, y = c[:, 0], c[:, 1]
    if 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) < 0:
        c = c[::-1].copy()
    s = [np.linalg.norm(c[(i + 1) % 4] - c[i]) for i in range(4)]
    if s[0] + s[2] < s[1] + s[3]:
        c = np.roll(c, -1, axis=0)
    if (c[0, 1] + c[1, 1]) > (c[2, 1] + c[3, 1]):
        c = np.roll(c, 2, axis=0)
    return c


def _open_blob(blob: np.ndarray, contour: np.ndarray, r: int) -> np.ndarray:
    """Morphological opening of ``blob`` (the filled ``contour``) by an r x r ellipse, worked
    out only around the contour's box: outside a margin of more than r / 2 every pixel is 0
    before and after, and inside it the erosion and the dilation see the same pixels as on
    the whole picture. The same result as opening the whole picture, a few times faster."""
    h, w = blob.shape
    x, y, bw, bh = cv2.boundingRect(contour)
    m = r // 2 + 2
    x0, y0, x1, y1 = max(0, x - m), max(0, y - m), min(w, x + bw + m), min(h, y + bh + m)
    out = np.zeros_like(blob)
    out[y0:y1, x0:x1] = cv2.morphologyEx(
        blob[y0:y1, x0:x1], cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (r, r)))
    return out


def find_note(image: np.ndarray, path: str | Path | None = None) -> NoteQuad:
    """Find the one banknote in a photo; its corners in the photo's pixel coordinates.

    Raises :class:`InputImageError` (``path`` names the file) when the picture is too small,
    black or blank, holds no note, or holds two notes. The corners start at a long side; which
    end is the note's top is for the orientation step to say.
    """
    bgr = as_bgr(image)
    check_picture(bgr, path)
    h, w = bgr.shape[:2]
    s = min(1.0, WORK_SIDE / max(h, w))
    small = bgr if s == 1.0 else cv2.resize(bgr, (round(w * s), round(h * s)),
                                            interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    lab = cv2.cvtColor(small, cv2.COLOR_BGR2LAB).astype(np.float32)
    fg = _foreground(cv2.GaussianBlur(lab, (0, 0), 2.5))
    k = max(3, round(0.012 * min(sh, sw))) | 1
    ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    fg = cv2.morphologyEx(fg.astype(np.uint8), cv2.MORPH_CLOSE, ker)
    fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, ker)
    contours = _outlines(fg)
    shapes = [(c, *_shape(c)) for c in contours]
    shapes = [x for x in shapes if x[1] >= MIN_NOTE_FRAC * sh * sw]
    if not shapes:
        raise InputImageError(path, Message(N_(
            "no banknote found in the picture: nothing large stands out from the background "
            "(lay the note flat on a plain surface of another colour)")))
    shapes.sort(key=lambda x: -x[1])
    notelike = [x for x in shapes if x[1] >= 0.35 * shapes[0][1]
                and NOTE_ASPECT[0] <= x[2] <= NOTE_ASPECT[1] and x[3] > 0.8]
    if len(notelike) >= 2:
        raise InputImageError(path, Message(N_("{n} banknotes are in the picture: photograph "
                                               "one note at a time"), n=len(notelike)))
    contour, area, aspect, solidity = shapes[0]
    if area > 0.92 * sh * sw or not (NOTE_ASPECT[0] <= aspect <= NOTE_ASPECT[1]):
        raise InputImageError(path, Message(N_(
            "no banknote found in the picture: the largest object is not shaped like a "
            "banknote (width/height {aspect}, covering {share})"), aspect=f"{aspect:.1f}",
            share=f"{area / (sh * sw):.0%}"))
    # A thumb over an edge bulges the outline: an opening wider than a thumb (but narrower
    # than the note) removes it before the rough corners are taken.
    blob = np.zeros((sh, sw), np.uint8)
    cv2.drawContours(blob, [contour], -1, 1, -1)
    r = max(3, int(0.35 * min(cv2.minAreaRect(contour)[1]))) | 1
    inner = _outlines(_open_blob(blob, contour, r))
    if inner:
        contour = max(inner, key=cv2.contourArea)
    quad = order_corners(_rough_quad(contour))
    grad = sum(np.abs(cv2.Sobel(ch, cv2.CV_32F, dx, 1 - dx, ksize=3))
               for ch in cv2.split(cv2.GaussianBlur(lab, (0, 0), 1.0)) for dx in (0, 1))
    quad = _refine(quad, grad.astype(np.float32), reach=max(4.0, 0.012 * min(sh, sw)))
    corners = (quad + 0.5) / s - 0.5  # work pixel centres -> original pixel centres
    return NoteQuad(order_corners(corners))


def rectify(image: np.ndarray, quad: NoteQuad, aspect: float | None = None,
            height: int = 192) -> np.ndarray:
    """Warp the note in ``quad`` to a landscape BGR image ``height`` pixels high.

    ``aspect`` (width/height) is the currency's when known, else estimated from the quad.
    Corner 0 of the quad lands at the top-left of the result.
    """
    aspect = float(aspect or quad.aspect)
    w = max(1, round(height * aspect))
    dst = np.float32([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, height - 0.5], [-0.5, height - 0.5]])
    m = cv2.getPerspectiveTransform(quad.corners.astype(np.float32), dst)
    return cv2.warpPerspective(as_bgr(image), m, (w, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)


_CORNERS = {0: (0, "back"), 1: (0, "front"), 2: (180, "front"), 3: (180, "back")}


def numeral_corner_scores(rectified: np.ndarray) -> np.ndarray:
    """Thick dark strokes in the corners TL, TR, BL, BR (relative weights summing to 1)."""
    gray = cv2.cvtColor(as_bgr(rectified), cv2.COLOR_BGR2GRAY)
    h = 120
    w = max(1, round(gray.shape[1] * h / gray.shape[0]))
    g = cv2.resize(gray, (w, h), interpolation=cv2.INTER_AREA)
    dark = cv2.morphologyEx(g, cv2.MORPH_BLACKHAT,
                            cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (17, 17)))
    thick = cv2.morphologyEx(dark, cv2.MORPH_OPEN,
                             cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (4, 4))).astype(float)
    x0, x1, y0, y1 = round(0.34 * w), round(0.66 * w), round(0.5 * h), round(0.5 * h)
    e = 4  # skip the outermost pixels: printed border, background slivers
    s = np.array([thick[e:y0, e:x0].sum(), thick[e:y0, x1:-e].sum(),
                  thick[y1:-e, e:x0].sum(), thick[y1:-e, x1:-e].sum()])
    return s / max(float(s.sum()), 1e-6)


def orientation_cue(rectified: np.ndarray) -> NoteOrientation:
    """Rotation and side from the large numeral's corner (front: top-right; back: top-left).

    Confidence is how much the best corner outweighs the runner-up (0..1).
    """
    s = numeral_corner_scores(rectified)
    order = np.argsort(s)[::-1]
    rotation, side = _CORNERS[int(order[0])]
    conf = float(1.0 - s[order[1]] / max(float(s[order[0]]), 1e-6))
    return NoteOrientation(rotation, side, conf)


def read_note(image: np.ndarray, path: str | Path | None = None,
              cfg: BanknotePreprocessing | None = None, aspect: float | None = None,
              decide: OrientationDecider = orientation_cue, height: int | None = None,
              cropped_ok: bool = False) -> NoteReading:
    """Find, rectify and orient the note in a photo; contract tensors for the embedder.

    ``decide`` maps the rectified image to a :class:`NoteOrientation`; pass a classifier's
    decision to override the built-in cue. When it is unsure, ``candidates`` holds the tensor
    of both rotations (upright guess first). The note is rectified ``height`` pixels high
    (default: the contract's ``rectified_height``). With ``cropped_ok``, a picture in which no
    note stands out but which is itself shaped like a banknote is taken as a scan already
    cropped to the note (what an operator enrolls from a flatbed scanner).
    """
    try:
        quad = find_note(image, path)
        if cropped_ok and is_cropped_note(image) and detail_outside(image, quad) > CROPPED_DETAIL:
            quad = whole_image_quad(image)  # what was found is a part of the note
    except InputImageError:
        if not (cropped_ok and is_cropped_note(image)):
            raise
        quad = whole_image_quad(image)
    return read_quad(image, quad, path, cfg, aspect, decide, height)


def read_quad(image: np.ndarray, quad: NoteQuad, path: str | Path | None = None,
              cfg: BanknotePreprocessing | None = None, aspect: float | None = None,
              decide: OrientationDecider = orientation_cue,
              height: int | None = None) -> NoteReading:
    """Rectify and orient the note inside ``quad`` (found by any finder): the second half of
    :func:`read_note`."""
    cfg = cfg or BanknotePreprocessing()
    height = height or cfg.rectified_height
    flat = rectify(image, quad, aspect, height)
    orient = decide(flat)
    if orient.rotation == 180:
        quad, flat = quad.rotated180(), rectify(image, quad.rotated180(), aspect, height)
    return NoteReading(quad, flat, orient, cfg, path)


def detail_outside(image: np.ndarray, quad: NoteQuad) -> float:
    """The share of the picture's edges (after a blur that keeps print, not grain) outside the
    found outline grown by 8%: near 0 for a note on a table, large when the "note" found is a
    part of a picture that is all note (a portrait or a panel inside a cropped scan)."""
    bgr = as_bgr(image)
    h, w = bgr.shape[:2]
    s = min(1.0, WORK_SIDE / max(h, w))
    gray = cv2.cvtColor(cv2.resize(bgr, (max(1, round(w * s)), max(1, round(h * s))),
                                   interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
    edges = cv2.Canny(cv2.GaussianBlur(gray, (0, 0), 2.0), 40, 100) > 0
    corners = quad.corners * s
    centre = corners.mean(axis=0)
    mask = np.zeros(gray.shape, np.uint8)
    cv2.fillConvexPoly(mask, np.round(centre + (corners - centre) * 1.08).astype(np.int32), 1)
    return float(edges[mask == 0].sum()) / max(float(edges.sum()), 1.0)


def is_cropped_note(image: np.ndarray) -> bool:
    """True when the picture itself is shaped like a banknote (landscape or portrait) and is
    neither blank nor too small: a scan cropped to the note."""
    h, w = image.shape[:2]
    if min(h, w) < MIN_IMAGE_SIDE:
        return False
    aspect = max(h, w) / min(h, w)
    small = cv2.resize(as_bgr(image), (64, 64), interpolation=cv2.INTER_AREA)
    return NOTE_ASPECT[0] <= aspect <= NOTE_ASPECT[1] and float(small.std()) >= 3.0


def whole_image_quad(image: np.ndarray) -> NoteQuad:
    """The picture's own frame as a quad: for scans already cropped to the note."""
    h, w = image.shape[:2]
    c = np.float32([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]])
    return NoteQuad(c if w >= h else np.roll(c, -1, axis=0))
