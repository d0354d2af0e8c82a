"""Training, exporting and installing the learned note finder, on a tiny made-up data set."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import torch

from desktop.core.banknote.finder import SIDE
from desktop.core.paths import default_banknote_model_dir
from training.banknote.data import all_specs, synthetic_capture
from training.banknote.detector import (
    DetectorConfig,
    export_detector,
    install_finder,
    load_detector,
    train_detector,
)
from training.banknote.finder_pictures import make_pictures


def _dong_like(root: Path, n: int = 8) -> Path:
    """Photos in the dong set's layout: <value>/<photo>.jpg with a YOLO box beside it."""
    for i, spec in enumerate(all_specs()[:n]):
        image, corners = synthetic_capture(spec, "front", "", 95001, i)
        h, w = image.shape[:2]
        (x0, y0), (x1, y1) = corners.min(0), corners.max(0)
        folder = root / "vnd" / str(spec.denomination)
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / f"{i}.jpg"), image)
        box = ((x0 + x1) / 2 / w, (y0 + y1) / 2 / h, (x1 - x0) / w, (y1 - y0) / h)
        (folder / f"{i}.txt").write_text(" ".join(f"{v:.4f}" for v in box) + "\n")
    return root


def test_pictures_and_masks_agree(tmp_path: Path) -> None:
    data = _dong_like(tmp_path / "data")
    pictures, masks, src = make_pictures(data, DetectorConfig(composites=12))
    assert pictures.shape == (20, SIDE, SIDE, 3) and masks.shape == (20, SIDE, SIDE)
    assert sum(s.startswith("vnd:") for s in src) == 8
    dong = [m for m, s in zip(masks, src, strict=True) if s.startswith("vnd:")]
    assert all(0.02 < m.mean() < 0.9 for m in dong)  # each photo's box is marked
    pages = [m for m, s in zip(masks, src, strict=True) if s == "page"]
    assert all(m.sum() == 0 for m in pages)


def test_a_finder_is_trained_exported_and_installed(tmp_path: Path) -> None:
    data = _dong_like(tmp_path / "data")
    cfg = DetectorConfig(epochs=1, batch=8, composites=16, val_fraction=0.5, width=8)
    summary = train_detector(data, tmp_path / "run", cfg, threads=1)
    assert summary["best_epoch"] == 1 and 0.0 <= summary["val_iou"] <= 1.0
    onnx = export_detector(tmp_path / "run", tmp_path / "finder.onnx")
    session = ort.InferenceSession(str(onnx), providers=["CPUExecutionProvider"])
    pictures = np.random.default_rng(5).random((3, 3, SIDE, SIDE), dtype=np.float32)
    (out,) = session.run(None, {"pictures": pictures})  # any batch size: 3 was not exported
    assert out.shape == (3, 1, SIDE // 4, SIDE // 4)
    with torch.no_grad():
        expected = load_detector(tmp_path / "run")(torch.from_numpy(pictures)).numpy()
    assert np.abs(out - expected).max() < 1e-4  # the graph computes what the network did
    folder = tmp_path / "model"
    shutil.copytree(default_banknote_model_dir(), folder)
    entry = install_finder(folder, onnx, summary, key=None)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["finder"] == entry and (folder / "finder.onnx").read_bytes() == \
        onnx.read_bytes()
