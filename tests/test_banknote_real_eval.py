"""The real-note evaluation's protocols, run on a small folder made here in its layout."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from desktop.core.banknote.model import BanknoteModel
from desktop.core.paths import default_banknote_model_dir
from training.banknote.capture import background
from training.banknote.data import all_specs, synthetic_capture, synthetic_note
from training.banknote.real import eur_photos, no_note, not_enrolled
from training.banknote.real_sets import no_note_pictures, paper_scans

SEED = 93001
SPECS = {f"{s.currency}-{s.denomination}": s for s in all_specs()}
# Two invented denominations stand in for euro notes: the folder names carry the values.
AS_EURO = {"5": SPECS["ARC-50"], "10": SPECS["BOR-25"]}  # not shipped classes


@pytest.fixture(scope="module")
def model() -> BanknoteModel:
    return BanknoteModel(default_banknote_model_dir(), "cpu")


def _euro_folder(root) -> None:
    """``eur_photos``' layout: reference pictures, photos of one note, one of two notes."""
    refs, photos = root / "references", root / "photos"
    refs.mkdir(parents=True)
    photos.mkdir()
    for value, spec in AS_EURO.items():
        for side in ("front", "back"):
            note = synthetic_note(spec, side, "", SEED, 0)
            h, w = note.shape[:2]  # a flat picture cropped just inside the note's edge
            cv2.imwrite(str(refs / f"{value}eu_{side}.jpg"), note[h // 20: -h // 20,
                                                                  w // 20: -w // 20])
            cv2.imwrite(str(photos / f"{value}___{side}.jpg"),
                        synthetic_capture(spec, side, "", SEED, 1)[0])
    table = background(np.random.default_rng(1), 600, 900, "wood",
                       np.array([60.0, 90, 120])).astype(np.uint8)
    for spec, (x, y) in zip(AS_EURO.values(), ((30, 40), (470, 330)), strict=True):
        table[y: y + 190, x: x + 400] = cv2.resize(synthetic_note(spec, "front", "", SEED, 2),
                                                   (400, 190))
    cv2.imwrite(str(photos / "5-10.jpg"), table)


def test_the_euro_photo_protocol_counts_notes_found_and_named(model, tmp_path) -> None:
    _euro_folder(tmp_path)
    report = eur_photos(model, tmp_path)
    assert report["enrolled_sides"] == 4
    single = report["single"]
    assert single["pictures"] == 4 and single["top1"] == 1.0 and single["refused"] == 0.0
    several = report["several"]
    assert (several["notes"], several["found_and_named"], several["extra_or_wrong"]) == (2, 2, 0)
    nn = no_note(model, [], no_note_pictures(seed=3))
    assert nn["pictures"] == 40 and nn["no_side_verified"] == 1.0


def test_paper_scans_are_read_per_set_and_none_is_taken_for_a_note(model, tmp_path) -> None:
    rng = np.random.default_rng(SEED)
    for folder in ("cedar/full_org", "bhsig/001"):
        (tmp_path / folder).mkdir(parents=True)
        for i in range(3):
            page = np.full((220, 480), 245, np.uint8)
            points = rng.integers([20, 40], [460, 180], (12, 2)).astype(np.int32)
            cv2.polylines(page, [points], False, 30, 2, cv2.LINE_AA)  # a scribbled name
            cv2.imwrite(str(tmp_path / folder / f"s{i}.png"), page)
    (tmp_path / "README.md").write_text("not a set")
    paper = paper_scans(tmp_path, per_set=2)
    assert [name for name, _ in paper] == ["bhsig/s0.png", "bhsig/s1.png",
                                           "cedar/s0.png", "cedar/s1.png"]
    assert paper_scans(tmp_path / "missing") == []
    report = no_note(model, [], paper)
    assert report["pictures"] == 4 and report["no_side_verified"] == 1.0


def test_the_not_enrolled_protocol_answers_every_picture_of_a_left_out_denomination(
        model, tmp_path):
    _euro_folder(tmp_path / "eur_photos")
    report = not_enrolled(model, tmp_path)
    assert list(report) == ["EUR photos"]
    row = report["EUR photos"]
    assert row["pictures"] == 4 and row["named_another_passed"] == 0.0
    assert sum(v for k, v in row.items() if k != "pictures") == pytest.approx(1.0)
