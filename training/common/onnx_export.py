"""Torch embedders to ONNX, and the parity check of the exported graph against torch: shared by
the signature and banknote exporters."""

from __future__ import annotations

import io
import logging
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import torch

from desktop.core.models.contract import PreprocessingContract
from desktop.core.models.runtime import create_session

INPUT_NAME, OUTPUT_NAME = "images", "embeddings"
PARITY_TOLERANCE = 1e-4


def export_graph(model: torch.nn.Module, example: torch.Tensor, path: str | Path,
                 input_name: str, output_name: str) -> Path:
    """Write ``model`` (one tensor argument ``x`` in, one out) as ONNX with a dynamic batch
    dimension (opset 18, the dynamo exporter: TorchScript's is deprecated)."""
    path = Path(path)
    model = model.eval()
    batch = torch.export.Dim("batch", min=1, max=65536)
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    with redirect_stdout(io.StringIO()):  # the exporter narrates each step on stdout
        program = torch.onnx.export(
            model, (example,), dynamo=True, input_names=[input_name],
            output_names=[output_name], dynamic_shapes={"x": {0: batch}}, opset_version=18,
            verbose=False,
        )
    program.save(str(path))
    return path


def export_onnx(model: torch.nn.Module, prep: PreprocessingContract, path: str | Path) -> Path:
    """Write an embedder as ONNX: ``images`` (N, *input shape) in, ``embeddings`` out."""
    return export_graph(model, torch.zeros((2, *prep.input_shape)), path, INPUT_NAME,
                        OUTPUT_NAME)


def parity_check(model: torch.nn.Module, onnx_path: str | Path, inputs: np.ndarray) -> float:
    """Max absolute difference between torch and onnxruntime (CPU) embeddings of ``inputs``."""
    model.eval()
    with torch.no_grad():
        expected = model(torch.from_numpy(inputs)).numpy()
    session, _ = create_session(onnx_path, "cpu")
    (got,) = session.run([OUTPUT_NAME], {INPUT_NAME: inputs.astype(np.float32)})
    return float(np.max(np.abs(expected - got)))
