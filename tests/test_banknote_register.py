"""Finding notes by their printed detail: local features, homography, sanity checks."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

import desktop.core.banknote.register as register
from desktop.core.banknote.check import (
    COLOUR_FLOOR,
    COLOUR_LAYOUT,
    MAX_COLOUR_CAST,
    PARTIAL_AGREEMENT,
    agrees_in_full,
)
from desktop.core.banknote.detect import load_bgr, read_note
from desktop.core.banknote.keypoints import local_features, stretched
from desktop.core.banknote.regions import (
    REGION_GRID,
    REGION_WORDS,
    colour_difference,
    outline_regions,
    region_correlations,
    region_names,
)
from desktop.core.banknote.register import (
    QUICK_LOOKUP,
    WIDE_LOOKUP,
    ReferenceSide,
    SideIndex,
    reference_picture,
)
from training.banknote.capture import background
from training.banknote.data import all_specs, spec_key, synthetic_capture, synthetic_note

SEED = 92001
SPECS = {f"{s.currency}-{s.denomination}": s for s in all_specs()}
ENROLLED = [("ARC-20", "front"), ("ARC-20", "back"), ("BOR-5", "front"), ("CYR-500", "back")]


@pytest.fixture(scope="module")
def index() -> SideIndex:
    sides = [ReferenceSide.from_image(spec_key(SPECS[name], side), f"test:{name}-{side}",
                                      synthetic_note(SPECS[name], side, "", SEED, 0))
             for name, side in ENROLLED]
    return SideIndex(sides)


def _corner_error(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.linalg.norm(found - truth, axis=1).max())


@pytest.mark.parametrize(("name", "side", "index_no"), [("ARC-20", "front", 1),
                                                       ("BOR-5", "front", 2),
                                                       ("CYR-500", "back", 3)])
def test_a_photographed_note_is_named_and_registered(index: SideIndex, name: str, side: str,
                                                     index_no: int) -> None:
    image, corners = synthetic_capture(SPECS[name], side, "", SEED, index_no)
    attempts = index.search(image)
    reg = attempts[0].registration
    assert reg is not None, [a.problem for a in attempts]
    assert reg.key == spec_key(SPECS[name], side)
    # The outline comes from the reference's corners: the note's own corners, upright.
    assert _corner_error(reg.quad, corners) < 0.03 * max(image.shape[:2])
    assert reg.correlation > 0.6 and reg.inliers >= 30 and 0.9 <= reg.visible <= 1.0
    registered = reg.registered(image)
    assert registered.shape == reg.side.image.shape


def test_a_note_upside_down_is_registered_upright(index: SideIndex) -> None:
    image, corners = synthetic_capture(SPECS["ARC-20"], "back", "", SEED, 4)
    turned = cv2.rotate(image, cv2.ROTATE_180)
    h, w = image.shape[:2]
    turned_corners = np.float32([w - 1, h - 1]) - corners
    reg = index.search(turned)[0].registration
    assert reg is not None and reg.key == "ARC-20-back"
    assert _corner_error(reg.quad, turned_corners) < 0.03 * max(h, w)


def test_the_front_and_back_are_told_apart(index: SideIndex) -> None:
    for side in ("front", "back"):
        image, _ = synthetic_capture(SPECS["ARC-20"], side, "", SEED, 5)
        assert index.search(image)[0].registration.key == f"ARC-20-{side}"


def test_pictures_without_a_note_register_nothing(index: SideIndex) -> None:
    rng = np.random.default_rng(3)
    for kind in ("wood", "cloth"):
        table = background(rng, 480, 640, kind, np.array([70.0, 110, 150])).astype(np.uint8)
        assert all(a.registration is None for a in index.search(table))
    assert all(a.registration is None for a in index.search(np.zeros((480, 640, 3), np.uint8)))
    assert SideIndex([]).search(np.zeros((100, 100, 3), np.uint8)) == []


def test_the_wide_lookup_and_finer_keypoints_run_only_where_nothing_was_verified(
        index: SideIndex, monkeypatch) -> None:
    lookups: list[tuple[tuple[int, int], int]] = []  # (lookup, keypoints looked up)
    real = SideIndex.neighbours
    monkeypatch.setattr(SideIndex, "neighbours",
                        lambda self, q, lookup=QUICK_LOOKUP: lookups.append((lookup, len(q)))
                        or real(self, q, lookup))

    def search(image: np.ndarray) -> list:
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        attempts, _, used = index.search_picture(image, gray, local_features(gray))
        assert used is not None and len(used) == lookups[-1][1]  # what the attempts came from
        return attempts

    note, _ = synthetic_capture(SPECS["BOR-5"], "front", "", SEED, 6)
    assert search(note)[0].registration.key == "BOR-5-front"
    assert [lookup for lookup, _ in lookups] == [QUICK_LOOKUP]
    lookups.clear()
    table = background(np.random.default_rng(4), 480, 640, "wood",
                       np.array([70.0, 110, 150])).astype(np.uint8)
    assert all(a.registration is None for a in search(table))
    assert [lookup for lookup, _ in lookups] == [QUICK_LOOKUP, WIDE_LOOKUP, WIDE_LOOKUP]
    (_, default), _, (_, fine) = lookups
    assert fine > default  # the last search on the finer keypoints (FINE_CONTRAST)


def test_a_lookup_split_over_threads_finds_the_same_neighbours(index: SideIndex,
                                                               monkeypatch) -> None:
    image, _ = synthetic_capture(SPECS["ARC-20"], "front", "", SEED, 7)
    query = local_features(image)
    monkeypatch.setattr(register, "LOOKUP_PART", 64)
    assert len(query) >= 3 * register.LOOKUP_PART  # enough keypoints for three parts
    monkeypatch.setattr(register, "LOOKUP_THREADS", 3)
    parts: list[int] = []
    pool = register._pool()

    class Spy:
        def map(self, fn, chunks):  # noqa: ANN001, ANN202
            chunks = list(chunks)
            parts.append(len(chunks))
            return pool.map(fn, chunks)

    monkeypatch.setattr(register, "_pool", Spy)
    split = index.neighbours(query, WIDE_LOOKUP)
    assert parts == [3]
    monkeypatch.setattr(register, "LOOKUP_THREADS", 1)
    whole = index.neighbours(query, WIDE_LOOKUP)
    assert split.index.shape == (len(query), WIDE_LOOKUP[0])
    np.testing.assert_array_equal(split.index, whole.index)
    np.testing.assert_array_equal(split.distance, whole.distance)


def test_a_washed_out_picture_is_read_on_its_stretched_contrast(index: SideIndex,
                                                               monkeypatch) -> None:
    image, _ = synthetic_capture(SPECS["BOR-5"], "front", "", SEED, 6)
    # A scan in glare: the print left in about a dozen grey levels near white.
    washed = np.clip(240 + (image.astype(np.float32) - 128) * 0.06, 0, 255).astype(np.uint8)
    gray = cv2.cvtColor(washed, cv2.COLOR_BGR2GRAY)
    assert int(np.ptp(gray)) <= 16
    assert np.percentile(stretched(gray), (1, 99)).tolist() == [0.0, 255.0]
    flat = np.full((50, 80), 200, np.uint8)
    assert stretched(flat) is flat
    attempts, _, _ = index.search_picture(washed, gray, local_features(gray))
    assert attempts[0].registration is not None
    assert attempts[0].registration.key == "BOR-5-front"
    monkeypatch.setattr(register, "stretched", lambda g: g)  # the same search without it
    attempts, _, _ = index.search_picture(washed, gray, local_features(gray))
    assert all(a.registration is None for a in attempts)


def test_several_notes_in_one_picture_are_each_found_and_named(index: SideIndex) -> None:
    rng = np.random.default_rng(4)
    table = background(rng, 600, 900, "wood", np.array([60.0, 90, 120])).astype(np.uint8)
    placed = {"ARC-20-front": (30, 40), "BOR-5-front": (470, 330)}
    for key, (x, y) in placed.items():
        name, side = key.rsplit("-", 1)
        note = cv2.resize(synthetic_note(SPECS[name], side, "", SEED, 6), (400, 190))
        table[y: y + 190, x: x + 400] = note
    found = index.find_notes(table)
    assert sorted(r.key for r in found) == sorted(placed)
    for reg in found:
        x, y = placed[reg.key]
        truth = np.float32([[x, y], [x + 400, y], [x + 400, y + 190], [x, y + 190]])
        assert _corner_error(reg.quad, truth) < 12


def test_reference_pictures_are_landscape_and_a_fixed_width() -> None:
    tall = np.zeros((640, 300, 3), np.uint8)
    assert reference_picture(tall).shape == (300, 640, 3)


def test_a_scan_cropped_to_the_note_is_read_whole_only_when_asked(tmp_path) -> None:
    note = synthetic_note(SPECS["ARC-20"], "back", "", SEED, 7)
    h, w = note.shape[:2]
    note = note[h // 20: h - h // 20, w // 20: w - w // 20]  # cropped inside the note's edge
    path = tmp_path / "scan.png"
    cv2.imwrite(str(path), note)
    with pytest.raises(Exception, match="no banknote found"):
        read_note(load_bgr(path), path)
    reading = read_note(load_bgr(path), path, height=300, cropped_ok=True)
    assert reading.upright.shape[0] == 300
    # A square picture is not shaped like a note: still refused.
    square = tmp_path / "square.png"
    cv2.imwrite(str(square), cv2.resize(note, (400, 400)))
    with pytest.raises(Exception, match="no banknote found"):
        read_note(load_bgr(square), square, cropped_ok=True)


def test_the_same_picture_gives_the_same_result_whatever_ran_before(index: SideIndex) -> None:
    image, _ = synthetic_capture(SPECS["CYR-500"], "back", "", SEED, 11)
    sides = index.sides

    def fresh() -> tuple:
        reg = SideIndex(sides).search(image)[0].registration
        return reg.key, reg.inliers, reg.homography.round(6).tobytes()

    first = fresh()
    cv2.setRNGSeed(12345)  # other work moves OpenCV's random generator
    cv2.randu(np.zeros((100, 100), np.float32), 0, 1)
    assert fresh() == first


def test_a_colour_cast_is_told_from_colours_laid_out_otherwise(index: SideIndex) -> None:
    image, _ = synthetic_capture(SPECS["ARC-20"], "front", "", SEED, 6)
    reg = index.search(image)[0].registration
    assert reg is not None and reg.key == "ARC-20-front"
    layout, cast = colour_difference(image, reg)
    assert layout < COLOUR_LAYOUT
    # Warmer light: every region shifts alike, so the cast grows and the layout stays.
    warm = np.clip(image.astype(np.int16) + np.array([-25, 0, 25], np.int16), 0, 255
                   ).astype(np.uint8)
    warm_layout, warm_cast = colour_difference(warm, reg)
    assert warm_cast > cast + 10 and warm_layout < COLOUR_LAYOUT
    # The part left of its centre recoloured (another denomination's colour there): the layout
    # differs though the grey levels, and so the keypoints, barely change.
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)
    x_mid = int(reg.quad[:, 0].mean())  # the picture left of the note's centre
    hsv[:, :x_mid, 0] = (hsv[:, :x_mid, 0].astype(np.int16) + 60) % 180
    recoloured = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
    assert colour_difference(recoloured, reg)[0] > 2 * COLOUR_LAYOUT
    # A reference without colour tells nothing about colour.
    grey = cv2.cvtColor(cv2.cvtColor(reg.side.image, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    side = ReferenceSide.from_image(reg.key, "test:grey", grey)
    assert colour_difference(image, replace(reg, side=side)) is None


def test_regions_are_named_and_outlined_where_they_are(index: SideIndex) -> None:
    image, corners = synthetic_capture(SPECS["BOR-5"], "front", "", SEED, 6)
    reg = index.search(image)[0].registration
    assert reg is not None
    whole = region_correlations(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), reg)
    assert whole.shape == (8,) and np.isfinite(whole).all()
    # Half of the note cut off the picture (the same registration holds for the part left):
    # the regions out of it are NaN, neither agreeing nor differing; the rule reads the rest.
    cut = image[:, : int(corners[:, 0].min() + 0.5 * np.ptp(corners[:, 0]))]
    part = region_correlations(cv2.cvtColor(cut, cv2.COLOR_BGR2GRAY), reg)
    assert np.isnan(part).sum() >= 2 and (part[np.isfinite(part)] == whole[np.isfinite(part)]
                                          ).sum() >= 2
    assert agrees_in_full(part, lambda: None) == agrees_in_full(part[np.isfinite(part)],
                                                                lambda: None)
    # Named as a clerk reads the upright note, row by row; one listing a window translates.
    assert len(REGION_WORDS) == REGION_GRID[0] * REGION_GRID[1] == len(whole)
    names = region_names([0, 6])
    assert names == "top left, bottom centre-right" and names.template == "{first}, {rest}"
    assert region_names([]) == ""
    # Outlined: only pixels of those regions change.
    note = np.full((100, 200, 3), 255, np.uint8)
    marked = outline_regions(note, [0, 6])
    changed = (marked != note).any(axis=2)
    assert changed[:50, :50].any() and changed[50:, 100:150].any()
    changed[:50, :50] = changed[50:, 100:150] = False
    assert not changed.any() and (note == 255).all()  # the note itself is left as it was


def test_colours_vouch_only_for_a_registration_that_mostly_agrees() -> None:
    def unmeasured() -> tuple[float, float]:
        raise AssertionError("the colours are measured only where they decide")

    regions = np.array([0.9, 0.8, 0.7, 0.6])
    assert agrees_in_full(regions, unmeasured)
    low = np.full(4, COLOUR_FLOOR - 0.05)
    assert not agrees_in_full(low, unmeasured)
    between = np.full(4, (COLOUR_FLOOR + PARTIAL_AGREEMENT) / 2)
    assert agrees_in_full(between, lambda: (COLOUR_LAYOUT - 1, 5.0))
    assert not agrees_in_full(between, lambda: (COLOUR_LAYOUT + 1, 5.0))
    assert not agrees_in_full(between, lambda: (1.0, MAX_COLOUR_CAST + 1))
    assert not agrees_in_full(between, lambda: None)
    assert not agrees_in_full(np.zeros(0), unmeasured)
