"""Export the trained embedder to ONNX with its manifest, and check it against torch."""

from __future__ import annotations

import datetime as _dt
import json
import shutil
from pathlib import Path

import numpy as np
import torch

from desktop.core.models.keys import UNCHECKED
from desktop.core.models.manifest import write_manifest
from desktop.core.models.signing import SIGNATURE_NAME, sha256_of, sign_model
from desktop.core.signature.embedder import Embedder
from desktop.core.signature.manifest import FORMAT_VERSION
from desktop.core.signature.preprocess import SignaturePreprocessing
from desktop.core.signature.verification import SCORE_NAME
from training.common.onnx_export import (
    INPUT_NAME,
    OUTPUT_NAME,
    PARITY_TOLERANCE,
    export_onnx,
    parity_check,
)

MODEL_FILE = "embedder.onnx"
BACKGROUND_FILE = "background.npy"
DEMONSTRATION = ("This is a demonstration model: retrain it on the institution's own "
                 "reference signatures before production use.")
# What a manifest says of each data set the project knows, by folder name: (data, licence).
KNOWN_DATA = {
    "cedar": (
        "CEDAR offline signature database (Kalera, Srihari and Xu, 2004), writers 1-40, "
        "English, grayscale scans downscaled to about 150 dpi; genuine signatures and "
        "skilled forgeries",
        "CEDAR: published for research use"),
    "bhsig260_bengali": (
        "BHSig260, Bengali part (Pal, Alaei, Pal and Blumenstein, 2016), writers 1-80, "
        "downscaled by 2; genuine signatures and skilled forgeries",
        "BHSig260: published for research use"),
    "chinese_cross_media": (
        "Chinese cross-media signatures (Luo et al., 2023; Zenodo 10.5281/zenodo.8008661), "
        "volunteers 1-80, ten names each, the two pen-like media (crops 01-20) only",
        "Chinese cross-media set: MIT licence"),
}


def describe_data(data: str | list[str]) -> tuple[str, str]:
    """The manifest's ``data`` and ``licence`` texts for a split's data folder(s): the known
    sets by name, others by path, and the demonstration-model warning."""
    folders = [data] if isinstance(data, str) else list(data)
    parts = [KNOWN_DATA.get(Path(f).name, (f, f"{Path(f).name}: see the data set's own "
                                              "terms")) for f in folders]
    return ("; ".join(d for d, _ in parts),
            "; ".join(lic for _, lic in parts) + ". " + DEMONSTRATION)


def build_manifest(
    onnx_path: Path, prep: SignaturePreprocessing, embedding_size: int, calibration: dict,
    training: dict, parity: float,
) -> dict:
    """The manifest dict for an exported embedder (see desktop.core.signature.manifest)."""
    digest = sha256_of(onnx_path)
    return {
        "format_version": FORMAT_VERSION,
        "kind": "signature-embedder",
        "model_file": onnx_path.name,
        "model_id": f"signature-{digest[:12]}",
        "sha256": digest,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "input": {"name": INPUT_NAME, "shape": ["batch", *prep.input_shape],
                  "dtype": "float32", "layout": "NCHW", "range": [0.0, 1.0]},
        "output": {"name": OUTPUT_NAME, "size": embedding_size, "normalized": "l2"},
        "distance": "euclidean between L2-normalised embeddings",
        "score": SCORE_NAME,
        "preprocessing": prep.to_dict(),
        "calibration": calibration,
        "training": training,
        "export": {"opset": 18, "torch": torch.__version__,
                   "parity_max_abs_diff": parity, "parity_tolerance": PARITY_TOLERANCE},
    }


def write_background(out: Path, split: dict) -> dict:
    """Embed the training writers' genuine signatures with the exported model in ``out``.

    The images go through the app's own loader and preprocessing contract and the app's
    onnxruntime embedder (CPU), so the writer SVM's negatives are exactly what the app would
    compute. Writes ``out/background.npy`` (float32, rows in the order of the data reader,
    training writers only) and returns the manifest's ``background`` entry.
    """
    from training.signature.data import (
        BACKGROUND_PER_SET,
        SignatureImages,
        background_samples,
        read_many,
    )
    from training.signature.train import clean_inkmaps

    images = SignatureImages(background_samples(read_many(split["data"]), split["train"]))
    embedder = Embedder(out, provider="cpu", trust=UNCHECKED)  # not signed yet
    emb = embedder.embed(clean_inkmaps(images, embedder.manifest.preprocessing))
    emb = np.ascontiguousarray(emb, dtype=np.float32)
    path = out / BACKGROUND_FILE
    np.save(path, emb, allow_pickle=False)
    return {
        "file": BACKGROUND_FILE,
        "sha256": sha256_of(path),
        "shape": list(emb.shape),
        "dtype": "float32",
        "content": "genuine signatures of the training writers (at most "
                   f"{BACKGROUND_PER_SET} per data set), embedded by this model "
                   "(L2-normalised): the writer-dependent SVM's negatives",
        "writers": sorted(images.writers, key=lambda w: (len(w), w)),
        "per_writer": {w: len(images.indices(w, True)) for w in images.writers},
    }


def export_run(run: str | Path, out: str | Path, data_description: str | None = None,
               licence: str | None = None, key: str | Path | None = None) -> Path:
    """Export ``run/best.pt`` with the run's validation calibration to the folder ``out``.

    Runs the evaluation first when the run has no ``calibration.json``; copies the evaluation
    report and plots, the writer split and the training history beside the model. Refuses to
    write a model whose ONNX output differs from torch's by more than the parity tolerance.
    When the calibration has the writer-SVM method, also writes ``background.npy`` (see
    :func:`write_background`) and records it. With
    ``key`` (an Ed25519 private key PEM), signs the folder (:func:`sign_model`); without it
    the folder is left unsigned and the app refuses it until ``python -m training sign``.
    """
    from training.signature.report import evaluate_run
    from training.signature.train import load_model

    run, out = Path(run), Path(out)
    if not (run / "calibration.json").is_file():
        evaluate_run(run)
    calibration = json.loads((run / "calibration.json").read_text())
    split = json.loads((run / "split.json").read_text())
    model, cfg = load_model(run / "best.pt")
    prep = cfg.prep
    out.mkdir(parents=True, exist_ok=True)
    (out / SIGNATURE_NAME).unlink(missing_ok=True)  # an old signature no longer applies
    tmp = out / (MODEL_FILE + ".tmp")
    export_onnx(model, prep, tmp)
    rng = np.random.default_rng(0)
    probe = (rng.random((8, *prep.input_shape)) < 0.1).astype(np.float32)
    parity = parity_check(model, tmp, probe)
    if parity > PARITY_TOLERANCE:
        tmp.unlink()
        raise RuntimeError(f"ONNX export differs from torch by {parity:.2e}: not exported")
    tmp.replace(out / MODEL_FILE)
    known_data, known_licence = describe_data(split["data"])
    report = json.loads((run / "report.json").read_text()) if (run / "report.json").is_file() \
        else {}
    training = {
        "data": data_description or known_data,
        "licence": licence or known_licence,
        "writers": {key: split[key] for key in ("train", "validation", "test")},
        "config": {k: v for k, v in vars(cfg).items() if k != "preprocessing"},
        "test_results": report.get("summary", {}),
    }
    manifest = build_manifest(out / MODEL_FILE, prep, cfg.embedding_size, calibration,
                              training, parity)
    (out / BACKGROUND_FILE).unlink(missing_ok=True)  # never leave a stale one unrecorded
    write_manifest(out, manifest)
    if "svm" in calibration:
        manifest["background"] = write_background(out, split)
        write_manifest(out, manifest)
    for name in ["report.json", "split.json", "history.json", *report.get("plots", [])]:
        if (run / name).is_file():
            shutil.copy2(run / name, out / name)
    if key is not None:
        sign_model(out, key)
    return out
