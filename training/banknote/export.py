"""Fit the classifiers over a trained banknote embedder, calibrate, and export it all to ONNX.

Writes into the output folder: ``embedder.onnx``; ``centroids.onnx`` (built by hand: skl2onnx
has no converter for NearestCentroid; the centroids are an input whose default is the shipped
table, so the app feeds enrolled centroids through the same graph); ``denomination_svm.onnx``
(a multi-class RBF SVC, skl2onnx); ``authenticity/<class>.onnx`` (per-class genuine vs
counterfeit RBF SVCs, skl2onnx); ``references/`` (two rectified notes per class, JPEG) with
``references.npy`` (their embeddings, computed from the JPEGs as the app decodes them); and
``manifest.json``. Each ONNX file is checked against its source model before it is written
into the manifest.

Calibration, on validation captures the embedder never trained on: the softmax temperature
(least negative log-likelihood of the true class), and the authenticity thresholds: the
distance to the genuine centroid and the counterfeit-SVM score share the false-alarm budget
``target_false_alarm`` so that together they flag about that share of genuine notes. Distance
thresholds for centroids enrolled from K = 1, 3, 5 images are calibrated on the held-out
denominations (never trained on), enrolling K random validation captures many times.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from skl2onnx import to_onnx
from sklearn.neighbors import NearestCentroid
from sklearn.svm import SVC

from desktop.core.banknote.detect import NoteQuad, rectify
from desktop.core.banknote.manifest import FORMAT_VERSION, KIND
from desktop.core.banknote.preprocess import BanknotePreprocessing, preprocess_banknote
from desktop.core.models.manifest import write_manifest
from desktop.core.models.runtime import create_session
from desktop.core.models.signing import sha256_of
from training.banknote.data import NoteTensors, spec_key, synthetic_capture, synthetic_tensors
from training.banknote.synthetic import SIDES, find_spec
from training.banknote.train import load_banknote_model, run_data, split_specs
from training.common.onnx_export import (
    INPUT_NAME,
    OUTPUT_NAME,
    PARITY_TOLERANCE,
    export_onnx,
    parity_check,
)
from training.common.torch_utils import embed_torch

log = logging.getLogger(__name__)

OPSET = {"": 17, "ai.onnx.ml": 3}
KS = (1, 3, 5)
DATA_DESCRIPTION = (
    "Synthetic banknotes of three invented currencies (training.banknote.synthetic): photographed "
    "on tables and cloth with rotation, perspective, uneven light, blur, noise, folds and thumbs; "
    "counterfeits with colour shift, missing or misplaced thread, blurred fine lines, halftone "
    "print. Not real currency: retrain on the bank's own captures before production use."
)


def centroid_graph(centroids: np.ndarray) -> onnx.ModelProto:
    """Euclidean distances (N, C) from ``embeddings`` (N, D) to ``centroids`` (C, D); the
    centroids input defaults to the given table; ``centroid_table`` echoes the table used."""
    c, d = centroids.shape
    table = numpy_helper.from_array(centroids.astype(np.float32), "centroids")
    axes = numpy_helper.from_array(np.int64([1]), "axis1")
    # The direct difference (N, C, D), not |x|^2 + |c|^2 - 2 x.c: the expansion loses float32
    # precision for notes close to a centroid, which are exactly the ones that matter.
    nodes = [
        helper.make_node("Unsqueeze", ["embeddings", "axis1"], ["x3"]),
        helper.make_node("Sub", ["x3", "centroids"], ["diff"]),
        helper.make_node("ReduceSumSquare", ["diff"], ["d2"], axes=[2], keepdims=0),
        helper.make_node("Sqrt", ["d2"], ["distances"]),
        helper.make_node("Identity", ["centroids"], ["centroid_table"]),
    ]
    graph = helper.make_graph(
        nodes, "banknote_centroids",
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", d]),
         helper.make_tensor_value_info("centroids", TensorProto.FLOAT, ["classes", d])],
        [helper.make_tensor_value_info("distances", TensorProto.FLOAT, ["batch", "classes"]),
         helper.make_tensor_value_info("centroid_table", TensorProto.FLOAT, ["classes", d])],
        initializer=[table, axes])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET[""])])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _save(model: onnx.ModelProto, out: Path, name: str) -> dict:
    path = out / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(model.SerializeToString())
    return {"file": name, "sha256": sha256_of(path)}


def _svc_onnx(svc: SVC, dim: int) -> onnx.ModelProto:
    return to_onnx(svc, np.zeros((1, dim), np.float32), options={id(svc): {"zipmap": False}},
                   target_opset=OPSET)


def _run(path: Path, x: np.ndarray, output: int | str = 1) -> np.ndarray:
    sess, _ = create_session(path, "cpu")
    feed = {sess.get_inputs()[0].name: x.astype(np.float32)}
    if isinstance(output, str):
        return sess.run([output], feed)[0]
    return np.asarray(sess.run(None, feed)[output])


def check_svm_export(svm: SVC, path: Path, x: np.ndarray) -> float:
    """The exported SVM's labels match scikit-learn's wherever the vote is clear; returns the
    share of all rows that agree. One-vs-one votes of a nearly tied pair of classes can flip
    between float32 (onnxruntime) and float64 (libsvm), moving the margin between the two
    classes by 2 votes; a margin above 2.5 (the one-vs-rest values are vote counts plus a
    confidence under 0.5) survives one such flip."""
    want = svm.decision_function(x)
    labels = _run(path, x, 0)
    top2 = np.sort(want, axis=1)[:, -2:]
    clear = (top2[:, 1] - top2[:, 0]) > 2.5
    same = labels == svm.predict(x)
    if not same[clear].all():
        raise RuntimeError(f"the exported SVM {path.name} disagrees with scikit-learn")
    return float(same.mean())


@dataclass
class Classifiers:
    """The classifiers over embeddings: per-class centroids (unit length, rows in ``classes``
    order, as NearestCentroid fits them), the multi-class SVM, and a genuine-vs-counterfeit
    SVM for each class that had at least 2 counterfeits."""

    classes: list[str]
    nearest_centroid: NearestCentroid
    centroids: np.ndarray
    svm: SVC
    counterfeit: dict[str, SVC]


def fit_classifiers(emb: np.ndarray, y: np.ndarray, genuine: np.ndarray,
                    classes: list[str]) -> Classifiers:
    """Fit the classifiers on training embeddings ``emb`` with class indices ``y``."""
    nc = NearestCentroid().fit(emb[genuine], y[genuine])
    # Embeddings lie on the unit sphere, so the centroids are put back on it; the fitted
    # NearestCentroid then predicts with exactly the centroids that are exported.
    cents = nc.centroids_ / np.linalg.norm(nc.centroids_, axis=1, keepdims=True)
    nc.centroids_ = cents
    svm = SVC(kernel="rbf", C=10.0, gamma="scale").fit(emb[genuine], y[genuine])
    fakes = {}
    for ci, key in enumerate(classes):
        sel = y == ci
        if (sel & ~genuine).sum() >= 2:
            fakes[key] = SVC(kernel="rbf", C=10.0, gamma="scale", class_weight="balanced"
                             ).fit(emb[sel], (~genuine[sel]).astype(int))
    return Classifiers(classes, nc, cents.astype(np.float32), svm, fakes)


def write_classifiers(fitted: Classifiers, out: Path, probe: np.ndarray,
                      counterfeit_threshold: float) -> dict:
    """Write the classifiers as ONNX into ``out`` and check each against its source on the
    ``probe`` embeddings; returns their manifest entries."""
    dim = probe.shape[1]
    cent = _save(centroid_graph(fitted.centroids), out, "centroids.onnx")
    d_onnx = _run(out / "centroids.onnx", probe, "distances")
    d_ref = np.linalg.norm(probe[:, None] - fitted.centroids[None], axis=2)
    if np.abs(d_onnx - d_ref).max() > 1e-4:
        raise RuntimeError("the centroid graph disagrees with the centroid distances "
                           f"(by {np.abs(d_onnx - d_ref).max():.2e})")
    svm = _save(_svc_onnx(fitted.svm, dim), out, "denomination_svm.onnx")
    agreement = check_svm_export(fitted.svm, out / "denomination_svm.onnx", probe)
    auth = {}
    for key, svc in fitted.counterfeit.items():
        entry = _save(_svc_onnx(svc, dim), out, f"authenticity/{key}.onnx")
        raw = _run(out / entry["file"], probe[:8])
        want = svc.decision_function(probe[:8])
        column = next((c for c in range(raw.shape[1])
                       if np.allclose(raw[:, c], want, atol=1e-4)), None)
        if column is None:
            raise RuntimeError(f"the exported counterfeit SVM of {key} disagrees with sklearn")
        auth[key] = {**entry, "threshold": counterfeit_threshold, "column": column}
    return {"centroids": cent, "svm": svm, "authenticity": auth, "svm_agreement": agreement}


def one_shot_distances(centroids: np.ndarray, emb: np.ndarray, y: np.ndarray,
                       emb_new: np.ndarray, keys_new: list[str], seed: int = 0
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Distances (N, C + new classes) and true classes for temperature fitting: validation
    notes of the shipped classes plus notes of new classes, each of which is enrolled from one
    random capture. The shipped classes alone are usually read without error, which would
    drive the temperature to zero and every confidence to 100%, new denominations included."""
    rng = np.random.default_rng(seed)
    new = sorted(set(keys_new))
    keys = np.array(keys_new)
    picks = [int(rng.choice(np.flatnonzero(keys == k))) for k in new]
    table = np.vstack([centroids, emb_new[picks]])
    rest = np.setdiff1d(np.arange(len(keys)), picks)
    queries = np.vstack([emb, emb_new[rest]])
    truth = np.r_[y, [len(centroids) + new.index(k) for k in keys[rest]]]
    return np.linalg.norm(queries[:, None] - table[None], axis=2), truth.astype(int)


def fit_temperature(dist: np.ndarray, truth: np.ndarray) -> float:
    """The softmax temperature minimising the true class's negative log-likelihood."""
    best = (np.inf, 1.0)
    for t in np.logspace(-4, 0, 81):
        z = -dist / t
        z -= z.max(axis=1, keepdims=True)
        nll = float(np.mean(np.log(np.exp(z).sum(1)) - z[np.arange(len(truth)), truth]))
        best = min(best, (nll, float(t)))
    return best[1]


def shared_budget(dist: np.ndarray, score: np.ndarray, target: float) -> tuple[float, float]:
    """Thresholds (distance, score) at a common quantile such that genuine notes flagged by
    either stay within ``target``; ``score`` is NaN where a class has no counterfeit model."""
    has = ~np.isnan(score)
    for alpha in np.linspace(target, target / 10, 46):
        td = float(np.quantile(dist, 1 - alpha))
        ts = float(np.quantile(score[has], 1 - alpha)) if has.any() else np.inf
        flagged = (dist > td) | (has & (np.nan_to_num(score, nan=-np.inf) > ts))
        if flagged.mean() <= target:
            return td, ts
    return float(dist.max()), float(np.nanmax(score)) if has.any() else np.inf


def enrolled_distances(emb: np.ndarray, keys: list[str], k: int, draws: int = 30,
                       seed: int = 0) -> np.ndarray:
    """Distances of genuine notes to centroids made from ``k`` other notes of their class."""
    rng = np.random.default_rng([seed, k])
    out = []
    for key in sorted(set(keys)):
        idx = np.flatnonzero(np.array(keys) == key)
        if len(idx) <= k:
            raise ValueError(f"calibrating K={k} needs more than {k} genuine captures of {key}")
        for _ in range(draws):
            pick = rng.choice(idx, size=k, replace=False)
            c = emb[pick].mean(0)
            c /= np.linalg.norm(c)
            rest = np.setdiff1d(idx, pick)
            out.append(np.linalg.norm(emb[rest] - c, axis=1))
    return np.concatenate(out)


def _reference_notes(specs: list, prep: BanknotePreprocessing, seed: int, per_class: int,
                     folder: Path) -> tuple[list[str], list[str], list[np.ndarray]]:
    keys, files, tensors = [], [], []
    (folder / "references").mkdir(parents=True, exist_ok=True)
    for spec in specs:
        for side in SIDES:
            for i in range(per_class):
                image, corners = synthetic_capture(spec, side, "", seed, i)
                flat = rectify(image, NoteQuad(corners), spec.aspect, prep.rectified_height)
                name = f"references/{spec_key(spec, side)}_{i}.jpg"
                cv2.imwrite(str(folder / name), flat, [cv2.IMWRITE_JPEG_QUALITY, 90])
                decoded = cv2.imread(str(folder / name), cv2.IMREAD_COLOR)
                keys.append(spec_key(spec, side))
                files.append(name)
                tensors.append(preprocess_banknote(decoded, prep))
    return keys, files, tensors


def export_banknote_run(run: str | Path, out: str | Path, target_false_alarm: float = 0.01,
                        workers: int | None = None, references_per_class: int = 2,
                        data: tuple[NoteTensors, NoteTensors] | None = None,
                        key: str | Path | None = None) -> dict:
    """Export the run's best checkpoint with its classifiers into ``out``; returns the
    manifest. ``data`` (training captures, and validation ones that are not used here)
    defaults to the run's own; calibration makes its own captures through the detector.
    With ``key`` (Ed25519 private key PEM) the folder is signed
    (:func:`desktop.core.models.signing.sign_model`; the returned manifest then has its
    ``files``)."""
    run, out = Path(run), Path(out)
    model, cfg = load_banknote_model(run)
    prep = BanknotePreprocessing.from_dict(cfg.preprocessing)
    train_specs, held_specs = split_specs(tuple(cfg.holdout), cfg.currencies)
    train, _ = data or run_data(run, cfg, workers)
    # Calibration sees notes as the app does: found and straightened by its detector.
    val = synthetic_tensors(train_specs, cfg.val_genuine, cfg.val_counterfeits,
                            cfg.data_seed + 1, prep, workers, detect=True)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    export_onnx(model, prep, out / "embedder.onnx")
    emb_tr, emb_val = embed_torch(model, train.floats()), embed_torch(model, val.floats())
    err = parity_check(model, out / "embedder.onnx", val.floats(np.arange(min(16, len(val)))))
    if err > PARITY_TOLERANCE:
        raise RuntimeError(f"ONNX embedder differs from torch by {err:.2e}")

    classes = sorted(set(train.keys))
    g_tr, g_val = train.genuine, val.genuine
    y_tr = np.array([classes.index(k) for k in train.keys])
    y_val = np.array([classes.index(k) for k in val.keys])
    fitted = fit_classifiers(emb_tr, y_tr, g_tr, classes)
    d_ref = np.linalg.norm(emb_val[:, None] - fitted.centroids[None], axis=2)
    own = d_ref[np.arange(len(y_val)), y_val]
    score = np.array([fitted.counterfeit[k].decision_function(emb_val[i:i + 1])[0]
                      if k in fitted.counterfeit else np.nan for i, k in enumerate(val.keys)])
    t_dist, t_svm = shared_budget(own[g_val], score[g_val], target_false_alarm)
    entries = write_classifiers(fitted, out, emb_val, t_svm)

    held = synthetic_tensors(held_specs, cfg.val_genuine, 0, cfg.data_seed + 1, prep, workers,
                             detect=True)
    emb_held = embed_torch(model, held.floats())
    temperature = fit_temperature(*one_shot_distances(
        fitted.centroids, emb_val[g_val], y_val[g_val], emb_held, held.keys))
    alpha_d = float((own[g_val] > t_dist).mean())
    k_thresholds = {str(k): float(np.quantile(enrolled_distances(emb_held, held.keys, k),
                                              1 - max(alpha_d, target_false_alarm / 10)))
                    for k in KS}

    ref_keys, ref_files, ref_tensors = _reference_notes(
        train_specs, prep, cfg.data_seed + 2, references_per_class, out)
    ref_emb = _run(out / "embedder.onnx", np.stack(ref_tensors), OUTPUT_NAME)
    np.save(out / "references.npy", ref_emb.astype(np.float32))

    history = json.loads((run / "history.json").read_text())
    manifest = {
        "format_version": FORMAT_VERSION, "kind": KIND,
        "model_file": "embedder.onnx", "sha256": sha256_of(out / "embedder.onnx"),
        "model_id": f"banknote-{sha256_of(out / 'embedder.onnx')[:12]}",
        "input": {"name": INPUT_NAME, "shape": ["batch", *prep.input_shape]},
        "output": {"name": OUTPUT_NAME, "size": int(emb_tr.shape[1])},
        "preprocessing": prep.to_dict(),
        "classes": [{"currency": k.split("-")[0], "denomination": k.split("-")[1],
                     "side": k.split("-")[2],
                     "aspect": find_spec(k.split("-")[0], int(k.split("-")[1])).aspect,
                     "training_images": int(((y_tr == i) & g_tr).sum())}
                    for i, k in enumerate(classes)],
        "centroids": entries["centroids"], "svm": entries["svm"], "temperature": temperature,
        "authenticity": {"target_false_alarm": target_false_alarm,
                         "distance_threshold": {"centroid": t_dist, **k_thresholds},
                         "svm": entries["authenticity"]},
        "references": {"keys": ref_keys, "files": ref_files, "embeddings": "references.npy"},
        "training": {"data": DATA_DESCRIPTION, "config": json.loads(
            (run / "config.json").read_text()), "best_epoch": history["best_epoch"],
            "seconds": history["seconds"], "device": history["device"],
            "held_out_denominations": list(cfg.holdout),
            "exported": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")},
        "validation": {"captures": len(val), "genuine_false_alarm": float(
            ((own > t_dist) | (np.nan_to_num(score, nan=-np.inf) > t_svm))[g_val].mean()),
            "nearest_centroid_accuracy": float((d_ref[g_val].argmin(1) == y_val[g_val]).mean()),
            "svm_onnx_agreement": entries["svm_agreement"],
            "svm_accuracy": float((fitted.svm.predict(emb_val[g_val]) == y_val[g_val]).mean())},
    }
    write_manifest(out, manifest)
    if key is not None:
        from desktop.core.models.signing import sign_model

        sign_model(out, key)
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    log.info("exported %d classes, %d counterfeit models to %s", len(classes),
             len(entries["authenticity"]),
             out)
    return manifest
