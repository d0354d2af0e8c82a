"""Cheque scan -> the signature alone, ready for `preprocess_signature`.

Steps of :func:`extract_signature`:

1. flat-field: the paper background (tint, gradient, light guilloche security pattern) is
   estimated with a grey-level closing on a reduced copy and divided out, so paper reads 255
   whatever its tone and only dark marks (print, ink) stay below the ink threshold;
2. deskew: the skew is the angle at which the dark pixels' projection onto the page's vertical
   axis is sharpest (printed lines and text rows line up), searched coarse then fine;
3. the signature zone (relative to the deskewed page) is cut with a margin;
4. printed horizontal and vertical lines are found by morphological opening with kernels
   whose lengths are fractions of the page size (so the dpi does not matter), removed, and the
   signature strokes that crossed them are bridged again across the removed band;
5. specks, rows of printed text (small marks of equal height on a common baseline) and
   mark groups far smaller than the signature are dropped;
6. the remaining ink is cropped with a small margin onto white paper, each ink pixel keeping
   its own (flat-fielded) grey value.

Only numpy and OpenCV: no Qt, no torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from desktop.core.errors import InputImageError
from desktop.core.imageio import load_pages

INK_LEVEL = 150  # flat-fielded grey at or below which a pixel is ink or print (paper = 255)
# Faint ink (thin fast strokes) down to this level joins the marks it touches, so that a
# signature is not cut into pieces; the security pattern's lines stay lighter than this.
WEAK_LEVEL = 185
MIN_PAGE_SIDE = (300, 130)  # width, height in pixels: a cheque at 50 dpi
MAX_SKEW = 5.0  # degrees searched either way


@dataclass(frozen=True)
class SignatureZone:
    """Where the signature is expected: a rectangle relative to the deskewed page, in [0, 1]."""

    x: float
    y: float
    w: float
    h: float

    def __post_init__(self) -> None:
        for name in ("x", "y", "w", "h"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
                raise ValueError(f"signature zone {name} must be a finite number, not {v!r}")
        if not (0.0 <= self.x < 1.0 and 0.0 <= self.y < 1.0):
            raise ValueError(
                f"signature zone origin ({self.x}, {self.y}) must lie inside the page "
                "(each between 0 and 1)"
            )
        if not (0.0 < self.w <= 1.0 and 0.0 < self.h <= 1.0):
            raise ValueError(
                f"signature zone size {self.w} x {self.h} must be positive and at most 1"
            )
        if self.x + self.w > 1.0 + 1e-9 or self.y + self.h > 1.0 + 1e-9:
            raise ValueError(
                f"signature zone (x={self.x}, y={self.y}, w={self.w}, h={self.h}) extends past "
                "the page: x + w and y + h must be at most 1"
            )

    def to_dict(self) -> dict[str, float]:
        """Plain form for settings files: ``{"x": .., "y": .., "w": .., "h": ..}``."""
        return {"x": float(self.x), "y": float(self.y), "w": float(self.w), "h": float(self.h)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SignatureZone:
        """Rebuild from :meth:`to_dict`'s form; ``ValueError`` for missing/extra keys or values."""
        keys = {"x", "y", "w", "h"}
        missing, extra = sorted(keys - set(d)), sorted(set(d) - keys)
        if missing or extra:
            raise ValueError(
                "a signature zone needs exactly the keys x, y, w, h"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; unknown {', '.join(extra)}" if extra else "")
            )
        try:
            return cls(**{k: float(d[k]) for k in ("x", "y", "w", "h")})
        except (TypeError, ValueError) as exc:
            raise ValueError(f"invalid signature zone {d!r}: {exc}") from None

    def describe(self) -> str:
        """``x=0.55, y=0.53, w=0.43, h=0.35`` (for messages)."""
        return f"x={self.x:.2f}, y={self.y:.2f}, w={self.w:.2f}, h={self.h:.2f}"


# Measured on training.cheques: the signature line spans x 0.57-0.96 at y 0.78, signatures
# reach up to 0.26 of the page height above it and a few percent below; the amount-in-words
# line (y 0.49) stays above the zone and the code line (y ~0.91-0.95) below it.
DEFAULT_ZONE = SignatureZone(x=0.55, y=0.53, w=0.43, h=0.35)


@dataclass(frozen=True)
class ExtractedSignature:
    """The signature cut out of a cheque, and where it came from."""

    signature: np.ndarray  # uint8 crop, paper 255, only the signature's ink
    page: np.ndarray  # the deskewed page, uint8 grey (as scanned, not flat-fielded)
    angle: float  # skew corrected, degrees, counter-clockwise as cv2.getRotationMatrix2D
    zone_px: tuple[int, int, int, int]  # x0, y0, x1, y1 of the zone in the deskewed page
    ink_box: tuple[int, int, int, int]  # x0, y0, x1, y1 of the kept ink in the deskewed page
    mask_in_page: np.ndarray  # bool, kept ink in the ORIGINAL (skewed) page's coordinates
    lines_removed: int


def as_gray(gray: np.ndarray) -> np.ndarray:
    if not isinstance(gray, np.ndarray) or gray.dtype != np.uint8:
        raise TypeError("expected a uint8 numpy image")
    if gray.ndim == 3 and gray.shape[2] in (3, 4):
        return cv2.cvtColor(gray, cv2.COLOR_BGR2GRAY if gray.shape[2] == 3 else
                            cv2.COLOR_BGRA2GRAY)
    if gray.ndim != 2:
        raise TypeError("expected a 2-D grayscale image (or HxWx3 BGR)")
    return gray


def flat_field(gray: np.ndarray) -> np.ndarray:
    """Divide out the paper background: paper becomes 255, marks keep their contrast to it.

    The background is a grey-level closing (removes every mark thinner than ~3% of the short
    side: strokes, print, the thin security pattern's lines are darker than paper but the
    pattern's *tint* survives and is divided out) on a copy reduced to ~250 px, smoothed and
    brought back to full size.
    """
    h, w = gray.shape
    f = max(1, min(h, w) // 250)
    small = cv2.resize(gray, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    k = max(3, (min(small.shape) * 6 // 100) | 1)
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT,
                                                                            (k, k)))
    bg = cv2.GaussianBlur(bg, (0, 0), k / 3)
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    out = gray.astype(np.float32) * (255.0 / np.maximum(bg, 1.0))
    return np.clip(out, 0, 255).astype(np.uint8)


def estimate_skew(ink: np.ndarray, max_angle: float = MAX_SKEW) -> float:
    """Skew of a page's dark marks in degrees (counter-clockwise positive, as cv2 rotates).

    Projection-profile search: for each candidate angle the dark pixels are projected along
    lines of that slope; printed rules and text rows make the projection sharpest (largest sum
    of squared bin counts) at the true skew. Coarse 0.25 degree steps, then 0.025.
    """
    ys, xs = np.nonzero(ink)
    if ys.size < 50:
        return 0.0
    if ys.size > 120_000:  # a deterministic subsample is plenty for the histogram
        step = ys.size // 120_000 + 1
        ys, xs = ys[::step], xs[::step]
    xc = xs.astype(np.float64) - ink.shape[1] / 2.0
    yf = ys.astype(np.float64)
    pad = ink.shape[1] * math.tan(math.radians(max_angle + 1)) + 2

    def sharpness(a: float) -> float:
        # Content rotated counter-clockwise by a: a horizontal rule satisfies y + x tan(a) = c.
        proj = np.round(yf + xc * math.tan(math.radians(a)) + pad).astype(np.int64)
        counts = np.bincount(proj).astype(np.float64)
        return float((counts * counts).sum())

    coarse = np.arange(-max_angle, max_angle + 1e-9, 0.25)
    best = float(coarse[int(np.argmax([sharpness(a) for a in coarse]))])
    fine = np.arange(best - 0.3, best + 0.3 + 1e-9, 0.025)
    scores = np.array([sharpness(a) for a in fine])
    i = int(np.argmax(scores))
    if 0 < i < len(fine) - 1:  # parabolic refinement between the grid points
        s0, s1, s2 = scores[i - 1: i + 2]
        den = s0 - 2 * s1 + s2
        off = 0.5 * (s0 - s2) / den if den < 0 else 0.0
        return float(fine[i] + np.clip(off, -0.5, 0.5) * 0.025)
    return float(fine[i])


def _rotate(img: np.ndarray, angle: float, border: int, nearest: bool = False) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_NEAREST if nearest else
                          cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=border)


def _vertical_runs(mask: np.ndarray) -> np.ndarray:
    """Length of the vertical run of True pixels through each pixel (0 where False)."""
    h = mask.shape[0]
    m = mask.astype(np.int32)
    down, up = np.zeros_like(m), np.zeros_like(m)
    down[0], up[h - 1] = m[0], m[h - 1]
    for y in range(1, h):
        down[y] = (down[y - 1] + 1) * m[y]
        up[h - 1 - y] = (up[h - y] + 1) * m[h - 1 - y]
    return np.where(mask, down + up - 1, 0)


def _remove_rules(ink: np.ndarray, length: int, thick: int) -> tuple[np.ndarray, int]:
    """Remove horizontal rules (runs of at least ``length`` px) from a bool ink mask.

    A printed rule has one thickness all along; where the ink is thicker than that, a stroke
    lies on or crosses the rule and the column is kept whole. Strokes crossing a removed part
    are bridged across the removed band. Returns the mask and the number of rules found.
    """
    ink8 = ink.astype(np.uint8) * 255
    lines = cv2.morphologyEx(ink8, cv2.MORPH_OPEN,
                             cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1))) > 0
    n = cv2.connectedComponents(lines.astype(np.uint8))[0] - 1
    if n == 0:
        return ink, 0
    ink_run = _vertical_runs(ink)
    # The printed rules' thickness, from the ink runs through them (the opening may keep only
    # their core), counted once per column crossing (at the top pixel), at a low percentile
    # because a flourish lying along a rule thickens a long stretch of it.
    tops = lines.copy()
    tops[1:] &= ~lines[:-1]
    rule = float(np.percentile(ink_run[tops], 20))
    overlap = lines & (ink_run > rule + max(2, thick))
    pure = (lines & ~overlap).astype(np.uint8)
    # The band also covers the rule's anti-aliased edges, which the opening misses.
    band = cv2.dilate(pure, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 2 * thick + 1))) > 0
    band &= ~(cv2.dilate(overlap.astype(np.uint8), cv2.getStructuringElement(
        cv2.MORPH_RECT, (3, 2 * thick + 3))) > 0)
    out = ink & ~band
    # A stroke crossing the rule has ink just above and just below it in the same column: a
    # vertical closing restricted to the removed band joins the two halves again.
    span = int(rule) + 4 * thick + 5
    closed = cv2.morphologyEx(out.astype(np.uint8), cv2.MORPH_CLOSE,
                              cv2.getStructuringElement(cv2.MORPH_RECT, (1, span))) > 0
    return out | (closed & band & ink), int(n)


def remove_lines(
    ink: np.ndarray, h_len: int, v_len: int, thick: int,
) -> tuple[np.ndarray, int, np.ndarray]:
    """Remove horizontal and vertical printed rules from a uint8 0/255 mask.

    Returns the cleaned uint8 mask, the number of rules removed and the removed pixels (bool).
    """
    orig = ink > 0
    mask, n_h = _remove_rules(orig, h_len, thick)
    mask_t, n_v = _remove_rules(np.ascontiguousarray(mask.T), v_len, thick)
    mask = np.ascontiguousarray(mask_t.T)
    return mask.astype(np.uint8) * 255, n_h + n_v, orig & ~mask


def drop_text_rows(ink: np.ndarray, page_h: int, removed: np.ndarray | None = None) -> np.ndarray:
    """Remove rows of printed text from a uint8 mask.

    A text row is a chain of small marks (letters, or words whose letters ran together) of
    nearly equal height sitting on a common baseline, spaced like letters, and spanning at
    least five times its height; a signature's pieces rarely line up so. Marks touching
    ``removed`` (pixels of rules just removed) are pieces of strokes cut by a rule, not text:
    printed text keeps clear of the rules.
    """
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 2:
        return ink
    near_rule = np.zeros(n, dtype=bool)
    if removed is not None and removed.any():
        touch = cv2.dilate(removed.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        near_rule[np.unique(labels[touch])] = True
    hs, ys, xs, ws = (stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_TOP],
                      stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_WIDTH])
    bottoms = ys + hs

    def letter_like(i: int) -> bool:
        # A row through printed letters crosses about one stroke per half cap height; a piece
        # of a flourish is crossed once or twice along its whole length.
        box = labels[ys[i]: ys[i] + hs[i], xs[i]: xs[i] + ws[i]] == i
        rows = box[[hs[i] * 3 // 10, hs[i] // 2, hs[i] * 7 // 10]].astype(np.int8)
        runs = int((np.diff(rows, axis=1, prepend=0) == 1).sum(axis=1).max())
        return runs >= 0.5 * ws[i] / hs[i]

    small = [i for i in range(1, n) if 0.012 * page_h <= hs[i] <= 0.05 * page_h
             and not near_rule[i] and letter_like(i)]
    tol = max(2, round(0.008 * page_h))
    drop = np.zeros(n, dtype=bool)
    small.sort(key=lambda i: bottoms[i])
    used: set[int] = set()

    def accept(chain: list[int], height: float) -> None:
        span = xs[chain[-1]] + ws[chain[-1]] - xs[chain[0]]
        if len(chain) >= 2 and span >= 5 * height:
            drop[chain] = True
            used.update(chain)

    for i in small:
        if i in used:
            continue
        row = [j for j in small if j not in used and abs(bottoms[j] - bottoms[i]) <= tol
               and abs(int(hs[j]) - int(hs[i])) <= max(tol, 0.25 * hs[i])]
        if len(row) < 2:
            continue
        row.sort(key=lambda j: xs[j])
        chain = [row[0]]
        for j in row[1:]:
            if xs[j] - (xs[chain[-1]] + ws[chain[-1]]) <= 1.5 * hs[i]:
                chain.append(j)
            else:
                accept(chain, hs[i])
                chain = [j]
        accept(chain, hs[i])
    if not drop.any():
        return ink
    out = ink.copy()
    out[drop[labels]] = 0
    return out


def group_marks(ink: np.ndarray, radius_x: int, radius_y: int,
                 min_px: int) -> list[tuple[np.ndarray, tuple[int, int, int, int], int]]:
    """Group marks closer than the radii (strokes of one signature); drop specks < ``min_px``.

    Returns (mask, (x0, y0, x1, y1), ink pixels) per group, largest first.
    """
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = np.zeros(n, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_px
    clean = np.where(keep[labels], 255, 0).astype(np.uint8)
    if not keep.any():
        return []
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius_x + 1, 2 * radius_y + 1))
    grown = cv2.dilate(clean, kernel)
    gn, glabels = cv2.connectedComponents(grown, connectivity=8)
    groups = []
    for g in range(1, gn):
        mask = (glabels == g) & (clean > 0)
        count = int(mask.sum())
        if count == 0:
            continue
        ys, xs = np.nonzero(mask)
        groups.append((mask, (int(xs.min()), int(ys.min()), int(xs.max()) + 1,
                              int(ys.max()) + 1), count))
    groups.sort(key=lambda g: -g[2])
    return groups


def _ink_mask(norm: np.ndarray) -> np.ndarray:
    return np.where(norm <= INK_LEVEL, 255, 0).astype(np.uint8)


def _check_size(gray: np.ndarray, path: str | Path | None) -> None:
    h, w = gray.shape
    if w < MIN_PAGE_SIDE[0] or h < MIN_PAGE_SIDE[1]:
        raise InputImageError(
            path, f"the image is too small to be a cheque scan ({w}x{h} pixels; at least "
            f"{MIN_PAGE_SIDE[0]}x{MIN_PAGE_SIDE[1]} are needed)"
        )


def extract_signature(
    gray: np.ndarray, zone: SignatureZone = DEFAULT_ZONE, path: str | Path | None = None,
) -> ExtractedSignature:
    """Cut the signature out of one scanned cheque page (uint8 grey, ink dark).

    ``zone`` is where the signature is looked for, relative to the deskewed page; ``path``
    only names the file in error messages. Raises :class:`InputImageError` for an image too
    small to be a cheque, a blank page, or a zone holding no signature.
    """
    gray = as_gray(gray)
    _check_size(gray, path)
    H, W = gray.shape
    norm = flat_field(gray)
    ink_full = _ink_mask(norm)
    speck = max(4, round(8 * (H / 700.0) ** 2))  # a few printer/scanner dots at this size
    n_dark = int(cv2.countNonZero(ink_full))
    if n_dark < 10 * speck or int(gray.max()) - int(gray.min()) < 40:
        raise InputImageError(path, "the cheque is blank: no print or ink was found")

    # Deskew on a reduced copy (speed); the angle does not depend on the scale.
    f = max(1, W // 900)
    small = ink_full if f == 1 else cv2.resize(ink_full, (W // f, H // f),
                                               interpolation=cv2.INTER_AREA)
    angle = estimate_skew(small > 100)
    page = _rotate(gray, -angle, border=int(np.median(gray[:, :4])))
    norm_d = _rotate(norm, -angle, border=255)
    weak = np.where(norm_d <= WEAK_LEVEL, 255, 0).astype(np.uint8)

    x0, y0 = int(round(zone.x * W)), int(round(zone.y * H))
    x1, y1 = int(round((zone.x + zone.w) * W)), int(round((zone.y + zone.h) * H))
    zone_px = (x0, y0, x1, y1)
    # Work on the zone plus a margin so that a rule entering the zone is seen at full length.
    h_len, v_len = max(15, round(0.15 * W)), max(15, round(0.3 * H))
    thick = max(1, round(H / 400))
    mx, my = h_len, max(4, round(0.02 * H))
    rx0, ry0, rx1, ry1 = max(0, x0 - mx), max(0, y0 - my), min(W, x1 + mx), min(H, y1 + my)
    cleaned, n_lines, removed = remove_lines(weak[ry0:ry1, rx0:rx1], h_len, v_len, thick)
    inner = np.zeros_like(cleaned)
    inner[y0 - ry0: y1 - ry0, x0 - rx0: x1 - rx0] = cleaned[y0 - ry0: y1 - ry0,
                                                            x0 - rx0: x1 - rx0]
    inner = drop_text_rows(inner, H, removed)
    strong = norm_d[ry0:ry1, rx0:rx1] <= INK_LEVEL
    groups = group_marks(inner, max(2, round(0.012 * W)), max(2, round(0.02 * H)), speck)
    groups = [(mask, box, int((mask & strong).sum())) for mask, box, _ in groups]
    groups.sort(key=lambda g: -g[2])
    # The signature is the largest group of marks; printed leftovers are short, narrow and
    # small (a flourish cut off by a rule is short but wide, so it stays).
    groups = [g for g in groups if g[1][3] - g[1][1] >= 0.06 * H
              or g[1][2] - g[1][0] >= 0.05 * W or g[2] >= 0.25 * groups[0][2]]
    if not groups or groups[0][2] < 30 * speck:
        raise InputImageError(
            path, f"no signature was found in the signature zone ({zone.describe()}); "
            "adjust the zone or check the scan"
        )
    biggest = groups[0][2]
    kept_roi = np.zeros(cleaned.shape, dtype=bool)
    for mask, _box, count in groups:
        if count >= 0.05 * biggest:
            kept_roi |= mask
    kept_weak = np.zeros((H, W), dtype=bool)
    kept_weak[ry0:ry1, rx0:rx1] = kept_roi
    kept = np.zeros((H, W), dtype=bool)
    kept[ry0:ry1, rx0:rx1] = kept_roi & strong

    ys, xs = np.nonzero(kept)
    bx0, by0, bx1, by1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
    m = max(4, round(0.01 * H))
    cx0, cy0, cx1, cy1 = max(0, bx0 - m), max(0, by0 - m), min(W, bx1 + m), min(H, by1 + m)
    # Keep the strokes' soft edges (one pixel around the kept ink) and their faint parts.
    soft = cv2.dilate(kept[cy0:cy1, cx0:cx1].astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    soft |= kept_weak[cy0:cy1, cx0:cx1]
    crop = np.where(soft, norm_d[cy0:cy1, cx0:cx1], 255).astype(np.uint8)
    back = _rotate(kept.astype(np.uint8) * 255, angle, border=0) > 127
    return ExtractedSignature(
        signature=crop, page=page, angle=float(angle), zone_px=zone_px,
        ink_box=(bx0, by0, bx1, by1), mask_in_page=back, lines_removed=n_lines,
    )


def extract_from_file(
    path: str | Path, zone: SignatureZone = DEFAULT_ZONE, page: int = 0,
) -> ExtractedSignature:
    """Load ``path`` (page 0 is the front of a multi-page TIFF, 1 the back) and extract."""
    pages = load_pages(path)
    if page >= len(pages):
        raise InputImageError(path, f"has {len(pages)} page(s); page {page + 1} was asked for")
    return extract_signature(pages[page], zone, path=path)
