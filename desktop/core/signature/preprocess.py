"""The signature preprocessing contract: one grayscale scan in, one ink map tensor out.

Training imports these functions; the app runs them before every embedding; each model's
manifest records :meth:`SignaturePreprocessing.to_dict` and the runtime rebuilds the same
object from it, refusing versions or keys it does not know.

Steps (after luizgh/sigver, adapted so that the paper tone cannot leak into the tensor):

1. light Gaussian blur, then Otsu's threshold ``t`` on the blurred image;
2. ink = blurred pixels at or below ``t``; connected components much smaller than the largest
   one (dust, scanner specks) are dropped;
3. crop to the bounding box of the remaining ink;
4. every pixel becomes its ink strength ``(t - gray) / t`` clipped to [0, 1]: paper is exactly
   0 whatever its tone, ink is high; the strengths are then divided by their upper percentile,
   so that scanner gain and paper tone (tinted, grey, white) do not change the values;
5. resize keeping the aspect ratio to fit the canvas less a margin;
6. version 2, when ``pen_width`` > 0: every stroke is thinned to its centre line and redrawn
   with one round pen ``pen_width`` canvas pixels wide, so that the pen, the pressure and a
   scanner's threshold cannot change what the network sees (BHSig's forgers pressed harder;
   a 1-pixel thinner pen moved the version-1 model's Bengali EER by 11 points);
7. version 3, when ``min_stroke_px`` > 0 (between steps 3 and 4): a signature whose strokes
   are on average thinner than ``min_stroke_px`` scanned pixels is thickened to it by a
   grey-level erosion, so that a thinner pen reads as a normal one (tried as search row K
   against the 11-12 points a one-pixel thinner pen moves the Bengali validation EER; it
   took 1-3 of them, docs/training.md);
8. place on the fixed canvas with the ink's centre of mass as close to the centre as the
   canvas allows.

Version 4 adds ``match_pen``: a *query* whose strokes are thinner than its claimed writer's
references is thickened to their width by a grey-level erosion of the scan before step 1
(:func:`pen_growth`: the references' median :func:`scanned_stroke_width` less the query's,
rounded, at most :data:`MAX_STROKE_GROWTH` pixels; a thicker query is left as it is: thinning
breaks strokes). References are always preprocessed as scanned, so their stored embeddings do
not depend on the query. A cheque signed with a finer pen than the signature card then reads
as the card did: on the shipped model's validation writers the largest move of a set's EER
under a one-pixel thinner pen went from 11 to 6 points, for 0.4 points of pooled EER and 5
points of genuine signatures accepted outright at K = 5 (README, "Pen matching").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np

from desktop.core.errors import N_, InputImageError, Message
from desktop.core.models.contract import PreprocessingContract

PREPROCESSING_NAME = "signature-inkmap"
PREPROCESSING_VERSION = 4


@dataclass(frozen=True)
class SignaturePreprocessing(PreprocessingContract):
    """Parameters of the contract; the defaults are those of the shipped model."""

    NAME: ClassVar[str] = PREPROCESSING_NAME
    VERSION: ClassVar[int] = PREPROCESSING_VERSION

    height: int = 128
    width: int = 192
    margin: int = 4
    blur_sigma: float = 1.0
    min_component_px: int = 6
    min_component_frac: float = 0.004
    min_contrast: int = 40
    min_ink_px: int = 40
    min_image_side: int = 32
    min_ink_extent: int = 12
    ink_norm_percentile: float = 95.0
    pen_width: float = 0.0  # 0: the ink as scanned (version 1); > 0: step 6
    pen_ink_level: float = 0.25  # a canvas pixel at least this strong is a stroke's
    min_stroke_px: float = 0.0  # 0: strokes as scanned; > 0: step 7's thinnest mean width
    match_pen: bool = False  # version 4: a query's strokes grown to its references' width

    @classmethod
    def from_dict(cls, data: dict) -> SignaturePreprocessing:
        """Rebuild from a manifest; an older version reads as this one with the steps it
        lacked off, which is exactly what it computed (version 1 had no ``pen_width``,
        version 2 no ``min_stroke_px``, version 3 no ``match_pen``)."""
        if data.get("name") == cls.NAME:
            if data.get("version") == 1 and "pen_width" not in data:
                data = {**data, "version": 2, "pen_width": 0.0}
            if data.get("version") == 2 and "min_stroke_px" not in data:
                data = {**data, "version": 3, "min_stroke_px": 0.0}
            if data.get("version") == 3 and "match_pen" not in data:
                data = {**data, "version": 4, "match_pen": False}
        return super().from_dict(data)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """Shape of one preprocessed sample as the network sees it: (channels, height, width)."""
        return (1, self.height, self.width)


DARK_PAPER_LEVEL = 80  # grey: a flat image no lighter than this shows no paper at all


BLANK = N_("no signature found: the image is blank (no visible ink)")


def flat_image_problem(brightest: int) -> Message:
    """What is wrong with an image of one flat tone whose brightest (blurred) grey level is
    ``brightest``: entirely black or dark (no paper visible: lid open, lamp off, inverted),
    or blank paper (no visible ink)."""
    if brightest < DARK_PAPER_LEVEL:
        return Message(N_("no signature found: the image is entirely black/dark: no paper "
                          "visible (brightest grey level {level} of 255; a scan with the lid "
                          "open or the lamp off, or an inverted image?)"), level=brightest)
    return Message(BLANK)


def _ink_mask(gray: np.ndarray, cfg: SignaturePreprocessing, path: str | Path | None):
    """Return (threshold, component labels, kept flag per label, bounding box of the kept
    ink as (y0, y1, x0, x1)) or raise for a blank image."""
    blurred = cv2.GaussianBlur(gray, (0, 0), cfg.blur_sigma)
    lo, hi = int(blurred.min()), int(blurred.max())
    if hi - lo < cfg.min_contrast:
        raise InputImageError(path, flat_image_problem(hi))
    t, mask = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        raise InputImageError(path, Message(BLANK))
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep_min = max(cfg.min_component_px, cfg.min_component_frac * float(areas.max()))
    keep = np.zeros(n, dtype=bool)
    keep[1:] = areas >= keep_min
    # Counts and box from the components' statistics: no pass over the whole image.
    ink_px = int(areas[keep[1:]].sum())
    if ink_px < cfg.min_ink_px:
        raise InputImageError(path, Message(N_("no signature found: too little ink (blank or "
                                               "only specks)")))
    if ink_px > 0.5 * gray.size:
        raise InputImageError(path, Message(N_(
            "more than half of the image is dark: not dark ink on light paper (inverted, a "
            "photo, or badly exposed)")))
    box = stats[keep]
    left, top = box[:, cv2.CC_STAT_LEFT], box[:, cv2.CC_STAT_TOP]
    right, bottom = left + box[:, cv2.CC_STAT_WIDTH], top + box[:, cv2.CC_STAT_HEIGHT]
    return float(t), labels, keep, (int(top.min()), int(bottom.max()), int(left.min()),
                                    int(right.max()))


def _signature_ink(gray: np.ndarray, cfg: SignaturePreprocessing, path: str | Path | None):
    """Steps 1-2 with the contract's checks on size: (threshold, labels, kept flags, box)."""
    if gray.ndim != 2 or gray.dtype != np.uint8:
        raise TypeError("preprocess_signature expects a 2-D uint8 grayscale array")
    h, w = gray.shape
    if min(h, w) < cfg.min_image_side:
        raise InputImageError(path, Message(N_(
            "the image is too small ({size} pixels; at least {least} pixels on each side are "
            "needed)"), size=f"{w}x{h}", least=cfg.min_image_side))
    t, labels, keep, (y0, y1, x0, x1) = _ink_mask(gray, cfg, path)
    if max(y1 - y0, x1 - x0) < cfg.min_ink_extent:
        raise InputImageError(path, Message(N_("the signature is too small ({size} pixels of "
                                               "ink)"), size=f"{x1 - x0}x{y1 - y0}"))
    return t, labels, keep, (y0, y1, x0, x1)


def scanned_stroke_width(gray: np.ndarray, cfg: SignaturePreprocessing | None = None,
                         path: str | Path | None = None) -> float:
    """Mean stroke width in scanned pixels of the ink the contract keeps (steps 1-3), as
    version 4's pen matching compares it; raises :class:`InputImageError` as
    :func:`preprocess_signature` does."""
    cfg = cfg or SignaturePreprocessing()
    return _found_width(_signature_ink(gray, cfg, path))


def _found_width(found: tuple) -> float:
    """The mean stroke width of the ink :func:`_signature_ink` found."""
    _, labels, keep, (y0, y1, x0, x1) = found
    return stroke_width(keep[labels[y0:y1, x0:x1]])


def pen_growth(cfg: SignaturePreprocessing, query_width: float | np.ndarray,
               reference_widths: Sequence[float] | np.ndarray) -> np.ndarray:
    """Pixels by which version 4 grows a query's strokes: the references' median scanned
    stroke width less the query's, rounded, between 0 and :data:`MAX_STROKE_GROWTH`; 0 when
    the contract does not match pens or no reference width is known. ``query_width`` may be
    one width or an array of them (the result has its shape, integers)."""
    q = np.asarray(query_width, dtype=np.float64)
    refs = np.asarray(reference_widths, dtype=np.float64)
    if not cfg.match_pen or not refs.size:
        return np.zeros(q.shape, dtype=np.int64)
    gap = np.nan_to_num(float(np.median(refs)) - q, nan=0.0, posinf=0.0, neginf=0.0)
    return np.clip(np.rint(gap), 0, MAX_STROKE_GROWTH).astype(np.int64)


def reference_widths(scans: Iterable[tuple[np.ndarray, str | Path | None]],
                     cfg: SignaturePreprocessing) -> list[float]:
    """Scanned stroke widths of reference scans given as (grayscale, name), or an empty list
    when ``cfg`` does not match pens: ``scans`` is then not iterated, so a generator that
    decodes stored scans costs nothing."""
    if not cfg.match_pen:
        return []
    return [scanned_stroke_width(gray, cfg, path) for gray, path in scans]


def prepared_signature(gray: np.ndarray, cfg: SignaturePreprocessing,
                       path: str | Path | None = None) -> tuple[np.ndarray, float | None]:
    """A scan's ink map as scanned (:func:`preprocess_signature`) and, when ``cfg`` matches
    pens, its :func:`scanned_stroke_width` (else None), both from one finding of the ink."""
    found = _signature_ink(gray, cfg, path)
    return _inkmap(gray, cfg, path, 0, found), _found_width(found) if cfg.match_pen else None


def matched_inkmap(gray: np.ndarray, cfg: SignaturePreprocessing, path: str | Path | None,
                   widths: Sequence[float], inkmap: np.ndarray | None = None,
                   width: float | None = None) -> tuple[np.ndarray, int]:
    """A query's ink map with its pen matched to references of scanned stroke ``widths``
    (:func:`reference_widths`) as ``cfg`` asks, and the pixels its strokes grew by.
    ``inkmap``, the query as already preprocessed, is returned as it is when nothing grows;
    ``width``, the query's own scanned stroke width when already measured, spares finding
    its ink again to measure it."""
    grow, found = 0, None
    if cfg.match_pen and len(widths):
        if width is None:
            found = _signature_ink(gray, cfg, path)  # found once: for the width and the map
            width = _found_width(found)
        grow = int(pen_growth(cfg, width, widths))
    if grow == 0 and inkmap is not None:
        return inkmap, 0
    if found is None:
        found = _signature_ink(gray, cfg, path)
    return _inkmap(gray, cfg, path, grow, found), grow


def preprocess_signature(
    gray: np.ndarray, cfg: SignaturePreprocessing | None = None, path: str | Path | None = None,
    grow: int = 0,
) -> np.ndarray:
    """Turn an 8-bit grayscale signature image into a float32 ink map of shape (height, width).

    Values lie in [0, 1]: 0 is paper, 1 is the darkest ink. ``path`` only names the file in
    error messages. ``grow`` thickens the scan's strokes by that many pixels (at most
    :data:`MAX_STROKE_GROWTH`, and less where more would leave too little paper) before
    anything else: a query's :func:`pen_growth`.
    Raises :class:`InputImageError` for images that are too small or blank.
    """
    cfg = cfg or SignaturePreprocessing()
    # The scan as given must pass the checks, grown or not.
    return _inkmap(gray, cfg, path, grow, _signature_ink(gray, cfg, path))


def _inkmap(gray: np.ndarray, cfg: SignaturePreprocessing, path: str | Path | None,
            grow: int, found: tuple) -> np.ndarray:
    """:func:`preprocess_signature` from the ink :func:`_signature_ink` found in ``gray``."""
    # Grown before the ink is found, as if the finer pen had been the references' own: found
    # after, the specks a finer pen breaks a faint stroke into would stay dropped
    # (validation: the largest move under a one-pixel finer pen 9.3 points that way). A
    # growth that would make the scan unusable (mostly ink) is tried smaller.
    for px in range(min(MAX_STROKE_GROWTH, int(grow)), 0, -1):
        grown = cv2.erode(gray, np.ones((px + 1, px + 1), np.uint8))
        try:
            found = _signature_ink(grown, cfg, path)
        except InputImageError:
            continue
        gray = grown
        break
    t, labels, keep, (y0, y1, x0, x1) = found
    h, w = gray.shape
    grow = 0
    if cfg.min_stroke_px > 0:
        ink = keep[labels[y0:y1, x0:x1]]
        grow = min(MAX_STROKE_GROWTH, int(np.ceil(cfg.min_stroke_px - stroke_width(ink))))
    if grow > 0:
        # Room around the box for the thickened strokes, then ink grows by `grow` pixels.
        y0, x0, y1, x1 = max(0, y0 - grow), max(0, x0 - grow), min(h, y1 + grow), \
            min(w, x1 + grow)
        pen = np.ones((grow + 1, grow + 1), np.uint8)
        crop = cv2.erode(gray[y0:y1, x0:x1], pen).astype(np.float32)
        ink = cv2.dilate(keep[labels[y0:y1, x0:x1]].astype(np.uint8), pen) > 0
    else:
        crop = gray[y0:y1, x0:x1].astype(np.float32)
        ink = keep[labels[y0:y1, x0:x1]]
    strength = np.clip((t - crop) / max(t, 1.0), 0.0, 1.0)
    strength[~ink] = 0.0
    # Scanner gain and paper tone change how dark the ink looks (CEDAR's genuine and forged
    # sheets differ exactly so): scale so that the ink's upper percentile reads 1.
    ref = float(np.percentile(strength[ink], cfg.ink_norm_percentile)) if ink.any() else 0.0
    if ref > 1e-3:
        strength = np.minimum(strength / ref, 1.0)

    inner_h, inner_w = cfg.height - 2 * cfg.margin, cfg.width - 2 * cfg.margin
    ch, cw = strength.shape
    scale = min(inner_h / ch, inner_w / cw)
    new_h, new_w = max(1, round(ch * scale)), max(1, round(cw * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    if cfg.pen_width > 0:
        # The pen step reads where the ink is, not how dark: the Otsu mask's share of each
        # canvas pixel, so that faint strokes of a thin pen still reach the centre lines.
        cover = cv2.resize(ink.astype(np.float32), (new_w, new_h), interpolation=interp)
        resized = redraw_with_pen(cover, cfg.pen_width, cfg.pen_ink_level)
    else:
        resized = np.clip(cv2.resize(strength, (new_w, new_h), interpolation=interp), 0.0, 1.0)

    total = float(resized.sum())
    if total > 0:
        cy = float((resized.sum(axis=1) * np.arange(new_h)).sum() / total)
        cx = float((resized.sum(axis=0) * np.arange(new_w)).sum() / total)
    else:
        cy, cx = new_h / 2, new_w / 2
    top = int(np.clip(round(cfg.height / 2 - cy), cfg.margin, cfg.height - cfg.margin - new_h))
    left = int(np.clip(round(cfg.width / 2 - cx), cfg.margin, cfg.width - cfg.margin - new_w))
    canvas = np.zeros((cfg.height, cfg.width), dtype=np.float32)
    canvas[top : top + new_h, left : left + new_w] = resized
    return canvas


MAX_STROKE_GROWTH = 3  # pixels: step 7 thickens no further (a trace, not a signature)


def stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width of a boolean ink mask, in pixels: twice its area over the length of
    its outlines (a stroke w wide and L long has area wL and an outline about 2L long)."""
    outlines, _ = cv2.findContours(ink.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    length = sum(cv2.arcLength(c, True) for c in outlines)
    return 2.0 * float(ink.sum()) / length if length > 0 else 0.0


def thin(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a boolean image to 8-connected centre lines one pixel wide.

    Written out here (a few vectorised lines) because OpenCV's ``ximgproc.thinning`` is only in
    the contrib build and scikit-image would add tens of megabytes to the installer for it."""
    img = np.pad(mask.astype(np.uint8), 1)
    while True:
        changed = False
        for step in (0, 1):
            c = img[1:-1, 1:-1]
            # Neighbours P2..P9 clockwise from north, as in Zhang and Suen (1984).
            p = [img[:-2, 1:-1], img[:-2, 2:], img[1:-1, 2:], img[2:, 2:],
                 img[2:, 1:-1], img[2:, :-2], img[1:-1, :-2], img[:-2, :-2]]
            neighbours = sum(q.astype(np.int8) for q in p)
            transitions = sum(((p[i] == 0) & (p[(i + 1) % 8] == 1)).astype(np.int8)
                              for i in range(8))
            if step == 0:
                edge = (p[0] * p[2] * p[4] == 0) & (p[2] * p[4] * p[6] == 0)
            else:
                edge = (p[0] * p[2] * p[6] == 0) & (p[0] * p[4] * p[6] == 0)
            drop = (c == 1) & (neighbours >= 2) & (neighbours <= 6) & (transitions == 1) & edge
            if drop.any():
                c[drop] = 0
                changed = True
        if not changed:
            return img[1:-1, 1:-1].astype(bool)


def redraw_with_pen(ink: np.ndarray, width: float, level: float) -> np.ndarray:
    """The strokes of ``ink`` (values in [0, 1]) thinned to centre lines and redrawn with a
    round pen ``width`` pixels wide, edges anti-aliased over one pixel."""
    centre = thin(ink >= level)
    if not centre.any():
        return ink
    # Distance of every pixel to the nearest centre-line pixel (centre lines are the zeros).
    dist = cv2.distanceTransform((~centre).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return np.clip(width / 2 + 0.5 - dist, 0.0, 1.0).astype(np.float32)


def to_display(inkmap: np.ndarray) -> np.ndarray:
    """Render an ink map as dark ink on white paper (uint8), for showing to a person."""
    return (255.0 * (1.0 - np.clip(inkmap, 0.0, 1.0))).astype(np.uint8)


def batch(inkmaps: list[np.ndarray]) -> np.ndarray:
    """Stack ink maps into the network's input layout (N, 1, H, W), float32."""
    return np.stack(inkmaps).astype(np.float32)[:, None, :, :]
