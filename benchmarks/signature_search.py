"""The signature model search: each row one change to the base recipe, trained on the same
writers for the same short budget and judged on the *validation* writers of each data set.

    python benchmarks/signature_search.py run A B       # train the named rows (runs/search/<row>)
    python benchmarks/signature_search.py collect       # runs/search/* -> results JSON

Every row trains with ``--threads 1`` so that two rows can share a 2-core machine; the
seconds are the training loop's own (``history.json``), on whatever machine ran it. The
criterion is the best epoch's mean over the data sets of the K = 1 validation EER
(genuine pairs against skilled forgeries, or the same name by another volunteer in the
Chinese set): :func:`training.signature.train.quick_validation_eer`. The test writers are
not read.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = ROOT / "runs" / "search"
RESULTS = ROOT / "benchmarks" / "results" / "signature_search.json"

# The budget every row shares (1000 batches); the shipped recipe may train longer.
BASE = ["--epochs", "25", "--batches-per-epoch", "40", "--writers-per-batch", "6",
        "--threads", "1"]

ROWS: dict[str, tuple[str, list[str]]] = {
    "A": ("balanced batches, batch-hard triplet (the old loss)", ["--loss", "triplet-hard"]),
    "B": ("balanced batches, multi-similarity loss", ["--loss", "multisimilarity"]),
    "C": ("B with wide capture ranges (resolution x0.5-2, pen +-1 px on 60% of images)",
          ["--loss", "multisimilarity", "--capture", "wide"]),
    "D": ("B with a wider network (compact, width 32)",
          ["--loss", "multisimilarity", "--width", "32"]),
}


def run(names: list[str]) -> None:
    """Train the named rows one after another (a finished row is resumed, i.e. skipped)."""
    for name in names:
        _, args = ROWS[name]
        cmd = [sys.executable, "-m", "training", "train", "--run", str(RUNS / name), *BASE,
               *args, "--resume"]
        print(" ".join(cmd[1:]), flush=True)
        subprocess.run(cmd, cwd=ROOT, check=True)


def collect() -> dict:
    """The rows whose runs exist, with their best validation epoch and training time."""
    rows = []
    for name, (change, args) in ROWS.items():
        history_file = RUNS / name / "history.json"
        if not history_file.is_file():
            continue
        history = json.loads(history_file.read_text())
        best = history["epochs"][history["best_epoch"]]
        rows.append({
            "row": name, "change": change, "args": BASE + args,
            "epochs": len(history["epochs"]), "best_epoch": history["best_epoch"] + 1,
            "val_eer_mean": best["val_eer"],
            "val_eer_per_set": best.get("val_eer_per_set", {}),
            "train_minutes": round(history["seconds"] / 60, 1),
        })
    return {"doc": __doc__.strip().split("\n\n")[0].replace("\n", " "),
            "criterion": "mean over data sets of the K=1 validation EER (skilled)",
            "rows": rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("run")
    p.add_argument("rows", nargs="+", choices=sorted(ROWS))
    sub.add_parser("collect")
    args = ap.parse_args(argv)
    if args.cmd == "run":
        run(args.rows)
    else:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(collect(), indent=2) + "\n")
        print(RESULTS.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
