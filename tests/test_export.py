"""ONNX export: torch/onnxruntime parity, and the runtime refusing a mismatched manifest."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from desktop.core.errors import ModelError
from desktop.core.signature.embedder import Embedder
from desktop.core.signature.manifest import load_manifest
from tests.helpers import edit_manifest
from training.common.onnx_export import PARITY_TOLERANCE, parity_check
from training.signature.train import load_model


def test_manifest_records_what_the_field_expects(tiny_model: Path) -> None:
    raw = json.loads((tiny_model / "manifest.json").read_text())
    assert raw["format_version"] == 1 and raw["input"]["shape"] == ["batch", 1, 128, 192]
    assert raw["output"]["size"] == 32 and len(raw["sha256"]) == 64
    assert raw["preprocessing"]["name"] == "signature-inkmap"
    cal = raw["calibration"]
    assert set(cal["per_k"]) == {"1", "5"} and "validation writers" in cal["data"]
    for entry in cal["per_k"].values():
        assert entry["accept_distance"] <= entry["threshold"] <= entry["reject_distance"]
        assert "eer" in entry["operating_point"] and "metric" in entry["operating_point"]
    assert raw["training"]["data"] and raw["training"]["licence"]
    assert raw["export"]["parity_max_abs_diff"] <= PARITY_TOLERANCE
    assert (tiny_model / "report.json").is_file() and (tiny_model / "roc_k5.png").is_file()


def test_torch_and_onnxruntime_agree_on_a_batch(tiny_run: Path, tiny_model: Path) -> None:
    model, cfg = load_model(tiny_run / "best.pt")
    rng = np.random.default_rng(1)
    x = rng.random((16, *cfg.prep.input_shape)).astype(np.float32) * (
        rng.random((16, *cfg.prep.input_shape)) < 0.15)
    assert parity_check(model, tiny_model / "embedder.onnx", x) <= 1e-4
    emb = Embedder(tiny_model, provider="cpu", batch_size=5).embed(x)  # several chunks
    assert emb.shape == (16, 32)
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)


def test_changed_model_bytes_are_refused(model_copy: Path) -> None:
    with open(model_copy / "embedder.onnx", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError, match="embedder.onnx: .*SHA-256"):
        Embedder(model_copy)


def test_wrong_input_shape_is_refused(model_copy: Path) -> None:
    def widen(raw):
        raw["input"]["shape"] = ["batch", 1, 150, 220]
        raw["preprocessing"]["height"], raw["preprocessing"]["width"] = 150, 220
    edit_manifest(model_copy, widen)
    with pytest.raises(ModelError, match="input shape"):
        Embedder(model_copy)


def test_shape_disagreeing_with_preprocessing_is_refused(model_copy: Path) -> None:
    edit_manifest(model_copy, lambda raw: raw["input"].update(shape=["batch", 3, 128, 192]))
    with pytest.raises(ModelError, match="does not match the preprocessing"):
        load_manifest(model_copy)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda raw: raw.update(format_version=99), "format version"),
        (lambda raw: raw["preprocessing"].update(version=99), "preprocessing"),
        (lambda raw: raw.pop("sha256"), "lacks sha256"),
        (lambda raw: raw["calibration"].update(per_k={}), "calibration table is empty"),
    ],
)
def test_manifest_refusals(model_copy: Path, change, message: str) -> None:
    edit_manifest(model_copy, change)
    with pytest.raises(ModelError, match=message):
        load_manifest(model_copy)


def test_missing_manifest_and_unreadable_json(tmp_path: Path, model_copy: Path) -> None:
    with pytest.raises(ModelError, match="no manifest.json"):
        load_manifest(tmp_path)
    (model_copy / "manifest.json").write_text("{not json")
    with pytest.raises(ModelError, match="manifest.json: the manifest cannot be read"):
        load_manifest(model_copy)


def test_model_calibrated_for_another_score_is_refused(model_copy: Path) -> None:
    from desktop.core.signature.verification import SignatureVerifier

    edit_manifest(model_copy, lambda raw: raw.update(score="min-distance"))
    with pytest.raises(ModelError, match="calibrated for score 'min-distance'"):
        SignatureVerifier(model_copy, provider="cpu")
