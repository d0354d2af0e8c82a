"""Omniglot evaluation: a torch model as the harness's embedder, accuracy on the official
20-way one-shot runs, and their table."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from training.fewshot.harness import wilson_interval
from training.fewshot.omniglot_data import OneShotRun


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
