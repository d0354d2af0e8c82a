"""Verification metrics on distances (lower = more alike): EER, FAR/FRR, AUC, calibration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve


@dataclass(frozen=True)
class EER:
    """Equal error rate and the distance threshold where FAR and FRR meet."""

    eer: float
    threshold: float


def _scores(genuine: np.ndarray, impostor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.r_[np.ones(len(genuine)), np.zeros(len(impostor))]
    return y, -np.r_[genuine, impostor]  # higher score = more likely genuine


def equal_error_rate(genuine: np.ndarray, impostor: np.ndarray) -> EER:
    """EER from genuine and impostor distances (threshold: accept when distance <= it)."""
    y, s = _scores(np.asarray(genuine), np.asarray(impostor))
    fpr, tpr, thr = roc_curve(y, s)
    fnr = 1 - tpr
    i = int(np.nanargmin(np.abs(fnr - fpr)))
    # Interpolate between the two ROC points around the crossing for a stable estimate.
    j = min(i + 1, len(fpr) - 1) if fnr[i] > fpr[i] else max(i - 1, 0)
    a, b = fnr[i] - fpr[i], fnr[j] - fpr[j]
    w = 0.0 if a == b else a / (a - b)
    eer = float((fpr[i] + w * (fpr[j] - fpr[i]) + fnr[i] + w * (fnr[j] - fnr[i])) / 2)
    t_i, t_j = -thr[i], -thr[j]
    if not np.isfinite(t_i):
        t_i = float(np.max(np.r_[genuine, impostor]))
    if not np.isfinite(t_j):
        t_j = t_i
    return EER(eer=eer, threshold=float(t_i + w * (t_j - t_i)))


def far_frr(genuine: np.ndarray, impostor: np.ndarray, threshold: float) -> tuple[float, float]:
    """(FAR, FRR) when distances at or below ``threshold`` are accepted."""
    far = float(np.mean(np.asarray(impostor) <= threshold)) if len(impostor) else float("nan")
    frr = float(np.mean(np.asarray(genuine) > threshold)) if len(genuine) else float("nan")
    return far, frr


def auc(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """ROC AUC: the probability that a genuine distance is below an impostor one."""
    y, s = _scores(np.asarray(genuine), np.asarray(impostor))
    return float(roc_auc_score(y, s))


def roc(genuine: np.ndarray, impostor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(FAR, 1 - FRR) points of the ROC curve."""
    y, s = _scores(np.asarray(genuine), np.asarray(impostor))
    fpr, tpr, _ = roc_curve(y, s)
    return fpr, tpr


def distance_at_far(impostor: np.ndarray, target_far: float) -> float:
    """Largest distance threshold whose FAR on ``impostor`` does not exceed ``target_far``."""
    imp = np.sort(np.asarray(impostor))
    if not np.issubdtype(imp.dtype, np.floating):
        imp = imp.astype(np.float64)
    k = int(np.floor(target_far * len(imp)))
    if k >= len(imp):
        return float(imp[-1])
    # Strictly below imp[k], so at most k impostors are accepted. (Subtracting a fixed 1e-9
    # from a float32 score was a no-op and let imp[k] itself, and its ties, through.) The
    # threshold must stay below imp[k] in the scores' own precision too: numpy compares a
    # float32 array with a Python float in float32.
    below = imp[:k][imp[:k] < imp[k]]
    if len(below):
        mid = (float(below[-1]) + float(imp[k])) / 2
        if imp.dtype.type(mid) < imp[k]:
            return mid
    return float(np.nextafter(imp[k], imp.dtype.type(-np.inf)))


def distance_at_frr(genuine: np.ndarray, target_frr: float) -> float:
    """Smallest distance threshold whose FRR on ``genuine`` does not exceed ``target_frr``."""
    return float(np.quantile(np.asarray(genuine), 1.0 - target_frr))


def security_levels(
    genuine: np.ndarray, skilled: np.ndarray, random: np.ndarray, targets: Sequence[float],
) -> list[dict]:
    """The security-level table of one method and K, from *validation* scores.

    For each target skilled-forgery FAR: the threshold of :func:`distance_at_far` (so the
    empirical skilled FAR there never exceeds the target) and the skilled FAR, random FAR and
    FRR measured at it on the same scores.
    """
    rows = []
    for target in targets:
        threshold = distance_at_far(skilled, target)
        far_s, frr = far_frr(genuine, skilled, threshold)
        far_r, _ = far_frr(genuine, random, threshold)
        rows.append({"target_far": float(target), "threshold": threshold,
                     "far_skilled": far_s, "far_random": far_r, "frr": frr})
    return rows


def calibrate(
    genuine: np.ndarray, skilled: np.ndarray, random: np.ndarray, k: int,
    target_far: float = 0.02, target_frr: float = 0.05,
) -> dict:
    """Thresholds and similarity map from *validation* distances, for K references.

    ``threshold`` is the EER point against skilled forgeries; a query is *genuine* when its
    distance keeps the skilled FAR at or below ``target_far``, *forged* beyond the distance
    that keeps FRR at or below ``target_frr``, and *needs review* in between. The similarity
    is a logistic regression of genuine vs skilled on the distance, re-centred so that it
    reads exactly 0.5 at the threshold (slope from the fit, hence monotone decreasing).
    """
    eer = equal_error_rate(genuine, skilled)
    accept = min(distance_at_far(skilled, target_far), eer.threshold)
    reject = max(distance_at_frr(genuine, target_frr), eer.threshold)
    x = np.r_[genuine, skilled][:, None]
    y = np.r_[np.ones(len(genuine)), np.zeros(len(skilled))]
    slope = float(-LogisticRegression(C=100.0).fit(x, y).coef_[0, 0])
    if not slope > 0:
        slope = 10.0  # degenerate fit (no separation at all): a neutral, still monotone map
    far_s, frr = far_frr(genuine, skilled, eer.threshold)
    far_r, _ = far_frr(genuine, random, eer.threshold)
    return {
        "k": k,
        "threshold": eer.threshold,
        "accept_distance": accept,
        "reject_distance": reject,
        "slope": slope,
        "operating_point": {
            "metric": "EER threshold on skilled forgeries (validation writers)",
            "eer": eer.eer,
            "far_skilled": far_s,
            "far_random": far_r,
            "frr": frr,
            "accept_at_far_skilled": far_frr(genuine, skilled, accept)[0],
            "reject_at_frr": far_frr(genuine, skilled, reject)[1],
            "target_far": target_far,
            "target_frr": target_frr,
        },
    }
