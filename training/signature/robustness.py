"""Robustness checks: the test queries re-captured differently, the references left as enrolled.

A model that tells genuine from forged by stroke width (BHSig's forgers pressed harder), paper
tone (CEDAR's genuine and forged sheets were scanned on different backgrounds), resolution or
slant has learned the data set, not the writer. Each change below is applied to the raw scan of
every test *query* before the preprocessing contract; the references stay as they were. The
issue's rule: no change may move a data set's skilled EER by more than one point.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

_PIXEL = np.ones((2, 2), np.uint8)


def _rotate(gray: np.ndarray, degrees: float) -> np.ndarray:
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def _resize(gray: np.ndarray, factor: float) -> np.ndarray:
    inter = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    return cv2.resize(gray, None, fx=factor, fy=factor, interpolation=inter)


def _paper_tone(gray: np.ndarray) -> np.ndarray:
    # A darker, greyer sheet: white paper becomes ~190, ink keeps its contrast ratio.
    return np.clip(gray.astype(np.float32) * 0.75, 0, 255).astype(np.uint8)


# Dark ink on light paper: a grey-level erosion grows the ink, a dilation shrinks it.
CHANGES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "ink +1 px": lambda g: cv2.erode(g, _PIXEL),
    "ink -1 px": lambda g: cv2.dilate(g, _PIXEL),
    "paper tone": _paper_tone,
    "half resolution": lambda g: _resize(g, 0.5),
    "double resolution": lambda g: _resize(g, 2.0),
    "rotated 5 deg": lambda g: _rotate(g, 5.0),
}
