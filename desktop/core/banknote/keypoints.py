"""Keypoints of a banknote picture: RootSIFT features found on a bounded copy, at the default
contrast threshold or a finer one on the picture's stretched grey levels.

The local-feature search (:mod:`desktop.core.banknote.register`) looks these up against its
reference sides; the thresholds were chosen there, on validation pictures. Only numpy and
OpenCV.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PICTURE_SIDE = 640  # the picture's features are found on a copy at most this long
# Keypoints kept per image (strongest first). On validation (BRL scans, one per side) 3000
# per reference side named 75.1% right instead of 73.8% but let 9.4% of notes not enrolled
# pass as another denomination instead of 4.2%; 3000 in the last search changed nothing
# (halves and quarters have fewer).
N_FEATURES = 1500
# SIFT's contrast threshold: OpenCV's default, and a lower one for a last search of a picture
# in which no side was verified (a half or a quarter of a note, a small or soft picture leaves
# few keypoints above the default). On validation (BRL scans) the lower one for every picture
# named 73% right instead of 65%, but let 10% of notes not enrolled pass as another
# denomination instead of 4%: finer keypoints register the design notes of a series share.
CONTRAST = 0.04
FINE_CONTRAST = 0.02
# The last search reads a copy whose grey levels from this low to this high percentile are
# spread over 0-255: a washed-out scan or a photo in glare keeps its print in a few grey
# levels, below any fixed threshold. On validation it named 73.8% of the BRL scans right
# instead of 72.0% (quarters 59% instead of 56%; 4.2% of notes not enrolled passed as another,
# was 5.2%), dong photos 20.8% / 57.1% instead of 20.0% / 57.1% with 1 / 5 photos enrolled
# (python benchmarks/banknote_contrast.py, results/banknote/contrast_*.json).
STRETCH_PERCENTILES = (1.0, 99.0)


@dataclass(frozen=True)
class LocalFeatures:
    """Keypoints of one image: positions (N, 2) in the image's own pixels, RootSIFT
    descriptors (N, 128) float32, and the image's size (width, height)."""

    points: np.ndarray
    descriptors: np.ndarray
    size: tuple[int, int]

    def __len__(self) -> int:
        return len(self.points)

    def subset(self, keep: np.ndarray) -> LocalFeatures:
        """The keypoints where ``keep`` (a boolean mask) is true."""
        return LocalFeatures(self.points[keep], self.descriptors[keep], self.size)


def gray_of(image: np.ndarray) -> np.ndarray:
    """A picture (BGR, BGRA or already grey) as one grey channel."""
    if image.ndim == 2:
        return image
    return cv2.cvtColor(image[..., :3], cv2.COLOR_BGR2GRAY)


def stretched(gray: np.ndarray) -> np.ndarray:
    """A grey picture with its :data:`STRETCH_PERCENTILES` spread over 0-255 (the picture
    itself when it is flat)."""
    lo, hi = np.percentile(gray[::2, ::2], STRETCH_PERCENTILES)
    if hi - lo < 1:
        return gray
    lut = np.clip((np.arange(256) - lo) * (255.0 / (hi - lo)), 0, 255)
    return cv2.LUT(gray, lut.astype(np.uint8))


def local_features(image: np.ndarray, max_side: int = PICTURE_SIDE,
                   n_features: int = N_FEATURES, contrast: float = CONTRAST) -> LocalFeatures:
    """RootSIFT keypoints of an image (BGR or grey uint8), found on a copy whose longer side
    is at most ``max_side``, with SIFT's ``contrast`` threshold; positions are given back in
    the image's own pixels."""
    gray = gray_of(image)
    h, w = gray.shape
    scale = min(1.0, max_side / max(h, w))
    small = gray if scale == 1.0 else cv2.resize(gray, (max(1, round(w * scale)),
                                                        max(1, round(h * scale))),
                                                 interpolation=cv2.INTER_AREA)
    sift = cv2.SIFT_create(nfeatures=n_features, contrastThreshold=contrast)
    keypoints, desc = sift.detectAndCompute(small, None)
    if desc is None or not keypoints:
        return LocalFeatures(np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32),
                             (w, h))
    # RootSIFT (Arandjelovic & Zisserman 2012): L1-normalise, square root; compared with L2.
    desc = np.sqrt(desc / np.maximum(desc.sum(axis=1, keepdims=True), 1e-7))
    points = np.float32([k.pt for k in keypoints]) / scale
    return LocalFeatures(points, desc.astype(np.float32), (w, h))
