"""Omniglot readers, distortions and training on small zips made here (never ../shared)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from training.fewshot.harness import pixel_embedder
from training.fewshot.omniglot_data import koch_affine, png_bytes, read_background, read_runs
from training.fewshot.omniglot_eval import one_shot_runs, torch_embedder
from training.fewshot.omniglot_train import (
    OmniglotConfig,
    load_embedder,
    split_characters,
    train_omniglot,
)


def _glyph(seed: int, size: int = 105) -> np.ndarray:
    """A random stroke-like 1-bit ink map (ink = 1)."""
    rng = np.random.default_rng(seed)
    img = np.zeros((size, size), np.float32)
    for _ in range(3):
        y, x = rng.integers(20, 85, 2)
        img[y - 3 : y + 3, 10:95] = 1.0 if rng.random() < 0.5 else img[y - 3 : y + 3, 10:95]
        img[10:95, x - 3 : x + 3] = 1.0
    return img


def _background_zip(path: Path, top: str, alphabets: dict[str, int], drawings: int = 4,
                    seed0: int = 0) -> Path:
    """``top/<alphabet>/characterNN/<id>_<drawer>.png`` with folder entries, like the real
    zips; the drawings of a character differ by a small shift."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{top}/", b"")
        for a, (alpha, n_chars) in enumerate(alphabets.items()):
            zf.writestr(f"{top}/{alpha}/", b"")
            for c in range(n_chars):
                zf.writestr(f"{top}/{alpha}/character{c + 1:02d}/", b"")
                base = _glyph(seed0 + 100 * a + c)
                for d in range(drawings):
                    img = np.roll(base, d, axis=1)
                    zf.writestr(f"{top}/{alpha}/character{c + 1:02d}/{a}{c:03d}_{d + 1:02d}.png",
                                png_bytes(img))
    return path


def _runs_zip(path: Path, n_runs: int = 2, n_classes: int = 5) -> tuple[Path, dict]:
    """An all_runs-style zip; class_labels.txt maps test items to a shuffled class order."""
    truth = {}
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(path, "w") as zf:
        for r in range(1, n_runs + 1):
            run = f"run{r:02d}"
            perm = rng.permutation(n_classes) + 1
            lines = []
            for c in range(1, n_classes + 1):
                zf.writestr(f"{run}/training/class{c:02d}.png", png_bytes(_glyph(1000 * r + c)))
            for t, c in enumerate(perm, start=1):
                # each test image is its class's training image, slightly shifted
                zf.writestr(f"{run}/test/item{t:02d}.png",
                            png_bytes(np.roll(_glyph(1000 * r + int(c)), 1, axis=0)))
                lines.append(f"{run}/test/item{t:02d}.png {run}/training/class{c:02d}.png")
                truth[f"{run}/test/item{t:02d}.png"] = f"{run}/training/class{c:02d}.png"
            zf.writestr(f"{run}/class_labels.txt", "\n".join(lines) + "\n")
    return path, truth


def test_background_zips_are_read_inverted_and_deduplicated(tmp_path: Path) -> None:
    z1 = _background_zip(tmp_path / "b1.zip", "images_background_small1",
                         {"Alpha": 3, "Shared": 2})
    z2 = _background_zip(tmp_path / "b2.zip", "images_background_small2",
                         {"Beta": 2, "Shared": 2}, seed0=0)  # "Shared" has the same paths
    data = read_background([z1, z2])
    assert data.duplicates == 2 * 4  # Shared's files (same alphabet/character/file) once
    assert data.images.shape == (7 * 4, 105, 105) and data.images.dtype == np.uint8
    assert sorted(set(data.alphabets)) == ["Alpha", "Beta", "Shared"]
    assert len(data.character_names()) == 7
    assert data.characters[0] == "Alpha/character01"
    # ink is high: the glyph's strokes read 255, the paper 0
    np.testing.assert_array_equal(data.images[0], np.round(255 * _glyph(0)).astype(np.uint8))

    small = data.to_fewshot(35)
    assert small.images.shape == (28, 35, 35) and small.images.dtype == np.float32
    assert 0.0 <= small.images.min() and small.images.max() <= 1.0
    assert small.groups[small.classes.index("Beta/character02")] == "Beta"

    train, val = split_characters(data, 0.34, seed=0)
    assert train.isdisjoint(val) and train | val == set(data.character_names())
    assert {c.split("/")[0] for c in val} == {"Alpha", "Beta", "Shared"}  # each alphabet


def test_runs_pairs_are_read_exactly_as_class_labels_says(tmp_path: Path) -> None:
    path, truth = _runs_zip(tmp_path / "all_runs.zip")
    runs = read_runs(path, size=35)
    assert [r.name for r in runs] == ["run01", "run02"]
    for run in runs:
        assert run.train.shape == (5, 35, 35) and run.test.shape == (5, 35, 35)
        assert run.train_files == [f"{run.name}/training/class{c:02d}.png" for c in range(1, 6)]
        for t, a in zip(run.test_files, run.answer, strict=True):
            assert run.train_files[a] == truth[t]
    assert sorted(t for r in runs for t in r.test_files) == sorted(truth)
    res = one_shot_runs(runs, {"pixels": pixel_embedder, "random": None})
    assert res["pixels"]["accuracy"] == 1.0 and res["pixels"]["trials"] == 10
    assert res["random"]["ci_low"] <= 0.2 <= res["random"]["ci_high"]


def test_runs_zip_with_a_wrong_label_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("run01/training/class01.png", png_bytes(_glyph(1)))
        zf.writestr("run01/test/item01.png", png_bytes(_glyph(1)))
        zf.writestr("run01/class_labels.txt", "run01/test/item01.png run01/training/class02.png")
    with pytest.raises(ValueError, match="class02"):
        read_runs(path)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_koch_affine_keeps_shape_and_range(dtype: type) -> None:
    img = _glyph(3)
    img = (img * 255).astype(np.uint8) if dtype is np.uint8 else img
    top = 255 if dtype is np.uint8 else 1.0
    rng = np.random.default_rng(0)
    changed = 0
    for _ in range(20):
        out = koch_affine(img, rng)
        assert out.shape == img.shape and out.dtype == img.dtype
        assert out.min() >= 0 and out.max() <= top
        changed += not np.array_equal(out, img)
    assert changed >= 18  # 1 - 0.5**7 of the draws change something
    assert np.array_equal(koch_affine(img, rng, p=0.0), img)  # no component: identity
    small = koch_affine(np.ascontiguousarray(img[:35, :52]), rng, p=1.0)
    assert small.shape == (35, 52)


def test_training_runs_and_checkpoint_reloads(tmp_path: Path) -> None:
    import torch

    torch.set_num_threads(1)
    z = _background_zip(tmp_path / "b.zip", "bg", {"A": 4, "B": 4}, drawings=4)
    data = read_background([z])
    train_chars, val_chars = split_characters(data, 0.25, seed=0)
    val = data.subset(val_chars).to_fewshot(28)
    cfg = OmniglotConfig(size=28, width=4, embedding_size=8, classes_per_batch=4,
                         drawings_per_class=2, epochs=2, steps_per_epoch=2, val_episodes=5,
                         threads=1)
    logs: list[str] = []
    history = train_omniglot(cfg, data.subset(train_chars), val, tmp_path / "run", logs.append)
    assert history["steps"] == 4 and len(history["epochs"]) == 2
    assert (tmp_path / "run" / "best.pt").is_file() and logs
    model, cfg2 = load_embedder(tmp_path / "run" / "best.pt")
    assert cfg2.size == 28
    emb = torch_embedder(model)(val.images)
    assert emb.shape == (len(val.images), 8)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)


def test_benchmark_command_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import json

    import torch

    from training.fewshot.omniglot import main

    torch.set_num_threads(1)
    data = tmp_path / "omniglot"
    data.mkdir()
    _background_zip(data / "images_background_small1.zip", "images_background_small1",
                    {"A": 4, "B": 3})
    _background_zip(data / "images_background_small2.zip", "images_background_small2",
                    {"C": 4, "B": 3}, seed0=50)  # B: same paths
    _runs_zip(data / "all_runs.zip", n_runs=2, n_classes=4)
    out = tmp_path / "out"
    assert main(["--data", str(data), "--out", str(out), "--epochs", "1",
                 "--steps-per-epoch", "2", "--size", "28", "--width", "4",
                 "--embedding-size", "8", "--classes-per-batch", "4",
                 "--drawings-per-class", "2", "--episodes", "5", "--threads", "1"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert set(report["official_runs"]) == {"model", "pixel-NN", "random"}
    assert report["official_runs"]["model"]["trials"] == 8
    assert report["data"]["duplicates_skipped"] == 3 * 4
    assert report["training"]["steps"] == 2
    assert (out / "nway_heldout_within_alphabet.png").is_file()
    assert "pixel-NN" in capsys.readouterr().out
