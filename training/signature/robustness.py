"""Robustness checks: the test queries re-captured differently, the references left as enrolled.

Each set's skilled EER is measured again, change by change, by :func:`robustness`. A model
that tells genuine from forged by stroke width (BHSig's forgers pressed harder), paper
tone (CEDAR's genuine and forged sheets were scanned on different backgrounds), resolution or
slant has learned the data set, not the writer. Each change below is applied to the raw scan of
every test *query* before the preprocessing contract; the references stay as they were. The
issue's rule: no change may move a data set's skilled EER by more than one point.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import cv2
import numpy as np

from desktop.core.errors import InputImageError
from desktop.core.signature.preprocess import batch, preprocess_signature
from training.signature.evaluate import (
    PenMatching,
    pen_matching,
    protocol_distances,
    skilled_eer_per_set,
)

if TYPE_CHECKING:
    from desktop.core.signature.preprocess import SignaturePreprocessing
    from training.signature.data import SignatureImages

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


def robustness(
    embed: Callable[[np.ndarray], np.ndarray], test: SignatureImages,
    prep: SignaturePreprocessing, features: np.ndarray, ks: list[int], draws: int,
    seed: int = 0, pen: PenMatching | None = None,
) -> dict:
    """Skilled EER per data set and K with the test queries re-captured by each change of
    :data:`training.signature.robustness.CHANGES` (references unchanged), and how far each
    moved from the clean queries (``delta``, in EER units; the rule is at most 0.01).
    ``features`` are the clean test embeddings, ``embed`` maps ink maps to embeddings;
    ``pen`` the clean queries' pen matching under a version 4 contract (the re-captured
    queries are then matched to the references too). A changed scan the contract refuses
    keeps its clean query and is counted (``refused``)."""
    clean = {k: skilled_eer_per_set(protocol_distances(features, test, k, draws, seed,
                                                       pen=pen))
             for k in ks}
    paths = [str(s.path) for s in test.samples]
    out: dict = {"clean": {str(k): v for k, v in clean.items()}, "changes": {}}
    for name, change in CHANGES.items():
        scans, maps, refused = [], [], 0
        for gray, path in zip(test.images, paths, strict=True):
            try:
                changed_gray = change(gray)
                maps.append(preprocess_signature(changed_gray, prep, path=path))
                scans.append(changed_gray)
            except InputImageError:
                refused += 1
                maps.append(preprocess_signature(gray, prep, path=path))
                scans.append(gray)
        if pen is None:
            queries = {"query_features": embed(batch(maps))}
        else:
            queries = {"pen": pen_matching(scans, paths, prep, embed, widths=pen.widths)}
        row: dict = {"refused": refused}
        for k in ks:
            eers = skilled_eer_per_set(protocol_distances(features, test, k, draws, seed,
                                                          **queries))
            row[str(k)] = {"eer": eers,
                           "delta": {n: eers[n] - clean[k][n] for n in eers if n in clean[k]}}
        out["changes"][name] = row
    deltas = [abs(v) for row in out["changes"].values() for k in ks
              for v in row[str(k)]["delta"].values()]
    out["max_abs_delta"] = float(max(deltas)) if deltas else float("nan")
    return out
