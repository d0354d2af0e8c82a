"""Omniglot one-shot benchmark command: train, evaluate on the official runs, report.

Training is in :mod:`training.fewshot.omniglot_train`, evaluation in
:mod:`training.fewshot.omniglot_eval`, the data readers and the distortion in
:mod:`training.fewshot.omniglot_data`; :data:`BENCHMARK_DOC` below describes the command.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch

from training.fewshot.omniglot_data import read_background, read_runs
from training.fewshot.omniglot_eval import one_shot_runs, runs_table, torch_embedder
from training.fewshot.omniglot_train import (
    OmniglotConfig,
    load_embedder,
    split_characters,
    train_omniglot,
)

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "omniglot"
BENCHMARK_DOC = """Omniglot 20-way one-shot benchmark, from scratch: train, evaluate, print the
table.

    python benchmarks/omniglot.py --out runs/omniglot [--minutes 30 | --epochs 30]

Trains a Siamese (shared-weight) embedder with metric learning on the two small background
sets only (8 distinct alphabets: Greek and Latin are in both zips), with Koch et al.'s
distortions, picks the checkpoint by 20-way 1-shot accuracy on held-out background
characters, then evaluates on the 20 official runs of ``all_runs.zip`` (400 trials) beside
pixel nearest neighbour and random guessing. Writes ``report.json``, ``history.json``,
``best.pt`` and the plots to ``--out``.
"""


def add_benchmark_args(p: argparse.ArgumentParser) -> None:
    """The benchmark's options (also for a ``python -m training omniglot`` subcommand)."""
    p.add_argument("--data", type=Path, default=DEFAULT_DATA,
                   help="folder with images_background_small{1,2}.zip and all_runs.zip")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--minutes", type=float, default=None,
                   help="training wall-time budget (overrides --epochs)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--steps-per-epoch", type=int, default=100)
    p.add_argument("--size", type=int, default=OmniglotConfig.size)
    p.add_argument("--backbone", default=OmniglotConfig.backbone)
    p.add_argument("--width", type=int, default=None)
    p.add_argument("--embedding-size", type=int, default=OmniglotConfig.embedding_size)
    p.add_argument("--loss", default=OmniglotConfig.loss)
    p.add_argument("--margin", type=float, default=None)
    p.add_argument("--classes-per-batch", type=int, default=OmniglotConfig.classes_per_batch)
    p.add_argument("--drawings-per-class", type=int,
                   default=OmniglotConfig.drawings_per_class)
    p.add_argument("--no-rotation-classes", action="store_true")
    p.add_argument("--lr", type=float, default=OmniglotConfig.lr)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2,
                   help="torch threads; on a CPU shared with other torch jobs 1 is much faster "
                        "(OpenMP threads spin when the cores are oversubscribed)")
    p.add_argument("--episodes", type=int, default=400, help="episodes per (N, k) point")
    p.add_argument("--eval-only", action="store_true", help="evaluate OUT/best.pt, no training")


def main(argv: list[str] | None = None) -> int:
    """Command line of ``benchmarks/omniglot.py``."""
    p = argparse.ArgumentParser(prog="omniglot", description=BENCHMARK_DOC,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_benchmark_args(p)
    return run_benchmark(p.parse_args(argv))


def run_benchmark(args: argparse.Namespace) -> int:
    """The benchmark from scratch: train (unless ``--eval-only``), evaluate on the official
    runs, print the table, write ``report.json`` and the plot to ``--out``."""
    from training.fewshot.harness import (
        evaluate_nway,
        format_table,
        pixel_embedder,
        plot_curves,
        results_to_dicts,
    )

    def log(msg: str) -> None:
        print(msg, flush=True)

    torch.set_num_threads(args.threads)
    bg_zips = [args.data / "images_background_small1.zip",
               args.data / "images_background_small2.zip"]
    t0 = time.perf_counter()
    background = read_background(bg_zips)
    log(f"background: {len(background.images)} drawings, "
        f"{len(background.character_names())} characters, "
        f"{len(set(background.alphabets))} alphabets "
        f"({background.duplicates} duplicate files across the zips skipped)")
    cfg = OmniglotConfig(
        size=args.size, backbone=args.backbone, width=args.width,
        embedding_size=args.embedding_size, loss=args.loss, margin=args.margin,
        classes_per_batch=args.classes_per_batch, drawings_per_class=args.drawings_per_class,
        rotation_classes=not args.no_rotation_classes, lr=args.lr, epochs=args.epochs,
        steps_per_epoch=args.steps_per_epoch, minutes=args.minutes, seed=args.seed,
        threads=args.threads,
    )
    train_chars, val_chars = split_characters(background, cfg.val_fraction, cfg.seed)
    train_set = background.subset(train_chars)
    val = background.subset(val_chars).to_fewshot(cfg.size)
    args.out.mkdir(parents=True, exist_ok=True)
    history = None
    if not args.eval_only:
        history = train_omniglot(cfg, train_set, val, args.out, log)
    model, cfg = load_embedder(args.out / "best.pt")
    if history is None and (args.out / "history.json").is_file():
        history = json.loads((args.out / "history.json").read_text())

    runs = read_runs(args.data / "all_runs.zip", cfg.size)
    embed = torch_embedder(model)
    methods = {"model": embed, "pixel-NN": pixel_embedder, "random": None}
    official = one_shot_runs(runs, methods, seed=cfg.seed)
    desc = (history or {}).get("model", cfg.backbone)
    caption = (f"Omniglot 20-way one-shot, official {len(runs)} runs = "
               f"{official['model']['trials']} trials, input {cfg.size}x{cfg.size}; model: "
               f"{desc}, loss {cfg.loss}, trained on {len(train_chars)} background characters")
    table = runs_table(official, caption)

    ns, ks = (2, 5, 10, 15, 20), (1, 5)
    curve = evaluate_nway(val, methods, ns, ks, episodes=args.episodes, seed=cfg.seed,
                          within_group=True)
    plot = plot_curves(curve, args.out / "nway_heldout_within_alphabet.png",
                       title="held-out background characters, within one alphabet when it has "
                             "N of them (hollow: mixed)")
    curve_any = evaluate_nway(val, methods, ns, ks, episodes=args.episodes, seed=cfg.seed)
    plot_any = plot_curves(curve_any, args.out / "nway_heldout_any_alphabet.png",
                           title="held-out background characters, classes from any alphabet")
    report = {
        "official_runs": {k: {kk: vv for kk, vv in v.items()} for k, v in official.items()},
        "table": table,
        "config": asdict(cfg),
        "training": None if history is None else {
            "seconds": history.get("seconds"), "steps": history.get("steps"),
            "best_epoch": history.get("best_epoch"), "best_val_acc": history.get("best_val_acc"),
            "model": history.get("model"), "parameters": history.get("parameters")},
        "data": {"background": [str(z) for z in bg_zips],
                 "drawings": len(background.images),
                 "characters": len(background.character_names()),
                 "alphabets": sorted(set(background.alphabets)),
                 "duplicates_skipped": background.duplicates,
                 "train_characters": len(train_chars), "validation_characters": len(val_chars),
                 "runs": str(args.data / "all_runs.zip")},
        "heldout_nway": {"protocol": "nearest prototype (mean of support embeddings), "
                                     "Euclidean; 95% CI normal approximation over episodes; "
                                     "within alphabet when one has N held-out characters",
                         "results": results_to_dicts(curve), "plot": str(plot),
                         "any_alphabet": results_to_dicts(curve_any),
                         "any_alphabet_plot": str(plot_any)},
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpus": os.cpu_count(), "threads": args.threads,
                    "torch": torch.__version__},
        "command": " ".join(sys.argv),
        "total_seconds": time.perf_counter() - t0,
    }
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(table)
    print()
    within = {(r.k_shot, r.n_way): r.within_group for r in curve}
    print("N-way k-shot on held-out background characters, within one alphabet where one has "
          "N of them (accuracy % [95% CI over episodes]); episodes within one alphabet: "
          + ", ".join(f"N={n}: {100 * f:.0f}%" for (k, n), f in within.items() if k == 1))
    print(format_table(curve))
    print("\nThe same, classes from any alphabet:")
    print(format_table(curve_any))
    print(f"\nreport: {args.out / 'report.json'}  plots: {plot}, {plot_any}")
    return 0
