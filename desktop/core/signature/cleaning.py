"""Page cleaning primitives shared by the cheque and signature-card readers.

* :func:`flat_field` divides out the paper background (tint, gradient, light guilloche
  security pattern), so paper reads 255 whatever its tone and only dark marks stay below
  the ink threshold;
* :func:`estimate_skew` finds the angle at which the dark pixels' projection onto the page's
  vertical axis is sharpest (printed lines and text rows line up);
* :func:`remove_lines` removes printed horizontal and vertical rules and bridges the strokes
  that crossed them; :func:`drop_text_rows` drops rows of printed text;
* :func:`group_marks` groups the strokes of one signature and drops specks.

Only numpy and OpenCV: no Qt, no torch.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

INK_LEVEL = 150  # flat-fielded grey at or below which a pixel is ink or print (paper = 255)
# Faint ink (thin fast strokes) down to this level joins the marks it touches, so that a
# signature is not cut into pieces; the security pattern's lines stay lighter than this.
WEAK_LEVEL = 185
MAX_SKEW = 5.0  # degrees searched either way


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
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    # clip(gray * (255 / max(bg, 1))) in float32 has only 256 x 256 possible inputs: one
    # lookup in the table of those results gives exactly the same bytes, 4x faster.
    index = gray.astype(np.uint16)
    index <<= 8
    index |= bg
    return np.take(_FLAT_TABLE, index)


def _flat_table() -> np.ndarray:
    """``clip(g * (255 / max(b, 1)), 0, 255)`` as uint8 for every grey g and background b,
    computed in float32 exactly as a pixel-by-pixel division would be; index ``g << 8 | b``."""
    g = np.arange(256, dtype=np.float32)[:, None]
    b = np.arange(256, dtype=np.float32)[None, :]
    return np.clip(g * (255.0 / np.maximum(b, 1.0)), 0, 255).astype(np.uint8).ravel()


_FLAT_TABLE = _flat_table()


def estimate_skew(ink: np.ndarray, max_angle: float = MAX_SKEW) -> float:
    """Skew of a page's dark marks in degrees (counter-clockwise positive, as cv2 rotates).

    Projection-profile search: for each candidate angle the dark pixels are projected along
    lines of that slope; printed rules and text rows make the projection sharpest (largest sum
    of squared bin counts) at the true skew. Coarse 0.25 degree steps, then 0.025.
    """
    mask = ink.view(np.uint8) if ink.dtype == np.bool_ else ink.astype(np.uint8, copy=False)
    found = cv2.findNonZero(np.ascontiguousarray(mask))  # (x, y) in row-major order
    if found is None or len(found) < 50:
        return 0.0
    pts = found.reshape(-1, 2)
    if len(pts) > 120_000:  # a deterministic subsample is plenty for the histogram
        pts = pts[:: len(pts) // 120_000 + 1]
    # The histogram does not depend on the points' order: group them by column (a radix
    # sort on 16-bit keys), so that each column's shift is added with one np.repeat.
    xs = pts[:, 0]
    by_col = np.argsort(xs.astype(np.uint16), kind="stable") if ink.shape[1] <= 65536 \
        else np.argsort(xs, kind="stable")
    ys = pts[by_col, 1].astype(np.int64)
    per_col = np.bincount(xs, minlength=ink.shape[1])
    xc = np.arange(ink.shape[1], dtype=np.float64) - ink.shape[1] / 2.0  # per column
    pad = ink.shape[1] * math.tan(math.radians(max_angle + 1)) + 2

    def sharpness(a: float) -> float:
        # Content rotated counter-clockwise by a: a horizontal rule satisfies y + x tan(a) = c.
        # y is an integer, so round(y + s) = y + round(s): the shift is rounded once per
        # column and each point only adds it (the same bins as rounding every point).
        shift = np.round(xc * math.tan(math.radians(a)) + pad).astype(np.int64)
        counts = np.bincount(ys + np.repeat(shift, per_col))
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


def rotate(img: np.ndarray, angle: float, border: int, nearest: bool = False) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_NEAREST if nearest else
                          cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=border)


def _vertical_runs(mask: np.ndarray) -> np.ndarray:
    """Length of the vertical run of True pixels through each pixel (0 where False)."""
    h, w = mask.shape
    # Columns laid end to end, each between two False pixels: a run starts where the flat
    # sequence steps up and ends where it steps down, and never spans two columns.
    cols = np.zeros((w, h + 2), dtype=np.int8)
    cols[:, 1:-1] = mask.T
    edges = np.diff(cols.ravel())
    lengths = (np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).astype(np.int32)
    runs = np.zeros((w, h), dtype=np.int32)
    runs[mask.T] = np.repeat(lengths, lengths)  # True pixels, column by column, run by run
    return runs.T


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
    gn, glabels, gstats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    groups = []
    for g in range(1, gn):
        # Each group's marks lie inside its grown outline's box: work there only.
        gx, gy = int(gstats[g, cv2.CC_STAT_LEFT]), int(gstats[g, cv2.CC_STAT_TOP])
        gw, gh = int(gstats[g, cv2.CC_STAT_WIDTH]), int(gstats[g, cv2.CC_STAT_HEIGHT])
        sub = (glabels[gy: gy + gh, gx: gx + gw] == g) & (clean[gy: gy + gh, gx: gx + gw] > 0)
        count = int(np.count_nonzero(sub))
        if count == 0:
            continue
        ys, xs = np.nonzero(sub)
        mask = np.zeros(ink.shape, dtype=bool)
        mask[gy: gy + gh, gx: gx + gw] = sub
        groups.append((mask, (gx + int(xs.min()), gy + int(ys.min()), gx + int(xs.max()) + 1,
                              gy + int(ys.max()) + 1), count))
    groups.sort(key=lambda g: -g[2])
    return groups


def ink_mask(norm: np.ndarray, level: int = INK_LEVEL) -> np.ndarray:
    """255 where the flat-fielded grey is at or below ``level``, else 0 (uint8)."""
    return cv2.threshold(norm, level, 255, cv2.THRESH_BINARY_INV)[1]
