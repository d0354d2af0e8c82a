"""The learned note finder at run time: where the notes are in a picture, however cluttered.

A small fully convolutional network (trained by :mod:`training.banknote.detector`, shipped as
an ONNX file in the banknote model folder) marks every cell of a picture squeezed to a square
(:data:`SIDE` pixels) with the chance that it shows a banknote. The map is stretched back over
the picture, cut at :data:`THRESHOLD`, and each connected region large enough to be a note
gives one rotated rectangle: a rough outline, good enough to enroll a note's picture or to say
that a picture holds a note at all. The note's exact outline comes later, from its printed
detail (:mod:`desktop.core.banknote.register`).

Only numpy, OpenCV and onnxruntime: no Qt, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from desktop.core.banknote.detect import NoteQuad, as_bgr, order_corners
from desktop.core.errors import ModelError
from desktop.core.models.runtime import create_session

SIDE = 192  # the network's square input
WORK_SIDE = 480  # the map is cut on a copy of the picture at most this long
THRESHOLD = 0.5
MIN_AREA = 0.02  # share of the picture a note must cover
MIN_SCORE = 0.6  # mean chance inside a region


def finder_input(image: np.ndarray) -> np.ndarray:
    """A BGR picture -> the network's input: float32 RGB (1, 3, SIDE, SIDE) in [0, 1]."""
    small = cv2.resize(image[..., :3], (SIDE, SIDE), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(small[..., ::-1].transpose(2, 0, 1)[None], np.float32) / 255.0


@dataclass(frozen=True)
class FoundNote:
    """A note the finder marked: its rough outline in the picture, the mean chance inside it,
    and the share of the picture it covers."""

    quad: NoteQuad
    score: float
    area: float


class NoteFinder:
    """The finder network of a model folder (run from bytes checked against ``sha256``)."""

    def __init__(self, path: str | Path, sha256: str | None = None) -> None:
        self.path = Path(path)
        self.session, _ = create_session(self.path, "cpu", expected_sha256=sha256)
        inputs = self.session.get_inputs()
        if len(inputs) != 1 or list(inputs[0].shape[1:]) != [3, SIDE, SIDE]:
            raise ModelError(self.path, f"the note finder's input must be (N, 3, {SIDE}, "
                             f"{SIDE})")
        self._input = inputs[0].name

    def heat_map(self, image: np.ndarray) -> np.ndarray:
        """The chance of a note per cell, float32 (SIDE / 4, SIDE / 4)."""
        (logits,) = self.session.run(None, {self._input: finder_input(image)})
        return (1.0 / (1.0 + np.exp(-logits[0, 0]))).astype(np.float32)

    def find(self, image: np.ndarray) -> list[FoundNote]:
        """Every note marked in a picture (BGR, BGRA or grey), largest first."""
        image = as_bgr(image)
        h, w = image.shape[:2]
        s = min(1.0, WORK_SIDE / max(h, w))
        ww, wh = max(1, round(w * s)), max(1, round(h * s))
        prob = cv2.resize(self.heat_map(image), (ww, wh), interpolation=cv2.INTER_LINEAR)
        mask = (prob > THRESHOLD).astype(np.uint8)
        k = max(3, round(0.02 * min(ww, wh))) | 1
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((k, k), np.uint8))
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        found = []
        for contour in contours:
            area = float(cv2.contourArea(contour)) / (ww * wh)
            if area < MIN_AREA:
                continue
            region = np.zeros_like(mask)
            cv2.drawContours(region, [contour], -1, 1, -1)
            score = float(prob[region > 0].mean())
            if score < MIN_SCORE:
                continue
            box = cv2.boxPoints(cv2.minAreaRect(contour)).astype(np.float32)
            corners = (box + 0.5) / s - 0.5  # work pixel centres -> picture pixel centres
            found.append(FoundNote(NoteQuad(order_corners(corners)), score, area))
        return sorted(found, key=lambda f: -f.area)


def quad_iou(a: NoteQuad, b: NoteQuad) -> float:
    """Intersection over union of two convex outlines."""
    pa, pb = a.corners.astype(np.float32), b.corners.astype(np.float32)
    inter, _ = cv2.intersectConvexConvex(pa, pb)
    union = abs(cv2.contourArea(pa)) + abs(cv2.contourArea(pb)) - inter
    return float(inter / union) if union > 0 else 0.0
