"""Omniglot one-shot benchmark: training with Koch et al.'s distortions, evaluation, command.

The data readers and the distortion are in :mod:`training.fewshot.omniglot_data`;
:data:`BENCHMARK_DOC` below describes the benchmark command.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from training.fewshot.harness import (
    FewShotData,
    classify_episodes,
    episode_accuracy,
    sample_episodes,
    wilson_interval,
)
from training.fewshot.omniglot_data import (
    OmniglotSet,
    OneShotRun,
    downscale,
    koch_affine,
    read_background,
    read_runs,
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


# --------------------------------------------------------------------------- model


def make_embedder(backbone: str, embedding_size: int, size: int, width: int | None
                  ) -> tuple[torch.nn.Module, str]:
    """The shared-weight embedder for ``size`` x ``size`` inputs. Uses the package's backbone
    factory (``build_backbone``) when it exists, else ``SignatureEmbedder`` (whose adaptive
    pooling accepts any input size). Returns the module and a description."""
    factory = None
    for mod in ("training.common.backbones", "training.common.model"):
        try:
            factory = __import__(mod, fromlist=["build_backbone"]).build_backbone
            break
        except (ImportError, AttributeError):
            continue
    if factory is not None:
        model = factory(backbone, embedding_size, (1, size, size), width=width)
        return model, f"build_backbone({backbone!r}, width={width})"
    from training.common.model import SignatureEmbedder

    return (SignatureEmbedder(embedding_size, width or 24),
            f"SignatureEmbedder(width={width or 24}) [no build_backbone yet]")


def torch_embedder(model: torch.nn.Module, batch_size: int = 256
                   ) -> Callable[[np.ndarray], np.ndarray]:
    """Wrap a model as the harness's callable (n, H, W) float -> (n, D), in eval mode."""
    def embed(images: np.ndarray) -> np.ndarray:
        model.eval()
        x = np.asarray(images, np.float32)[:, None]
        with torch.no_grad():
            return np.concatenate([model(torch.from_numpy(x[i : i + batch_size])).numpy()
                                   for i in range(0, len(x), batch_size)])
    return embed


# --------------------------------------------------------------------------- training


@dataclass
class OmniglotConfig:
    """Everything that decides an Omniglot training run."""

    size: int = 52
    backbone: str = "compact"
    width: int | None = None
    embedding_size: int = 128
    loss: str = "triplet-hard"
    margin: float | None = None
    classes_per_batch: int = 32  # P
    drawings_per_class: int = 4  # K
    rotation_classes: bool = True  # characters rotated by 90/180/270 degrees as new classes
    distort_p: float = 0.5
    lr: float = 2e-3
    weight_decay: float = 1e-4
    epochs: int = 30
    steps_per_epoch: int = 100
    minutes: float | None = None  # a wall-time budget instead of ``epochs``
    val_fraction: float = 0.2  # characters held out per alphabet for model selection
    val_episodes: int = 300
    seed: int = 0
    threads: int = 2
    extra: dict = field(default_factory=dict)


def split_characters(data: OmniglotSet, fraction: float, seed: int) -> tuple[set, set]:
    """Hold out ``fraction`` of each alphabet's characters (at least one), seeded."""
    rng = np.random.default_rng([seed, 7])
    by_alpha: dict[str, list[str]] = {}
    for c in data.character_names():
        by_alpha.setdefault(c.split("/")[0], []).append(c)
    train, val = set(), set()
    for alpha in sorted(by_alpha):
        chars = sorted(by_alpha[alpha])
        n_val = max(1, int(round(fraction * len(chars)))) if fraction > 0 else 0
        held = set(rng.choice(chars, size=n_val, replace=False)) if n_val else set()
        val |= held
        train |= set(chars) - held
    return train, val


def _batch(data: OmniglotSet, per_class: list[np.ndarray], cfg: OmniglotConfig,
           rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """P classes x K distorted drawings, downscaled; labels include the rotation."""
    n_rot = 4 if cfg.rotation_classes else 1
    n_cls = len(per_class) * n_rot
    chosen = rng.choice(n_cls, size=min(cfg.classes_per_batch, n_cls), replace=False)
    xs, ys = [], []
    for label in chosen:
        char, rot = divmod(int(label), n_rot)
        for i in rng.choice(per_class[char], size=cfg.drawings_per_class, replace=False):
            img = np.rot90(data.images[i], rot) if rot else data.images[i]
            img = koch_affine(np.ascontiguousarray(img), rng, p=cfg.distort_p)
            xs.append(downscale(img.astype(np.float32) / 255.0, cfg.size))
            ys.append(int(label))
    return torch.from_numpy(np.stack(xs)[:, None]), torch.tensor(ys)


def validation_accuracy(model: torch.nn.Module, val: FewShotData, episodes: int, seed: int
                        ) -> float:
    """20-way (or fewer when the held-out set is small) 1-shot accuracy, within alphabet when
    possible, on fixed episodes of the held-out characters."""
    n = min(20, len(val.classes))
    eps = sample_episodes(val, n, 1, episodes, 1, seed, within_group=True)
    emb = torch_embedder(model)(val.images)
    return float(episode_accuracy(classify_episodes(emb, eps)).mean())


def train_omniglot(cfg: OmniglotConfig, train: OmniglotSet, val: FewShotData, out: Path,
                   log: Callable[[str], None] = print) -> dict:
    """Train the embedder on ``train`` with class-balanced batches and Koch distortions;
    keep the checkpoint with the best validation accuracy (``out/best.pt``)."""
    from training.common.losses import build_loss

    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng([cfg.seed, 1])
    model, desc = make_embedder(cfg.backbone, cfg.embedding_size, cfg.size, cfg.width)
    loss_fn = build_loss(cfg.loss, cfg.margin)
    # Some losses have parameters (e.g. a learnt pair head): optimise them with the model.
    params = list(model.parameters()) + list(getattr(loss_fn, "parameters", list)())
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    names = train.character_names()
    index = {c: i for i, c in enumerate(names)}
    per_class = [np.flatnonzero(np.array([index[c] for c in train.characters]) == i)
                 for i in range(len(names))]
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model: {desc}, {n_params} parameters; {len(names)} training characters "
        f"({len(train.images)} drawings), {len(val.classes)} validation characters")

    t_start = time.perf_counter()
    # Warm-up then cosine decay over ``plan["total"]`` steps. With a time budget the plan is
    # re-estimated after every epoch from the speed measured so far (the CPU may be shared),
    # so the run ends within the budget with a fully decayed learning rate; with ``epochs``
    # it is fixed and the run is a pure function of the seed.
    plan = {"total": cfg.epochs * cfg.steps_per_epoch}
    budget = None if cfg.minutes is None else cfg.minutes * 60

    def lr_factor(step: int) -> float:
        frac = min(1.0, step / max(1, plan["total"]))
        warm = 0.05
        if frac < warm:
            return 0.1 + 0.9 * frac / warm
        return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * (frac - warm) / (1 - warm)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    history: dict = {"epochs": [], "best_epoch": None, "best_val_acc": -1.0,
                     "model": desc, "parameters": n_params}
    step, epoch = 0, 0
    while True:
        if budget is None and step >= plan["total"]:
            break
        model.train()
        t0 = time.perf_counter()
        losses = []
        for _ in range(cfg.steps_per_epoch):
            x, y = _batch(train, per_class, cfg, rng)
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            sched.step()
            losses.append(loss.item())
        acc = validation_accuracy(model, val, cfg.val_episodes, cfg.seed)
        rec = {"epoch": epoch, "step": step, "loss": float(np.mean(losses)), "val_acc": acc,
               "lr": opt.param_groups[0]["lr"], "seconds": time.perf_counter() - t0}
        history["epochs"].append(rec)
        if acc > history["best_val_acc"]:
            history["best_epoch"], history["best_val_acc"] = epoch, acc
            torch.save({"model": model.state_dict(), "config": asdict(cfg), "epoch": epoch,
                        "description": desc}, out / "best.pt")
        log(json.dumps({k: round(v, 5) if isinstance(v, float) else v for k, v in rec.items()}))
        epoch += 1
        if budget is not None:
            elapsed = time.perf_counter() - t_start
            per_epoch = elapsed / epoch
            if elapsed + per_epoch > budget or step >= plan["total"] > cfg.steps_per_epoch:
                break
            plan["total"] = step + int((budget - elapsed) / per_epoch) * cfg.steps_per_epoch
    history["steps"] = step
    history["seconds"] = time.perf_counter() - t_start
    (out / "history.json").write_text(json.dumps(history, indent=2) + "\n")
    return history


def load_embedder(checkpoint: str | Path) -> tuple[torch.nn.Module, OmniglotConfig]:
    """Load ``best.pt`` into an eval-mode model."""
    ckpt = torch.load(checkpoint, map_location="cpu", weights_only=False)
    cfg = OmniglotConfig(**ckpt["config"])
    model, _ = make_embedder(cfg.backbone, cfg.embedding_size, cfg.size, cfg.width)
    model.load_state_dict(ckpt["model"])
    model.eval()
    return model, cfg


# --------------------------------------------------------------------------- evaluation


def one_shot_runs(runs: Sequence[OneShotRun],
                  methods: dict[str, Callable[[np.ndarray], np.ndarray] | None],
                  seed: int = 0) -> dict[str, dict]:
    """Accuracy of each method on the official runs: every test image goes to the nearest
    (Euclidean) of its run's training images; ``None`` is the random baseline (a uniform
    guess per trial, seeded). 95% CI: Wilson score interval over the trials."""
    out = {}
    for name, f in methods.items():
        rng = np.random.default_rng([seed, 2])
        correct, per_run = 0, []
        for run in runs:
            if f is None:
                pred = rng.integers(0, len(run.train), size=len(run.test))
            else:
                tr = np.asarray(f(run.train), np.float64).reshape(len(run.train), -1)
                te = np.asarray(f(run.test), np.float64).reshape(len(run.test), -1)
                d = ((te[:, None] - tr[None]) ** 2).sum(-1)
                pred = d.argmin(1)
            hits = int((pred == run.answer).sum())
            correct += hits
            per_run.append(hits / len(run.test))
        trials = sum(len(r.test) for r in runs)
        lo, hi = wilson_interval(correct, trials)
        out[name] = {"accuracy": correct / trials, "ci_low": lo, "ci_high": hi,
                     "correct": correct, "trials": trials, "per_run": per_run}
    return out


def runs_table(results: dict[str, dict], caption: str = "") -> str:
    """The official-runs table as text."""
    lines = [caption] if caption else []
    lines += [f"{'method':<16} {'accuracy':>9}  {'95% CI (Wilson)':>17}  {'correct':>9}",
              "-" * 58]
    for name, r in results.items():
        lines.append(f"{name:<16} {100 * r['accuracy']:8.1f}%  "
                     f"[{100 * r['ci_low']:5.1f}, {100 * r['ci_high']:5.1f}]  "
                     f"{r['correct']:>4}/{r['trials']}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- benchmark


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
