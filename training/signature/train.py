"""The training loop: seeded, resumable, with tqdm progress and validation EER each epoch.

**Distributed (DDP).** Under ``torchrun --nproc_per_node=N -m training train ...`` the CLI
initialises the process group (:func:`training.common.distributed.init_distributed`: gloo on
CPU, NCCL with CUDA) and :func:`train` wraps the embedder in ``DistributedDataParallel``.
Every rank draws the same global batch from the same seeded sampler and embeds its contiguous
slice of it; the embeddings are all-gathered with gradients
(:func:`training.common.distributed.gather_with_grad`) so that every rank computes the loss,
mining included, on the whole global batch. BatchNorm layers are synchronised
(``SyncBatchNorm`` on CUDA, :class:`training.common.distributed.GlobalBatchNorm2d` on CPU,
where torch's SyncBatchNorm refuses CPU tensors), augmentation is seeded per sample, so N
processes give the weights one process gives on the same global batch, up to floating-point
noise (dropout masks excepted: with ``dropout > 0`` each rank draws its own). Only rank 0
validates, writes checkpoints, the history and the progress bar.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch import distributed as dist
from torch import nn
from tqdm import tqdm

from desktop.core.signature.preprocess import SignaturePreprocessing, batch, preprocess_signature
from training.common.backbones import BACKBONES, build_backbone
from training.common.distributed import (
    convert_global_batchnorm,
    gather_with_grad,
    rank_and_world,
)
from training.common.losses import LOSSES, MetricLoss, WithWriterHead, build_loss
from training.common.metrics import equal_error_rate
from training.common.model import SignatureEmbedder
from training.common.sampler import DataSetBalancedSampler, WriterBatchSampler
from training.common.torch_utils import FORGERY_LABEL_BASE, embed_torch, seed_everything
from training.signature.augment import CAPTURE, augmented_inkmap
from training.signature.data import SignatureImages


@dataclass
class TrainConfig:
    """Everything that decides a training run; stored in every checkpoint.

    ``loss`` is a name of :data:`training.common.losses.LOSSES` (``margin``, ``margin2`` and
    ``pos_neg_ratio`` are its options, None for its defaults); ``backbone`` one of
    :data:`training.common.backbones.BACKBONES`, ``width`` its base channel count (None: the
    backbone's default), ``dropout`` the compact backbone's head dropout, ``pretrained`` a
    local weights file to start from (state_dict or checkpoint; ignored on resume).
    ``optimizer`` is ``adamw`` or ``sgd`` (momentum 0.9, as Koch et al. used).
    ``sampler``: ``balanced`` (:class:`training.common.sampler.DataSetBalancedSampler`:
    ``writers_per_batch`` writers *of every data set*, same-text writers ``group_size`` to a
    text) or ``writers`` (``writers_per_batch`` writers drawn from all sets pooled).
    ``capture``: the capture augmentation's ranges, a name of
    :data:`training.signature.augment.CAPTURE`.
    ``writer_head``: weight of a writer-classification head added to the loss
    (:class:`training.common.losses.WithWriterHead`); ``train`` sets ``writer_classes``.
    ``mirror_writers``: the training writers' signatures mirrored left to right train as
    writers of their own (:meth:`SignatureImages.with_mirrored_writers`).
    ``elastic``: the amplitude, in canvas pixels, of the smooth bending of every training ink
    map (:func:`training.signature.augment.elastic_warp`); 0: none.
    """

    loss: str = "triplet"
    margin: float | None = None
    margin2: float | None = None
    pos_neg_ratio: float | None = None
    backbone: str = "compact"
    pretrained: str | None = None
    dropout: float = 0.2
    optimizer: str = "adamw"
    epochs: int = 30
    batches_per_epoch: int = 40
    writers_per_batch: int = 8
    genuine_per_writer: int = 4
    forged_per_writer: int = 2
    sampler: str = "balanced"
    group_size: int = 3
    capture: str = "narrow"
    lr: float = 2e-3
    weight_decay: float = 1e-4
    embedding_size: int = 128
    width: int | None = None  # None: the backbone's default (compact 24)
    seed: int = 0
    threads: int = 0  # 0: torch's default
    writer_head: float = 0.0  # weight of the writer-classification head; 0: none
    writer_classes: int = 0  # the head's classes: the training writers (set by train())
    mirror_writers: bool = False  # mirrored training writers as extra identities
    elastic: float = 0.0  # elastic_warp's amplitude in canvas pixels; 0: no bending
    preprocessing: dict = field(default_factory=lambda: SignaturePreprocessing().to_dict())

    @property
    def prep(self) -> SignaturePreprocessing:
        """The preprocessing contract of this run."""
        return SignaturePreprocessing.from_dict(self.preprocessing)


def build_model(cfg: TrainConfig, pretrained: bool = False) -> nn.Module:
    """The embedder of ``cfg`` (``cfg.pretrained`` weights loaded when ``pretrained``)."""
    if cfg.backbone not in BACKBONES:
        raise ValueError(f"unknown backbone {cfg.backbone!r}; choose from {BACKBONES}")
    shape = tuple(cfg.prep.input_shape)
    if cfg.backbone == "compact":  # the shipped architecture, with its dropout option
        model: nn.Module = SignatureEmbedder(cfg.embedding_size, cfg.width or 24, cfg.dropout,
                                             in_channels=shape[0])
        if pretrained and cfg.pretrained:
            from training.common.backbones import load_pretrained

            model.pretrained_report = load_pretrained(model, cfg.pretrained)
        return model
    return build_backbone(cfg.backbone, cfg.embedding_size, shape, cfg.width,
                          cfg.pretrained if pretrained else None)


def build_config_loss(cfg: TrainConfig) -> MetricLoss:
    """The loss of ``cfg`` (see :func:`training.common.losses.build_loss`)."""
    if cfg.loss not in LOSSES:
        raise ValueError(f"unknown loss {cfg.loss!r}; choose from {', '.join(LOSSES)}")
    metric = build_loss(cfg.loss, cfg.margin, pos_neg_ratio=cfg.pos_neg_ratio,
                        embedding_size=cfg.embedding_size, margin2=cfg.margin2, seed=cfg.seed)
    if cfg.writer_head <= 0:
        return metric
    if cfg.writer_classes < 2:
        raise ValueError("the writer head needs writer_classes (the training writers) >= 2")
    return WithWriterHead(metric, cfg.writer_classes, cfg.embedding_size, cfg.writer_head,
                          FORGERY_LABEL_BASE)


def clean_inkmaps(data: SignatureImages, prep: SignaturePreprocessing) -> np.ndarray:
    """Preprocess every image without augmentation: (N, 1, H, W) float32."""
    return batch([preprocess_signature(g, prep, path=s.path)
                  for g, s in zip(data.images, data.samples, strict=True)])


def quick_validation_eer(
    model: torch.nn.Module, data: SignatureImages, inputs: np.ndarray
) -> dict[str, float]:
    """Validation EER on K=1 pairs, data set by data set: genuine-genuine pairs within each
    writer against genuine-skilled pairs (forgeries, or the same text by another person).
    Returns ``{data set: EER}`` and ``"mean"``, their mean: the selection criterion, so that
    a checkpoint is not chosen for one set at the cost of another."""
    return validation_eers(embed_torch(model, inputs), data)


def validation_eers(emb: np.ndarray, data: SignatureImages) -> dict[str, float]:
    """:func:`quick_validation_eer` on given embeddings (N, D) of ``data``'s images (from any
    embedder: an exported graph, several models' embeddings side by side)."""
    out: dict[str, float] = {}
    for name in data.datasets:
        gen, forg = [], []
        for w in data.writers:
            if data.dataset_of[w] != name:
                continue
            g, f = data.indices(w, True), data.skilled_indices(w)
            d = np.linalg.norm(emb[g][:, None] - emb[g][None], axis=2)
            gen.extend(d[np.triu_indices(len(g), 1)])
            if f:
                forg.extend(np.linalg.norm(emb[g][:, None] - emb[f][None], axis=2).ravel())
        if gen and forg:
            out[name] = equal_error_rate(np.array(gen), np.array(forg)).eer
    out["mean"] = float(np.mean(list(out.values()))) if out else float("nan")
    return out


def make_sampler(
    cfg: TrainConfig, data: SignatureImages
) -> WriterBatchSampler | DataSetBalancedSampler:
    """The batch sampler ``cfg.sampler`` names (see :class:`TrainConfig`)."""
    if cfg.sampler == "writers":
        return WriterBatchSampler(data, cfg.writers_per_batch, cfg.genuine_per_writer,
                                  cfg.forged_per_writer, cfg.batches_per_epoch, cfg.seed)
    if cfg.sampler == "balanced":
        return DataSetBalancedSampler(
            data, data.dataset_of, data.group_of, cfg.writers_per_batch,
            cfg.genuine_per_writer, cfg.forged_per_writer, cfg.group_size,
            cfg.batches_per_epoch, cfg.seed)
    raise ValueError(f"unknown sampler {cfg.sampler!r}; choose balanced or writers")


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
    call with ``resume=True`` continues exactly where it stopped. Inside an initialised
    process group it trains with DistributedDataParallel (see the module docstring); the
    history returned on ranks other than 0 has no validation entries."""
    out_dir = Path(out_dir)
    rank, world = rank_and_world()
    main = rank == 0
    if main:
        out_dir.mkdir(parents=True, exist_ok=True)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    prep = cfg.prep
    on_cuda = world > 1 and dist.get_backend() == "nccl"
    device = torch.device("cuda", torch.cuda.current_device()) if on_cuda else \
        torch.device("cpu")
    if cfg.capture not in CAPTURE:
        raise ValueError(f"unknown capture ranges {cfg.capture!r}; choose from {sorted(CAPTURE)}")
    model = build_model(cfg, pretrained=not (resume and (out_dir / "last.pt").is_file()))
    if cfg.mirror_writers:
        train_data = train_data.with_mirrored_writers()
    if cfg.writer_head > 0:  # one class per training writer (labels: writer_index)
        cfg = replace(cfg, writer_classes=len(train_data.writers))
    loss_fn = build_config_loss(cfg)
    model.to(device)
    loss_fn.to(device)
    group = None
    if world > 1:
        group = dist.new_group()  # our own collectives, apart from DDP's bucket all-reduces
        if on_cuda:
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model, group)
        else:
            convert_global_batchnorm(model, group)
    params = list(model.parameters()) + list(loss_fn.parameters())
    if cfg.optimizer == "adamw":
        opt: torch.optim.Optimizer = torch.optim.AdamW(params, lr=cfg.lr,
                                                       weight_decay=cfg.weight_decay)
    elif cfg.optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
    else:
        raise ValueError(f"unknown optimizer {cfg.optimizer!r}; choose adamw or sgd")
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=cfg.lr, total_steps=cfg.epochs * cfg.batches_per_epoch, pct_start=0.15
    )
    sampler = make_sampler(cfg, train_data)
    history: dict = {"epochs": [], "best_epoch": None, "best_val_eer": None, "seconds": 0.0}
    start_epoch = 0
    last = out_dir / "last.pt"
    if resume and last.is_file():
        ckpt = torch.load(last, map_location="cpu", weights_only=False)
        model.load_state_dict(ckpt["model"])
        if "loss" in ckpt:
            loss_fn.load_state_dict(ckpt["loss"])
        opt.load_state_dict(ckpt["optimizer"])
        sched.load_state_dict(ckpt["scheduler"])
        history = ckpt["history"]
        start_epoch = ckpt["epoch"] + 1
        torch.set_rng_state(ckpt["torch_rng"])
    net: nn.Module = model
    if world > 1:
        net = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if on_cuda else None)
    val_inputs = clean_inkmaps(val_data, prep) if val_data is not None and main else None

    end_epoch = cfg.epochs if stop_after is None else min(cfg.epochs, start_epoch + stop_after)
    for epoch in range(start_epoch, end_epoch):
        t0 = time.perf_counter()
        net.train()
        sampler.set_epoch(epoch)
        losses = []
        bar = tqdm(sampler, desc=f"epoch {epoch + 1}/{cfg.epochs}",
                   disable=not (progress and main), leave=False, unit="batch")
        for step, idx in enumerate(bar):
            # this rank's contiguous slice of the global batch; augmentation seeded per
            # sample so that the slice's images do not depend on the number of ranks
            counts = [len(idx) * (r + 1) // world - len(idx) * r // world for r in range(world)]
            lo = sum(counts[:rank])
            x = torch.from_numpy(batch([
                augmented_inkmap(train_data.images[i], prep,
                                 np.random.default_rng([cfg.seed, epoch, step, lo + j]),
                                 CAPTURE[cfg.capture], cfg.elastic)
                for j, i in enumerate(idx[lo : lo + counts[rank]])])).to(device)
            emb = net(x)
            if world > 1:
                emb = gather_with_grad(emb, counts, group)
            loss = loss_fn(emb, _labels(train_data, idx).to(device))
            opt.zero_grad()
            loss.backward()
            if world > 1:  # the loss's own parameters are outside DDP: average them here
                for p in loss_fn.parameters():
                    if p.grad is not None:
                        dist.all_reduce(p.grad, group=group)
                        p.grad /= world
            opt.step()
            sched.step()
            losses.append(loss.item())
            bar.set_postfix(loss=f"{np.mean(losses[-10:]):.4f}")
        record = {"epoch": epoch, "loss": float(np.mean(losses)),
                  "seconds": time.perf_counter() - t0}
        if val_inputs is not None:
            per_set = quick_validation_eer(model, val_data, val_inputs)
            record["val_eer"] = per_set.pop("mean")
            if len(per_set) > 1:
                record["val_eer_per_set"] = per_set
        history["epochs"].append(record)
        history["seconds"] += record["seconds"]
        improved = val_inputs is None or history["best_val_eer"] is None or (
            record["val_eer"] <= history["best_val_eer"]
        )
        if improved:
            history["best_epoch"], history["best_val_eer"] = epoch, record.get("val_eer")
        if main:
            state = {
                "model": model.state_dict(), "loss": loss_fn.state_dict(),
                "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                "epoch": epoch, "history": history, "config": asdict(cfg),
                "torch_rng": torch.get_rng_state(),
            }
            torch.save(state, out_dir / "last.tmp")
            (out_dir / "last.tmp").replace(last)  # atomic: an interrupted save keeps the old
            if improved:
                torch.save({"model": model.state_dict(), "loss": loss_fn.state_dict(),
                            "config": asdict(cfg), "epoch": epoch}, out_dir / "best.pt")
            if progress:
                tqdm.write(json.dumps({k: round(v, 4) if isinstance(v, float) else v
                                       for k, v in record.items()}))
        if world > 1:
            dist.barrier(group)  # every rank may read last.pt once this epoch is over
    if main:
        (out_dir / "history.json").write_text(json.dumps(history, indent=2) + "\n")
    return history


def load_model(checkpoint: str | Path) -> tuple[nn.Module, TrainConfig]:
    """Load a ``best.pt``/``last.pt`` checkpoint into an eval-mode model (the backbone the
    checkpoint's config names; ``compact`` for checkpoints older than that field)."""
    ckpt = torch.load(checkpoint, map_location="cpu", weights_only=False)
    cfg = TrainConfig(**ckpt["config"])
    model = build_model(cfg)
    model.load_state_dict(ckpt["model"])
    model.eval()
    return model, cfg


def load_loss(checkpoint: str | Path) -> MetricLoss:
    """The checkpoint's loss with its learned state (e.g. the ``koch`` pair head, whose
    ``loss.loss.similarity(ea, eb)`` scores pairs)."""
    ckpt = torch.load(checkpoint, map_location="cpu", weights_only=False)
    loss_fn = build_config_loss(TrainConfig(**ckpt["config"]))
    if "loss" in ckpt:
        loss_fn.load_state_dict(ckpt["loss"])
    return loss_fn.eval()
