"""``python -m training banknote-loco``: train the embedder on real and invented notes once per
held-out currency and score it leave-one-currency-out (:mod:`training.banknote.real_notes`).

Each fold trains on the invented notes (with their counterfeits) and on the real notes of
every other currency, through the capture simulator; its validation captures (for choosing
the epoch) come from the same currencies with another seed, never from the held-out one.
The shipped embedder is scored by the same protocol first, as the baseline. The report,
``loco.json``, holds per fold the training summary and the held-out currency's figures.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from desktop.core.banknote.model import BanknoteModel
from desktop.core.banknote.preprocess import BanknotePreprocessing
from training.banknote.data import NoteTensors
from training.banknote.real_notes import CURRENCIES, FlatNote, flat_notes, loco_scores, real_tensors
from training.banknote.train import (
    BanknoteTrainConfig,
    load_banknote_model,
    make_data,
    train_banknotes,
)
from training.common.torch_utils import embed_torch

log = logging.getLogger(__name__)

REAL_TRAIN_PER_CLASS = 40
REAL_VAL_PER_CLASS = 12


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def fold_data(cfg: BanknoteTrainConfig, flats: list[FlatNote], held_out: str | None,
              workers: int | None = None, per_class: tuple[int, int] = (
                  REAL_TRAIN_PER_CLASS, REAL_VAL_PER_CLASS)
              ) -> tuple[NoteTensors, NoteTensors]:
    """Invented notes plus ``per_class`` (training, validation) captures of each real class
    of every currency but ``held_out`` (None: all)."""
    prep = BanknotePreprocessing.from_dict(cfg.preprocessing)
    seen = [f for f in flats if f.currency != held_out]
    train, val = make_data(cfg, workers)
    return (NoteTensors.concat([train, real_tensors(seen, per_class[0], cfg.data_seed, prep)]),
            NoteTensors.concat([val, real_tensors(seen, per_class[1], cfg.data_seed + 1,
                                                  prep)]))


def run_loco(data: Path, run_root: Path, model_dir: Path, cfg: BanknoteTrainConfig,
             currencies: tuple[str, ...] = CURRENCIES, draws: int = 5,
             workers: int | None = None,
             per_class: tuple[int, int] = (REAL_TRAIN_PER_CLASS, REAL_VAL_PER_CLASS)) -> dict:
    """Baseline (the shipped embedder) and one trained fold per held-out currency; writes
    ``loco.json`` into ``run_root`` after each fold."""
    run_root.mkdir(parents=True, exist_ok=True)
    model = BanknoteModel(model_dir, "cpu")
    t0 = time.perf_counter()
    flats = flat_notes(model, data)
    log.info("%d flat real notes in %.0f s", len(flats), time.perf_counter() - t0)
    present = [c for c in currencies if any(f.currency == c for f in flats)]
    report: dict = {"config": asdict(cfg), "flat_notes": {
        c: sum(f.currency == c for f in flats) for c in present}, "baseline": {}, "folds": {}}
    for c in present:
        report["baseline"][c] = loco_scores(model.embed, model, flats, c, data, draws)
    log.info("baseline: %s", report["baseline"])
    out = run_root / "loco.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    for c in present:
        run = run_root / f"without-{c}"
        summary = train_banknotes(replace(cfg), run, "cpu", workers,
                                  data=fold_data(cfg, flats, c, workers, per_class))
        net, _ = load_banknote_model(run)
        scores = loco_scores(lambda x, n=net: _unit(embed_torch(n, x)), model, flats, c, data,
                             draws)
        report["folds"][c] = {"scores": scores, "best_epoch": summary["best_epoch"],
                              "seconds": summary["seconds"],
                              "validation": summary["history"][summary["best_epoch"] - 1]}
        log.info("without %s: %s", c, scores)
        out.write_text(json.dumps(report, indent=2) + "\n")
    out.write_text(json.dumps(report, indent=2) + "\n")
    return report
