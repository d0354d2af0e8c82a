"""Train the banknote embedder at several positive/negative ratios on the same captures.

Each variant changes only the batch make-up (classes per batch P, with M genuine and F
counterfeit captures per class), so the ratio of positives to negatives per anchor changes
while the data, epochs and steps stay the same. Every variant is exported with its
classifiers and calibrated; the table gives validation accuracy, the share of validation
counterfeits beyond the genuine 99th percentile, and the genuine notes the exported model flags.

    python benchmarks/banknote_ratio.py --out runs/banknote_ratio --device cuda --classes 4 8 16
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import torch

from training.banknote.export import export_banknote_run
from training.banknote.train import BanknoteTrainConfig, batch_ratio, make_data, train_banknotes


def main(argv: list[str] | None = None) -> int:
    """Train, export and tabulate one variant per ``--classes`` value."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--classes", type=int, nargs="+", default=[4, 8, 16])
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--batches", type=int, default=50)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--train-genuine", type=int, default=60)
    ap.add_argument("--train-counterfeits", type=int, default=30)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    base = BanknoteTrainConfig(epochs=args.epochs, batches_per_epoch=args.batches,
                               width=args.width, train_genuine=args.train_genuine,
                               train_counterfeits=args.train_counterfeits)
    t0 = time.perf_counter()
    data = make_data(base, args.workers)
    print(f"captures: {len(data[0])} training, {len(data[1])} validation "
          f"({time.perf_counter() - t0:.0f} s)", flush=True)
    rows = []
    for p in args.classes:
        cfg = replace(base, classes_per_batch=p)
        run = args.out / f"run_p{p}"
        summary = train_banknotes(cfg, run, args.device, args.workers, data=data)
        best = summary["history"][summary["best_epoch"] - 1]
        manifest = export_banknote_run(run, args.out / f"model_p{p}", workers=args.workers,
                                       data=data)
        v = manifest["validation"]
        rows.append({"P": p, "ratio": batch_ratio(p, cfg.genuine_per_class,
                                                  cfg.counterfeits_per_class),
                     "best_epoch": summary["best_epoch"], "seconds": summary["seconds"],
                     "val_accuracy": best["accuracy"], "detect_at_1pct": best["detect_at_1pct"],
                     "svm_accuracy": v["svm_accuracy"],
                     "genuine_flagged": v["genuine_false_alarm"]})
        print(json.dumps(rows[-1]), flush=True)
    print("\n| P | pos/neg | best epoch | val accuracy | counterfeits beyond 99% genuine | "
          "genuine flagged | train s |\n|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['P']} | {r['ratio']:.3f} | {r['best_epoch']} | {r['val_accuracy']:.4f} | "
              f"{r['detect_at_1pct']:.4f} | {r['genuine_flagged']:.4f} | {r['seconds']:.0f} |")
    (args.out / "ratio.json").write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
