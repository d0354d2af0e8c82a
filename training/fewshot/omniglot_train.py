"""Omniglot training: the shared-weight embedder trained with metric learning on class-balanced
batches and Koch et al.'s distortions, model selection on held-out characters, loading the
checkpoint."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from training.fewshot.harness import (
    FewShotData,
    classify_episodes,
    episode_accuracy,
    sample_episodes,
)
from training.fewshot.omniglot_data import OmniglotSet, downscale, koch_affine
from training.fewshot.omniglot_eval import torch_embedder


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
