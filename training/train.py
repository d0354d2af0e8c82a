"""The training loop: seeded, resumable, with tqdm progress and validation EER each epoch."""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from desktop.core.preprocess import SignaturePreprocessing, batch, preprocess_signature
from training.augment import augmented_inkmap
from training.data import SignatureImages
from training.losses import build_loss
from training.metrics import equal_error_rate
from training.model import SignatureEmbedder
from training.sampler import WriterBatchSampler

FORGERY_LABEL_BASE = 1_000_000  # forgeries get unique labels from here: negatives only


@dataclass
class TrainConfig:
    """Everything that decides a training run; stored in every checkpoint."""

    loss: str = "triplet"
    margin: float | None = None
    epochs: int = 30
    batches_per_epoch: int = 40
    writers_per_batch: int = 8
    genuine_per_writer: int = 4
    forged_per_writer: int = 2
    lr: float = 2e-3
    weight_decay: float = 1e-4
    embedding_size: int = 128
    width: int = 24
    seed: int = 0
    threads: int = 0  # 0: torch's default
    preprocessing: dict = field(default_factory=lambda: SignaturePreprocessing().to_dict())

    @property
    def prep(self) -> SignaturePreprocessing:
        """The preprocessing contract of this run."""
        return SignaturePreprocessing.from_dict(self.preprocessing)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def clean_inkmaps(data: SignatureImages, prep: SignaturePreprocessing) -> np.ndarray:
    """Preprocess every image without augmentation: (N, 1, H, W) float32."""
    return batch([preprocess_signature(g, prep, path=s.path)
                  for g, s in zip(data.images, data.samples, strict=True)])


@torch.no_grad()
def embed_torch(model: torch.nn.Module, inputs: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Embed (N, 1, H, W) inputs in eval mode; returns (N, D) float32."""
    model.eval()
    out = [model(torch.from_numpy(inputs[i : i + batch_size])).numpy()
           for i in range(0, len(inputs), batch_size)]
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def quick_validation_eer(
    model: torch.nn.Module, data: SignatureImages, inputs: np.ndarray
) -> float:
    """Validation EER on K=1 pairs within each writer: genuine-genuine vs genuine-forged."""
    emb = embed_torch(model, inputs)
    gen, forg = [], []
    for w in data.writers:
        g, f = data.indices(w, True), data.indices(w, False)
        d = np.linalg.norm(emb[g][:, None] - emb[g][None], axis=2)
        gen.extend(d[np.triu_indices(len(g), 1)])
        if f:
            forg.extend(np.linalg.norm(emb[g][:, None] - emb[f][None], axis=2).ravel())
    return equal_error_rate(np.array(gen), np.array(forg)).eer if forg and gen else float("nan")


def _labels(data: SignatureImages, idx: list[int]) -> torch.Tensor:
    return torch.tensor([
        data.writer_index[data.samples[i].writer] if data.samples[i].genuine
        else FORGERY_LABEL_BASE + i
        for i in idx
    ])


def train(
    cfg: TrainConfig, train_data: SignatureImages, val_data: SignatureImages | None,
    out_dir: str | Path, resume: bool = False, progress: bool = True,
    stop_after: int | None = None,
) -> dict:
    """Train the embedder; writes ``last.pt`` every epoch and ``best.pt`` at the best
    validation EER (or the last epoch without validation). Returns the history.

    ``stop_after`` ends this call after that many epochs (a time-boxed session); a later
    call with ``resume=True`` continues exactly where it stopped."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    prep = cfg.prep
    model = SignatureEmbedder(cfg.embedding_size, cfg.width)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=cfg.lr, total_steps=cfg.epochs * cfg.batches_per_epoch, pct_start=0.15
    )
    loss_fn = build_loss(cfg.loss, cfg.margin)
    sampler = WriterBatchSampler(
        train_data, cfg.writers_per_batch, cfg.genuine_per_writer, cfg.forged_per_writer,
        cfg.batches_per_epoch, cfg.seed,
    )
    history: dict = {"epochs": [], "best_epoch": None, "best_val_eer": None, "seconds": 0.0}
    start_epoch = 0
    last = out_dir / "last.pt"
    if resume and last.is_file():
        ckpt = torch.load(last, map_location="cpu", weights_only=False)
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        sched.load_state_dict(ckpt["scheduler"])
        history = ckpt["history"]
        start_epoch = ckpt["epoch"] + 1
        torch.set_rng_state(ckpt["torch_rng"])
    val_inputs = clean_inkmaps(val_data, prep) if val_data is not None else None

    end_epoch = cfg.epochs if stop_after is None else min(cfg.epochs, start_epoch + stop_after)
    for epoch in range(start_epoch, end_epoch):
        t0 = time.perf_counter()
        model.train()
        sampler.set_epoch(epoch)
        rng = np.random.default_rng([cfg.seed, epoch, 1])
        losses = []
        bar = tqdm(sampler, desc=f"epoch {epoch + 1}/{cfg.epochs}", disable=not progress,
                   leave=False, unit="batch")
        for idx in bar:
            x = torch.from_numpy(batch([augmented_inkmap(train_data.images[i], prep, rng)
                                        for i in idx]))
            loss = loss_fn(model(x), _labels(train_data, idx))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
            bar.set_postfix(loss=f"{np.mean(losses[-10:]):.4f}")
        record = {"epoch": epoch, "loss": float(np.mean(losses)),
                  "seconds": time.perf_counter() - t0}
        if val_inputs is not None:
            record["val_eer"] = quick_validation_eer(model, val_data, val_inputs)
        history["epochs"].append(record)
        history["seconds"] += record["seconds"]
        improved = val_inputs is None or history["best_val_eer"] is None or (
            record["val_eer"] <= history["best_val_eer"]
        )
        if improved:
            history["best_epoch"], history["best_val_eer"] = epoch, record.get("val_eer")
        state = {
            "model": model.state_dict(), "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict(), "epoch": epoch, "history": history,
            "config": asdict(cfg), "torch_rng": torch.get_rng_state(),
        }
        torch.save(state, out_dir / "last.tmp")
        (out_dir / "last.tmp").replace(last)  # atomic: an interrupted save keeps the old one
        if improved:
            torch.save({"model": model.state_dict(), "config": asdict(cfg), "epoch": epoch},
                       out_dir / "best.pt")
        if progress:
            tqdm.write(json.dumps({k: round(v, 4) if isinstance(v, float) else v
                                   for k, v in record.items()}))
    (out_dir / "history.json").write_text(json.dumps(history, indent=2) + "\n")
    return history


def load_model(checkpoint: str | Path) -> tuple[SignatureEmbedder, TrainConfig]:
    """Load a ``best.pt``/``last.pt`` checkpoint into an eval-mode model."""
    ckpt = torch.load(checkpoint, map_location="cpu", weights_only=False)
    cfg = TrainConfig(**ckpt["config"])
    model = SignatureEmbedder(cfg.embedding_size, cfg.width)
    model.load_state_dict(ckpt["model"])
    model.eval()
    return model, cfg
