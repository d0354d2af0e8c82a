"""A registered banknote compared with its reference: gradient images and their correlation.

The note warped into its reference's frame (:class:`desktop.core.banknote.register.Registration`)
is compared with the reference by the correlation of their gradient magnitudes at
:data:`CORR_WIDTH` pixels wide: over the whole visible note (the search's sanity check, which
rejects a homography fitted to repeated patterns) and region by region over a
:data:`REGION_GRID` (a note of another denomination that shares part of the design agrees
there only); and by the layout of its colours over the same regions
(:func:`colour_difference`). The regions that differ are named for the clerk
(:func:`region_names`) and outlined on the note (:func:`outline_regions`). Only numpy and
OpenCV.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import cv2
import numpy as np

from desktop.core.errors import N_, Message

if TYPE_CHECKING:
    from desktop.core.banknote.register import Registration

CORR_WIDTH = 256  # the correlation is computed at this width
REGION_GRID = (4, 2)  # columns, rows of the regions compared one by one
# The regions' names as a clerk reads them on the upright note, row by row (REGION_GRID).
REGION_WORDS = (N_("top left"), N_("top centre-left"), N_("top centre-right"),
                N_("top right"), N_("bottom left"), N_("bottom centre-left"),
                N_("bottom centre-right"), N_("bottom right"))
# A reference whose regions are all greyer than this (CIELAB chroma) has no colours to compare.
MIN_REFERENCE_CHROMA = 4.0


def gradient_image(gray: np.ndarray) -> np.ndarray:
    """Gradient magnitude of a lightly blurred grey image (float32)."""
    g = cv2.GaussianBlur(gray.astype(np.float32), (0, 0), 1.2)
    return cv2.magnitude(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1))


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two arrays of equal shape (0 when either is flat)."""
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / max(np.sqrt((a * a).sum() * (b * b).sum()), 1e-9))


def _warped(picture: np.ndarray, reg: Registration) -> tuple[np.ndarray, np.ndarray]:
    """The registered note at the correlation's width (the reference's frame) and which of its
    pixels lie well inside the picture."""
    ch, cw = reg.side.gradient.shape
    c = reg.side.size[0] / cw  # coarse pixels -> reference pixels
    m = reg.homography @ np.diag([c, c, 1.0])
    warped = cv2.warpPerspective(picture, m, (cw, ch),
                                 flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP)
    valid = cv2.warpPerspective(np.full(picture.shape[:2], 255, np.uint8), m, (cw, ch),
                                flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
    return warped, cv2.erode(valid, np.ones((5, 5), np.uint8)) > 0


def aligned_gradients(picture_gray: np.ndarray, reg: Registration
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The registered note's gradient magnitudes and its reference's, at the correlation's
    width, and which of those pixels lie well inside the picture."""
    warped, valid = _warped(picture_gray, reg)
    return gradient_image(warped), reg.side.gradient, valid


def _all_cells(shape: tuple[int, ...], grid: tuple[int, int]) -> list[tuple[slice, slice]]:
    """Every region of a ``grid`` (columns, rows) over an image of ``shape``, row by row."""
    h, w = shape[:2]
    return [(slice(j * h // grid[1], (j + 1) * h // grid[1]),
             slice(i * w // grid[0], (i + 1) * w // grid[0]))
            for j in range(grid[1]) for i in range(grid[0])]


def _cells(valid: np.ndarray, grid: tuple[int, int]) -> list[tuple[slice, slice]]:
    """The regions of a ``grid`` (columns, rows) at least half inside the picture."""
    return [c for c in _all_cells(valid.shape, grid) if valid[c].mean() >= 0.5]


def region_correlations(picture_gray: np.ndarray, reg: Registration,
                        grid: tuple[int, int] = REGION_GRID) -> np.ndarray:
    """The gradient correlation of each region of a ``grid`` (columns, rows; row by row, as
    :data:`REGION_WORDS` names them) over the registered note with the same region of its
    reference; NaN for a region less than half inside the picture. A note of another
    denomination that shares some of the design (a flag, a map, a signature) registers on
    those parts and agrees poorly elsewhere."""
    a, b, valid = aligned_gradients(picture_gray, reg)
    return np.array([pearson(a[c][valid[c]], b[c][valid[c]]) if valid[c].mean() >= 0.5
                     else np.nan for c in _all_cells(valid.shape, grid)], np.float64)


def region_names(indices: Sequence[int]) -> Message:
    """The regions ``indices`` (of :data:`REGION_GRID`) as one listing a window translates
    (each name a word of :data:`REGION_WORDS`)."""
    names = [Message(REGION_WORDS[i]) for i in indices]
    if not names:
        return Message("")
    listing = names[-1]
    for name in reversed(names[:-1]):
        listing = Message(N_("{first}, {rest}"), first=name, rest=listing)
    return listing


def outline_regions(note: np.ndarray, indices: Sequence[int],
                    grid: tuple[int, int] = REGION_GRID,
                    colour: tuple[int, int, int] = (40, 40, 220)) -> np.ndarray:
    """A copy of an upright registered note (BGR, in its reference's frame) with the regions
    ``indices`` of a ``grid`` outlined, for the clerk to see where it differs."""
    out = note.copy() if note.ndim == 3 else cv2.cvtColor(note, cv2.COLOR_GRAY2BGR)
    thick = max(2, round(max(out.shape[:2]) / 200))
    cells = _all_cells(out.shape, grid)
    for i in indices:
        rows, cols = cells[i]
        cv2.rectangle(out, (cols.start + thick, rows.start + thick),
                      (cols.stop - 1 - thick, rows.stop - 1 - thick), colour, thick)
    return out


def colour_difference(picture: np.ndarray, reg: Registration,
                      grid: tuple[int, int] = REGION_GRID) -> tuple[float, float] | None:
    """How the registered note's colours differ from its reference's, as (layout, cast) in
    CIELAB units. Each region of a ``grid`` gives the difference of its mean (a*, b*) from
    the reference's; the *cast* is the mean of those differences (a camera's white balance
    or the light shifts every region alike), the *layout* the largest difference left once
    the cast is taken off (a note of another denomination differs region by region: its
    colour where the reference has white paper or another colour). None where colour says
    nothing: a picture or reference of one channel, a reference without colour (all its
    regions greyer than :data:`MIN_REFERENCE_CHROMA`), fewer than two regions in the
    picture."""
    if picture.ndim != 3 or reg.side.image.ndim != 3:
        return None
    warped, valid = _warped(picture, reg)
    ch, cw = valid.shape
    ref = cv2.resize(reg.side.image, (cw, ch), interpolation=cv2.INTER_AREA)
    cells = _cells(valid, grid)
    if len(cells) < 2:
        return None

    def means(bgr: np.ndarray) -> np.ndarray:
        ab = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB)[..., 1:].astype(np.float32) - 128.0
        return np.array([ab[c][valid[c]].mean(axis=0) for c in cells])

    mine, theirs = means(warped), means(ref)
    if np.linalg.norm(theirs, axis=1).max() < MIN_REFERENCE_CHROMA:
        return None
    diff = mine - theirs
    cast = diff.mean(axis=0)
    return float(np.linalg.norm(diff - cast, axis=1).max()), float(np.linalg.norm(cast))
