"""Banknote image folders: writing the synthetic data set, reading that layout and the euro /
Brazilian real zips, decoding a sample."""

from __future__ import annotations

import csv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from training.banknote.capture import capture
from training.banknote.counterfeits import COUNTERFEIT_KINDS, counterfeit
from training.banknote.synthetic import SIDES, catalogue, render_note

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


@dataclass(frozen=True)
class NoteSample:
    """One banknote image on disk (or inside a zip: ``member`` names the entry)."""

    path: Path
    currency: str
    denomination: str
    side: str  # "front", "back" or "unknown"
    genuine: bool
    member: str | None = None
    part: str = "whole"  # "whole", "half" or "quarter" (real data shows parts of notes)
    condition: str | None = None  # capture condition, when the source says it


def _item_rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, *keys])


def generate_dataset(root: str | Path, captures_per_side: int = 4, counterfeits: int = 2,
                     seed: int = 0, currencies: list[str] | None = None,
                     size: tuple[int, int] = (480, 640)) -> Path:
    """Write captures as ``<currency>/<denomination>/<side>/{genuine,counterfeit}/*.png``.

    ``captures_per_side`` genuine and ``counterfeits`` counterfeit captures per side of every
    denomination (counterfeit kinds cycle through :data:`COUNTERFEIT_KINDS`); ``truth.csv``
    at the root gives each file's corners (note's own TL, TR, BR, BL in the capture), kind and,
    for mismatched pairs, the denomination the side came from. Every image has its own
    generator seeded from ``seed`` and its position, so the output is the same for a seed.
    """
    root = Path(root)
    cat = catalogue()
    rows = []
    for ci, cur in enumerate(currencies or list(cat)):
        specs = cat[cur]
        for di, spec in enumerate(specs):
            for si, side in enumerate(SIDES):
                for label, count in (("genuine", captures_per_side), ("counterfeit", counterfeits)):
                    folder = root / cur / str(spec.denomination) / side / label
                    folder.mkdir(parents=True, exist_ok=True)
                    for i in range(count):
                        rng = _item_rng(seed, ci, di, si, label == "counterfeit", i)
                        kind, other = "", ""
                        if label == "genuine":
                            note = render_note(spec, side, rng)
                        else:
                            kind = COUNTERFEIT_KINDS[(i + di + si) % len(COUNTERFEIT_KINDS)]
                            o = specs[(di + 1 + int(rng.integers(len(specs) - 1))) % len(specs)]
                            other = str(o.denomination) if kind == "mismatched_pair" else ""
                            note = counterfeit(spec, side, kind, rng, other=o)
                        image, corners = capture(note, rng, size=size)
                        name = f"{cur}_{spec.denomination}_{side}_{label[0]}{i:03d}.png"
                        cv2.imwrite(str(folder / name), image)
                        rel = (folder / name).relative_to(root).as_posix()
                        rows.append([rel, cur, spec.denomination, side, label, kind, other,
                                     *np.round(corners.reshape(-1), 3).tolist()])
    with open(root / "truth.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["path", "currency", "denomination", "side", "label", "kind",
                      "other_denomination", "x0", "y0", "x1", "y1", "x2", "y2", "x3", "y3"])
        out.writerows(rows)
    return root


def read_folder(root: str | Path) -> list[NoteSample]:
    """Every image under ``<currency>/<denomination>/<side>/{genuine,counterfeit}/``, sorted.

    Real photographs plug in by being put in the same layout; other folders are ignored.
    """
    root = Path(root)
    samples = []
    for path in sorted(root.glob("*/*/*/*/*")):
        if path.suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
            continue
        cur, denom, side, label = path.relative_to(root).parts[:4]
        if label not in ("genuine", "counterfeit"):
            continue
        samples.append(NoteSample(path, cur, denom, side if side in SIDES else "unknown",
                                  label == "genuine"))
    return samples


# leodesousa/Banknote-Images numbers 56 images per denomination in a fixed order: whole notes
# (4 back, 4 front: upright, upside down, two vertical), 8+8 halves, 16+16 quarters.
_EUR_BRL_LAYOUT = ([("whole", "back")] * 4 + [("whole", "front")] * 4 + [("half", "back")] * 8
                   + [("half", "front")] * 8 + [("quarter", "back")] * 16
                   + [("quarter", "front")] * 16)


def read_eur_brl(zip_paths: list[str | Path]) -> list[NoteSample]:
    """Samples from the euro / Brazilian real zips (``<condition>/<value>[Reais]/<n>.jpg``).

    The file names carry only a running number; the folder gives the denomination and the
    number's position among the folder's 56 images gives the side and the part of the note
    shown (see ``_EUR_BRL_LAYOUT``). A folder without exactly 56 images gets side "unknown".
    All notes are genuine.
    """
    samples = []
    for zp in map(Path, zip_paths):
        with zipfile.ZipFile(zp) as zf:
            groups: dict[str, list[tuple[int, str]]] = {}
            for info in zf.infolist():
                parts = info.filename.rstrip("/").split("/")
                stem = parts[-1].rsplit(".", 1)[0]
                if info.is_dir() or len(parts) < 2 or not stem.isdigit():
                    continue
                groups.setdefault(parts[-2], []).append((int(stem), info.filename))
        condition = zp.stem.split("_", 1)[-1]
        for folder, entries in sorted(groups.items()):
            currency = "BRL" if folder.lower().endswith("reais") else "EUR"
            denom = "".join(ch for ch in folder if ch.isdigit())
            entries.sort()
            known = len(entries) == len(_EUR_BRL_LAYOUT)
            for k, (_, member) in enumerate(entries):
                part, side = _EUR_BRL_LAYOUT[k] if known else ("unknown", "unknown")
                samples.append(NoteSample(zp, currency, denom, side, True, member, part,
                                          condition))
    return samples


def load_sample(sample: NoteSample) -> np.ndarray:
    """Decode a sample to BGR uint8 (from its file or its zip entry), with the app's checks."""
    from desktop.core.banknote.detect import load_bgr

    if sample.member is None:
        return load_bgr(sample.path)
    with zipfile.ZipFile(sample.path) as zf:
        data = zf.read(sample.member)
    return load_bgr(f"{sample.path}:{sample.member}", data=data)


def write_enrollment_folders(data: str | Path, out: str | Path, per_side: int = 2) -> Path:
    """Real reference notes laid out for enrollment (``<currency>/<denomination>/<side>/``):
    the euro reference pictures of ``data/eur_photos/references`` and ``per_side`` whole-note
    scans per side of each Brazilian real note (``data/eur_brl``, the blurring condition)."""
    data, out = Path(data), Path(out)
    refs = data / "eur_photos" / "references"
    for path in sorted(refs.glob("*.jpg")) if refs.is_dir() else []:
        value, rest = path.stem.split("eu_", 1)
        folder = out / "EUR" / value / rest.split("_")[0]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / path.name).write_bytes(path.read_bytes())
    zips = sorted((data / "eur_brl").glob("brl_blurring.zip"))
    counts: dict[tuple[str, str], int] = {}
    for s in read_eur_brl(zips):
        if s.part != "whole" or s.side == "unknown":
            continue
        n = counts.get((s.denomination, s.side), 0)
        if n >= per_side:
            continue
        counts[(s.denomination, s.side)] = n + 1
        folder = out / "BRL" / s.denomination / s.side
        folder.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(s.path) as zf:
            (folder / f"{n}.jpg").write_bytes(zf.read(s.member))
    return out
