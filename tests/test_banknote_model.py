"""The shipped banknote model through the app's check: denominations, counterfeits, sides."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from desktop.core.banknote.check import (
    ENROLLED_CAVEAT,
    MATCHES_IN_PART,
    UNKNOWN_NOTE,
    confidence_inputs,
    local_confidence,
)
from desktop.core.banknote.model import BanknoteModel, compare_sides
from desktop.core.banknote.regions import REGION_WORDS
from desktop.core.errors import InputImageError
from desktop.core.paths import default_banknote_model_dir
from training.banknote.data import all_specs, spec_key, synthetic_capture

SEED = 91001  # captures no training, calibration or evaluation run used
CASES = [("ARC", 20, "front"), ("BOR", 100, "back"), ("CYR", 10, "front"), ("CYR", 500, "back"),
         ("ARC", 5, "back"), ("BOR", 1, "front"), ("CYR", 2, "back"), ("ARC", 100, "front")]


@pytest.fixture(scope="module")
def model() -> BanknoteModel:
    return BanknoteModel(default_banknote_model_dir(), "cpu")


def _spec(currency: str, value: int):
    return next(s for s in all_specs() if s.currency == currency and s.denomination == value)


def test_notes_without_their_thread_are_flagged_and_their_genuine_twins_are_not(
        model: BanknoteModel) -> None:
    # Each fake differs from its twin (same serial, same photograph) only by the thread.
    # The evaluation measured 92% of such fakes flagged at 1.5% false alarms, so one miss in
    # these eight is within what the model does; more would be a regression.
    flagged = 0
    for currency, value, side in CASES:
        spec = _spec(currency, value)
        genuine = model.check(synthetic_capture(spec, side, "", SEED, 0)[0], "genuine.png")
        fake = model.check(synthetic_capture(spec, side, "missing_thread", SEED, 0)[0])
        assert genuine.denomination.key == spec_key(spec, side)
        assert genuine.verdict == "genuine", genuine.reasons
        assert fake.distance > genuine.distance
        flagged += fake.verdict == "suspect"
    assert flagged >= len(CASES) - 1


def test_the_confidences_rank_the_classes(model: BanknoteModel) -> None:
    spec = _spec("BOR", 10)
    result = model.check(synthetic_capture(spec, "back", "", SEED, 1)[0])
    assert [c.note.key for c in result.top][0] == "BOR-10-back"
    conf = [c.confidence for c in result.top]
    assert conf == sorted(conf, reverse=True) and conf[0] > 0.5 and sum(conf) <= 1.0 + 1e-6
    assert result.nearest[0].key == "BOR-10-back" and result.nearest[0].image.ndim == 3


def test_sides_of_two_different_notes_are_caught(model: BanknoteModel) -> None:
    front = model.check(synthetic_capture(_spec("CYR", 20), "front", "", SEED, 2)[0])
    own_back = model.check(synthetic_capture(_spec("CYR", 20), "back", "", SEED, 2)[0])
    other_back = model.check(synthetic_capture(_spec("CYR", 50), "back", "", SEED, 2)[0])
    assert compare_sides(front, own_back) == []
    assert any("different notes" in p for p in compare_sides(front, other_back))
    assert any("both pictures" in p for p in compare_sides(front, front))


def test_pictures_without_one_note_are_refused_with_the_file_named(model: BanknoteModel) -> None:
    with pytest.raises(InputImageError, match="black.png"):
        model.check(np.zeros((480, 640, 3), np.uint8), "black.png")
    pic = synthetic_capture(_spec("ARC", 10), "front", "", SEED, 3)[0]
    two = np.hstack([pic, pic])
    with pytest.raises(InputImageError, match="two.png"):
        model.check(two, "two.png")


def test_part_of_a_note_is_named_but_not_passed_as_genuine(model: BanknoteModel) -> None:
    spec = _spec("ARC", 20)
    image, corners = synthetic_capture(spec, "front", "", SEED, 0)
    whole = model.check(image)
    assert whole.verdict == "genuine", whole.reasons
    # Cut the picture through the middle of the note: the left half stays in view.
    half = image[:, : int(round(corners[:, 0].mean()))].copy()
    part = model.check(half)
    assert part.registration is not None and part.denomination.key == "ARC-20-front"
    assert part.verdict == "suspect"
    assert any("of the note is in the picture: show the whole note" in r for r in part.reasons)


def test_a_note_not_enrolled_that_registers_on_a_shared_design_is_not_passed(
        model: BanknoteModel) -> None:
    # ARC 50 has no reference side; its front shares the generator's design elements with
    # other fronts and registers on them, but agrees with that reference only in part.
    check = model.check(synthetic_capture(_spec("ARC", 50), "front", "", SEED, 4)[0])
    assert check.registration is not None and check.denomination.key != "ARC-50-front"
    assert check.verdict == "suspect"
    assert any("only in part" in r and "not enrolled" in r for r in check.reasons)
    # Each reason also carries its code and values, from which a window words it.
    part = next(r for r in check.reasons if "only in part" in r)
    assert part.template == MATCHES_IN_PART and part.values["agree"] in part
    assert check.top[0].confidence <= 0.5  # not "97% sure" of a name read off shared parts
    # The regions that differ are named in the reason and outlined on the note shown.
    differing = check.differing_regions
    agree, total = int(part.values["agree"]), int(part.values["total"])
    assert differing and len(differing) == total - agree
    assert part.values["regions"] == ", ".join(REGION_WORDS[i] for i in differing)
    marked = check.marked_note()
    assert marked.shape == check.note_image.shape and not np.array_equal(marked,
                                                                         check.note_image)


def test_a_registered_note_with_no_region_to_compare_is_never_passed(
        model: BanknoteModel, monkeypatch: pytest.MonkeyPatch) -> None:
    import desktop.core.banknote.check as check_module

    image, _ = synthetic_capture(_spec("ARC", 20), "front", "", SEED, 0)
    assert model.check(image).verdict == "genuine"
    # Every region mostly outside the picture (NaN): nothing agrees, nothing can be named.
    monkeypatch.setattr(check_module, "region_correlations", lambda _g, _r: np.full(8, np.nan))
    check = model.check(image)
    assert check.verdict == "suspect" and check.differing_regions == []
    part = next(r for r in check.reasons if r.template == MATCHES_IN_PART)
    assert "0 of 0 regions agree; it differs at the regions outside the picture" in part


def test_a_note_the_second_opinion_reads_otherwise_is_shown_at_most_even(
        model: BanknoteModel, monkeypatch: pytest.MonkeyPatch) -> None:
    image, _ = synthetic_capture(_spec("ARC", 20), "front", "", SEED, 0)
    sure = model.check(image)
    assert sure.svm_class.key == "ARC-20-front" and sure.top[0].confidence > 0.9
    other = next(c for c in model.manifest.classes if c.key != "ARC-20-front")
    monkeypatch.setattr(model, "svm_class", lambda _q: other)
    check = model.check(image)
    assert check.denomination.key == "ARC-20-front" and check.verdict == "suspect"
    assert any(f"the SVM reads it as {other.label}" in r for r in check.reasons)
    assert check.top[0].confidence <= 0.5  # not "99% sure" when the readings disagree
    assert check.top[1].confidence > sure.top[1].confidence  # the rest goes to the others
    # A note no side is verified in (mirrored): the embedder's nearest class is a guess,
    # shown at most even even when the SVM agrees (it was 100% before).
    mirrored = cv2.flip(synthetic_capture(_spec("BOR", 10), "front", "", SEED, 5)[0], 1)
    monkeypatch.undo()
    unknown = model.check(mirrored)
    assert unknown.registration is None and unknown.top[0].note.key == "BOR-10-front"
    assert unknown.svm_class.key == "BOR-10-front" and unknown.top[0].confidence == 0.5
    assert unknown.verdict == "suspect" and unknown.reasons[0] == UNKNOWN_NOTE


def test_an_unverified_note_is_read_but_paper_the_finder_sees_no_note_in_is_refused(
        model: BanknoteModel, monkeypatch: pytest.MonkeyPatch) -> None:
    # A mirrored note: no side's keypoints match, the outline and the finder still see it.
    image = cv2.flip(synthetic_capture(_spec("BOR", 10), "front", "", SEED, 5)[0], 1)
    unknown = model.check(image, "mirrored.png")
    assert unknown.registration is None and unknown.verdict == "suspect"
    assert "no enrolled side's printed detail" in unknown.reasons[0]
    # The same picture, had the finder seen no note in it, holds no banknote at all.
    monkeypatch.setattr(model, "found_notes", lambda _image: [])
    # The message also says what to do with a part of a note (no finder learned those).
    with pytest.raises(InputImageError, match=r"paper.png.*the note finder sees no note.*"
                                              r"only part of a note.*show the whole note"):
        model.check(image, "paper.png")


def test_an_enrolled_side_is_found_once_and_a_changed_row_is_a_new_side(
        model: BanknoteModel) -> None:
    from desktop.core.banknote.model import EnrolledNote
    from desktop.core.banknote.register import reference_picture

    def enrolled(image: np.ndarray) -> EnrolledNote:
        png = cv2.imencode(".png", image)[1].tobytes()  # a new bytes object each time
        size = model.manifest.embedding_size
        return EnrolledNote(7001, "XXX-5-front", "", np.zeros(size, np.float32), png)

    spec = _spec("ARC", 50)
    first = synthetic_capture(spec, "front", "", SEED, 3)[0]
    side = model.side_index([enrolled(first)]).sides[-1]
    # The same stored image read again from the store: the same side, not found again.
    assert model.side_index([enrolled(first)]).sides[-1] is side
    assert side.source.startswith("enrolled:7001:")
    # The row's image changed (same id): a new side, under another digest.
    second = synthetic_capture(spec, "front", "", SEED, 4)[0]
    changed = model.side_index([enrolled(second)]).sides[-1]
    assert changed is not side and changed.source.startswith("enrolled:7001:")
    assert changed.source != side.source
    assert np.array_equal(changed.image, reference_picture(second))
    # The nearest references show the enrolled note as its side holds it.
    near = model.nearest_references(np.zeros(model.manifest.embedding_size, np.float32),
                                    [enrolled(second)], count=100)
    assert any(n.enrolled_id == 7001 and n.image is changed.image for n in near)


def test_the_confidence_reads_the_margin_over_the_best_rival_denomination() -> None:
    from types import SimpleNamespace as NS

    reg = NS(key="A-10-front", inliers=59, visible=0.5)
    side = lambda key: NS(key=key)  # noqa: E731
    attempts = [NS(side=side("A-10-front"), registration=reg),
                NS(side=side("A-10-front"), registration=NS(inliers=50)),  # its own: no rival
                NS(side=side("A-20-front"), registration=NS(inliers=19)),
                NS(side=side("A-50-front"), registration=None)]
    log_ratio, visible = confidence_inputs(reg, attempts)
    assert log_ratio == pytest.approx(np.log(60 / 20)) and visible == 0.5
    close = [*attempts[:2], NS(side=side("A-20-front"), registration=NS(inliers=55))]
    assert local_confidence(reg, close) < local_confidence(reg, attempts) <= 0.995


def test_a_second_note_no_side_matches_makes_the_picture_two_notes(model: BanknoteModel
                                                                   ) -> None:
    # A genuine note beside a soft copy of another: the copy's print matches no side, but
    # the finder sees a note there, so the picture is not checked as the genuine one alone.
    genuine = synthetic_capture(_spec("ARC", 20), "front", "", SEED, 0)[0]
    copy = cv2.GaussianBlur(synthetic_capture(_spec("BOR", 10), "front", "", SEED, 2)[0],
                            (0, 0), 6)
    assert model.check(copy).registration is None  # nothing verified in the copy alone
    assert model.check(genuine).verdict == "genuine"
    with pytest.raises(InputImageError, match=r"two.png: two or more banknotes.*ARC 20.*"
                                              r"a note that no enrolled side matches"):
        model.check(np.hstack([genuine, copy]), "two.png")


def test_any_channel_layout_is_read_and_too_small_pictures_are_refused(
        model: BanknoteModel) -> None:
    image = synthetic_capture(_spec("ARC", 20), "front", "", SEED, 0)[0]
    for other in (cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)):
        check = model.check(other)
        assert check.registration is not None and check.denomination.key == "ARC-20-front"
    # Too thin to hold a note: refused as such, not read through the finder's box.
    strip = cv2.resize(image, (5000, 40))
    with pytest.raises(InputImageError, match="strip.png: the picture is too small"):
        model.check(strip, "strip.png")
    with pytest.raises(InputImageError, match="too small"):
        model.locate(strip, "strip.png")


def test_the_embedder_is_a_second_opinion_only_on_denominations_it_learned(
        model: BanknoteModel, monkeypatch: pytest.MonkeyPatch) -> None:
    # The embedder names another class within its threshold. On a shipped denomination that
    # is a second reading that disagrees: a reason, and at most even. On one enrolled at the
    # branch it learned nothing: neither (on real euro photos it held back 9 of 66 notes).
    import desktop.core.banknote.check as check_module
    from desktop.core.banknote.model import EnrolledNote

    spec = _spec("CYR", 200)
    assert model.manifest.class_for("CYR-200-front") is None
    up = model.reference_note(synthetic_capture(spec, "front", "", 31, 0)[0])
    note = EnrolledNote(1, "CYR-200-front", "", model.embed_notes([up])[0],
                        cv2.imencode(".png", up)[1].tobytes())
    enrolled = synthetic_capture(spec, "front", "", SEED, 1)[0]
    shipped = synthetic_capture(_spec("ARC", 20), "front", "", SEED, 0)[0]
    before = {"enrolled": model.check(enrolled, "x.png", [note]),
              "shipped": model.check(shipped, "x.png", [note])}
    assert all(c.verdict == "genuine" for c in before.values())
    real_rank = model.rank

    def rival_first(q, centroids):  # the embedder's nearest: another class, within threshold
        ranked = real_rank(q, centroids)
        first = next(r for r in ranked if r.note.key == "BOR-10-front")
        return [replace(first, distance=0.0), *(r for r in ranked if r is not first)]

    monkeypatch.setattr(model, "rank", rival_first)
    monkeypatch.setattr(check_module, "within", lambda _m, _s: True)
    check = model.check(shipped, "x.png", [note])
    assert check.denomination.key == "ARC-20-front" and check.verdict == "suspect"
    assert check.top[0].confidence <= 0.5
    assert any("embedder reads it as BOR 10, front" in r for r in check.reasons)
    check = model.check(enrolled, "x.png", [note])
    assert check.denomination.key == "CYR-200-front" and check.verdict == "genuine"
    assert check.top[0].confidence == before["enrolled"].top[0].confidence
    assert check.reasons == [] and check.caveats == [ENROLLED_CAVEAT]
