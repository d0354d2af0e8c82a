"""Command line: ``python -m training {synth,train,evaluate,export,sign,keygen,omniglot,demo}
...``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import fields
from pathlib import Path

SIGNATURE_DATA = Path(__file__).resolve().parents[1].parent / "shared/data/signatures"
# The three scripts the shipped model learns from: English, Bengali, Chinese.
DEFAULT_SIGNATURE_SETS = [SIGNATURE_DATA / name
                          for name in ("cedar", "bhsig260_bengali", "chinese_cross_media")]


# TrainConfig fields whose default is None: the type of their command-line value
_OPTIONAL_TYPES = {"margin": float, "margin2": float, "pos_neg_ratio": float, "width": int,
                   "pretrained": str}


# TrainConfig fields that are not command-line options: the preprocessing contract comes from
# --pen-width, the writer head's class count from the training writers (train()).
_NOT_OPTIONS = ("preprocessing", "writer_classes")


def _add_train_args(p: argparse.ArgumentParser) -> None:
    from training.common.backbones import BACKBONES
    from training.common.losses import LOSSES
    from training.signature.train import TrainConfig

    p.add_argument("--data", type=Path, nargs="+", default=DEFAULT_SIGNATURE_SETS,
                   help="one or more data sets: CEDAR, <writer>/{genuine,forged}/ "
                        "(BHSig260) or <volunteer>/NN.png (Chinese cross-media) folders")
    # --run-dir: the same, for torchrun, whose own parser finds "--run" ambiguous
    p.add_argument("--run", "--run-dir", dest="run", type=Path, required=True,
                   help="run folder for checkpoints/reports")
    p.add_argument("--val-writers", type=float, default=0.2,
                   help="validation persons of each data set: a count, or a fraction below 1")
    p.add_argument("--test-writers", type=float, default=0.25,
                   help="held-out test persons of each data set: a count, or a fraction")
    p.add_argument("--split-seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue from RUN/last.pt")
    for f in fields(TrainConfig):
        if f.name in _NOT_OPTIONS:
            continue
        if isinstance(f.default, bool):  # a switch: argparse's type=bool reads "False" as True
            p.add_argument(f"--{f.name.replace('_', '-')}", action="store_true")
            continue
        kind = _OPTIONAL_TYPES.get(f.name, type(f.default))
        choices = {"loss": LOSSES, "backbone": BACKBONES, "optimizer": ("adamw", "sgd"),
                   "sampler": ("balanced", "writers"),
                   "capture": ("narrow", "wide")}.get(f.name)
        p.add_argument(f"--{f.name.replace('_', '-')}", type=kind, default=f.default,
                       choices=choices)
    p.add_argument("--pen-width", type=float, default=0.0,
                   help="redraw every stroke with a pen this many canvas pixels wide "
                        "(preprocessing step 6; 0: the ink as scanned)")
    p.add_argument("--min-stroke", type=float, default=0.0,
                   help="thicken signatures whose strokes are thinner than this many scanned "
                        "pixels on average (preprocessing step 7; 0: the ink as scanned)")
    p.add_argument("--match-pen", action="store_true",
                   help="grow a query's strokes to its references' width before comparing "
                        "(preprocessing version 4; evaluation and the app, not training)")


def _split(args: argparse.Namespace, rank: int = 0):
    from training.signature.data import SignatureImages, read_many, split_per_dataset

    split_file = args.run / "split.json"
    if split_file.is_file():
        split = json.loads(split_file.read_text())
        samples = read_many(split["data"])
    else:
        data = [str(d) for d in args.data]
        samples = read_many(data)
        train, val, test = split_per_dataset(samples, args.val_writers, args.test_writers,
                                             args.split_seed)
        split = {"data": data[0] if len(data) == 1 else data, "train": train,
                 "validation": val, "test": test, "seed": args.split_seed}
        if rank == 0:  # every rank computes the same split; one writes it
            args.run.mkdir(parents=True, exist_ok=True)
            split_file.write_text(json.dumps(split, indent=2) + "\n")
    # Decode only the writers training uses; the test writers wait for evaluation.
    used = set(split["train"]) | set(split["validation"])
    images = SignatureImages([s for s in samples if s.writer in used])
    return split, images


def cmd_train(args: argparse.Namespace) -> int:
    """Train; distributed (DDP) when started by ``torchrun --nproc_per_node=N``."""
    from torch import distributed as dist

    from desktop.core.signature.preprocess import SignaturePreprocessing
    from training.common.distributed import init_distributed
    from training.signature.train import TrainConfig, train

    cfg = TrainConfig(**{f.name: getattr(args, f.name) for f in fields(TrainConfig)
                         if f.name not in _NOT_OPTIONS},
                      preprocessing=SignaturePreprocessing(
                          pen_width=args.pen_width, min_stroke_px=args.min_stroke,
                          match_pen=args.match_pen).to_dict())
    rank, world = init_distributed()
    try:
        if world > 1 and rank != 0:
            dist.barrier()  # rank 0 writes split.json first
        split, images = _split(args, rank)
        if world > 1 and rank == 0:
            dist.barrier()
        if rank == 0:
            print(f"writers: {len(split['train'])} train, {len(split['validation'])} "
                  f"validation, {len(split['test'])} test (held out)"
                  + (f"; {world} processes" if world > 1 else ""), file=sys.stderr)
        history = train(cfg, images.subset(split["train"]), images.subset(split["validation"]),
                        args.run, resume=args.resume)
        if rank == 0:
            print(json.dumps({"best_epoch": history["best_epoch"],
                              "best_val_eer": history["best_val_eer"],
                              "train_seconds": round(history["seconds"], 1)}))
    finally:
        if world > 1 and dist.is_initialized():
            dist.destroy_process_group()
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from training.signature.report import evaluate_run

    data = None if not args.data else [str(d) for d in args.data] if len(args.data) > 1 \
        else str(args.data[0])
    report = evaluate_run(args.run, data=data, ks=args.k, draws=args.draws)
    print(json.dumps(report["summary"], indent=2))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from training.signature.export import export_run

    folder = export_run(args.run, args.out, data_description=args.data_description,
                        licence=args.licence, key=args.key)
    print(f"exported to {folder}" + ("" if args.key else " (not signed: the app refuses it "
                                     "until `python -m training sign`)"))
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    """Make an institution's Ed25519 key pair (private key 0600, encrypted when the
    passphrase variable is set)."""
    from desktop.core.models.keys import generate_key_pair, key_id, load_public_key

    passphrase = os.environ.get(args.passphrase_env, "")
    try:
        private, public = generate_key_pair(args.out, args.name,
                                            passphrase.encode("utf-8") if passphrase else None)
    except FileExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    how = (f"encrypted with ${args.passphrase_env}" if passphrase
           else f"NOT encrypted: set {args.passphrase_env} to encrypt it")
    print(f"private key: {private} ({how}); keep it offline, never on a branch PC")
    print(f"public key:  {public} (key id {key_id(load_public_key(public))}): add it on each "
          "branch PC as its administrator: sudo sigdesk-keys add FILE")
    return 0


def cmd_sign(args: argparse.Namespace) -> int:
    """Refresh a model folder's files list and sign its manifest."""
    from desktop.core.errors import ModelError
    from desktop.core.models.keys import passphrase_from_env
    from desktop.core.models.signing import sign_model

    try:
        signer = sign_model(args.model, args.key, passphrase_from_env(args.passphrase_env))
    except (ModelError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"signed {args.model} with key {signer.key_id}")
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from training.signature.synthetic import generate_dataset

    generate_dataset(args.out, args.writers, args.genuine, args.forged, args.seed)
    print(f"wrote synthetic signatures to {args.out}")
    return 0


def cmd_omniglot(args: argparse.Namespace) -> int:
    from training.fewshot.omniglot import run_benchmark

    return run_benchmark(args)


def cmd_demo(args: argparse.Namespace) -> int:
    from training.demo import build_demo

    passwords = build_demo(args.out, accounts=args.accounts, seed=args.seed)
    print(f"demo branch in {args.out}: start it with SIGDESK_HOME={args.out} sigdesk")
    for user, password in passwords.items():
        print(f"  {user:9s} {password}")
    return 0


def cmd_samples(args: argparse.Namespace) -> int:
    from training.samples import DEFAULT_OUT, write_samples

    desc = write_samples(args.out, first_seed=args.seed)
    print(f"wrote the self-test samples (seed {desc['seed']}) to {args.out or DEFAULT_OUT}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m training``."""
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("synth", help="write a synthetic <writer>/{genuine,forged}/ data set")
    p.add_argument("out", type=Path)
    p.add_argument("--writers", type=int, default=12)
    p.add_argument("--genuine", type=int, default=8)
    p.add_argument("--forged", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("train", help="train the Siamese embedder (writer-disjoint split)")
    _add_train_args(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="calibrate on validation writers, report on test writers")
    p.add_argument("--run", type=Path, required=True)
    p.add_argument("--data", type=Path, nargs="+", default=None,
                   help="defaults to the run's split.json")
    p.add_argument("--k", type=int, nargs="+", default=[1, 5])
    p.add_argument("--draws", type=int, default=10, help="random choices of references")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("export", help="export the evaluated run to ONNX + manifest.json")
    p.add_argument("--run", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--data-description", default=None)
    p.add_argument("--licence", default=None)
    p.add_argument("--key", type=Path, default=None, help="sign the folder with this Ed25519 "
                   "private key (PEM; passphrase in $SIGDESK_KEY_PASSPHRASE)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("sign", help="list a model folder's files in its manifest and sign it")
    p.add_argument("--model", type=Path, required=True, help="the model folder")
    p.add_argument("--key", type=Path, required=True, help="Ed25519 private key (PEM)")
    p.add_argument("--passphrase-env", default="SIGDESK_KEY_PASSPHRASE",
                   help="environment variable holding the key's passphrase")
    p.set_defaults(func=cmd_sign)

    p = sub.add_parser("keygen", help="make an Ed25519 key pair for signing models")
    p.add_argument("--out", type=Path, required=True, help="folder for NAME.key and NAME.pub")
    p.add_argument("--name", default="signing")
    p.add_argument("--passphrase-env", default="SIGDESK_KEY_PASSPHRASE",
                   help="environment variable holding a passphrase to encrypt the key with")
    p.set_defaults(func=cmd_keygen)

    from training.fewshot.omniglot import add_benchmark_args

    p = sub.add_parser("omniglot", help="Omniglot 20-way one-shot benchmark from scratch")
    add_benchmark_args(p)
    p.set_defaults(func=cmd_omniglot)

    p = sub.add_parser("demo", help="a demonstration branch store with synthetic cheques")
    p.add_argument("out", type=Path)
    p.add_argument("--accounts", type=int, default=6)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("samples", help="the installed app's self-test samples")
    p.add_argument("--out", type=Path, default=None, help="defaults to desktop/samples")
    p.add_argument("--seed", type=int, default=0, help="first seed to try")
    p.set_defaults(func=cmd_samples)

    from training.banknote.cli import add_commands

    add_commands(sub)

    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
