"""Metrics and calibration on distributions whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from desktop.core.signature.manifest import Calibration
from desktop.core.signature.verification import FORGED, GENUINE, REVIEW, decide, similarity
from training.common import metrics
from training.signature.evaluate import evaluate_features, protocol_distances


def test_eer_of_separated_and_identical_distributions() -> None:
    rng = np.random.default_rng(0)
    g, f = rng.normal(0.3, 0.05, 2000), rng.normal(1.0, 0.05, 2000)
    assert metrics.equal_error_rate(g, f).eer < 0.001 and metrics.auc(g, f) > 0.999
    same = metrics.equal_error_rate(rng.random(4000), rng.random(4000))
    assert abs(same.eer - 0.5) < 0.03
    # Two unit-variance normals one unit apart: EER = Phi(-0.5) = 0.3085
    e = metrics.equal_error_rate(rng.normal(0, 1, 20000), rng.normal(1, 1, 20000))
    assert e.eer == pytest.approx(0.3085, abs=0.01) and e.threshold == pytest.approx(0.5, abs=0.05)


def test_far_frr_at_threshold() -> None:
    far, frr = metrics.far_frr(np.array([0.1, 0.2, 0.6]), np.array([0.3, 0.5, 0.9, 1.0]), 0.55)
    assert far == 0.5 and frr == pytest.approx(1 / 3)


def test_calibration_is_ordered_and_similarity_monotone() -> None:
    rng = np.random.default_rng(1)
    g, s, r = rng.normal(0.5, 0.1, 500), rng.normal(0.8, 0.1, 500), rng.normal(1.2, 0.1, 500)
    cal = Calibration.from_dict(5, metrics.calibrate(g, s, r, 5))
    assert cal.accept_distance <= cal.threshold <= cal.reject_distance
    assert similarity(cal.threshold, cal) == pytest.approx(0.5)
    sims = [similarity(d, cal) for d in np.linspace(0, 2, 50)]
    assert all(a >= b for a, b in zip(sims, sims[1:], strict=False))
    assert sims[0] > 0.95 and sims[-1] < 0.05
    assert decide(0.0, cal) == GENUINE and decide(2.0, cal) == FORGED
    assert decide((cal.accept_distance + cal.reject_distance) / 2, cal) == REVIEW
    assert cal.operating_point["far_skilled"] <= 0.3 and cal.operating_point["frr"] <= 0.3


class _Fake:
    """A stand-in for SignatureImages with two writers."""

    def __init__(self) -> None:
        self.writers = ["a", "b"]
        self._idx = {("a", True): [0, 1, 2, 3], ("a", False): [4, 5],
                     ("b", True): [6, 7, 8, 9], ("b", False): [10]}
        self.dataset_of = {"a": "set", "b": "set"}
        self.person_of = {"a": "a", "b": "b"}
        self.group_of = {"a": "", "b": ""}

    def indices(self, w: str, genuine: bool) -> list[int]:
        return self._idx[(w, genuine)]

    def skilled_indices(self, w: str) -> list[int]:
        return self._idx[(w, False)]


def test_protocol_counts_and_perfect_features() -> None:
    feats = np.zeros((11, 2))
    feats[[4, 5, 10]] = [5.0, 0.0]  # forgeries far away
    feats[6:10] = [0.0, 3.0]  # writer b elsewhere
    d = protocol_distances(feats, _Fake(), k=2, draws=3, seed=0)
    assert len(d["genuine"]) == 3 * (2 + 2) and len(d["skilled"]) == 3 * (2 + 1)
    assert len(d["random"]) == 3 * (4 + 4)
    assert d["genuine"].max() == 0 and d["skilled"].min() > 4 and d["random"].min() >= 3
    results, cal, _ = evaluate_features({"model": feats}, _Fake(), _Fake(), {"model": feats},
                                        [1], draws=2)
    assert results["1"]["model"]["eer_skilled"] == 0 and results["1"]["model"]["frr"] == 0
    for key in ("n_genuine", "n_skilled", "n_random"):  # the baseline answers the same queries
        assert results["1"]["random"][key] == results["1"]["model"][key]
    # The clerk's figures on the validation writers too (here the same perfect features).
    val = results["1"]["model"]["validation_clerk"]
    assert val["accepted"] == 1.0 and val["per_writer"]["max"] == 0.0
    assert "validation_clerk" not in results["1"]["random"]


def test_score_scales_with_the_references_spread() -> None:
    from desktop.core.signature.verification import MIN_SPREAD, reference_scores, score

    refs = np.array([[1.0, 0.0], [0.0, 1.0]])
    q = np.array([[1.0, 0.0]])
    spread = np.sqrt(2)
    assert np.allclose(reference_scores(refs, q), [[0.0, spread / spread]])
    assert score(refs[:1], q)[0] == 0.0  # K = 1: the plain distance
    tight = np.array([[1.0, 0.0], [1.0, 0.0]])
    assert score(tight, np.array([[0.0, 1.0]]))[0] == pytest.approx(spread / MIN_SPREAD)


def test_evaluation_adds_the_writer_svm_and_security_levels() -> None:
    feats = np.zeros((11, 2))
    feats[[0, 1, 2, 3]] = [[1.0, 0.0], [0.99, 0.1], [0.98, -0.1], [0.995, 0.05]]
    feats[[4, 5, 10]] = [0.0, -1.0]  # forgeries
    feats[6:10] = [[0.0, 1.0], [0.1, 0.99], [-0.1, 0.98], [0.05, 0.995]]
    background = np.array([[-1.0, 0.0], [-0.9, 0.3], [-0.9, -0.3]])
    results, cal, _ = evaluate_features({"model": feats}, _Fake(), _Fake(), {"model": feats},
                                        [1, 2], draws=2, background=background)
    for k in ("1", "2"):
        assert results[k]["model_svm"]["eer_skilled"] == 0
        assert results[k]["model_svm"]["n_genuine"] == results[k]["model"]["n_genuine"]
        assert set(cal["svm"]["per_k"]) == set(cal["per_k"]) == {"1", "2"}
        for method in ("distance", "svm", "fusion"):
            rows = cal["security_levels"][method][k]
            assert all(r["far_skilled"] <= r["target_far"] for r in rows)
        assert results[k]["model_fusion"]["n_genuine"] == results[k]["model"]["n_genuine"]
    assert cal["svm"]["params"]["class_weight"] == "balanced"
    assert set(cal["fusion"]["per_k"]) == {"1", "2"}
    plain, cal_plain, _ = evaluate_features({"model": feats}, _Fake(), _Fake(),
                                            {"model": feats}, [1], draws=2)
    assert "model_svm" not in plain["1"] and "svm" not in cal_plain
    assert set(cal_plain["security_levels"]) == {"distance"}


def test_pen_matched_queries_are_grown_to_each_draws_references() -> None:
    """Under a version 4 contract the protocol scores each query by its embedding grown to
    the median width of the references drawn, as the app does; without it, as scanned."""
    from desktop.core.signature.preprocess import SignaturePreprocessing
    from training.signature.evaluate import PenMatching

    widths = np.full(11, 4.0)
    widths[[1, 4]] = 2.0  # a genuine query and a forgery of writer a drawn with a finer pen
    feats = np.zeros((11, 2))
    feats[[4, 5, 10]] = [5.0, 0.0]
    feats[6:10] = [0.0, 3.0]
    grown = np.stack([feats] * 4)
    grown[0, 1] = [1.0, 1.0]  # the finer-pen genuine query as scanned: off its writer
    grown[0, 4] = [0.0, 0.0]  # the finer-pen forgery as scanned: looks genuine by accident
    pen = PenMatching(SignaturePreprocessing(match_pen=True), widths, widths, grown)
    assert pen.queries([0, 2], [1, 4, 5]).tolist() == [[0.0, 0.0], [5.0, 0.0], [5.0, 0.0]]
    off = PenMatching(SignaturePreprocessing(), widths, widths, grown)
    assert off.queries([0, 2], [1, 4]).tolist() == [[1.0, 1.0], [0.0, 0.0]]
    matched = protocol_distances(feats, _Fake(), k=2, draws=3, seed=0, pen=pen)
    plain = protocol_distances(feats, _Fake(), k=2, draws=3, seed=0, query_features=grown[0])
    assert matched["genuine"].max() == 0 and matched["skilled"].min() > 4
    assert plain["genuine"].max() > 0 and plain["skilled"].min() == 0
    # References drawn with the finer pen: a wider query is not thinned (read as scanned).
    grown[0, 0] = [7.0, 7.0]
    assert pen.queries([1, 4], [0]).tolist() == [[7.0, 7.0]]


def test_pen_matching_reuses_the_embeddings_as_scanned() -> None:
    """The evaluation's as-scanned embeddings stand for growth 0: one embedding pass fewer,
    the same figures."""
    from desktop.core.signature.preprocess import (
        MAX_STROKE_GROWTH,
        SignaturePreprocessing,
        batch,
        preprocess_signature,
    )
    from training.signature.evaluate import pen_matching
    from training.signature.synthetic import make_writer, render

    prep = SignaturePreprocessing(match_pen=True)
    rng = np.random.default_rng(5)
    grays = [render(make_writer(rng), rng, background=235, noise=0.0) for _ in range(3)]
    paths = [f"s{i}.png" for i in range(3)]
    calls: list[int] = []

    def embed(x: np.ndarray) -> np.ndarray:  # ink per quarter of the canvas: a fake feature
        calls.append(len(x))
        h, w = x.shape[2] // 2, x.shape[3] // 2
        return np.stack([x[:, 0, :h, :w].mean((1, 2)), x[:, 0, :h, w:].mean((1, 2)),
                         x[:, 0, h:, :w].mean((1, 2)), x[:, 0, h:, w:].mean((1, 2))], axis=1)

    full = pen_matching(grays, paths, prep, embed)
    assert len(calls) == MAX_STROKE_GROWTH + 1
    as_scanned = embed(batch([preprocess_signature(g, prep, p)
                              for g, p in zip(grays, paths, strict=True)]))
    calls.clear()
    reused = pen_matching(grays, paths, prep, embed, as_scanned=as_scanned)
    assert len(calls) == MAX_STROKE_GROWTH
    np.testing.assert_allclose(reused.grown, full.grown, rtol=0, atol=1e-6)
    assert not np.allclose(full.grown[0], full.grown[1])  # growth changes what is embedded
