"""A learned banknote finder: a small fully convolutional network that marks note pixels.

The outline detector (:func:`desktop.core.banknote.detect.find_note`) needs a note that stands
out from a plain table. Real pictures hold notes in hands, on cloth and wood, several at once.
This network is trained to mark every pixel of a note (a heat map at a quarter of its input),
from which :mod:`desktop.core.banknote.finder` takes one rotated rectangle per note.

Training pictures: :mod:`training.banknote.finder_pictures` (no euro note is used: the euro
photos are the test).

The picture is squeezed to a square (:data:`SIDE` pixels) whatever its shape; the map is
stretched back. ``python -m training banknote-detector --data ../shared/data/banknotes``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from desktop.core.banknote.finder import SIDE  # the network's input, as the app feeds it
from training.banknote.finder_pictures import make_pictures
from training.common.onnx_export import export_graph

log = logging.getLogger(__name__)

STRIDE = 4  # the heat map is SIDE / STRIDE on a side


@dataclass
class DetectorConfig:
    """Everything that defines a detector run (saved beside it)."""

    seed: int = 0
    epochs: int = 24
    batch: int = 32
    composites: int = 1600
    lr: float = 3e-3
    width: int = 24
    val_fraction: float = 0.15


class NoteFinderNet(nn.Module):
    """Encoder to 1/16, context, decoder back to 1/4 with a skip; one logit per cell."""

    def __init__(self, width: int = 24) -> None:
        super().__init__()
        w = width

        def block(cin: int, cout: int, stride: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
                                 nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                                 nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
                                 nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

        self.s2 = block(3, w, 2)
        self.s4 = block(w, 2 * w, 2)
        self.s8 = block(2 * w, 3 * w, 2)
        self.s16 = block(3 * w, 4 * w, 2)
        self.context = nn.Sequential(nn.Conv2d(4 * w, 4 * w, 3, 1, 2, dilation=2, bias=False),
                                     nn.BatchNorm2d(4 * w), nn.ReLU(inplace=True))
        self.up8 = block(4 * w + 3 * w, 2 * w, 1)
        self.up4 = block(2 * w + 2 * w, w, 1)
        self.head = nn.Conv2d(w, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f4 = self.s4(self.s2(x))
        f8 = self.s8(f4)
        f16 = self.context(self.s16(f8))
        u8 = self.up8(torch.cat([nn.functional.interpolate(f16, size=f8.shape[-2:],
                                                           mode="bilinear"), f8], 1))
        u4 = self.up4(torch.cat([nn.functional.interpolate(u8, size=f4.shape[-2:],
                                                           mode="bilinear"), f4], 1))
        return self.head(u4)


def to_input(pictures: np.ndarray) -> np.ndarray:
    """uint8 BGR (N, SIDE, SIDE, 3) -> float32 RGB (N, 3, SIDE, SIDE) in [0, 1]: the
    network's contract (:func:`desktop.core.banknote.finder.finder_input` does the same)."""
    return np.ascontiguousarray(pictures[..., ::-1].transpose(0, 3, 1, 2), np.float32) / 255.0


def _targets(masks: np.ndarray) -> np.ndarray:
    n = SIDE // STRIDE
    return np.stack([cv2.resize(m.astype(np.float32), (n, n), interpolation=cv2.INTER_AREA)
                     for m in masks])[:, None]


def _augment(x: torch.Tensor, y: torch.Tensor, gen: torch.Generator
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """Flips, quarter turns and colour jitter, the same on pictures and maps."""
    if torch.rand(1, generator=gen) < 0.5:
        x, y = x.flip(-1), y.flip(-1)
    k = int(torch.randint(4, (1,), generator=gen))
    x, y = torch.rot90(x, k, (-2, -1)), torch.rot90(y, k, (-2, -1))
    gain = 0.7 + 0.6 * torch.rand(x.shape[0], 3, 1, 1, generator=gen)
    return (x * gain).clamp(0, 1), y


def iou(prob: np.ndarray, target: np.ndarray) -> float:
    """Intersection over union of maps above 0.5."""
    p, t = prob > 0.5, target > 0.5
    union = (p | t).sum()
    return float((p & t).sum() / union) if union else 1.0


def train_detector(data: Path, run: Path, cfg: DetectorConfig | None = None,
                   threads: int = 2) -> dict:
    """Train, keep the best epoch by validation IoU on held-out dong photos; write
    ``detector.pt`` and ``detector.json`` into ``run``."""
    cfg = cfg or DetectorConfig()
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(threads)
    run.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    pictures, masks, src = make_pictures(data, cfg)
    y_all = _targets(masks)
    rng = np.random.default_rng(cfg.seed)
    dong = np.array([s.startswith("vnd:") for s in src])
    val = dong & (rng.random(len(src)) < cfg.val_fraction)
    train_idx, val_idx = np.where(~val)[0], np.where(val)[0]
    log.info("%d training and %d validation pictures made in %.0f s", len(train_idx),
             len(val_idx), time.perf_counter() - t0)
    x_val = torch.from_numpy(to_input(pictures[val_idx]))
    net = NoteFinderNet(cfg.width)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=1e-4)
    steps = cfg.epochs * (len(train_idx) // cfg.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=max(1, steps))
    gen = torch.Generator().manual_seed(cfg.seed)
    history, best = [], (-1.0, 0)
    for epoch in range(cfg.epochs):
        net.train()
        order = rng.permutation(train_idx)
        losses = []
        for b in range(len(order) // cfg.batch):
            idx = order[b * cfg.batch:(b + 1) * cfg.batch]
            x, y = _augment(torch.from_numpy(to_input(pictures[idx])),
                            torch.from_numpy(y_all[idx]), gen)
            logits = net(x)
            prob = torch.sigmoid(logits)
            dice = 1 - (2 * (prob * y).sum() + 1) / (prob.sum() + y.sum() + 1)
            loss = nn.functional.binary_cross_entropy_with_logits(logits, y) + dice
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
        net.eval()
        with torch.no_grad():
            prob = torch.sigmoid(net(x_val)).numpy()
        score = float(np.mean([iou(p[0], t[0]) for p, t in zip(prob, y_all[val_idx],
                                                               strict=True)]))
        history.append({"epoch": epoch + 1, "loss": float(np.mean(losses)), "val_iou": score})
        log.info("epoch %d: loss %.4f, validation IoU %.3f", epoch + 1, np.mean(losses), score)
        if score > best[0]:
            best = (score, epoch + 1)
            torch.save({"model": net.state_dict(), "config": asdict(cfg)}, run / "detector.pt")
    summary = {"best_epoch": best[1], "val_iou": best[0], "history": history,
               "seconds": round(time.perf_counter() - t0, 1), "config": asdict(cfg),
               "pictures": {"train": int(len(train_idx)), "val": int(len(val_idx))}}
    (run / "detector.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def load_detector(run: Path) -> NoteFinderNet:
    """The best checkpoint of a run, in eval mode."""
    ckpt = torch.load(run / "detector.pt", map_location="cpu", weights_only=False)
    net = NoteFinderNet(DetectorConfig(**ckpt["config"]).width)
    net.load_state_dict(ckpt["model"])
    return net.eval()


def export_detector(run: Path, path: Path) -> Path:
    """Export the run's network to ONNX: input ``pictures`` (N, 3, SIDE, SIDE), output
    ``note_logits`` (N, 1, SIDE / STRIDE, SIDE / STRIDE)."""
    return export_graph(load_detector(run), torch.zeros(2, 3, SIDE, SIDE), path, "pictures",
                        "note_logits")


def install_finder(folder: Path, onnx_path: Path, summary: dict, key: Path | None) -> dict:
    """Put an exported finder into a banknote model folder (``finder.onnx``), record it and
    its validation in the manifest, and sign the folder again with ``key``."""
    import shutil

    from desktop.core.models.signing import sha256_of

    target = folder / "finder.onnx"
    shutil.copyfile(onnx_path, target)
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["finder"] = {"file": target.name, "sha256": sha256_of(target),
                          "input": [3, SIDE, SIDE], "stride": STRIDE,
                          "validation_iou": round(float(summary["val_iou"]), 4),
                          "best_epoch": summary["best_epoch"],
                          "pictures": summary["pictures"], "config": summary["config"]}
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    if key is not None:
        from desktop.core.models.signing import sign_model

        sign_model(folder, key)
    return manifest["finder"]
