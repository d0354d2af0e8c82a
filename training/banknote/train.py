"""Train the banknote embedder: one shared CNN, triplet loss with online hard mining.

Batches hold ``classes_per_batch`` classes (one side of one denomination each), with
``genuine_per_class`` genuine captures and up to ``counterfeits_per_class`` counterfeits of
that class. Genuine captures of a class are positives of each other; every counterfeit has a
label of its own, so it is only ever a negative: the hardest negative of a genuine anchor is
often its own class's counterfeit, which is what pushes fakes out of the genuine cluster.

The positive/negative ratio of a batch follows from its make-up: each genuine anchor has
``M - 1`` positives and ``(P - 1) M + P F`` negatives. ``pos_neg_ratio`` sets ``P`` from it
(given ``M`` and ``F``); :func:`batch_ratio` reports what a configuration gives.

Denominations in ``holdout`` are kept out of training entirely: they are the "new
denominations" that the evaluation enrolls from 1 and 5 images.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from desktop.core.banknote.preprocess import BanknotePreprocessing
from training.banknote.data import NoteTensors, all_specs, synthetic_tensors
from training.common.backbones import build_backbone
from training.common.losses import build_loss
from training.common.sampler import WriterBatchSampler
from training.common.torch_utils import FORGERY_LABEL_BASE, embed_torch, seed_everything

log = logging.getLogger(__name__)

DEFAULT_HOLDOUT = ("ARC-50", "BOR-25", "CYR-200")
CHECKPOINT = "checkpoint.pt"
DATA_FILE = "data.npz"


@dataclass
class BanknoteTrainConfig:
    """Everything that defines a banknote training run (saved in the checkpoint)."""

    seed: int = 0
    epochs: int = 30
    batches_per_epoch: int = 40
    classes_per_batch: int = 8
    genuine_per_class: int = 4
    counterfeits_per_class: int = 2
    pos_neg_ratio: float | None = None  # sets classes_per_batch when given
    loss: str = "triplet-hard"
    margin: float = 0.2
    backbone: str = "compact"
    width: int = 24
    embedding_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    train_genuine: int = 30  # captures per side of each training denomination
    train_counterfeits: int = 12
    val_genuine: int = 20
    val_counterfeits: int = 10
    holdout: tuple[str, ...] = DEFAULT_HOLDOUT
    currencies: tuple[str, ...] | None = None  # None: every invented currency
    data_seed: int = 1000  # training captures; validation uses data_seed + 1
    preprocessing: dict = field(default_factory=lambda: BanknotePreprocessing().to_dict())


def batch_ratio(p: int, m: int, f: int) -> float:
    """Positives per negative for one genuine anchor in a P x (M genuine + F counterfeit) batch."""
    return (m - 1) / max(1, (p - 1) * m + p * f)


def classes_for_ratio(ratio: float, m: int, f: int) -> int:
    """The P whose batch gives at least ``ratio`` positives per negative (P >= 2)."""
    if ratio <= 0:
        raise ValueError("pos_neg_ratio must be positive")
    # (m - 1) / ((p - 1) m + p f) >= ratio  <=>  p <= ((m - 1) / ratio + m) / (m + f)
    return max(2, math.floor(((m - 1) / ratio + m) / (m + f)))


def split_specs(holdout: tuple[str, ...], currencies: tuple[str, ...] | None = None
                ) -> tuple[list, list]:
    """(training denominations, held-out denominations) of the invented catalogue."""
    specs = all_specs(list(currencies) if currencies else None)
    known = {f"{s.currency}-{s.denomination}" for s in specs}
    unknown = sorted(set(holdout) - known)
    if unknown:
        raise ValueError(f"unknown held-out denominations: {', '.join(unknown)}")
    return ([s for s in specs if f"{s.currency}-{s.denomination}" not in holdout],
            [s for s in specs if f"{s.currency}-{s.denomination}" in holdout])


class _ByClass:
    """Adapts :class:`NoteTensors` to :class:`WriterBatchSampler` (class = "writer")."""

    def __init__(self, data: NoteTensors) -> None:
        self.writers = sorted(set(data.keys))
        self._idx = {(k, g): [] for k in self.writers for g in (True, False)}
        for i, (k, g) in enumerate(zip(data.keys, data.genuine, strict=True)):
            self._idx[(k, bool(g))].append(i)

    def indices(self, key: str, genuine: bool) -> list[int]:
        return self._idx[(key, genuine)]


def labels_for(data: NoteTensors, idx: list[int], classes: list[str]) -> torch.Tensor:
    """Class index for genuine samples, a label of its own for each counterfeit."""
    pos = {k: i for i, k in enumerate(classes)}
    return torch.tensor([pos[data.keys[i]] if data.genuine[i] else FORGERY_LABEL_BASE + i
                         for i in idx])


def validation_scores(emb_train: np.ndarray, train: NoteTensors, emb_val: np.ndarray,
                      val: NoteTensors) -> dict[str, float]:
    """Nearest-centroid accuracy on genuine validation notes and the share of counterfeits
    farther from their class centroid than the 99th percentile of genuine ones."""
    classes = sorted(set(train.keys))
    cents = np.stack([emb_train[[i for i, k in enumerate(train.keys)
                                 if k == c and train.genuine[i]]].mean(0) for c in classes])
    cents /= np.linalg.norm(cents, axis=1, keepdims=True)
    d = np.linalg.norm(emb_val[:, None] - cents[None], axis=2)
    truth = np.array([classes.index(k) for k in val.keys])
    own = d[np.arange(len(truth)), truth]
    g = val.genuine
    acc = float((d[g].argmin(1) == truth[g]).mean())
    thr = float(np.quantile(own[g], 0.99))
    detect = float((own[~g] > thr).mean()) if (~g).any() else float("nan")
    return {"accuracy": acc, "detect_at_1pct": detect}


def make_data(cfg: BanknoteTrainConfig, workers: int | None = None
              ) -> tuple[NoteTensors, NoteTensors]:
    """The training and validation captures of the training denominations."""
    prep = BanknotePreprocessing.from_dict(cfg.preprocessing)
    specs, _ = split_specs(tuple(cfg.holdout), cfg.currencies)
    train = synthetic_tensors(specs, cfg.train_genuine, cfg.train_counterfeits, cfg.data_seed,
                              prep, workers)
    val = synthetic_tensors(specs, cfg.val_genuine, cfg.val_counterfeits, cfg.data_seed + 1,
                            prep, workers)
    return train, val


def _save_data(path: Path, train: NoteTensors, val: NoteTensors) -> None:
    parts = {}
    for name, d in (("train", train), ("val", val)):
        parts.update({f"{name}_x": d.x, f"{name}_keys": np.array(d.keys),
                      f"{name}_genuine": d.genuine, f"{name}_kinds": np.array(d.kinds)})
    np.savez(path, **parts)


def run_data(run: str | Path, cfg: BanknoteTrainConfig, workers: int | None = None
             ) -> tuple[NoteTensors, NoteTensors]:
    """The run's training and validation captures: from its ``data.npz`` when present (the
    generator is deterministic, so this only saves time), else generated again."""
    path = Path(run) / DATA_FILE
    if not path.is_file():
        return make_data(cfg, workers)
    with np.load(path) as z:
        return tuple(NoteTensors(z[f"{n}_x"], [str(k) for k in z[f"{n}_keys"]],
                                 z[f"{n}_genuine"], [str(k) for k in z[f"{n}_kinds"]])
                     for n in ("train", "val"))


def train_banknotes(cfg: BanknoteTrainConfig, run_dir: str | Path, device: str = "cpu",
                    workers: int | None = None, data: tuple[NoteTensors, NoteTensors] | None = None
                    ) -> dict:
    """Train, keep the best epoch by validation (accuracy, then detection), write
    ``checkpoint.pt``, ``history.json`` and ``config.json`` into ``run_dir``."""
    run = Path(run_dir)
    run.mkdir(parents=True, exist_ok=True)
    seed_everything(cfg.seed)
    if cfg.pos_neg_ratio is not None:
        cfg.classes_per_batch = classes_for_ratio(cfg.pos_neg_ratio, cfg.genuine_per_class,
                                                  cfg.counterfeits_per_class)
    t0 = time.perf_counter()
    train, val = data or make_data(cfg, workers)
    _save_data(run / DATA_FILE, train, val)
    log.info("data: %d training and %d validation captures in %.0f s", len(train), len(val),
             time.perf_counter() - t0)
    classes = sorted(set(train.keys))
    prep = BanknotePreprocessing.from_dict(cfg.preprocessing)
    model = build_backbone(cfg.backbone, cfg.embedding_size, prep.input_shape,
                           cfg.width).to(device)
    loss_fn = build_loss(cfg.loss, cfg.margin, embedding_size=cfg.embedding_size,
                         seed=cfg.seed).to(device)
    params = list(model.parameters()) + list(loss_fn.parameters())
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps = cfg.epochs * cfg.batches_per_epoch
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(  # linear warm-up, then cosine decay
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * s / steps)))
    sampler = WriterBatchSampler(_ByClass(train), cfg.classes_per_batch, cfg.genuine_per_class,
                                 cfg.counterfeits_per_class, cfg.batches_per_epoch, cfg.seed)
    ratio = batch_ratio(sampler.p, cfg.genuine_per_class, cfg.counterfeits_per_class)
    log.info("batches of %d classes x (%d genuine + %d counterfeit): %.3f positives per negative",
             sampler.p, cfg.genuine_per_class, cfg.counterfeits_per_class, ratio)
    x_train = torch.from_numpy(train.x)
    val_in = val.floats()
    history, best = [], None
    for epoch in range(cfg.epochs):
        model.train()
        sampler.set_epoch(epoch)
        losses = []
        for idx in tqdm(sampler, desc=f"epoch {epoch + 1}/{cfg.epochs}", leave=False):
            xb = x_train[idx].to(device).float().div_(255.0)
            emb = model(xb)
            loss = loss_fn(emb, labels_for(train, idx, classes).to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(float(loss))
        scores = validation_scores(embed_torch(model, train.floats()), train,
                                   embed_torch(model, val_in), val)
        row = {"epoch": epoch + 1, "loss": float(np.mean(losses)), **scores}
        history.append(row)
        log.info("epoch %d: loss %.4f, val accuracy %.4f, detection at 1%% %.4f", epoch + 1,
                 row["loss"], scores["accuracy"], scores["detect_at_1pct"])
        key = (scores["accuracy"], scores["detect_at_1pct"])
        if best is None or key >= best[0]:
            best = (key, epoch + 1)
            torch.save({"model": model.state_dict(), "config": asdict(cfg), "classes": classes,
                        "epoch": epoch + 1}, run / CHECKPOINT)
    summary = {"best_epoch": best[1] if best else None, "history": history,
               "seconds": round(time.perf_counter() - t0, 1), "device": device,
               "positives_per_negative": ratio, "classes_per_batch": sampler.p}
    (run / "history.json").write_text(json.dumps(summary, indent=2) + "\n")
    (run / "config.json").write_text(json.dumps(asdict(cfg), indent=2) + "\n")
    return summary


def load_banknote_model(run_dir: str | Path) -> tuple[torch.nn.Module, BanknoteTrainConfig]:
    """The best checkpoint of a run, in eval mode on the CPU."""
    ckpt = torch.load(Path(run_dir) / CHECKPOINT, map_location="cpu", weights_only=False)
    raw = dict(ckpt["config"])
    raw["holdout"] = tuple(raw.get("holdout", DEFAULT_HOLDOUT))
    if raw.get("currencies") is not None:
        raw["currencies"] = tuple(raw["currencies"])
    cfg = BanknoteTrainConfig(**raw)
    prep = BanknotePreprocessing.from_dict(cfg.preprocessing)
    model = build_backbone(cfg.backbone, cfg.embedding_size, prep.input_shape, cfg.width)
    model.load_state_dict(ckpt["model"])
    return model.eval(), cfg
