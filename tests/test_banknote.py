"""Banknote generator, folder reader, note detection, rectification, orientation, contract."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop.core.banknote.detect import (
    BanknotePreprocessing,
    NoteOrientation,
    find_note,
    load_bgr,
    numeral_corner_scores,
    orientation_cue,
    preprocess_banknote,
    read_note,
    rectify,
    whole_image_quad,
)
from desktop.core.errors import InputImageError
from training.banknote.capture import background, capture
from training.banknote.counterfeits import COUNTERFEIT_KINDS, counterfeit
from training.banknote.folders import generate_dataset, load_sample, read_eur_brl, read_folder
from training.banknote.synthetic import SIDES, catalogue, find_spec, render_note

SPECS = [s for group in catalogue().values() for s in group]
# Measured: mean corner error 0.6 px, 95th percentile 2.0 px on 100 random captures
# (benchmarks/banknote_rectification.py); the bounds leave room for other draws.
MEAN_CORNER_PX = 2.0
MAX_CORNER_PX = 5.0


def _corner_error(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    return np.linalg.norm(pred - truth, axis=1)


@pytest.mark.parametrize("angle", [0.0, 35.0, 90.0, 150.0, 180.0, 200.0, 270.0, 330.0])
def test_find_and_orient_recover_the_corners_at_any_rotation(angle: float) -> None:
    errors = []
    for k, side in enumerate(SIDES):
        rng = np.random.default_rng([int(angle), k])
        spec = SPECS[(int(angle) // 10 + k) % len(SPECS)]
        image, truth = capture(render_note(spec, side, rng), rng, angle=angle, perspective=0.1)
        reading = read_note(image, "capture.png")
        err = _corner_error(reading.quad.corners, truth)
        assert err.max() < MAX_CORNER_PX, (angle, side, err)
        assert reading.orientation.side == side
        errors.extend(err)
    assert np.mean(errors) < MEAN_CORNER_PX


def test_rectified_note_matches_the_rendered_note() -> None:
    rng = np.random.default_rng(3)
    spec = find_spec("BOR", 25)
    note = render_note(spec, "front", rng)
    image, truth = capture(note, rng, angle=187.0, fold=0.0, occlusion=0.0)
    quad = find_note(image)
    flat = rectify(image, quad, spec.aspect, height=note.shape[0])
    if orientation_cue(flat).rotation == 180:
        flat = cv2.rotate(flat, cv2.ROTATE_180)
    a = cv2.GaussianBlur(cv2.cvtColor(flat, cv2.COLOR_BGR2GRAY), (0, 0), 3).astype(float)
    b = cv2.GaussianBlur(cv2.cvtColor(note, cv2.COLOR_BGR2GRAY), (0, 0), 3).astype(float)
    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.9


def test_orientation_on_every_design() -> None:
    for spec in SPECS:
        for side in SIDES:
            note = render_note(spec, side, np.random.default_rng(0))
            up = orientation_cue(note)
            down = orientation_cue(cv2.rotate(note, cv2.ROTATE_180))
            assert (up.rotation, up.side) == (0, side), spec
            assert (down.rotation, down.side) == (180, side), spec
            assert not up.unsure


def test_a_caller_can_override_the_orientation_and_unsure_gives_both() -> None:
    rng = np.random.default_rng(11)
    image, truth = capture(render_note(SPECS[4], "back", rng), rng, angle=10.0)
    reading = read_note(image, decide=lambda flat: NoteOrientation(180, "back", 0.0))
    assert len(reading.candidates) == 2
    np.testing.assert_allclose(reading.candidates[1], reading.candidates[0][:, ::-1, ::-1],
                               atol=1e-6)
    assert _corner_error(reading.quad.corners, np.roll(truth, 2, axis=0)).max() < MAX_CORNER_PX
    assert numeral_corner_scores(reading.upright).sum() == pytest.approx(1.0)


def test_generator_is_deterministic() -> None:
    spec = SPECS[7]
    a = capture(render_note(spec, "back", np.random.default_rng(5)), np.random.default_rng(6))
    b = capture(render_note(spec, "back", np.random.default_rng(5)), np.random.default_rng(6))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    for kind in COUNTERFEIT_KINDS:
        assert np.array_equal(counterfeit(spec, "front", kind, np.random.default_rng(1)),
                              counterfeit(spec, "front", kind, np.random.default_rng(1)))


def test_designs_differ_between_sides_and_denominations() -> None:
    rng = np.random.default_rng
    for cur, specs in catalogue().items():
        assert 4 <= len(specs) <= 6
        assert len({s.hue for s in specs}) == len(specs), cur
        assert 2.1 <= specs[0].aspect <= 2.4 and len({s.aspect for s in specs}) == 1
        front, back = render_note(specs[0], "front", rng(0)), render_note(specs[0], "back", rng(0))
        assert np.abs(front.astype(int) - back.astype(int)).mean() > 10


def _thread_band(spec, side: str, dx: float = 0.0) -> slice:
    w = spec.size[1]
    x = (spec.thread_x + dx) * w if side == "front" else (1 - spec.thread_x - dx) * w
    return slice(int(x) - 6, int(x) + 7)


@pytest.mark.parametrize("side", SIDES)
def test_counterfeits_differ_where_they_should(side: str) -> None:
    spec = find_spec("ARC", 20)
    genuine = render_note(spec, side, np.random.default_rng(9)).astype(np.int16)

    def fake(kind: str) -> np.ndarray:
        return counterfeit(spec, side, kind, np.random.default_rng(9)).astype(np.int16)

    band = _thread_band(spec, side)
    diff = np.abs(fake("missing_thread") - genuine).max(axis=2)
    assert diff[:, band].max() > 60  # the thread's pixels are gone...
    outside = np.ones(diff.shape[1], bool)
    outside[band] = False
    assert diff[:, outside].max() == 0  # ...and nothing else changed

    moved = np.abs(fake("misplaced_thread") - genuine).max(axis=2)
    cols = np.nonzero(moved.max(axis=0) > 40)[0]
    assert moved[:, band].max() > 60
    assert cols.max() - cols.min() > 0.08 * spec.size[1]  # a second band, elsewhere
    assert (moved.max(axis=0) > 40).mean() < 0.1

    def fine(img: np.ndarray) -> float:
        return float(np.abs(cv2.Laplacian(img.astype(np.float32).mean(axis=2), cv2.CV_32F)).mean())

    blurred = fake("blurred_lines")
    assert fine(blurred) < 0.8 * fine(genuine)
    gray = lambda im: im.astype(np.float32).mean(axis=2)  # noqa: E731
    big = np.abs(gray(blurred) - gray(genuine))
    assert np.percentile(big, 50) < 3  # the numeral, portrait, paper: unchanged

    copy = fake("halftone")
    smooth = lambda im: cv2.GaussianBlur(im.astype(np.float32), (0, 0), 3)  # noqa: E731
    assert np.abs(smooth(copy) - smooth(genuine)).mean() < 20  # same note from afar
    assert fine(copy) > 2 * fine(genuine)  # dots up close

    shifted = fake("colour_shift")
    hue = lambda im: cv2.cvtColor(im.astype(np.uint8), cv2.COLOR_BGR2HSV)[..., 0].astype(int)  # noqa: E731
    dh = np.abs(hue(shifted) - hue(genuine))
    assert np.median(np.minimum(dh, 180 - dh)) >= 10
    assert np.corrcoef(gray(shifted).ravel(), gray(genuine).ravel())[0, 1] > 0.8

    other = find_spec("ARC", 50)
    pair = counterfeit(spec, side, "mismatched_pair", np.random.default_rng(9), other=other)
    assert np.array_equal(pair, render_note(other, side, np.random.default_rng(9)))


def test_dataset_round_trips_through_the_folder_reader(tmp_path: Path) -> None:
    root = generate_dataset(tmp_path / "a", captures_per_side=1, counterfeits=2, seed=4,
                            currencies=["CYR"], size=(200, 280))
    again = generate_dataset(tmp_path / "b", captures_per_side=1, counterfeits=2, seed=4,
                             currencies=["CYR"], size=(200, 280))
    samples = read_folder(root)
    specs = catalogue()["CYR"]
    assert len(samples) == len(specs) * 2 * 3
    assert {s.denomination for s in samples} == {str(s.denomination) for s in specs}
    assert sum(not s.genuine for s in samples) == len(specs) * 2 * 2
    with open(root / "truth.csv", newline="") as f:
        rows = {r["path"]: r for r in csv.DictReader(f)}
    assert len(rows) == len(samples)
    for s in samples:
        rel = s.path.relative_to(root).as_posix()
        row = rows[rel]
        assert (row["currency"], row["denomination"], row["side"]) == (
            s.currency, s.denomination, s.side)
        assert (row["label"] == "genuine") == s.genuine and (row["kind"] != "") == (not s.genuine)
        assert np.array_equal(load_sample(s), cv2.imread(str(s.path)))
        assert (again / rel).read_bytes() == s.path.read_bytes()
    assert {r["kind"] for r in rows.values()} - {""} <= set(COUNTERFEIT_KINDS)


def test_real_data_zip_reader(tmp_path: Path) -> None:
    import zipfile

    zp = tmp_path / "eur_blurring.zip"
    ok, jpg = cv2.imencode(".jpg", np.full((80, 150, 3), 200, np.uint8))
    with zipfile.ZipFile(zp, "w") as zf:
        for n in range(57, 113):
            zf.writestr(f"02 - Blurring/20/{n}.jpg", jpg.tobytes())
        for n in range(1, 4):
            zf.writestr(f"02 - Blurring/5Reais/{n}.jpg", jpg.tobytes())
    samples = read_eur_brl([zp])
    eur = [s for s in samples if s.currency == "EUR"]
    assert len(eur) == 56 and {s.denomination for s in eur} == {"20"}
    assert [s.side for s in eur[:8]] == ["back"] * 4 + ["front"] * 4
    assert sum(s.part == "quarter" for s in eur) == 32 and eur[0].condition == "blurring"
    assert {s.side for s in samples if s.currency == "BRL"} == {"unknown"}
    assert load_sample(eur[0]).shape == (80, 150, 3)


def test_preprocessing_contract() -> None:
    cfg = BanknotePreprocessing()
    note = render_note(SPECS[0], "front", np.random.default_rng(0))
    x = preprocess_banknote(note, cfg)
    assert x.shape == cfg.input_shape == (3, 96, 192) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert np.all(x[:, 0, :] == cfg.pad_value)  # letterboxed: the note is wider than 2:1
    dim = preprocess_banknote((note * 0.6).astype(np.uint8), cfg)
    assert np.abs(dim - x).mean() < 0.02  # exposure cancels
    portrait = preprocess_banknote(cv2.rotate(note, cv2.ROTATE_90_COUNTERCLOCKWISE), cfg)
    np.testing.assert_allclose(portrait, x, atol=1e-6)
    assert BanknotePreprocessing.from_dict(cfg.to_dict()) == cfg
    assert cfg.to_dict()["name"] == "banknote-rgb" and cfg.to_dict()["version"] == 1
    with pytest.raises(ValueError, match="version"):
        BanknotePreprocessing.from_dict({**cfg.to_dict(), "version": 2})
    with pytest.raises(ValueError, match="unknown"):
        BanknotePreprocessing.from_dict({**cfg.to_dict(), "colour_space": "hsv"})
    with pytest.raises(InputImageError, match="too small"):
        preprocess_banknote(note[:10, :20], cfg, "tiny.png")
    whole = whole_image_quad(np.zeros((300, 140, 3), np.uint8))
    assert whole.aspect == pytest.approx(300 / 140)


def _save(path: Path, image: np.ndarray) -> Path:
    cv2.imwrite(str(path), image)
    return path


def test_bad_pictures_get_clear_messages(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    table = background(rng, 360, 480, "wood", np.array([60.0, 90, 120])).astype(np.uint8)
    cases = {"no note in the picture": (table, "no banknote found"),
             "black": (np.zeros((360, 480, 3), np.uint8), "is black"),
             "tiny": (np.full((40, 60, 3), 128, np.uint8), "too small")}
    two = table.copy()
    for k, (x, y) in enumerate(((20, 40), (250, 200))):
        note = cv2.resize(render_note(SPECS[k], "front", rng), (200, 90))
        two[y: y + 90, x: x + 200] = note
    cases["two notes"] = (two, "2 banknotes")
    for name, (image, message) in cases.items():
        path = _save(tmp_path / f"{name}.png", image)
        with pytest.raises(InputImageError, match=message) as err:
            read_note(load_bgr(path), path)
        assert str(path) in str(err.value), name

    good = _save(tmp_path / "note.png", capture(render_note(SPECS[0], "back", rng), rng)[0])
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InputImageError, match="truncated") as err:
        load_bgr(cut)
    assert str(cut) in str(err.value)
    assert load_bgr(good).shape == (480, 640, 3)
