"""Workloads for ``benchmarks/pipeline_speed.py``: the files the app would be given.

Everything is written to files first, because opening and decoding a file is one of the
timed stages:

* signatures: accounts of K references and their queries. CEDAR's held-out test writers
  (``split.json``: 5 genuine references each, queries = the writer's other genuine
  signatures and its skilled forgeries) when the data folder is there; otherwise
  project-generated synthetic writers (:mod:`training.signature.synthetic`), so the benchmark runs
  anywhere;
* cheques: project-generated synthetic cheques (:mod:`training.signature.cheques`) in the five
  scanner formats, genuine or forged, each with its account's synthetic reference signatures;
* banknotes: synthetic camera captures (:func:`training.banknote.data.synthetic_capture`,
  as the banknote evaluation makes them), saved as JPEG like a camera's picture.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

REFERENCES = 5  # per account: the K the README's main figures use


@dataclass
class Account:
    """An account's reference files and the query files checked against it."""

    name: str
    references: list[Path]
    queries: list[Path]


@dataclass
class SignatureWorkload:
    """Accounts, and what the files are."""

    source: str
    accounts: list[Account] = field(default_factory=list)

    @property
    def n_queries(self) -> int:
        """Number of query files over all accounts."""
        return sum(len(a.queries) for a in self.accounts)


def cedar_root(data: Path | None) -> Path | None:
    """The CEDAR folder under ``data`` (``signatures/cedar``) if it holds the images."""
    if data is None:
        return None
    root = Path(data) / "signatures" / "cedar"
    return root if (root / "manifest.csv").is_file() else None


def cedar_workload(root: Path, split_file: Path | None, writers: int,
                   queries_per_writer: int) -> SignatureWorkload:
    """CEDAR accounts: the split's test writers (the first ``writers``), K references each."""
    by_writer: dict[str, dict[str, list[Path]]] = {}
    with open(root / "manifest.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            entry = by_writer.setdefault(row["writer"], {"genuine": [], "forged": []})
            entry["genuine" if row["label"] == "genuine" else "forged"].append(root / row["path"])
    test = sorted(by_writer, key=int)
    if split_file is not None and split_file.is_file():
        # a split over several sets names CEDAR's writers "cedar/<writer>"
        named = [w.removeprefix("cedar/") for w in json.loads(split_file.read_text())["test"]]
        test = [w for w in named if w in by_writer]
    accounts = []
    for w in test[:writers]:
        genuine = sorted(by_writer[w]["genuine"])
        forged = sorted(by_writer[w]["forged"])
        rest = [p for pair in zip(genuine[REFERENCES:], forged, strict=False) for p in pair]
        accounts.append(Account(f"cedar writer {w}", genuine[:REFERENCES],
                                rest[:queries_per_writer]))
    return SignatureWorkload(f"CEDAR test writers {', '.join(test[:writers])} "
                             f"({root})", accounts)


def synthetic_workload(out: Path, writers: int, queries_per_writer: int,
                       seed: int = 0) -> SignatureWorkload:
    """Synthetic accounts (training.signature.synthetic), written as PNG under ``out``."""
    from training.signature.synthetic import make_writer, render

    rng = np.random.default_rng(seed)
    accounts = []
    for w in range(writers):
        style = make_writer(rng)
        folder = out / f"writer{w:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        files = []
        for i in range(REFERENCES + queries_per_writer):
            forged = i >= REFERENCES and i % 2 == 1
            path = folder / f"{i:02d}{'_forged' if forged else ''}.png"
            cv2.imwrite(str(path), render(style, rng, forgery=forged))
            files.append(path)
        accounts.append(Account(f"synthetic writer {w}", files[:REFERENCES],
                                files[REFERENCES:]))
    return SignatureWorkload(f"synthetic signatures (training.signature.synthetic, seed {seed})",
                             accounts)


@dataclass
class ChequeFile:
    """One cheque scan on disk, its format, and its account's reference signatures."""

    path: Path
    fmt: str
    forged: bool
    references: list[Path]  # the account's reference signatures (PNG), as enrolled


def cheque_workload(out: Path, n: int, seed: int = 0) -> list[ChequeFile]:
    """``n`` synthetic cheques (formats rotating, half forged) with their references."""
    from training.signature.cheques import FORMATS, make_cheque, save_cheque
    from training.signature.synthetic import make_writer, render

    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    suffix = {"tiff-g4": ".tif", "png-gray": ".png", "png-colour": ".png",
              "jpeg-gray": ".jpg", "jpeg-colour": ".jpg"}
    cheques = []
    for i in range(n):
        fmt = FORMATS[i % len(FORMATS)]
        style = make_writer(rng)
        refs = []
        for k in range(REFERENCES):
            refs.append(out / f"cheque_{i:03d}_ref{k}.png")
            cv2.imwrite(str(refs[-1]), render(style, rng))
        forged = bool(i % 2)
        cheque = make_cheque(rng, style, forgery=forged, colour=fmt.endswith("colour"))
        path = save_cheque(cheque, out / f"cheque_{i:03d}{suffix[fmt]}", fmt)
        cheques.append(ChequeFile(path, fmt, forged, refs))
    return cheques


def banknote_workload(out: Path, n: int, seed: int = 7000) -> list[Path]:
    """``n`` synthetic captures (640x480, genuine, every denomination and side in turn),
    saved as JPEG."""
    from training.banknote.data import all_specs, synthetic_capture

    out.mkdir(parents=True, exist_ok=True)
    specs = all_specs()
    files = []
    for i in range(n):
        spec, side = specs[(i // 2) % len(specs)], ("front", "back")[i % 2]
        image, _ = synthetic_capture(spec, side, "", seed, i)
        path = out / f"capture_{i:03d}.jpg"
        cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 92])
        files.append(path)
    return files
