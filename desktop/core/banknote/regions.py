"""A registered banknote compared with its reference: gradient images and their correlation.

The note warped into its reference's frame (:class:`desktop.core.banknote.register.Registration`)
is compared with the reference by the correlation of their gradient magnitudes at
:data:`CORR_WIDTH` pixels wide: over the whole visible note (the search's sanity check, which
rejects a homography fitted to repeated patterns) and region by region over a
:data:`REGION_GRID` (a note of another denomination that shares part of the design agrees
there only). Only numpy and OpenCV.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from desktop.core.banknote.register import Registration

CORR_WIDTH = 256  # the correlation is computed at this width
REGION_GRID = (4, 2)  # columns, rows of the regions compared one by one


def gradient_image(gray: np.ndarray) -> np.ndarray:
    """Gradient magnitude of a lightly blurred grey image (float32)."""
    g = cv2.GaussianBlur(gray.astype(np.float32), (0, 0), 1.2)
    return cv2.magnitude(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1))


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two arrays of equal shape (0 when either is flat)."""
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / max(np.sqrt((a * a).sum() * (b * b).sum()), 1e-9))


def aligned_gradients(picture_gray: np.ndarray, reg: Registration
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The registered note's gradient magnitudes and its reference's, at the correlation's
    width, and which of those pixels lie well inside the picture."""
    grad = reg.side.gradient
    ch, cw = grad.shape
    c = reg.side.size[0] / cw  # coarse pixels -> reference pixels
    m = reg.homography @ np.diag([c, c, 1.0])
    warped = cv2.warpPerspective(picture_gray, m, (cw, ch),
                                 flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP)
    valid = cv2.warpPerspective(np.full(picture_gray.shape, 255, np.uint8), m, (cw, ch),
                                flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
    return gradient_image(warped), grad, cv2.erode(valid, np.ones((5, 5), np.uint8)) > 0


def region_correlations(picture_gray: np.ndarray, reg: Registration,
                        grid: tuple[int, int] = REGION_GRID) -> np.ndarray:
    """The gradient correlation of each region of a ``grid`` (columns, rows) over the
    registered note with the same region of its reference; regions less than half inside the
    picture are left out. A note of another denomination that shares some of the design
    (a flag, a map, a signature) registers on those parts and agrees poorly elsewhere."""
    a, b, valid = aligned_gradients(picture_gray, reg)
    h, w = valid.shape
    out = []
    for j in range(grid[1]):
        for i in range(grid[0]):
            cell = (slice(j * h // grid[1], (j + 1) * h // grid[1]),
                    slice(i * w // grid[0], (i + 1) * w // grid[0]))
            v = valid[cell]
            if v.mean() >= 0.5:
                out.append(pearson(a[cell][v], b[cell][v]))
    return np.array(out, np.float64)
