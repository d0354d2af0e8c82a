"""Training-time augmentation: capture conditions on the raw scan, small shifts on the ink map.

Capture augmentation acts *before* the preprocessing contract so the network learns from what
the contract really outputs for a grey, noisy, blurred, rescaled or JPEG-compressed scan.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from desktop.core.errors import InputImageError
from desktop.core.signature.preprocess import SignaturePreprocessing, preprocess_signature


@dataclass(frozen=True)
class CaptureRanges:
    """How far the capture augmentation goes (see :data:`CAPTURE`)."""

    scale: tuple[float, float]  # resolution factor, drawn uniformly
    rotation_sd: float  # degrees
    ink_change: float  # probability of a 1-pixel thicker or thinner pen (half each)
    paper: tuple[float, float]  # paper-tone factor


CAPTURE = {
    # The ranges of the CEDAR-only model: +-25% resolution, 2 degrees, pen width 35% of the time.
    "narrow": CaptureRanges((0.75, 1.25), 2.0, 0.35, (0.72, 1.0)),
    # What the robustness checks ask of a model: half to double resolution, 5 degrees,
    # a one-pixel pen change on most images, darker paper.
    "wide": CaptureRanges((0.5, 2.0), 3.0, 0.6, (0.6, 1.0)),
}


def augment_capture(gray: np.ndarray, rng: np.random.Generator,
                    ranges: CaptureRanges = CAPTURE["narrow"]) -> np.ndarray:
    """Random paper tone, resolution, rotation, pen width, blur, noise and JPEG round trip."""
    img = gray.astype(np.float32)
    scale = rng.uniform(*ranges.scale)  # scanners at other dpi
    img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), rng.normal(0, ranges.rotation_sd), 1.0)
    m[0, 1] += rng.normal(0, 0.05)  # slight shear
    img = cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
    r = rng.random()
    if r < ranges.ink_change / 2:
        img = cv2.erode(img, np.ones((2, 2), np.uint8))  # dark ink grows: thicker pen
    elif r < ranges.ink_change:
        img = cv2.dilate(img, np.ones((2, 2), np.uint8))
    img = img * rng.uniform(*ranges.paper)  # paper tone
    if rng.random() < 0.5:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.0))
    img = img + rng.normal(0, rng.uniform(0, 5), img.shape)
    out = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        ok, enc = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 90))])
        if ok:
            out = cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)
    return out


def shift_inkmap(inkmap: np.ndarray, rng: np.random.Generator, max_shift: int = 4) -> np.ndarray:
    """Random translation of the canvas by up to ``max_shift`` pixels (random-crop analogue)."""
    dy, dx = rng.integers(-max_shift, max_shift + 1, size=2)
    m = np.float32([[1, 0, dx], [0, 1, dy]])
    h, w = inkmap.shape
    return cv2.warpAffine(inkmap, m, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=0)


ELASTIC_GRID = (3, 4)  # control points (rows, columns): one per part of a signature's length


def elastic_warp(inkmap: np.ndarray, rng: np.random.Generator, amplitude: float) -> np.ndarray:
    """Bend the ink map smoothly: the control points of a coarse grid (:data:`ELASTIC_GRID`)
    move by N(0, ``amplitude``) canvas pixels each way, and the displacement between them is
    interpolated bicubically. Parts of the signature move against each other (a letter a
    little higher, a loop a little wider), as one writer's signatures differ from day to day,
    where the capture's rotation and shear move the whole scan at once."""
    h, w = inkmap.shape
    field = rng.normal(0.0, amplitude, size=(2, *ELASTIC_GRID)).astype(np.float32)
    dx, dy = (cv2.resize(f, (w, h), interpolation=cv2.INTER_CUBIC) for f in field)
    xx, yy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(inkmap, xx + dx, yy + dy, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def augmented_inkmap(
    gray: np.ndarray, cfg: SignaturePreprocessing, rng: np.random.Generator,
    ranges: CaptureRanges = CAPTURE["narrow"], elastic: float = 0.0,
) -> np.ndarray:
    """Augment, preprocess with the contract, bend (``elastic`` > 0: :func:`elastic_warp`'s
    amplitude), shift; falls back to the clean image if the augmented one no longer passes
    the contract's checks (e.g. ink made too faint)."""
    try:
        inkmap = preprocess_signature(augment_capture(gray, rng, ranges), cfg)
    except InputImageError:
        inkmap = preprocess_signature(gray, cfg)
    if elastic > 0:
        inkmap = elastic_warp(inkmap, rng, elastic)
    return shift_inkmap(inkmap, rng)
