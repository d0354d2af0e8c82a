"""Black-and-white scans made in a scanner's halftone (dithered) mode, refused as they are
decoded (:mod:`desktop.core.imaging.decode`). Only numpy, OpenCV and Pillow."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from desktop.core.errors import N_, InputImageError, Message

# A black-and-white scan made in a scanner's halftone mode draws grey (a cheque's tinted
# background, a faint stroke) as scattered dots: the rules, the printed text and the strokes
# cannot be told apart any more, and a genuine signature read through them was called forged
# (similarity 0.000 where its greyscale scan read 0.87-0.90). Such a page is refused. Among
# the black pixels of the generator's cheques dithered by Pillow 42-62% touch no other black
# pixel; thresholded instead, none do (print and strokes are solid; dust specks are few).
HALFTONE_ISOLATED = 0.2
HALFTONE_MIN_BLACK = 1000  # black pixels: fewer (a blank page with dust) is not judged here
HALFTONE = N_("a black-and-white scan in halftone (dithered) mode: its grey areas are dot "
              "patterns among which strokes cannot be told from the background; scan in "
              "greyscale (or black and white without halftone)")


def halftone_share(black: np.ndarray) -> float:
    """The share of a page's black pixels (boolean mask) that touch no other black pixel
    (8-neighbours); 0 for a page with fewer than :data:`HALFTONE_MIN_BLACK` of them."""
    ink = black.astype(np.uint8)
    count = int(ink.sum())
    if count < HALFTONE_MIN_BLACK:
        return 0.0
    touching = cv2.filter2D(ink, -1, np.ones((3, 3), np.float32),
                            borderType=cv2.BORDER_CONSTANT) - ink
    return float(np.count_nonzero(ink & (touching == 0))) / count


def refuse_halftone(frame: Image.Image, path: str | Path) -> None:
    """Raise :class:`InputImageError` naming ``path`` when a bilevel (mode "1") frame is a
    halftone: :data:`HALFTONE_ISOLATED` of its black pixels or more touch no other."""
    if halftone_share(~np.asarray(frame, dtype=bool)) >= HALFTONE_ISOLATED:
        raise InputImageError(path, Message(HALFTONE))
