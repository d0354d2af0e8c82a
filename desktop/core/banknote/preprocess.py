"""The banknote preprocessing contract: one rectified note in, one RGB tensor out.

Training imports these functions; the app runs them on the note that
:func:`desktop.core.banknote.detect.read_note` found, rectified and turned upright; each model's
manifest records :meth:`BanknotePreprocessing.to_dict` and the runtime rebuilds the same
object from it, refusing versions or keys it does not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np

from desktop.core.errors import N_, InputImageError, Message
from desktop.core.models.contract import PreprocessingContract

PREPROCESSING_NAME = "banknote-rgb"
PREPROCESSING_VERSION = 1


@dataclass(frozen=True)
class BanknotePreprocessing(PreprocessingContract):
    """Parameters of the banknote contract; a model's manifest records :meth:`to_dict`.

    Input: the rectified note (BGR uint8, from :func:`desktop.core.banknote.detect.rectify` at
    ``rectified_height``).
    A portrait image is turned 90 degrees clockwise to landscape; ``inset`` of each side is cut
    (slivers of background left by the corners); one gain for all three channels puts the
    luminance's ``gain_percentile`` at ``white_level`` (exposure cancels, colour stays: a
    colour-shifted copy must still look shifted); the note is resized keeping its aspect
    ratio into the ``height`` x ``width`` canvas and centred, the rest filled with
    ``pad_value`` (letterboxing: the aspect ratio differs between currencies and series and is
    itself a cue; parts of notes keep their shape). Output (3, height, width) float32 RGB in
    [0, 1].
    """

    NAME: ClassVar[str] = PREPROCESSING_NAME
    VERSION: ClassVar[int] = PREPROCESSING_VERSION

    height: int = 96
    width: int = 192
    rectified_height: int = 192
    inset: float = 0.015
    gain_percentile: float = 99.0
    white_level: float = 0.95
    max_gain: float = 4.0
    pad_value: float = 0.0
    min_side: int = 16

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """Shape of one preprocessed sample: (channels, height, width)."""
        return (3, self.height, self.width)


def preprocess_banknote(bgr: np.ndarray, cfg: BanknotePreprocessing | None = None,
                        path: str | Path | None = None) -> np.ndarray:
    """The contract: a rectified note (BGR uint8) -> float32 (3, height, width) RGB in [0, 1].

    See :class:`BanknotePreprocessing` for the steps. Raises :class:`InputImageError` for an
    image under ``min_side`` pixels on a side.
    """
    cfg = cfg or BanknotePreprocessing()
    if not isinstance(bgr, np.ndarray) or bgr.dtype != np.uint8 or bgr.ndim != 3:
        raise TypeError("preprocess_banknote expects a BGR uint8 image (H, W, 3)")
    img = bgr[..., :3]
    if img.shape[0] > img.shape[1]:
        img = cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE)
    h, w = img.shape[:2]
    if min(h, w) < cfg.min_side:
        raise InputImageError(path, Message(N_("the note image is too small ({size} pixels; "
                                               "at least {least} on each side are needed)"),
                                            size=f"{w}x{h}", least=cfg.min_side))
    dy, dx = int(cfg.inset * h), int(cfg.inset * w)
    img = img[dy: h - dy, dx: w - dx]
    rgb = img[..., ::-1].astype(np.float32) / 255.0
    lum = rgb @ np.float32([0.299, 0.587, 0.114])
    ref = float(np.percentile(lum, cfg.gain_percentile))
    gain = min(cfg.white_level / max(ref, 1e-3), cfg.max_gain)
    rgb = np.clip(rgb * gain, 0.0, 1.0)
    h, w = rgb.shape[:2]
    scale = min(cfg.height / h, cfg.width / w)
    nh, nw = max(1, min(cfg.height, round(h * scale))), max(1, min(cfg.width, round(w * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = np.clip(cv2.resize(rgb, (nw, nh), interpolation=interp), 0.0, 1.0)
    canvas = np.full((cfg.height, cfg.width, 3), cfg.pad_value, np.float32)
    top, left = (cfg.height - nh) // 2, (cfg.width - nw) // 2
    canvas[top: top + nh, left: left + nw] = resized
    return np.ascontiguousarray(canvas.transpose(2, 0, 1))
