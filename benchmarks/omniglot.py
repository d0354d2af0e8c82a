"""Omniglot 20-way one-shot benchmark, from scratch: train, evaluate, print the table.

    python benchmarks/omniglot.py --out runs/omniglot [--minutes 30 | --epochs 30]

Trains a Siamese (shared-weight) embedder with metric learning on the two small background
sets only (8 distinct alphabets: Greek and Latin are in both zips), with Koch et al.'s
distortions, picks the checkpoint by 20-way 1-shot accuracy on held-out background
characters, then evaluates on the 20 official runs of ``all_runs.zip`` (400 trials) beside
pixel nearest neighbour and random guessing. Writes ``report.json``, ``history.json``,
``best.pt`` and the plots to ``--out``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.omniglot import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
