"""The signature embedder: the signed model folder's manifest and its ONNX session, mapping
ink maps to L2-normalised embeddings."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from desktop.core.errors import ModelError
from desktop.core.models.keys import TrustStore
from desktop.core.models.runtime import create_session
from desktop.core.signature.manifest import ModelManifest, load_manifest


class Embedder:
    """A signature embedder: validated manifest + ONNX session; maps ink maps to embeddings.

    The folder must be signed by a key in ``trust`` (default: the app's trusted keys)."""

    def __init__(self, folder: str | Path, provider: str = "auto", batch_size: int = 32,
                 threads: int | None = None, trust: TrustStore | None = None) -> None:
        self.manifest: ModelManifest = load_manifest(folder, trust=trust)
        self.session, self.provider = create_session(self.manifest.model_path, provider,
                                                     threads, self.manifest.sha256)
        self.batch_size = batch_size
        self._check_graph()

    def _check_graph(self) -> None:
        m = self.manifest
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        if len(inputs) != 1 or inputs[0].name != m.input_name:
            raise ModelError(m.model_path, f"the graph's input is not {m.input_name!r}")
        shape = inputs[0].shape
        if list(shape[1:]) != list(m.preprocessing.input_shape):
            raise ModelError(
                m.model_path, f"the graph's input shape {shape} does not match the manifest's "
                f"{['batch', *m.preprocessing.input_shape]}"
            )
        out = {o.name: o for o in outputs}
        if m.output_name not in out or out[m.output_name].shape[-1] != m.embedding_size:
            raise ModelError(
                m.model_path, f"the graph has no output {m.output_name!r} of size "
                f"{m.embedding_size}"
            )

    def embed(self, inputs: np.ndarray) -> np.ndarray:
        """Embed a float32 batch (N, 1, H, W) in chunks; returns (N, D) L2-normalised rows."""
        if inputs.ndim != 4 or tuple(inputs.shape[1:]) != self.manifest.preprocessing.input_shape:
            raise ValueError(f"expected (N, *{self.manifest.preprocessing.input_shape})")
        chunks = []
        for start in range(0, len(inputs), self.batch_size):
            part = np.ascontiguousarray(inputs[start : start + self.batch_size], dtype=np.float32)
            (emb,) = self.session.run([self.manifest.output_name], {self.manifest.input_name: part})
            chunks.append(emb)
        if not chunks:
            return np.zeros((0, self.manifest.embedding_size), dtype=np.float32)
        emb = np.concatenate(chunks).astype(np.float32)
        # The graph already normalises; doing it again keeps the distance scale exact.
        return emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
