"""The models ``benchmarks/pipeline_speed.py`` times, built as the app and the training build
them: the app's banknote model with its embedder's threads capped, the torch eager embedders,
and a float32 ONNX graph of the same weights."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the benchmarks beside us
from signature_search import SHIPPED  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIGNATURE_MODEL = ROOT / "exported_models" / "signature"
BANKNOTE_MODEL = ROOT / "exported_models" / "banknote"
CHECKPOINT = ROOT / "runs" / "search" / SHIPPED / "best.pt"  # the shipped row's weights


def signature_torch_model(manifest, threads: int, weights: bool = True):
    """The signature embedder in torch eager: the shipped row's weights when its checkpoint is
    here, of the manifest's architecture (and ``weights``), otherwise the manifest's
    architecture with random weights (speed does not depend on them; the quick run skips
    loading the training code)."""
    import torch

    torch.set_num_threads(threads)
    cfg = manifest.raw["training"]["config"]
    if weights and CHECKPOINT.is_file():
        from training.signature.train import load_model

        net, run_cfg = load_model(CHECKPOINT)
        # A checkpoint of another architecture would time another model than the shipped one.
        if (run_cfg.width, run_cfg.embedding_size) == (cfg["width"], cfg["embedding_size"]):
            return net.eval(), f"{CHECKPOINT.relative_to(ROOT)} weights"
    from training.common.model import SignatureEmbedder

    return (SignatureEmbedder(cfg["embedding_size"], cfg["width"] or 24).eval(),
            "manifest architecture, random weights")


def banknote_torch_model(manifest, threads: int):
    """The banknote embedder rebuilt from its manifest's training config (random weights:
    the training run is not shipped)."""
    import torch

    from training.common.backbones import build_backbone

    torch.set_num_threads(threads)
    cfg = manifest.raw["training"]["config"]
    model = build_backbone(cfg["backbone"], int(cfg["embedding_size"]),
                           manifest.preprocessing.input_shape, cfg.get("width"))
    return model.eval(), f"{cfg['backbone']} backbone from the manifest, random weights"


def float32_graph(net, prep, path: Path, args: argparse.Namespace):
    """``net`` exported to ONNX by the project's exporter (as the float32 model was): an
    embedding function on an onnxruntime session of it, set up as the app's."""
    from desktop.core.models.runtime import create_session
    from training.common.onnx_export import INPUT_NAME, OUTPUT_NAME, export_onnx

    session, _ = create_session(export_onnx(net, prep, path), args.provider, args.threads)

    def run_graph(x: np.ndarray) -> np.ndarray:
        (emb,) = session.run([OUTPUT_NAME], {INPUT_NAME: x})
        return emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)

    return run_graph


def load_banknote_model(provider: str, threads: int):
    """The app's banknote model, its embedder session capped at ``threads``."""
    from desktop.core.banknote.model import BanknoteModel
    from desktop.core.models.runtime import create_session

    model = BanknoteModel(BANKNOTE_MODEL, provider)
    model.session, model.provider = create_session(model.manifest.embedder.path, provider,
                                                   threads)
    return model
