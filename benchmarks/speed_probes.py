"""What ``benchmarks/pipeline_speed.py`` measures in fresh processes: the peak memory of each
app scenario (one interpreter each, so that one scenario's memory is not another's), and the
app's cold start from a spawn to its ``READY`` line.

    python benchmarks/speed_probes.py SCENARIO SPEC.json   # one memory scenario (a child)
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the speed_* helpers beside us
from speed_models import (  # noqa: E402
    ROOT,
    SIGNATURE_MODEL,
    load_banknote_model,
    signature_torch_model,
)

MEMORY_SCENARIOS = ("signature verification (app, batch)", "cheque check (app)",
                    "banknote check (app)", "torch eager (training)")


# ---- peak memory: one fresh process per scenario -------------------------------------------
def run_child(scenario: str, spec: dict) -> None:
    """Run one memory scenario in this (fresh) process and print ``PEAK {json}``."""
    threads, provider = spec["threads"], spec["provider"]
    if scenario == "torch eager (training)":
        import torch

        from desktop.core.imaging.decode import load_gray
        from desktop.core.signature.manifest import load_manifest
        from desktop.core.signature.preprocess import batch, preprocess_signature

        manifest = load_manifest(SIGNATURE_MODEL)
        net, _ = signature_torch_model(manifest, threads, spec["weights"])
        x = torch.from_numpy(batch([preprocess_signature(load_gray(p), manifest.preprocessing)
                                    for p in spec["queries"][:32]]))
        with torch.inference_mode():
            for _ in range(3):
                net(x)
    elif scenario == "banknote check (app)":
        from desktop.core.banknote.detect import load_bgr

        model = load_banknote_model(provider, threads)
        for path in spec["captures"]:
            model.check(load_bgr(path), path)
    else:
        from desktop.core.signature.verification import SignatureVerifier

        verifier = SignatureVerifier(SIGNATURE_MODEL, provider, threads)
        refs = verifier.embed_inkmaps([verifier.prepare(p).inkmap for p in spec["refs"]])
        if scenario == "cheque check (app)":
            from desktop.core.signature.cheque import extract_from_file
            from desktop.core.signature.preprocess import preprocess_signature

            for path in spec["cheques"]:
                inkmap = preprocess_signature(extract_from_file(path).signature,
                                              verifier.manifest.preprocessing)
                verifier.decide(refs, verifier.embed_inkmaps([inkmap])[0])
        else:
            verifier.verify_batch([(p, refs) for p in spec["queries"]], workers=2)
    print("PEAK " + json.dumps({"scenario": scenario, "peak_rss_mb": peak_rss_mb()}),
          flush=True)


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB. On Linux ``getrusage``'s ``ru_maxrss``
    keeps the high-water mark of the parent that forked us (it survives exec), so the
    kernel's per-process ``VmHWM`` is read there; elsewhere ``ru_maxrss`` is right."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024.0  # bytes / KiB


def start_memory_scenarios(spec_file: Path) -> dict[str, subprocess.Popen]:
    """Start every memory scenario, each in a fresh interpreter, side by side (their memory
    does not depend on one another; only their time would)."""
    return {s: subprocess.Popen([sys.executable, __file__, s, str(spec_file)],
                                stdout=subprocess.PIPE, text=True, cwd=ROOT)
            for s in MEMORY_SCENARIOS}


def peak_memory(procs: dict[str, subprocess.Popen]) -> dict[str, float]:
    """Peak RSS (MB) of each scenario started by :func:`start_memory_scenarios`."""
    out = {}
    for scenario, proc in procs.items():
        text, _ = proc.communicate(timeout=600)
        line = next((ln for ln in text.splitlines() if ln.startswith("PEAK ")), None)
        if proc.returncode != 0 or line is None:
            raise RuntimeError(f"memory scenario {scenario!r} failed (exit {proc.returncode})")
        out[scenario] = round(json.loads(line[5:])["peak_rss_mb"], 1)
    return out


# ---- cold start ----------------------------------------------------------------------------
def _wall(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True, timeout=120)
    return (time.perf_counter() - t0) * 1000.0


def cold_start(runs: int, home: Path, app: Path | None = None) -> dict:
    """Spawn ``python -m desktop --compare --exit-when-ready`` (offscreen; or the built
    ``app`` executable with the same flags) ``runs`` times: milliseconds from the spawn to its
    ``READY`` line; plus the import cost for context."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SIGDESK_HOME": str(home)}
    launcher = [str(app)] if app else [sys.executable, "-m", "desktop"]
    cmd = [*launcher, "--compare", "--exit-when-ready"]
    spawn_ms, inside_ms = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        ready = None
        for line in proc.stdout:  # type: ignore[union-attr]
            if line.startswith(("READY", "FAILED")):
                ready = (time.perf_counter() - t0) * 1000.0, line.strip()
                break
        proc.wait(timeout=60)
        if ready is None or not ready[1].startswith("READY"):
            raise RuntimeError(f"{' '.join(cmd[1:])} did not report READY "
                               f"({ready[1] if ready else f'exit {proc.returncode}'})")
        spawn_ms.append(ready[0])
        inside_ms.append(float(json.loads(ready[1][6:]).get("ms_since_start", "nan")))
    # The interpreter's own costs, for context (meaningless for a built app's launcher).
    probe = "import desktop.core.models.runtime"
    imports = [] if app else [_wall([sys.executable, "-c", probe], env) for _ in range(runs)]
    bare = [] if app else [_wall([sys.executable, "-c", "pass"], env) for _ in range(runs)]
    return {"command": "QT_QPA_PLATFORM=offscreen " + " ".join(
                [str(app) if app else "python -m desktop", "--compare", "--exit-when-ready"]),
            "runs": runs,
            "spawn_to_ready_ms": [round(v, 1) for v in spawn_ms],
            "median_ms": float(np.median(spawn_ms)),
            "median_ms_since_main": float(np.median(inside_ms)),
            "import_core_runtime_median_ms": float(np.median(imports)) if imports else None,
            "python_startup_median_ms": float(np.median(bare)) if bare else None}


if __name__ == "__main__":
    run_child(sys.argv[1], json.loads(Path(sys.argv[2]).read_text()))
