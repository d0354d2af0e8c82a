"""Writer-dependent decisions and security levels stated as a target false-acceptance rate.

Three decision methods turn a query's embedding and the K references' embeddings into a score
(lower = more alike) that the manifest's calibration for that method maps to a verdict:

``distance``
    The writer-independent score of :mod:`desktop.core.signature.verification` (mean distance to the
    references over the references' own spread).
``svm``
    A writer-dependent SVM trained at verification time: the K references are the positives,
    a background set (genuine signatures of the *training* writers, shipped with the model as
    ``background.npy``) the negatives; the score is minus the SVM's decision function.
``znorm``
    The distance score standardised against the background rows nearest to the references
    (:func:`znorm_scores`), so that a threshold means nearly the same FAR for every writer.
``fusion``
    The distance and the writer SVM together: the mean of their calibrated log-odds
    (:func:`fusion_scores`). The two disagree on different signatures, so their mean
    separates genuine from forged better than either alone at K >= 2.

A security level is a target FAR against skilled forgeries. For every K and method the
manifest holds the validation writers' threshold at each tabulated target FAR
(:class:`~desktop.core.signature.manifest.SecurityLevel`); :func:`security_thresholds` turns a
chosen level into the accept / reject thresholds of the three-way verdict.

Torch-free; scikit-learn is imported only when an SVM is actually trained.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from desktop.core.signature.manifest import Calibration, SecurityLevel

METHODS = ("distance", "svm", "znorm", "fusion")
# the name each method's figures have in a training run's report.json
REPORT_NAMES = {m: "model" if m == "distance" else f"model_{m}" for m in METHODS}
DEFAULT_TARGET_FAR = 0.02  # today's accept point: skilled-forgery FAR 2% on validation writers
TARGET_FARS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2)

# Chosen on CEDAR's 6 validation writers (never the test writers) with the shipped model:
# see writer_svm_scores' docstring for the measurements.
SVM_KERNEL = "rbf"
SVM_C = 1.0
SVM_GAMMA = 4.0
SVM_NEGATIVES = 150  # the background rows nearest to the references that the SVM fits
SVM_SCORE_NAME = (f"writer-svm-{SVM_KERNEL}-C{SVM_C:g}-gamma{SVM_GAMMA:g}-nearest{SVM_NEGATIVES}"
                  "-minus-decision")


def writer_svm_scores(refs: np.ndarray, background: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Scores (Q,) of ``queries`` from an SVM fitted on one writer's references.

    ``refs`` (K, D) are the positives; the negatives are the :data:`SVM_NEGATIVES` rows of
    ``background`` (N, D, other writers' genuine embeddings) nearest to any reference (all
    of them when N is smaller), all L2-normalised like ``queries`` (Q, D). Classes are
    weighted inversely to their counts, so that one reference weighs as much as the negatives.
    The returned score is minus the decision function: LOWER = more alike, as for the distance
    score. Deterministic (libsvm's solver has no random component without probability
    estimates).

    Kernel and C: an RBF kernel ``exp(-4 |a - b|^2)`` on the unit-length embeddings, C = 1.
    Measured on CEDAR's 6 validation writers with the shipped model (10 draws of references,
    576 training-writer background embeddings), skilled-forgery EER at K = 1 / K = 5:
    linear kernel 25-28% / 17-18% whatever C (0.01-100); RBF gamma 0.5: 24-25% / 15-16%;
    gamma 1: 23-24% / 14-16%; gamma 2: 22-24% / 14-15%; gamma 4: 22% / 13-14% with C
    anywhere in 0.01-10 (random-forgery EER 0.4% at K = 5 for C >= 0.1); gamma 8-16 is no
    better and collapses at small C (K = 5 random EER 12-24% at C = 0.01). The linear SVM
    cannot draw a closed region around a writer's few references, the RBF kernel can;
    gamma 4 with C = 1 sits in the middle of the plateau rather than on its edge.

    Nearest negatives: far background rows never become support vectors of an RBF boundary
    drawn around a few references, but they cost fitting time. On the 184 validation writers
    of the three data sets (model of search row D, K = 5, 10 draws), all 720 background rows
    against the nearest 300 / 150 gave the same skilled EER (CEDAR 11.4% / 11.3% / 11.3%,
    Bengali 9.2% each) and acceptance at the 2% level (74.6% / 74.5% / 74.9%), while one
    fit with its scoring took a median 58 / 18 / 6 ms.
    """
    from sklearn.svm import SVC  # imported here: the distance method needs no scikit-learn

    refs = np.asarray(refs, dtype=np.float64)
    background = np.asarray(background, dtype=np.float64)
    queries = np.asarray(queries, dtype=np.float64)
    if refs.ndim != 2 or background.ndim != 2 or queries.ndim != 2:
        raise ValueError("refs, background and queries must be 2-D (rows are embeddings)")
    if not len(refs) or not len(background):
        raise ValueError("the writer SVM needs at least one reference and one background row")
    if not refs.shape[1] == background.shape[1] == queries.shape[1]:
        raise ValueError(
            f"embedding sizes differ: refs {refs.shape[1]}, background {background.shape[1]}, "
            f"queries {queries.shape[1]}"
        )
    if len(background) > SVM_NEGATIVES:
        nearest = np.linalg.norm(background[:, None, :] - refs[None, :, :], axis=2).min(axis=1)
        background = background[np.argsort(nearest, kind="stable")[:SVM_NEGATIVES]]
    x = np.vstack([refs, background])
    y = np.r_[np.ones(len(refs)), np.zeros(len(background))]
    clf = SVC(kernel=SVM_KERNEL, C=SVM_C, gamma=SVM_GAMMA, class_weight="balanced")
    clf.fit(x, y)
    if not len(queries):
        return np.zeros(0)
    return -clf.decision_function(queries)


ZNORM_COHORT = 100  # the cohort rows nearest to the references that set the scale
ZNORM_SCORE_NAME = f"distance-adaptive-znorm-top{ZNORM_COHORT}"
ZNORM_MIN_SPREAD = 1e-3  # floor for the cohort's spread (a degenerate cohort)


def znorm_scores(refs: np.ndarray, cohort: np.ndarray, queries: np.ndarray,
                 top: int = ZNORM_COHORT) -> np.ndarray:
    """The distance score of ``queries`` standardised against a cohort (adaptive z-norm).

    The same references score every ``cohort`` row (genuine signatures of other writers: the
    background); a query's score becomes ``(score - mean) / std`` over the ``top`` cohort rows
    *nearest* to the references. A writer whose references sit in a crowded part of the
    embedding space gets a stricter threshold, one in an empty part a looser one, so that one
    threshold means more nearly the same false-acceptance rate for every writer. Taking the
    nearest rows (adaptive normalisation, as in speaker verification's AS-norm) keeps a cohort
    of several scripts meaningful: a Chinese signature is judged against the cohort rows that
    look like it, not against Bengali ones. LOWER = more alike, as for the distance.
    """
    from desktop.core.signature.verification import score  # verification imports this module

    refs = np.asarray(refs, dtype=np.float32)
    cohort = np.asarray(cohort, dtype=np.float32)
    if not len(refs) or not len(cohort):
        raise ValueError("z-norm needs at least one reference and one cohort row")
    c = np.sort(score(refs, cohort))[: max(int(top), 2)]
    spread = max(float(c.std()), ZNORM_MIN_SPREAD)
    return (score(refs, np.asarray(queries, dtype=np.float32)) - float(c.mean())) / spread


FUSION_SCORE_NAME = "mean-calibrated-logit-of-distance-and-svm"


def fusion_scores(distance: np.ndarray, svm: np.ndarray, distance_cal: Calibration,
                  svm_cal: Calibration) -> np.ndarray:
    """The fused score of queries whose distance and writer-SVM scores are given.

    Each score becomes its calibrated log-odds of forgery, ``slope * (score - threshold)``
    (the logistic map of :class:`~desktop.core.signature.manifest.Calibration`, fitted on the
    validation writers for the same K), and the fused score is their mean: 0 where both
    methods sit at their equal-error points, LOWER = more alike. Equal weights, not fitted:
    measured on the 184 validation writers with the model of search row D at K = 5 (10 draws),
    the skilled EER was 11.4% / 10.9% (CEDAR / Bengali) by distance, 11.4% / 9.2% by the SVM
    and 9.3% / 9.0% fused; at K = 1, where the SVM has one positive, the three are within a
    point of each other.
    """
    d = np.asarray(distance, dtype=np.float64)
    s = np.asarray(svm, dtype=np.float64)
    return 0.5 * (distance_cal.slope * (d - distance_cal.threshold)
                  + svm_cal.slope * (s - svm_cal.threshold))


def level_for(levels: Sequence[SecurityLevel], target_far: float) -> SecurityLevel:
    """The tabulated level for ``target_far``: the exact one, else the strictest level whose
    target does not exceed it (a request never gets a looser level than asked for)."""
    usable = [lv for lv in levels if lv.target_far <= target_far + 1e-12]
    if not usable:
        known = ", ".join(f"{lv.target_far:g}" for lv in sorted(levels,
                                                                 key=lambda v: v.target_far))
        raise ValueError(
            f"no security level at or below a target FAR of {target_far:g} "
            f"(calibrated levels: {known or 'none'})"
        )
    return max(usable, key=lambda lv: lv.target_far)


def security_thresholds(
    cal: Calibration, levels: Sequence[SecurityLevel], target_far: float | None = None
) -> tuple[float, float]:
    """(accept, reject) score thresholds for a security level.

    ``target_far`` None is the default level: the calibration's own accept / reject, exactly
    today's behaviour (accept at the validation skilled FAR of 2%, reject at the validation
    FRR of 5%). Otherwise accept is the level's threshold (see :func:`level_for`) and reject
    stays at the calibration's FRR-5% point, raised to accept when accept exceeds it.
    A target FAR equal to the calibration's own target is served without a table too.
    """
    if target_far is None:
        return cal.accept_distance, cal.reject_distance
    if not 0.0 < target_far < 1.0:
        raise ValueError(f"a target FAR must be in (0, 1), not {target_far!r}")
    if not levels:
        own = cal.operating_point.get("target_far")
        if own is not None and abs(float(own) - target_far) < 1e-12:
            return cal.accept_distance, cal.reject_distance
        raise ValueError(
            "this model has no security-level table; only its default level "
            f"(target FAR {own}) is available"
        )
    accept = level_for(levels, target_far).threshold
    return accept, max(cal.reject_distance, accept)
