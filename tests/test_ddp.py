"""DistributedDataParallel: 2 CPU processes (torchrun, gloo) end where 1 process ends."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import torch

# Largest weight difference measured between the 2-process and the 1-process run below
# (4 SGD steps): 3e-7 (loss head 1.5e-8). With AdamW the runs drift apart by up to ~lr per
# step (2.6e-3 after 6 steps of a similar run): Adam's first steps are +-lr whatever a
# gradient's size, so components whose gradient is float noise (about 3e-7 between the two
# runs, checked) move in random directions. SGD shows that the gradients themselves agree.
TOLERANCE = 1e-5


def test_two_processes_match_one(synthetic_dir: Path, tmp_path: Path) -> None:
    from training.__main__ import main as training_main

    # a batch of 3 writers x (3 genuine + 2 forged) = 15 rows, split 8 / 7 over the ranks;
    # koch with sampled negatives: a loss with parameters and a seeded miner; SGD (see above)
    args = ["--data", str(synthetic_dir), "--val-writers", "2", "--test-writers", "2",
            "--epochs", "2", "--batches-per-epoch", "2", "--writers-per-batch", "3",
            "--genuine-per-writer", "3", "--forged-per-writer", "2", "--width", "6",
            "--embedding-size", "16", "--dropout", "0", "--threads", "1",
            "--loss", "koch", "--pos-neg-ratio", "0.5", "--optimizer", "sgd", "--lr", "0.05"]
    one, two = tmp_path / "one", tmp_path / "two"
    threads = torch.get_num_threads()
    try:
        assert training_main(["train", "--run", str(one), *args]) == 0
    finally:
        torch.set_num_threads(threads)
    two.mkdir()
    shutil.copy2(one / "split.json", two / "split.json")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         "-m", "training", "train", "--run-dir", str(two), *args],
        cwd=Path(__file__).resolve().parents[1], env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # rank 0 alone reports and writes: one summary line, the usual files and nothing else
    assert done.stdout.count('"best_epoch"') == 1, done.stdout
    assert sorted(p.name for p in two.iterdir()) == ["best.pt", "history.json", "last.pt",
                                                     "split.json"]
    a = torch.load(one / "last.pt", weights_only=False)
    b = torch.load(two / "last.pt", weights_only=False)
    assert b["epoch"] == 1 and a["config"] == b["config"]
    diff = max((a["model"][k].double() - b["model"][k].double()).abs().max().item()
               for k in a["model"])
    assert diff < TOLERANCE, diff
    head = (a["loss"]["loss.head.weight"] - b["loss"]["loss.head.weight"]).abs().max().item()
    assert head < TOLERANCE, head
    assert a["loss"]["miner._extra_state"] == b["loss"]["miner._extra_state"]
    losses_a = [e["loss"] for e in a["history"]["epochs"]]
    losses_b = [e["loss"] for e in b["history"]["epochs"]]
    assert all(abs(x - y) < 1e-4 for x, y in zip(losses_a, losses_b, strict=True))
