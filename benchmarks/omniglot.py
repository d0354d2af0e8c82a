"""Omniglot 20-way one-shot benchmark from scratch (see ``training.fewshot.omniglot.BENCHMARK_DOC``;
``python -m training omniglot`` is the same command)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.fewshot.omniglot import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
