"""The learned note finder: shipped and signed, what it marks, and how a check uses it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from desktop.core.banknote.detect import NoteQuad
from desktop.core.banknote.finder import FoundNote, quad_iou
from desktop.core.banknote.model import BanknoteModel
from desktop.core.errors import InputImageError
from desktop.core.paths import default_banknote_model_dir
from training.banknote.capture import background
from training.banknote.data import all_specs, synthetic_capture, synthetic_note
from training.banknote.real_sets import no_note_pictures

SEED = 94001
SPECS = all_specs()


@pytest.fixture(scope="module")
def model() -> BanknoteModel:
    return BanknoteModel(default_banknote_model_dir(), "cpu")


def test_the_shipped_model_has_a_signed_finder(model: BanknoteModel) -> None:
    assert model.finder is not None
    assert model.manifest.finder.path.name == "finder.onnx"
    assert "finder.onnx" in model.manifest.raw["files"]  # under the folder's signature


def test_photographed_notes_are_marked_where_they_are(model: BanknoteModel) -> None:
    hits = 0
    for i, spec in enumerate(SPECS[:8]):
        image, corners = synthetic_capture(spec, ("front", "back")[i % 2], "", SEED, i)
        found = model.found_notes(image)
        hits += bool(found) and quad_iou(found[0].quad, NoteQuad(corners)) >= 0.6
    assert hits >= 7, hits


def test_tables_and_printed_pages_hold_no_note(model: BanknoteModel) -> None:
    pictures = no_note_pictures(SEED, count=12)
    marked = sum(bool(model.found_notes(image)) for _, image in pictures)
    assert marked <= 1, marked


def test_two_notes_far_apart_are_two(model: BanknoteModel) -> None:
    rng = np.random.default_rng(1)
    table = background(rng, 600, 900, "wood", np.array([60.0, 90, 120])).astype(np.uint8)
    for spec, (x, y) in zip(SPECS[:2], ((40, 40), (480, 330)), strict=True):
        table[y: y + 190, x: x + 380] = cv2.resize(synthetic_note(spec, "front", "", SEED, 0),
                                                   (380, 190))
    assert len(model.found_notes(table)) == 2


class _Finder:
    """Stands in for the network: marks the given outlines."""

    def __init__(self, quads: list[np.ndarray]) -> None:
        self.quads = quads

    def find(self, image: np.ndarray) -> list[FoundNote]:
        return [FoundNote(NoteQuad(np.float32(q)), 0.9, 0.2) for q in self.quads]


def test_locate_takes_the_finders_note_when_no_outline_stands_out(model, monkeypatch) -> None:
    # A busy picture in which the outline detector finds nothing: noise everywhere.
    rng = np.random.default_rng(2)
    busy = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    quad = [[100, 100], [500, 100], [500, 300], [100, 300]]
    monkeypatch.setattr(model, "finder", _Finder([quad]))
    reading = model.locate(busy, "busy.png")
    assert quad_iou(reading.quad, NoteQuad(np.float32(quad))) > 0.95
    monkeypatch.setattr(model, "finder", _Finder([]))
    with pytest.raises(InputImageError, match="busy.png"):
        model.locate(busy, "busy.png")
    monkeypatch.setattr(model, "finder", _Finder([quad, [[520, 320], [630, 320], [630, 470],
                                                         [520, 470]]]))
    with pytest.raises(InputImageError, match="photograph one note at a time"):
        model.locate(busy, "busy.png")


def test_locate_keeps_an_outline_the_finder_agrees_with(model, monkeypatch) -> None:
    image, corners = synthetic_capture(SPECS[3], "front", "", SEED, 9)
    monkeypatch.setattr(model, "finder", _Finder([corners + 6.0]))  # roughly the same note
    found = model.locate(image).quad.corners
    # The outline's own corners (in whatever order the orientation gave), not the finder's +6.
    nearest = np.linalg.norm(found[:, None] - corners[None], axis=2).min(axis=1)
    assert nearest.max() < 4, nearest
    elsewhere = [[0, 0], [120, 0], [120, 60], [0, 60]]
    monkeypatch.setattr(model, "finder", _Finder([elsewhere]))
    assert quad_iou(model.locate(image).quad, NoteQuad(np.float32(elsewhere))) > 0.95
