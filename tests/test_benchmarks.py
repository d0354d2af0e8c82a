"""The speed benchmark keeps working: its quickest run on synthetic data gives every table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "pipeline_speed.py"


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    out = tmp_path_factory.mktemp("speed")
    missing = tmp_path_factory.mktemp("no-data") / "absent"  # never ../shared
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--data", str(missing),
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((out / "report_quick.json").read_text())
    markdown = (out / "report_quick.md").read_text()
    assert markdown.strip() in done.stdout
    return report, markdown


def _sane_stage(stats: dict) -> None:
    assert stats["n"] >= 1
    assert 0 < stats["p50_ms"] <= stats["max_ms"] < 60_000
    assert stats["p50_ms"] <= stats["p95_ms"] + 1e-9 and stats["mean_ms"] > 0


def test_every_table_and_field_is_there(quick_report) -> None:
    r, md = quick_report
    meta = r["meta"]
    assert meta["quick"] is True and "synthetic" in meta["signature_data"]
    assert len(meta["load_before"]) == 3 and len(meta["load_after"]) == 3
    assert meta["machine"]["cores"] >= 1 and meta["signature_model"].startswith("signature-")
    for part, stages in (("signature", ("decode", "preprocess", "embed", "decide")),
                         ("banknote", ("decode", "find and rectify", "preprocess", "embed",
                                       "classify and judge"))):
        lat, thr = r[part]["latency_b1"], r[part]["throughput_b32"]["items_per_s"]
        assert set(lat) == {*stages, "total"}
        for stage in stages:
            _sane_stage(lat[stage])
            assert thr[stage] > 0
        # The total of each item is the sum of its stages.
        assert lat["total"]["mean_ms"] == pytest.approx(
            sum(lat[s]["mean_ms"] for s in stages), rel=1e-6)
    assert sum(r["signature"]["verdicts"].values()) == r["signature"]["latency_b1"]["total"]["n"]

    cheque = r["cheque"]["latency"]
    assert set(cheque) == {"open and decode", "extract signature", "preprocess", "embed",
                           "decide", "total"}
    for stats in cheque.values():
        _sane_stage(stats)
    assert cheque["extract signature"]["mean_ms"] > cheque["decide"]["mean_ms"]

    for workers in ("workers_1", "workers_2"):
        batch = r["signature_batch"][workers]
        assert batch["items_per_s"] > 0 and batch["failed"] == 0 and batch["items"] >= 32

    for model in ("signature", "banknote"):
        part = r["ort_vs_torch"][model]
        assert part["torch_weights"]
        batches = [v for v in part.values() if isinstance(v, dict)]
        assert [v["batch"] for v in batches][0] == 1 and len(batches) == 2
        for v in batches:
            assert v["torch_ms"] > 0 and v["onnxruntime"]
            for graph in v["onnxruntime"].values():
                assert graph["ratio"] == pytest.approx(v["torch_ms"] / graph["ms"])

    memory = r["peak_memory_mb"]
    assert set(memory) == {"signature verification (app, batch)", "cheque check (app)",
                           "banknote check (app)", "torch eager (training)"}
    assert all(30 < mb < 8000 for mb in memory.values())
    # The app runs without torch; the training side's eager model carries it.
    assert memory["torch eager (training)"] > memory["signature verification (app, batch)"]

    cold = r["cold_start"]
    assert len(cold["spawn_to_ready_ms"]) == cold["runs"] >= 1
    assert 0 < cold["median_ms_since_main"] < cold["median_ms"] < 120_000
    assert cold["import_core_runtime_median_ms"] > cold["python_startup_median_ms"] > 0

    assert [g["met"] in (True, False) for g in r["goals"]] == [True] * 3
    for title in ("Signatures:", "Banknotes:", "Signature verifications in a batch",
                  "Cheque: image file opened", "onnxruntime against torch eager",
                  "Peak memory", "Cold start", "Goals"):
        assert title in md
