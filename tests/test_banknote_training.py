"""Banknote training and export: batch make-up, ONNX classifiers against scikit-learn, and a
tiny end-to-end run that the app loads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from sklearn.metrics import pairwise_distances

from desktop.core.banknote.model import BanknoteModel
from training.banknote.data import NoteTensors, all_specs, synthetic_capture
from training.banknote.export import export_banknote_run, fit_classifiers, write_classifiers
from training.banknote.train import (
    BanknoteTrainConfig,
    batch_ratio,
    classes_for_ratio,
    labels_for,
    train_banknotes,
)
from training.common.torch_utils import FORGERY_LABEL_BASE


@pytest.mark.parametrize("ratio", [0.02, 0.05, 0.1, 0.3])
def test_the_ratio_sets_the_classes_per_batch(ratio: float) -> None:
    p = classes_for_ratio(ratio, 4, 2)
    assert batch_ratio(p, 4, 2) >= ratio or p == 2
    assert batch_ratio(p + 1, 4, 2) < ratio


def test_counterfeits_are_only_ever_negatives() -> None:
    data = NoteTensors(np.zeros((5, 3, 2, 2), np.uint8), ["A", "A", "A", "B", "B"],
                       np.array([True, True, False, True, False]), ["", "", "x", "", "x"])
    labels = labels_for(data, [0, 1, 2, 3, 4], ["A", "B"]).tolist()
    assert labels[:2] == [0, 0] and labels[3] == 1
    assert labels[2] >= FORGERY_LABEL_BASE and labels[4] >= FORGERY_LABEL_BASE
    assert labels[2] != labels[4]


def _clusters(rng: np.random.Generator, classes: int, per: int, dim: int
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    centres = rng.normal(size=(classes, dim))
    emb, y, genuine = [], [], []
    for c in range(classes):
        for i in range(per):
            fake = c < 3 and i >= per - 4  # counterfeits: pushed off the genuine cluster
            v = centres[c] + rng.normal(scale=0.25, size=dim) + (0.8 if fake else 0.0)
            emb.append(v / np.linalg.norm(v))
            y.append(c)
            genuine.append(not fake)
    return np.array(emb, np.float32), np.array(y), np.array(genuine)


def test_exported_centroids_and_svms_agree_with_scikit_learn(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    emb, y, genuine = _clusters(rng, 6, 14, 16)
    classes = [f"ARC-{c}-front" for c in range(6)]
    fitted = fit_classifiers(emb, y, genuine, classes)
    assert sorted(fitted.counterfeit) == classes[:3]  # only classes with counterfeits
    probe, _, _ = _clusters(np.random.default_rng(4), 6, 10, 16)
    entries = write_classifiers(fitted, tmp_path, probe, 0.0)

    cent = ort.InferenceSession(str(tmp_path / entries["centroids"]["file"]))
    (dist,) = cent.run(["distances"], {"embeddings": probe})
    np.testing.assert_allclose(dist, pairwise_distances(probe, fitted.nearest_centroid.centroids_),
                               atol=1e-5)
    np.testing.assert_array_equal(dist.argmin(1), fitted.nearest_centroid.predict(probe))
    # An enrolled centroid goes through the same graph as an extra row.
    extra = np.vstack([fitted.centroids, probe[:1]])
    (dist2,) = cent.run(["distances"], {"embeddings": probe, "centroids": extra})
    assert dist2.shape == (len(probe), 7) and dist2[0, 6] < 1e-3

    svm = ort.InferenceSession(str(tmp_path / entries["svm"]["file"]))
    labels, scores = svm.run(None, {svm.get_inputs()[0].name: probe})
    np.testing.assert_array_equal(labels, fitted.svm.predict(probe))
    np.testing.assert_allclose(scores, fitted.svm.decision_function(probe), atol=1e-3)
    assert entries["svm_agreement"] == 1.0

    for key, entry in entries["authenticity"].items():
        sess = ort.InferenceSession(str(tmp_path / entry["file"]))
        _, raw = sess.run(None, {sess.get_inputs()[0].name: probe})
        np.testing.assert_allclose(raw[:, entry["column"]],
                                   fitted.counterfeit[key].decision_function(probe), atol=1e-4)


def test_a_tiny_run_trains_exports_and_loads_in_the_app(tmp_path: Path,
                                                         signing_key: Path) -> None:
    cfg = BanknoteTrainConfig(epochs=2, batches_per_epoch=3, classes_per_batch=4, width=8,
                              embedding_size=32, train_genuine=4, train_counterfeits=2,
                              val_genuine=6, val_counterfeits=2, currencies=("ARC",),
                              holdout=("ARC-50",))
    summary = train_banknotes(cfg, tmp_path / "run", workers=2)
    assert len(summary["history"]) == 2 and summary["classes_per_batch"] == 4
    manifest = export_banknote_run(tmp_path / "run", tmp_path / "model", workers=2,
                                   references_per_class=1, key=signing_key)
    assert len(manifest["classes"]) == 8  # 4 ARC denominations x 2 sides, ARC-50 held out
    assert set(manifest["authenticity"]["distance_threshold"]) == {"centroid", "1", "3", "5"}
    model = BanknoteModel(tmp_path / "model", "cpu")
    spec = next(s for s in all_specs(["ARC"]) if s.denomination == 20)
    result = model.check(synthetic_capture(spec, "front", "", 4242, 0)[0], "note.png")
    assert len(result.top) == 3 and result.verdict in ("genuine", "suspect")
    assert all(0.0 <= c.confidence <= 1.0 for c in result.top)
    assert [c.distance for c in result.top] == sorted(c.distance for c in result.top)
    assert len(result.nearest) == 3
