"""Writer-dependent SVM, security levels (target FAR) and deciding from embeddings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from desktop.core.errors import ModelError
from desktop.core.signature.decision import (
    DEFAULT_TARGET_FAR,
    TARGET_FARS,
    fusion_scores,
    level_for,
    security_thresholds,
    writer_svm_scores,
    znorm_scores,
)
from desktop.core.signature.manifest import Calibration, SecurityLevel, load_manifest
from desktop.core.signature.verification import FORGED, GENUINE, REVIEW, SignatureVerifier
from tests.helpers import edit_manifest
from training.common import metrics


def _clusters(n_writers: int, per_writer: int, dim: int = 16, spread: float = 0.25,
              seed: int = 0) -> np.ndarray:
    """(writers, per_writer, dim) unit vectors scattered around one centre per writer."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_writers, 1, dim))
    x = centres + spread * rng.normal(size=(n_writers, per_writer, dim))
    return x / np.linalg.norm(x, axis=2, keepdims=True)


def test_svm_ranks_a_writers_own_signatures_above_other_writers() -> None:
    x = _clusters(8, 10)
    background = x[:5].reshape(-1, x.shape[2])  # writers 0-4 are the training writers
    for writer in (5, 6):  # writers the background never saw
        others = np.concatenate([x[w] for w in range(8) if w != writer])
        for k in (1, 5):
            refs, own = x[writer, :k], x[writer, k:]
            s_own = writer_svm_scores(refs, background, own)
            s_other = writer_svm_scores(refs, background, others)
            assert s_own.shape == (len(own),) and s_other.shape == (len(others),)
            assert s_own.max() < s_other.min()  # lower = more alike, as for the distance
            assert metrics.auc(s_own, s_other) == 1.0
    again = writer_svm_scores(x[5, :5], background, x[6])
    assert np.array_equal(again, writer_svm_scores(x[5, :5], background, x[6]))  # deterministic


def test_svm_fits_only_the_background_nearest_to_the_references() -> None:
    from desktop.core.signature.decision import SVM_NEGATIVES

    x = _clusters(8, 10, seed=1)
    rng = np.random.default_rng(2)
    near = x[:5].reshape(-1, x.shape[2])  # 50 rows around the training writers
    far = -np.repeat(x[5, :1], SVM_NEGATIVES, axis=0) + 0.01 * rng.normal(
        size=(SVM_NEGATIVES, x.shape[2]))  # as far from writer 5 as the sphere allows
    far /= np.linalg.norm(far, axis=1, keepdims=True)
    refs, queries = x[5, :5], np.concatenate([x[5, 5:], x[6]])
    with_far = writer_svm_scores(refs, np.concatenate([far, near]), queries)
    # 50 near rows + the nearest 100 of the far ones are fitted; the rest change nothing
    kept = np.concatenate([near, far[np.argsort(np.linalg.norm(
        far[:, None] - refs[None], axis=2).min(1), kind="stable")[:SVM_NEGATIVES - len(near)]]])
    assert np.allclose(with_far, writer_svm_scores(refs, kept, queries), atol=1e-9)
    assert with_far[:5].max() < with_far[5:].min()


def test_svm_rejects_mismatched_shapes() -> None:
    x = _clusters(3, 4)
    with pytest.raises(ValueError, match="embedding sizes"):
        writer_svm_scores(x[0], x[1], x[2][:, :8])
    with pytest.raises(ValueError, match="at least one reference"):
        writer_svm_scores(x[0][:0], x[1], x[2])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_far_table_keeps_the_empirical_far_at_or_below_its_target(dtype) -> None:
    rng = np.random.default_rng(3)
    g = rng.normal(0.6, 0.15, 700).astype(dtype)
    s = rng.normal(0.9, 0.15, 1441).astype(dtype)
    s[::50] = s[7]  # ties
    r = rng.normal(1.3, 0.1, 900).astype(dtype)
    rows = metrics.security_levels(g, s, r, TARGET_FARS)
    assert [row["target_far"] for row in rows] == list(TARGET_FARS)
    for row in rows:
        far_s, frr = metrics.far_frr(g, s, row["threshold"])
        assert far_s <= row["target_far"] and far_s == row["far_skilled"] and frr == row["frr"]
        assert far_s > row["target_far"] - 0.01  # not needlessly strict either
    thresholds = [row["threshold"] for row in rows]
    assert thresholds == sorted(thresholds)


def _cal(accept: float = 0.5, threshold: float = 0.7, reject: float = 0.9) -> Calibration:
    return Calibration(k=5, threshold=threshold, accept_distance=accept, reject_distance=reject,
                       slope=5.0, operating_point={"target_far": DEFAULT_TARGET_FAR})


def test_security_thresholds_follow_the_table() -> None:
    levels = [SecurityLevel(t, thr, t, 0.0, 0.5) for t, thr in
              ((0.01, 0.4), (0.02, 0.5), (0.05, 0.6), (0.2, 0.95))]
    cal = _cal()
    assert security_thresholds(cal, levels, None) == (0.5, 0.9)  # the default: today's
    assert security_thresholds(cal, levels, 0.01) == (0.4, 0.9)
    assert security_thresholds(cal, levels, 0.05) == (0.6, 0.9)
    assert security_thresholds(cal, levels, 0.2) == (0.95, 0.95)  # reject never below accept
    assert level_for(levels, 0.03).target_far == 0.02  # never looser than asked
    with pytest.raises(ValueError, match="no security level"):
        security_thresholds(cal, levels, 0.001)
    # Without a table only the calibration's own default level exists.
    assert security_thresholds(cal, [], DEFAULT_TARGET_FAR) == (0.5, 0.9)
    with pytest.raises(ValueError, match="no security-level table"):
        security_thresholds(cal, [], 0.05)


def _genuine_files(synthetic_dir: Path, writer: int) -> list[Path]:
    return sorted((synthetic_dir / f"writer{writer:03d}" / "genuine").glob("*.png"))


@pytest.fixture(scope="module")
def verifier(tiny_model: Path) -> SignatureVerifier:
    return SignatureVerifier(tiny_model, provider="cpu")


@pytest.fixture(scope="module")
def embedded(verifier: SignatureVerifier, synthetic_dir: Path) -> np.ndarray:
    """Embeddings of writer 0's six genuine signatures."""
    return verifier.embed_inkmaps([verifier.prepare(p).inkmap
                                   for p in _genuine_files(synthetic_dir, 0)])


def test_tiny_model_ships_background_and_tables(tiny_model: Path, tiny_run: Path,
                                                verifier: SignatureVerifier) -> None:
    raw = json.loads((tiny_model / "manifest.json").read_text())
    split = json.loads((tiny_run / "split.json").read_text())
    bg = raw["background"]
    assert bg["file"] == "background.npy" and len(bg["sha256"]) == 64
    assert sorted(bg["writers"]) == sorted(split["train"]) and bg["shape"] == [24, 32]
    arr = np.load(tiny_model / "background.npy")
    assert arr.dtype == np.float32 and np.allclose(np.linalg.norm(arr, axis=1), 1.0, atol=1e-5)
    assert set(raw["calibration"]["svm"]["per_k"]) == {"1", "5"}
    assert set(raw["calibration"]["znorm"]["per_k"]) == {"1", "5"}
    assert set(raw["calibration"]["fusion"]["per_k"]) == {"1", "5"}
    for method in ("distance", "svm", "znorm", "fusion"):
        for k in ("1", "5"):
            rows = raw["calibration"]["security_levels"][method][k]
            assert [r["target_far"] for r in rows] == list(TARGET_FARS)
            # measured on the validation scores the thresholds were set on
            assert all(r["far_skilled"] <= r["target_far"] for r in rows)
    assert verifier.methods() == ["distance", "svm", "znorm", "fusion"]


def test_verify_is_decide_on_the_same_embeddings(verifier: SignatureVerifier,
                                                 synthetic_dir: Path) -> None:
    files = _genuine_files(synthetic_dir, 0)
    refs, query = [verifier.prepare(p) for p in files[:3]], verifier.prepare(files[4])
    result = verifier.verify(refs, query)
    emb = verifier.embed_inkmaps([r.inkmap for r in refs] + [query.inkmap])
    assert emb.shape == (4, 32)
    assert result == verifier.decide(emb[:-1], emb[-1])
    assert result == verifier.decide(emb[:-1], emb[-1:])  # (1, D) as well as (D,)
    assert result.method == "distance" and result.target_far == DEFAULT_TARGET_FAR
    cal = verifier.manifest.calibration_for(3)
    assert (result.accept_distance, result.reject_distance) == (cal.accept_distance,
                                                                cal.reject_distance)
    for method in ("svm", "znorm", "fusion"):
        other = verifier.verify(refs, query, method=method, target_far=0.05)
        assert other == verifier.decide(emb[:-1], emb[-1], method=method, target_far=0.05)


def test_decide_methods_and_security_levels(verifier: SignatureVerifier,
                                            embedded: np.ndarray) -> None:
    refs, query = embedded[:5], embedded[5]
    by_distance = verifier.decide(refs, query)
    by_svm = verifier.decide(refs, query, method="svm")
    assert by_svm.method == "svm" and by_svm.distance != by_distance.distance
    # per-reference figures stay the distance method's
    assert by_svm.reference_distances == by_distance.reference_distances
    assert by_svm.reference_similarities == by_distance.reference_similarities
    svm_cal = verifier.manifest.calibration_for(5, "svm")
    assert (by_svm.accept_distance, by_svm.reject_distance) == (svm_cal.accept_distance,
                                                                svm_cal.reject_distance)
    # z-norm: the distance score standardised against the shipped background
    by_z = verifier.decide(refs, query, method="znorm")
    bg = np.load(verifier.manifest.folder / "background.npy")
    assert by_z.distance == pytest.approx(float(znorm_scores(refs, bg, query[None])[0]), abs=1e-6)
    assert by_z.reference_distances == by_distance.reference_distances
    # fusion: the mean of the distance's and the SVM's calibrated log-odds
    by_f = verifier.decide(refs, query, method="fusion")
    dist_cal = verifier.manifest.calibration_for(5)
    expected = 0.5 * (dist_cal.slope * (by_distance.distance - dist_cal.threshold)
                      + svm_cal.slope * (by_svm.distance - svm_cal.threshold))
    assert by_f.distance == pytest.approx(expected, abs=1e-6)
    assert by_f.reference_distances == by_distance.reference_distances
    for method in ("distance", "svm", "znorm", "fusion"):
        cal = verifier.manifest.calibration_for(5, method)
        levels = verifier.security_levels(5, method)
        assert [lv["target_far"] for lv in levels] == list(TARGET_FARS)
        assert sum(lv["default"] for lv in levels) == 1
        accepts = []
        for lv in levels:
            r = verifier.decide(refs, query, method=method, target_far=lv["target_far"])
            assert r.target_far == lv["target_far"] and r.accept_distance == lv["threshold"]
            assert r.accept_distance == lv["accept"] and r.reject_distance == lv["reject"]
            assert r.reject_distance == max(cal.reject_distance, lv["threshold"])
            expected = (GENUINE if r.distance <= r.accept_distance else
                        FORGED if r.distance > r.reject_distance else REVIEW)
            assert r.decision == expected
            accepts.append(r.accept_distance)
        assert accepts == sorted(accepts) and accepts[0] < accepts[-1]  # looser = wider accept
    with pytest.raises(ValueError, match="unknown decision method"):
        verifier.decide(refs, query, method="knn")
    with pytest.raises(ValueError, match="expected reference embeddings"):
        verifier.decide(refs, query[:10])


def test_wrong_background_is_refused(model_copy: Path) -> None:
    edit_manifest(model_copy, lambda raw: raw["background"].update(sha256="0" * 64))
    with pytest.raises(ModelError, match=r"background\.npy: .*SHA-256"):
        load_manifest(model_copy)


def test_background_of_another_shape_is_refused(model_copy: Path) -> None:
    np.save(model_copy / "background.npy", np.zeros((24, 16), np.float32))
    from desktop.core.models.signing import sha256_of

    digest = sha256_of(model_copy / "background.npy")
    edit_manifest(model_copy, lambda raw: raw["background"].update(sha256=digest))
    with pytest.raises(ModelError, match=r"background\.npy: the background set is float32 "
                                         r"\[24, 16\]"):
        load_manifest(model_copy)
    edit_manifest(model_copy, lambda raw: raw["background"].update(shape=[24, 16]))
    with pytest.raises(ModelError, match=r"background\.npy: .*expected \(N >= 1, 32\)"):
        load_manifest(model_copy)
    edit_manifest(model_copy, lambda raw: raw["background"].update(shape=[24, 32]))
    (model_copy / "background.npy").unlink()
    with pytest.raises(ModelError, match=r"background\.npy: .*missing"):
        load_manifest(model_copy)


def test_model_without_the_new_fields_offers_the_distance_method_only(
    model_copy: Path, embedded: np.ndarray, verifier: SignatureVerifier,
) -> None:
    def strip(raw: dict) -> None:
        raw.pop("background")
        raw["calibration"].pop("svm")
        raw["calibration"].pop("znorm")
        raw["calibration"].pop("fusion")
        raw["calibration"].pop("security_levels")

    (model_copy / "background.npy").unlink()
    edit_manifest(model_copy, strip)  # re-signed without the background file
    old = SignatureVerifier(model_copy, provider="cpu")
    assert old.methods() == ["distance"] and old.security_levels(5) == []
    refs, query = embedded[:5], embedded[5]
    result = old.decide(refs, query)
    assert result == verifier.decide(refs, query)  # same model, same default behaviour
    assert old.decide(refs, query, target_far=DEFAULT_TARGET_FAR) == result
    for method in ("svm", "znorm", "fusion"):
        with pytest.raises(ValueError, match=f"does not support the '{method}' method"):
            old.decide(refs, query, method=method)
    with pytest.raises(ValueError, match="no security-level table"):
        old.decide(refs, query, target_far=0.05)


def test_fusion_without_the_svm_calibration_is_unavailable(model_copy: Path) -> None:
    edit_manifest(model_copy, lambda raw: raw["calibration"].pop("svm"))
    verifier = SignatureVerifier(model_copy, provider="cpu")
    assert verifier.methods() == ["distance", "znorm"]
    with pytest.raises(ValueError, match="fuses the writer SVM, which is unavailable"):
        verifier.decide(np.eye(32, dtype=np.float32)[:2], np.eye(32, dtype=np.float32)[2],
                        method="fusion")


def test_fusion_scores_average_the_calibrated_log_odds() -> None:
    d_cal, s_cal = _cal(threshold=0.7), Calibration(5, 0.0, -0.5, 0.5, 2.0, {})
    fused = fusion_scores(np.array([0.7, 0.9]), np.array([0.0, -1.0]), d_cal, s_cal)
    # both at their equal-error points: 0; then 5 * 0.2 = 1 and 2 * -1 = -2, mean -0.5
    assert fused == pytest.approx([0.0, -0.5])


def test_shipped_model_offers_every_method(shipped_model: Path) -> None:
    verifier = SignatureVerifier(shipped_model, provider="cpu")
    assert verifier.methods() == ["distance", "svm", "znorm", "fusion"]
    cal = verifier.manifest.calibration_for(5)
    levels = verifier.security_levels(5)
    default = next(lv for lv in levels if lv["default"])
    # the 2% level of the table is today's accept point
    assert default["target_far"] == DEFAULT_TARGET_FAR
    assert default["accept"] == pytest.approx(cal.accept_distance, abs=1e-12)
    assert default["reject"] == cal.reject_distance


def test_calibrated_k_matches_the_scores_scale(shipped_model: Path) -> None:
    """One reference scores a plain distance; two or more a spread-relative one: a K = 1
    calibration must never judge three references (it called every genuine query forged)."""
    from desktop.core.signature.manifest import _pick_k

    manifest = load_manifest(shipped_model)
    assert sorted(manifest.calibrations) == [1, 3, 5, 10]
    picks = {n: manifest.calibration_for(n).k for n in (1, 2, 3, 4, 5, 9, 10, 12)}
    assert picks == {1: 1, 2: 3, 3: 3, 4: 3, 5: 5, 9: 5, 10: 10, 12: 10}
    assert _pick_k({1: None, 5: None}, 3) == 5
    with pytest.raises(ValueError, match="no calibration usable with 1"):
        _pick_k({5: None}, 1)
