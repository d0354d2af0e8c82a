"""ONNX Runtime sessions: execution provider choice and batched embedding.

The provider actually used is read back from the created session: onnxruntime-gpu lists
``CUDAExecutionProvider`` as available even on a machine with no GPU or no CUDA libraries,
and quietly falls back to the CPU when the CUDA provider cannot start.
"""

from __future__ import annotations

import contextlib
import io
import logging
import platform
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from desktop.core.errors import ModelError
from desktop.core.manifest import ModelManifest, load_manifest
from desktop.core.signing import TrustStore

log = logging.getLogger(__name__)

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
PROVIDER_CHOICES = ("auto", "cuda", "cpu")


@dataclass(frozen=True)
class ProviderInfo:
    """What was asked for, what runs, and why CUDA is not used when it is not."""

    requested: str
    active: str
    reason: str

    @property
    def label(self) -> str:
        """Short name for the status bar: ``CUDA`` or ``CPU``."""
        return "CUDA" if self.active == CUDA else "CPU"

    @property
    def status(self) -> str:
        """For the status bar: ``CUDA``, or ``CPU`` with the gist of why not CUDA
        (``CPU: no NVIDIA GPU or driver found``); :meth:`describe` has the whole reason."""
        if self.active == CUDA or not self.reason:
            return self.label
        return f"{self.label}: {self.reason.split(' (')[0].split(';')[0]}"

    def describe(self) -> str:
        """One sentence for a person."""
        text = f"{self.label} (requested: {self.requested})"
        return f"{text}: {self.reason}" if self.reason else text


_preload_report: str | None = None


def runtime_summary() -> str:
    """The onnxruntime in use and the providers its build offers (for the settings screen and
    support): ``onnxruntime 1.31.1; this build offers CUDA, CPU``."""
    offered = [p.removesuffix("ExecutionProvider") for p in ort.get_available_providers()]
    return f"onnxruntime {ort.__version__}; this build offers {', '.join(offered)}"


def _preload_cuda_libraries() -> str:
    """Load CUDA/cuDNN from the nvidia-* wheels once (onnxruntime >= 1.21 offers it).

    onnxruntime prints what it could not load on stdout, which would corrupt the CLI's JSON:
    the text is captured, logged, and returned for the diagnosis instead.
    """
    global _preload_report
    if _preload_report is None:
        buf = io.StringIO()
        preload = getattr(ort, "preload_dlls", None)
        with contextlib.redirect_stdout(buf):
            try:
                if preload is not None:
                    preload()
            except (OSError, RuntimeError) as exc:
                print(exc)
        _preload_report = buf.getvalue()
        if _preload_report:
            log.info("onnxruntime.preload_dlls: %s", _preload_report.strip())
    return _preload_report


def _cuda_provider_library() -> Path:
    """onnxruntime's CUDA provider library (left out of a CPU-only installer)."""
    name = ("onnxruntime_providers_cuda.dll" if sys.platform == "win32"
            else "libonnxruntime_providers_cuda.so")
    return Path(ort.__file__).parent / "capi" / name


def _cuda_failure_reason(preload_report: str) -> str:
    """Best explanation of why the CUDA provider did not start."""
    if not _cuda_provider_library().is_file():
        return (f"this installation has no CUDA provider ({_cuda_provider_library().name} is "
                "not there: a CPU-only build)")
    if platform.system() == "Linux" and not Path("/proc/driver/nvidia").exists():
        return "no NVIDIA GPU or driver found"
    missing = sorted(set(re.findall(r"(lib[\w.+-]+\.so[\w.]*): cannot open", preload_report)))
    if missing:
        return (f"CUDA/cuDNN libraries missing ({', '.join(missing[:3])}); install "
                "onnxruntime-gpu[cuda,cudnn]")
    return "CUDA could not start (driver, CUDA or cuDNN version mismatch)"


def create_session(model_path: str | Path, provider: str = "auto",
                   threads: int | None = None) -> tuple[ort.InferenceSession, ProviderInfo]:
    """Create an inference session on ``provider`` ('auto', 'cuda' or 'cpu').

    'auto' and 'cuda' try CUDA first and fall back to the CPU; the returned
    :class:`ProviderInfo` says which one runs and why CUDA does not, if it does not.
    ``threads`` caps onnxruntime's CPU threads for one run (None: its default, one per
    physical core).
    """
    if provider not in PROVIDER_CHOICES:
        raise ValueError(f"provider must be one of {PROVIDER_CHOICES}, not {provider!r}")
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be at least 1, not {threads!r}")
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads is not None:
        opts.intra_op_num_threads = threads
    # CUDA start-up failures are reported through ProviderInfo, not onnxruntime's log.
    opts.log_severity_level = 3
    ort.set_default_logger_severity(4)
    reason = ""
    providers = [CPU]
    if provider == "cpu":
        reason = "CUDA disabled in the settings"
    elif CUDA not in ort.get_available_providers():
        reason = "this onnxruntime build has no CUDA support (install onnxruntime-gpu)"
    else:
        report = _preload_cuda_libraries()
        providers = [CUDA, CPU]
    try:
        session = ort.InferenceSession(str(model_path), sess_options=opts, providers=providers)
    except Exception as exc:  # onnxruntime raises its own untyped errors for bad graphs
        raise ModelError(model_path, f"onnxruntime cannot load the model ({exc})") from None
    active = session.get_providers()[0]
    if providers[0] == CUDA and active != CUDA:
        reason = _cuda_failure_reason(report)
    return session, ProviderInfo(requested=provider, active=active, reason=reason)


class Embedder:
    """A signature embedder: validated manifest + ONNX session; maps ink maps to embeddings.

    The folder must be signed by a key in ``trust`` (default: the app's trusted keys)."""

    def __init__(self, folder: str | Path, provider: str = "auto", batch_size: int = 32,
                 threads: int | None = None, trust: TrustStore | None = None) -> None:
        self.manifest: ModelManifest = load_manifest(folder, trust=trust)
        self.session, self.provider = create_session(self.manifest.model_path, provider,
                                                     threads)
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
