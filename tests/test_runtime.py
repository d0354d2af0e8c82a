"""Execution provider choice: the provider in use is read back from the session."""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort
import pytest

from desktop.core.models import runtime
from desktop.core.models.runtime import CPU, CUDA, create_session


def _cuda_really_works(model: Path) -> bool:
    session = ort.InferenceSession(str(model), providers=[CUDA, CPU])
    return session.get_providers()[0] == CUDA


def test_cpu_on_request(tiny_model: Path) -> None:
    _, info = create_session(tiny_model / "embedder.onnx", "cpu")
    assert info.active == CPU and info.label == "CPU" and "disabled" in info.reason


def test_cuda_request_falls_back_to_cpu_and_says_why(tiny_model: Path) -> None:
    onnx = tiny_model / "embedder.onnx"
    if CUDA in ort.get_available_providers() and _cuda_really_works(onnx):
        pytest.skip("this machine really runs CUDA: there is no fallback to observe")
    session, info = create_session(onnx, "cuda")
    assert session.get_providers()[0] == CPU
    assert info.active == CPU and info.requested == "cuda"
    assert ("GPU" in info.reason or "CUDA" in info.reason) and info.reason in info.describe()


def test_build_without_cuda_is_reported(tiny_model: Path, monkeypatch) -> None:
    monkeypatch.setattr(runtime.ort, "get_available_providers", lambda: [CPU])
    _, info = create_session(tiny_model / "embedder.onnx", "auto")
    assert info.active == CPU and "no CUDA support" in info.reason


def test_unknown_provider_is_rejected(tiny_model: Path) -> None:
    with pytest.raises(ValueError, match="provider"):
        create_session(tiny_model / "embedder.onnx", "tpu")


def test_missing_cuda_libraries_are_named(monkeypatch) -> None:
    monkeypatch.setattr(runtime.platform, "system", lambda: "Windows")  # skip the GPU probe
    report = ("Failed to load libcublasLt.so.13: libcublasLt.so.13: cannot open shared object "
              "file: No such file or directory\n")
    reason = runtime._cuda_failure_reason(report)
    assert "libcublasLt.so.13" in reason and "onnxruntime-gpu[cuda,cudnn]" in reason


def test_status_gives_the_gist_of_why_not_cuda() -> None:
    from desktop.core.models.runtime import ProviderInfo

    missing = ProviderInfo("auto", CPU, "CUDA/cuDNN libraries missing (libcudnn.so.9); install "
                           "onnxruntime-gpu[cuda,cudnn]")
    assert missing.status == "CPU: CUDA/cuDNN libraries missing"
    assert ProviderInfo("cuda", CUDA, "").status == "CUDA"
    from desktop.ui.wording import provider_status  # the window's line: the same gist

    assert provider_status(missing) == missing.status
    version, offered = runtime.runtime_info()
    assert version == ort.__version__ and "CPU" in offered


def test_a_cpu_only_installation_says_so(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(runtime, "_cuda_provider_library", lambda: tmp_path / "absent.so")
    reason = runtime._cuda_failure_reason("")
    assert "no CUDA provider" in reason and "CPU-only" in reason


def test_a_cpu_only_pc_logs_no_cuda_library_noise(monkeypatch, caplog) -> None:
    import logging

    calls: list[str] = []

    def noisy_preload() -> None:  # what onnxruntime prints when CUDA's libraries are missing
        calls.append("preload")
        print("Failed to load libcublasLt.so.13: cannot open shared object file")

    monkeypatch.setattr(runtime.ort, "preload_dlls", noisy_preload, raising=False)
    monkeypatch.setattr(runtime, "_preload_report", None)
    monkeypatch.setattr(runtime, "_nvidia_driver_present", lambda: False)
    with caplog.at_level(logging.INFO, logger="desktop.core.models.runtime"):
        assert runtime._preload_cuda_libraries() == ""
    assert calls == [] and caplog.records == []  # no driver: nothing tried, nothing said
    # With a driver, what failed to load is kept for the diagnosis, at DEBUG only.
    monkeypatch.setattr(runtime, "_preload_report", None)
    monkeypatch.setattr(runtime, "_nvidia_driver_present", lambda: True)
    with caplog.at_level(logging.INFO, logger="desktop.core.models.runtime"):
        assert "libcublasLt" in runtime._preload_cuda_libraries()
    assert calls == ["preload"] and caplog.records == []
