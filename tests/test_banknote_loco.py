"""Real notes as training data and the leave-one-currency-out protocol, on a small folder made
here in the layout of ``../shared/data/banknotes`` (invented notes stand in for real ones)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop.core.banknote.model import BanknoteModel
from desktop.core.paths import default_banknote_model_dir
from training.banknote.data import all_specs, synthetic_capture, synthetic_note
from training.banknote.loco import fold_data, run_loco
from training.banknote.real_notes import FlatNote, flat_notes, loco_scores, real_tensors
from training.banknote.train import BanknoteTrainConfig

SEED = 93117
SPECS = {f"{s.currency}-{s.denomination}": s for s in all_specs()}
AS_EURO = {"5": SPECS["ARC-50"], "10": SPECS["BOR-25"]}
AS_DONG = {"1000": SPECS["CYR-200"], "2000": SPECS["CYR-2"]}


@pytest.fixture(scope="module")
def model() -> BanknoteModel:
    return BanknoteModel(default_banknote_model_dir(), "cpu")


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """Euro reference pictures and photos, and dong photos with their labelled boxes."""
    root = tmp_path_factory.mktemp("banknotes")
    refs, photos = root / "eur_photos" / "references", root / "eur_photos" / "photos"
    refs.mkdir(parents=True)
    photos.mkdir()
    for value, spec in AS_EURO.items():
        for side in ("front", "back"):
            cv2.imwrite(str(refs / f"{value}eu_{side}.jpg"),
                        synthetic_note(spec, side, "", SEED, 0))
            cv2.imwrite(str(photos / f"{value}___{side}.jpg"),
                        synthetic_capture(spec, side, "", SEED, 1)[0])
    for value, spec in AS_DONG.items():
        folder = root / "vnd" / value
        folder.mkdir(parents=True)
        for i in range(3):
            image, corners = synthetic_capture(spec, "front", "", SEED, 10 + i)
            (x0, y0), (x1, y1) = corners.min(0), corners.max(0)
            h, w = image.shape[:2]
            cv2.imwrite(str(folder / f"{i}.jpg"), image)
            (folder / f"{i}.txt").write_text(
                f"0 {(x0 + x1) / 2 / w} {(y0 + y1) / 2 / h} {(x1 - x0) / w} {(y1 - y0) / h}\n")
    return root


def test_real_pictures_become_flat_notes_and_captures(model, data) -> None:
    flats = flat_notes(model, data)
    origins = sorted((f.currency, f.origin) for f in flats)
    assert origins == [("EUR", "reference")] * 4 + [("VND", "photo")] * 6
    assert {f.key for f in flats if f.currency == "VND"} == {"VND-1000-front", "VND-2000-front"}
    prep = model.manifest.preprocessing
    a, b = real_tensors(flats, 3, seed=5, prep=prep), real_tensors(flats, 3, seed=5, prep=prep)
    assert a.x.shape == (6 * 3, *prep.input_shape) and a.x.dtype == np.uint8
    assert np.array_equal(a.x, b.x) and a.genuine.all()  # deterministic for a seed
    assert not np.array_equal(a.x, real_tensors(flats, 3, seed=6, prep=prep).x)
    assert sorted(set(a.keys)) == sorted({f.key for f in flats})


def _solid(key: str, colour: tuple[int, int, int], origin: str, i: int) -> FlatNote:
    image = np.zeros((100, 220, 3), np.uint8)
    image[:] = colour
    image[:, : 10 + i] = 255  # pictures of a class differ a little
    return FlatNote(key, origin, f"{key}-{i}", image)


def test_the_protocol_scores_what_the_embedder_tells_apart(model, data) -> None:
    colours = {"VND-1000-front": (200, 30, 30), "VND-2000-front": (30, 200, 30),
               "VND-5000-front": (30, 30, 200)}
    flats = [_solid(k, c, "photo", i) for k, c in colours.items() for i in range(6)]

    def by_colour(x: np.ndarray) -> np.ndarray:  # an embedder that sees the note's colour
        v = x.mean(axis=(2, 3))
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def blind(x: np.ndarray) -> np.ndarray:  # one that sees nothing: every note the same
        return np.ones((len(x), 3), np.float32) / np.sqrt(3)

    seeing = loco_scores(by_colour, model, flats, "VND", data, draws=3)
    assert seeing == {"photos_k1": 1.0, "photos_k5": 1.0}
    assert loco_scores(blind, model, flats, "VND", data, draws=3)["photos_k1"] == \
        pytest.approx(1 / 3)
    # Scans: enrolled from one capture condition, the other's checked; two sides of one
    # denomination are one right answer.
    scans = [_solid(f"BRL-{v}-{side}", c, f"scan:{cond}", i)
             for v, c in (("2", (200, 30, 30)), ("5", (30, 30, 200)))
             for side in ("front", "back") for cond in ("blurring", "lighting") for i in range(4)]
    assert loco_scores(by_colour, model, scans, "BRL", data, draws=2) == {
        "scans_k1": 1.0, "scans_k4": 1.0}
    assert loco_scores(blind, model, scans, "BRL", data, draws=2)["scans_k4"] == 0.5


def test_a_fold_never_sees_its_currency_and_the_run_reports_each(model, data, tmp_path) -> None:
    cfg = BanknoteTrainConfig(epochs=1, batches_per_epoch=2, train_genuine=2,
                              train_counterfeits=1, val_genuine=1, val_counterfeits=1,
                              currencies=("ARC",), holdout=("ARC-50",), classes_per_batch=4)
    flats = flat_notes(model, data)
    train, val = fold_data(cfg, flats, "EUR", workers=1, per_class=(2, 1))
    assert not any(k.startswith("EUR-") for k in train.keys + val.keys)
    assert {k for k in train.keys if k.startswith("VND-")} == {"VND-1000-front",
                                                                "VND-2000-front"}
    report = run_loco(data, tmp_path, default_banknote_model_dir(), cfg, ("EUR", "VND"),
                      draws=1, workers=1, per_class=(2, 1))
    assert set(report["baseline"]) == set(report["folds"]) == {"EUR", "VND"}
    assert set(report["folds"]["EUR"]["scores"]) == {"eur_photos_k1"}
    assert set(report["folds"]["VND"]["scores"]) == {"photos_k1"}  # 3 photos: no 5-shot
    assert json.loads((tmp_path / "loco.json").read_text())["folds"].keys() == {"EUR", "VND"}
    assert (tmp_path / "without-EUR" / "checkpoint.pt").is_file()
