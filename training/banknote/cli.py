"""``python -m training banknote-*``: synthetic data, training, export and evaluation."""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path

import torch


def _config(args: argparse.Namespace):  # noqa: ANN202 (torch is imported lazily)
    from training.banknote.train import BanknoteTrainConfig

    known = {f.name for f in dataclasses.fields(BanknoteTrainConfig)}
    return BanknoteTrainConfig(**{k: v for k, v in vars(args).items()
                                  if k in known and v is not None})


def _train(args: argparse.Namespace) -> int:
    from training.banknote.train import train_banknotes

    torch.set_num_threads(args.threads)
    summary = train_banknotes(_config(args), args.run_dir, args.device, args.workers)
    best = summary["history"][summary["best_epoch"] - 1]
    print(f"best epoch {summary['best_epoch']}: validation accuracy {best['accuracy']:.4f}, "
          f"counterfeits beyond the genuine 99th percentile {best['detect_at_1pct']:.4f} "
          f"({summary['seconds']:.0f} s on {args.device})")
    return 0


def _export(args: argparse.Namespace) -> int:
    from training.banknote.export import export_banknote_run

    torch.set_num_threads(args.threads)
    m = export_banknote_run(args.run, args.out, args.target_false_alarm, args.workers,
                            key=args.key)
    v = m["validation"]
    print(f"exported to {args.out}: {len(m['classes'])} classes; validation accuracy "
          f"{v['nearest_centroid_accuracy']:.4f} (centroids), {v['svm_accuracy']:.4f} (SVM); "
          f"genuine flagged {v['genuine_false_alarm']:.4f}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from training.banknote.evaluate import evaluate_banknote_model

    torch.set_num_threads(args.threads)
    if args.real is not None:
        from desktop.core.banknote.model import BanknoteModel
        from training.banknote.real import evaluate_real

        report = evaluate_real(BanknoteModel(args.model, args.provider), args.real, args.out)
        single = report.get("eur_photos", {}).get("single")
        if single:
            print(f"EUR photos: {single['top1']:.1%} named right and verified, "
                  f"{single['passed_genuine']:.1%} passed as genuine")
        print(f"wrote {args.out / 'real.json'}; `python scripts/docs_tables.py` puts its table "
              "in the README")
        return 0
    evaluate_banknote_model(args.model, args.out, seed=args.seed, genuine=args.genuine,
                            counterfeits=args.counterfeits, workers=args.workers,
                            provider=args.provider)
    return 0


def _detector(args: argparse.Namespace) -> int:
    from training.banknote.detector import (
        DetectorConfig,
        export_detector,
        install_finder,
        train_detector,
    )

    cfg = DetectorConfig(epochs=args.epochs, composites=args.composites, seed=args.seed)
    summary = train_detector(args.data, args.run_dir, cfg, args.threads)
    print(f"best epoch {summary['best_epoch']}: validation IoU {summary['val_iou']:.3f} on "
          f"held-out dong photos ({summary['seconds']:.0f} s)")
    if args.export is not None:
        print(f"exported to {export_detector(args.run_dir, args.export)}")
    if args.into is not None:
        onnx = args.export or export_detector(args.run_dir, args.run_dir / "finder.onnx")
        install_finder(args.into, onnx, summary, args.key)
        print(f"installed in {args.into}" + (" and signed" if args.key else " (NOT signed)"))
    return 0


def _loco(args: argparse.Namespace) -> int:
    from training.banknote.loco import run_loco

    torch.set_num_threads(args.threads)
    report = run_loco(args.data, args.run_dir, args.model, _config(args),
                      tuple(args.held_out), workers=args.workers)
    for c, fold in report["folds"].items():
        print(f"without {c}: {fold['scores']} (shipped embedder: {report['baseline'][c]})")
    print(f"wrote {args.run_dir / 'loco.json'}")
    return 0


def _synth(args: argparse.Namespace) -> int:
    from training.banknote.folders import generate_dataset

    root = generate_dataset(args.out, args.captures, args.counterfeits, args.seed)
    print(f"wrote <currency>/<denomination>/<side>/{{genuine,counterfeit}}/ under {root}")
    return 0


def _config_arguments(p: argparse.ArgumentParser) -> None:
    """The run folder, threads and every setting of ``BanknoteTrainConfig``."""
    p.add_argument("--run-dir", type=Path, required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workers", type=int, default=None, help="processes making the captures")
    for name, kind in (("epochs", int), ("batches_per_epoch", int), ("classes_per_batch", int),
                       ("genuine_per_class", int), ("counterfeits_per_class", int),
                       ("pos_neg_ratio", float), ("loss", str), ("margin", float),
                       ("backbone", str), ("width", int), ("embedding_size", int),
                       ("lr", float), ("train_genuine", int), ("train_counterfeits", int),
                       ("val_genuine", int), ("val_counterfeits", int), ("seed", int)):
        p.add_argument("--" + name.replace("_", "-"), dest=name, type=kind, default=None)
    p.add_argument("--holdout", nargs="*", default=None,
                   help="invented denominations kept out of training, e.g. ARC-50 BOR-25")


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the banknote sub-commands."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    p = sub.add_parser("banknote-synth", help="write a synthetic banknote folder")
    p.add_argument("out", type=Path)
    p.add_argument("--captures", type=int, default=4, help="genuine captures per side")
    p.add_argument("--counterfeits", type=int, default=2, help="counterfeits per side")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_synth)

    p = sub.add_parser("banknote-train", help="train the banknote embedder (triplet, hard mining)")
    p.add_argument("--device", default="cpu")
    _config_arguments(p)
    p.set_defaults(func=_train)

    p = sub.add_parser("banknote-loco", help="train on real and invented notes once per "
                       "held-out currency; leave-one-currency-out accuracy")
    p.add_argument("--data", type=Path, required=True, help="../shared/data/banknotes")
    p.add_argument("--model", type=Path, default=Path("exported_models/banknote"),
                   help="the app model whose finder locates queries (and the baseline)")
    p.add_argument("--held-out", nargs="*", default=["EUR", "BRL", "VND"],
                   help="the real currencies to hold out, one fold each")
    _config_arguments(p)
    p.set_defaults(func=_loco)

    p = sub.add_parser("banknote-detector", help="train the learned note finder on real "
                       "photos and composites")
    p.add_argument("--data", type=Path, required=True, help="../shared/data/banknotes")
    p.add_argument("--run-dir", type=Path, required=True)
    p.add_argument("--export", type=Path, default=None, help="write the ONNX graph here")
    p.add_argument("--into", type=Path, default=None, help="install it in this banknote model "
                   "folder (finder.onnx and the manifest's 'finder' entry)")
    p.add_argument("--key", type=Path, default=None, help="sign that folder again with this "
                   "Ed25519 private key (PEM; passphrase in $SIGDESK_KEY_PASSPHRASE)")
    p.add_argument("--epochs", type=int, default=24)
    p.add_argument("--composites", type=int, default=1600)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.set_defaults(func=_detector)

    p = sub.add_parser("banknote-export", help="fit classifiers, calibrate, export to ONNX")
    p.add_argument("--run", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--target-false-alarm", type=float, default=0.01)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--key", type=Path, default=None, help="sign the folder with this Ed25519 "
                   "private key (PEM; passphrase in $SIGDESK_KEY_PASSPHRASE)")
    p.set_defaults(func=_export)

    p = sub.add_parser("banknote-evaluate",
                       help="accuracy, counterfeit detection, one-shot enrollment, time per check")
    p.add_argument("--model", type=Path, default=Path("exported_models/banknote"))
    p.add_argument("--out", type=Path, default=Path("benchmarks/results/banknote"))
    p.add_argument("--seed", type=int, default=7000)
    p.add_argument("--genuine", type=int, default=10, help="test captures per side")
    p.add_argument("--counterfeits", type=int, default=10, help="counterfeits per side")
    p.add_argument("--provider", default="cpu")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--real", type=Path, default=None, metavar="DATA",
                   help="evaluate on the real notes under DATA (../shared/data/banknotes: "
                   "eur_photos, eur_brl, vnd) instead of the synthetic test notes")
    p.set_defaults(func=_evaluate)
