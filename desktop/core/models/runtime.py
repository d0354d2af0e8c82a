"""ONNX Runtime sessions: the execution provider asked for and the one really used.

The provider actually used is read back from the created session: onnxruntime-gpu lists
``CUDAExecutionProvider`` as available even on a machine with no GPU or no CUDA libraries,
and quietly falls back to the CPU when the CUDA provider cannot start.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import hashlib
import io
import logging
import platform
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import onnxruntime as ort

from desktop.core.errors import N_, Message, ModelError

log = logging.getLogger(__name__)

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
PROVIDER_CHOICES = ("auto", "cuda", "cpu")


# The fixed reasons for running on the CPU. The windows translate these and their gists
# (desktop/ui/wording.py; a test keeps the two in step); other reasons carry details such as
# a missing library's name and are shown as written.
CPU_BY_SETTING = "CUDA disabled in the settings"
NO_GPU = "no NVIDIA GPU or driver found"
NO_CUDA_BUILD = "this onnxruntime build has no CUDA support (install onnxruntime-gpu)"
CUDA_MISMATCH = "CUDA could not start (driver, CUDA or cuDNN version mismatch)"
FIXED_CPU_REASONS = (CPU_BY_SETTING, NO_GPU, NO_CUDA_BUILD, CUDA_MISMATCH)


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
    def reason_gist(self) -> str:
        """The reason up to its first detail (``CUDA/cuDNN libraries missing``)."""
        return self.reason.split(" (")[0].split(";")[0]

    @property
    def status(self) -> str:
        """For a status line: ``CUDA``, or ``CPU`` with the gist of why not CUDA
        (``CPU: no NVIDIA GPU or driver found``); :meth:`describe` has the whole reason."""
        if self.active == CUDA or not self.reason:
            return self.label
        return f"{self.label}: {self.reason_gist}"

    def describe(self) -> str:
        """One sentence for a person."""
        text = f"{self.label} (requested: {self.requested})"
        return f"{text}: {self.reason}" if self.reason else text


_preload_report: str | None = None


def runtime_info() -> tuple[str, list[str]]:
    """onnxruntime's version and the providers its build offers (``CUDA``, ``CPU``...)."""
    return ort.__version__, [p.removesuffix("ExecutionProvider")
                             for p in ort.get_available_providers()]


def _nvidia_driver_present() -> bool:
    """Whether this PC has an NVIDIA driver at all (else CUDA cannot start, and trying to load
    its libraries only fills the log)."""
    if platform.system() == "Linux":
        return Path("/proc/driver/nvidia").exists()
    if platform.system() == "Windows":
        return ctypes.util.find_library("nvcuda") is not None
    return False


def _preload_cuda_libraries() -> str:
    """Load CUDA/cuDNN from the nvidia-* wheels once (onnxruntime >= 1.21 offers it).

    onnxruntime prints what it could not load on stdout, which would corrupt the CLI's JSON:
    the text is captured, logged, and returned for the diagnosis instead.
    """
    global _preload_report
    if _preload_report is None and not _nvidia_driver_present():
        _preload_report = ""  # a CPU-only PC: nothing to load, nothing to report
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
        if _preload_report:  # the reason reaches the user through ProviderInfo
            log.debug("onnxruntime.preload_dlls: %s", _preload_report.strip())
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
        return NO_GPU
    missing = sorted(set(re.findall(r"(lib[\w.+-]+\.so[\w.]*): cannot open", preload_report)))
    if missing:
        return (f"CUDA/cuDNN libraries missing ({', '.join(missing[:3])}); install "
                "onnxruntime-gpu[cuda,cudnn]")
    return CUDA_MISMATCH


def create_session(model_path: str | Path, provider: str = "auto",
                   threads: int | None = None, expected_sha256: str | None = None
                   ) -> tuple[ort.InferenceSession, ProviderInfo]:
    """Create an inference session on ``provider`` ('auto', 'cuda' or 'cpu').

    With ``expected_sha256`` (the hash the signed manifest lists) the graph is read once, its
    bytes are hashed and onnxruntime gets those very bytes: a file swapped after the folder
    was verified is refused, never run.

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
        reason = CPU_BY_SETTING
    elif CUDA not in ort.get_available_providers():
        reason = NO_CUDA_BUILD
    else:
        report = _preload_cuda_libraries()
        providers = [CUDA, CPU]
    model: str | bytes = str(model_path)
    if expected_sha256 is not None:
        try:
            model = Path(model_path).read_bytes()
        except OSError as exc:
            raise ModelError(model_path, Message(N_("cannot be read ({detail})"),
                                                 detail=exc.strerror)) from None
        if hashlib.sha256(model).hexdigest() != expected_sha256:
            raise ModelError(model_path, Message(N_(
                "SHA-256 differs from the signed manifest's (the file was changed after the "
                "model folder was verified)")))
    try:
        session = ort.InferenceSession(model, sess_options=opts, providers=providers)
    except Exception as exc:  # onnxruntime raises its own untyped errors for bad graphs
        raise ModelError(model_path, Message(N_("onnxruntime cannot load the model ({detail})"),
                                             detail=exc)) from None
    active = session.get_providers()[0]
    if providers[0] == CUDA and active != CUDA:
        reason = _cuda_failure_reason(report)
    return session, ProviderInfo(requested=provider, active=active, reason=reason)
