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

The page cleaning steps (1, 2, 4, 5) are in :mod:`desktop.core.signature.cleaning`; this
module puts them together and decides what is not a cheque. Only numpy and OpenCV: no Qt,
no torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np

from desktop.core.errors import N_, InputImageError, Message, word_for
from desktop.core.imaging.decode import load_page
from desktop.core.signature.cleaning import (
    INK_LEVEL,
    WEAK_LEVEL,
    as_gray,
    drop_text_rows,
    estimate_skew,
    flat_field,
    group_marks,
    ink_mask,
    remove_lines,
    rotate,
)
from desktop.core.signature.verification import FORGED, VERDICT_WORDS, VerificationResult
from desktop.core.signature.zone import DEFAULT_ZONE, SignatureZone  # noqa: F401  (re-exported)

# A cheque scanned at 150 dpi or more (the app expects 200-300) is at least this wide and
# tall in pixels: the smallest cheques (6 x 2.75 inches) give 900 x 412 at 150 dpi.
MIN_PAGE_SIDE = (800, 350)
# Cheques are 2 to 3 times as wide as tall (US 2.18, UK and euro area 2.1-2.3, India 2.2);
# the scan must be cropped to the cheque, so a square photo or a portrait page is not one.
CHEQUE_ASPECT = (1.7, 3.4)
# The zone of a real cheque is paper with a signature and a line or two: its dark pixels
# stay under 11% and a signature fills under 20% of its own box (measured on 24 synthetic
# cheques of 200-300 dpi and CEDAR crops); a photo or a block of print is far darker.
MAX_ZONE_DARK = 0.30
MAX_SIGNATURE_FILL = 0.35


class ChequeRefused(InputImageError):
    """The image is readable but cannot be checked as a cheque: it does not look like one
    (``kind == "not_a_cheque"``; ``"turned"`` for a cheque standing up; ``"upside_down"``
    for one whose turned page reads better) or its signature zone holds no signature
    (``kind == "no_signature"``). ``page`` is the page as shown to the clerk (deskewed when
    the skew was found), so that a zone can be drawn on it."""

    def __init__(self, path: str | Path | None, problem: str, kind: str,
                 page: np.ndarray | None = None) -> None:
        super().__init__(path, problem)
        self.kind = kind
        self.page = page


@dataclass(frozen=True)
class ExtractedSignature:
    """The signature cut out of a cheque, and where it came from."""

    signature: np.ndarray  # uint8 crop, paper 255, only the signature's ink
    page: np.ndarray  # the deskewed page, uint8 grey (as scanned, not flat-fielded)
    angle: float  # skew corrected, degrees, counter-clockwise as cv2.getRotationMatrix2D
    zone_px: tuple[int, int, int, int]  # x0, y0, x1, y1 of the zone in the deskewed page
    ink_box: tuple[int, int, int, int]  # x0, y0, x1, y1 of the kept ink in the deskewed page
    lines_removed: int
    kept: np.ndarray = field(repr=False, compare=False)  # bool, kept ink in the deskewed page

    @cached_property
    def mask_in_page(self) -> np.ndarray:
        """bool, the kept ink in the ORIGINAL (skewed) page's coordinates. Computed when
        first read (benchmarks and tests read it; a check does not need it)."""
        return rotate(self.kept.astype(np.uint8) * 255, self.angle, border=0) > 127


TURNED = N_("this cheque seems turned 90 degrees: the image is {size} pixels, taller than "
            "wide; rotate the scan, or scan the cheque lying down, and check it again")


def cheque_shape_problem(gray: np.ndarray) -> str | None:
    """Why an image's size and shape rule out a cheque scan cropped to the cheque at 150 dpi
    or more, or None when they fit one."""
    h, w = gray.shape[:2]
    if (h >= MIN_PAGE_SIDE[0] and w >= MIN_PAGE_SIDE[1]
            and CHEQUE_ASPECT[0] <= h / w <= CHEQUE_ASPECT[1]):  # a cheque, standing up
        return Message(TURNED, size=f"{w}x{h}")
    if w < MIN_PAGE_SIDE[0] or h < MIN_PAGE_SIDE[1]:
        least = f"{MIN_PAGE_SIDE[0]}x{MIN_PAGE_SIDE[1]}"
        return Message(N_("this does not look like a cheque: the image is {size} pixels, "
                          "smaller than a cheque scanned at 150 dpi or more ({least}); a "
                          "signature already cut out is checked in the comparison window "
                          "instead"), size=f"{w}x{h}", least=least)
    aspect = w / h
    if not CHEQUE_ASPECT[0] <= aspect <= CHEQUE_ASPECT[1]:
        template = (N_("this does not look like a cheque: the image is {size} pixels, {aspect} "
                       "times as wide as tall, where a scan cropped to the cheque is {low} to "
                       "{high} times (is the scan cropped to the cheque?)") if aspect < 1 else
                    N_("this does not look like a cheque: the image is {size} pixels, {aspect} "
                       "times as wide as tall, where a scan cropped to the cheque is {low} to "
                       "{high} times"))
        return Message(template, size=f"{w}x{h}", aspect=f"{aspect:.2f}",
                       low=f"{CHEQUE_ASPECT[0]:g}", high=f"{CHEQUE_ASPECT[1]:g}")
    return None


def _check_size(gray: np.ndarray, path: str | Path | None) -> None:
    problem = cheque_shape_problem(gray)
    if problem:
        turned = getattr(problem, "template", None) == TURNED
        raise ChequeRefused(path, problem, "turned" if turned else "not_a_cheque", gray)


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
    ink_full = ink_mask(norm)
    speck = max(4, round(8 * (H / 700.0) ** 2))  # a few printer/scanner dots at this size
    n_dark = int(cv2.countNonZero(ink_full))
    if n_dark < 10 * speck or int(gray.max()) - int(gray.min()) < 40:
        dark = int(gray.max()) < 80  # not even the paper is light: lid open, lamp off
        raise InputImageError(path, Message(
            N_("the cheque image is entirely black/dark: no paper visible") if dark else
            N_("the cheque is blank: no print or ink was found")))

    # Deskew on a reduced copy (speed); the angle does not depend on the scale.
    f = max(1, W // 900)
    small = ink_full if f == 1 else cv2.resize(ink_full, (W // f, H // f),
                                               interpolation=cv2.INTER_AREA)
    angle = estimate_skew(small if f == 1 else cv2.threshold(small, 100, 255,
                                                             cv2.THRESH_BINARY)[1])
    page = rotate(gray, -angle, border=int(np.median(gray[:, :4])))
    norm_d = rotate(norm, -angle, border=255)

    x0, y0 = int(round(zone.x * W)), int(round(zone.y * H))
    x1, y1 = int(round((zone.x + zone.w) * W)), int(round((zone.y + zone.h) * H))
    zone_px = (x0, y0, x1, y1)
    # Work on the zone plus a margin so that a rule entering the zone is seen at full length.
    h_len, v_len = max(15, round(0.15 * W)), max(15, round(0.3 * H))
    thick = max(1, round(H / 400))
    mx, my = h_len, max(4, round(0.02 * H))
    rx0, ry0, rx1, ry1 = max(0, x0 - mx), max(0, y0 - my), min(W, x1 + mx), min(H, y1 + my)
    # Everything from here on happens inside this region of interest, never the whole page.
    norm_roi = norm_d[ry0:ry1, rx0:rx1]
    weak = ink_mask(norm_roi, WEAK_LEVEL)
    cleaned, n_lines, removed = remove_lines(weak, h_len, v_len, thick)
    inner = np.zeros_like(cleaned)
    inner[y0 - ry0: y1 - ry0, x0 - rx0: x1 - rx0] = cleaned[y0 - ry0: y1 - ry0,
                                                            x0 - rx0: x1 - rx0]
    inner = drop_text_rows(inner, H, removed)
    strong = norm_roi <= INK_LEVEL
    groups = group_marks(inner, max(2, round(0.012 * W)), max(2, round(0.02 * H)), speck)
    # A group's mask is empty outside its box: count its strong ink there.
    groups = [(mask, box, int(np.count_nonzero(mask[box[1]:box[3], box[0]:box[2]]
                                               & strong[box[1]:box[3], box[0]:box[2]])))
              for mask, box, _ in groups]
    groups.sort(key=lambda g: -g[2])
    # The signature is the largest group of marks; printed leftovers are short, narrow and
    # small (a flourish cut off by a rule is short but wide, so it stays).
    groups = [g for g in groups if g[1][3] - g[1][1] >= 0.06 * H
              or g[1][2] - g[1][0] >= 0.05 * W or g[2] >= 0.25 * groups[0][2]]
    zone_dark = float(np.count_nonzero(norm_d[y0:y1, x0:x1] <= INK_LEVEL)) / max(
        1, (y1 - y0) * (x1 - x0))
    if zone_dark > MAX_ZONE_DARK:
        raise ChequeRefused(
            path, Message(N_("this does not look like a cheque: {share} of the signature zone "
                             "({zone}) is dark, as in a photo or a block of print, not a "
                             "signature on paper"), share=f"{zone_dark:.0%}",
                          zone=zone.describe()), "not_a_cheque", page)
    if not groups or groups[0][2] < 30 * speck:
        raise ChequeRefused(
            path, Message(N_("no signature found in the signature zone ({zone}); draw the "
                             "zone around the signature on the cheque, or check the scan"),
                          zone=zone.describe()),
            "no_signature", page)
    biggest = groups[0][2]
    kept_roi = np.zeros(cleaned.shape, dtype=bool)
    for mask, (gx0, gy0, gx1, gy1), count in groups:
        if count >= 0.05 * biggest:
            kept_roi[gy0:gy1, gx0:gx1] |= mask[gy0:gy1, gx0:gx1]
    kept_strong = kept_roi & strong
    kept_weak = np.zeros((H, W), dtype=bool)
    kept_weak[ry0:ry1, rx0:rx1] = kept_roi
    kept = np.zeros((H, W), dtype=bool)
    kept[ry0:ry1, rx0:rx1] = kept_strong

    ys, xs = np.nonzero(kept_strong)
    bx0, by0 = rx0 + int(xs.min()), ry0 + int(ys.min())
    bx1, by1 = rx0 + int(xs.max()) + 1, ry0 + int(ys.max()) + 1
    fill = len(ys) / max(1, (bx1 - bx0) * (by1 - by0))
    if fill > MAX_SIGNATURE_FILL:
        raise ChequeRefused(
            path, Message(N_("no signature found in the signature zone ({zone}): the marks "
                             "there cover {share} of their box, as a picture or a stamp does, "
                             "where handwriting covers a fifth or less"),
                          zone=zone.describe(), share=f"{fill:.0%}"),
            "no_signature", page)
    m = max(4, round(0.01 * H))
    cx0, cy0, cx1, cy1 = max(0, bx0 - m), max(0, by0 - m), min(W, bx1 + m), min(H, by1 + m)
    # Keep the strokes' soft edges (one pixel around the kept ink) and their faint parts.
    soft = cv2.dilate(kept[cy0:cy1, cx0:cx1].astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    soft |= kept_weak[cy0:cy1, cx0:cx1]
    crop = np.where(soft, norm_d[cy0:cy1, cx0:cx1], 255).astype(np.uint8)
    return ExtractedSignature(
        signature=crop, page=page, angle=float(angle), zone_px=zone_px,
        ink_box=(bx0, by0, bx1, by1), lines_removed=n_lines, kept=kept,
    )


def upside_down_problem(gray: np.ndarray, zone: SignatureZone,
                        judge: Callable[[np.ndarray], VerificationResult]) -> Message | None:
    """Why a cheque whose signature was judged forged is more likely scanned upside down, or
    None: the page turned over has a signature in its zone that ``judge`` (the account's
    comparison) does not call forged. Only asked for a forged verdict; a refusal, never a
    verdict, comes of it, so the clerk scans the cheque the right way up and checks again.
    On 48 synthetic cheques of 8 writers (``benchmarks/upside_down_cheques.py``) it refused
    21 of the 24 upside-down genuine cheques and none of the 24 upright forgeries."""
    try:
        turned = extract_signature(np.ascontiguousarray(gray[::-1, ::-1]), zone)
    except InputImageError:
        return None
    result = judge(turned.signature)
    if result.decision == FORGED:
        return None
    return Message(N_("the cheque seems to be upside down: its signature zone reads as "
                      "forged, but the page turned over does not ({verdict}, similarity "
                      "{similarity}). Scan it the right way up and check it again"),
                   verdict=word_for(VERDICT_WORDS, result.decision),
                   similarity=f"{result.similarity:.2f}")


def whole_cheque_warning(gray: np.ndarray) -> str | None:
    """A warning when an image given as a signature crop looks like a whole cheque (the
    comparison window's query): cheque-sized and shaped, with a printed rule in the
    signature zone and a signature that fills only part of the page. None otherwise."""
    gray = as_gray(gray)
    if cheque_shape_problem(gray) is not None:
        return None
    try:
        ex = extract_signature(gray)
    except InputImageError:
        return None
    x0, y0, x1, y1 = ex.ink_box
    share = (x1 - x0) * (y1 - y0) / float(gray.shape[0] * gray.shape[1])
    if ex.lines_removed == 0 or share > 0.4:
        return None
    return ("this looks like a whole cheque, not a signature crop: the comparison window "
            "compares the image as it is; check cheques on the Cheque check screen, or cut "
            "out the signature first")


def extract_from_file(
    path: str | Path, zone: SignatureZone = DEFAULT_ZONE, page: int = 0,
) -> ExtractedSignature:
    """Load ``path`` (page 0 is the front of a multi-page TIFF, 1 the back) and extract."""
    return extract_signature(load_page(path, page), zone, path=path)
