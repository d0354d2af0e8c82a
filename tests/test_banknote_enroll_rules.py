"""The rules of reference-note enrollment across enrollments, through the branch service on the
shipped model: a picture already enrolled is not stored again, a side holds at most 5 active
references (stored and new together), a currency folder can be enrolled again safely, and a
denomination is written one way (50 and 50.00 are one note)."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop.core.banknote.manifest import class_key
from desktop.core.branch.note_references import note_key, stored_key
from desktop.core.errors import ServiceError
from desktop.core.store.audit import AuditFilter
from desktop.core.store.records import NewBanknoteReference
from tests.conftest import PASSWORDS
from tests.helpers import notes_command_on
from training.banknote.data import all_specs, synthetic_capture

SPECS = {f"{s.currency}-{s.denomination}": s for s in all_specs()}


def _picture(path: Path, name: str = "CYR-200", side: str = "front", index: int = 0,
             seed: int = 41) -> Path:
    """A synthetic photo of one side of ``name`` saved at ``path`` (folders made)."""
    image, _ = synthetic_capture(SPECS[name], side, "", seed, index)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), image)
    return path


def _prepared(service, operator, paths: list[Path]) -> list:
    cands = service.notes.prepare_banknote_references(operator, paths)
    assert all(c.usable for c in cands), [c.problem for c in cands]
    return cands


def _stored(service) -> list[tuple[int, str, str]]:
    return [(r.id, r.key, r.source_name) for r in service.store.banknote_references()]


# ---- the same pictures again ----------------------------------------------------------------
def test_a_picture_already_enrolled_is_refused_and_nothing_is_written(bank, tmp_path) -> None:
    service, s = bank
    op = s["operator"]
    first = _picture(tmp_path / "a.png", index=0)
    (ref,) = service.notes.enroll_banknotes(op, "CYR", "200", "front", "", _prepared(
        service, op, [first]))
    before = (_stored(service), len(service.store.audit_entries()))
    again = _prepared(service, op, [first, _picture(tmp_path / "b.png", index=1)])
    with pytest.raises(ServiceError, match=rf"a\.png: already enrolled: a near-duplicate of "
                                           rf"reference {ref.id} \(a\.png\) of CYR-200-front"):
        service.notes.enroll_banknotes(op, "CYR", "200", "front", "", again)
    assert (_stored(service), len(service.store.audit_entries())) == before
    # The new picture alone is enrolled beside the first.
    service.notes.enroll_banknotes(op, "CYR", "200", "front", "", again[1:])
    assert [k for _, k, _ in _stored(service)] == ["CYR-200-front"] * 2
    # A revoked reference is no longer enrolled: the same picture may be enrolled again.
    service.notes.revoke_banknote(op, ref.id, "enrolled by mistake")
    service.notes.enroll_banknotes(op, "CYR", "200", "front", "", again[:1])
    assert len(service.store.banknote_references()) == 2


def test_a_reference_of_an_older_model_is_compared_by_its_image(bank, tmp_path) -> None:
    service, s = bank
    op = s["operator"]
    path = _picture(tmp_path / "a.png")
    (ref,) = service.notes.enroll_banknotes(op, "CYR", "200", "front", "",
                                            _prepared(service, op, [path]))
    junk = np.random.default_rng(0).normal(size=ref.embedding.shape).astype(np.float32)
    service.store.update_banknote_embeddings([(ref.id, junk / np.linalg.norm(junk),
                                               "banknote-old")])
    with pytest.raises(ServiceError, match="already enrolled"):
        service.notes.enroll_banknotes(op, "CYR", "200", "front", "",
                                       _prepared(service, op, [path]))
    assert len(service.store.banknote_references()) == 1


def test_a_side_holds_at_most_five_references_stored_and_new(bank, tmp_path) -> None:
    service, s = bank
    op = s["operator"]
    cands = _prepared(service, op, [_picture(tmp_path / f"{i}.png", index=i) for i in range(7)])
    service.notes.enroll_banknotes(op, "CYR", "200", "front", "", cands[:3])
    before = (_stored(service), len(service.store.audit_entries()))
    with pytest.raises(ServiceError, match="CYR-200-front already has 3 references; at most 5 a "
                                           "side: revoke one before adding 3"):
        service.notes.enroll_banknotes(op, "CYR", "200", "front", "", cands[3:6])
    assert (_stored(service), len(service.store.audit_entries())) == before
    service.notes.enroll_banknotes(op, "CYR", "200", "front", "", cands[3:5])
    with pytest.raises(ServiceError, match="already has 5 references"):
        service.notes.enroll_banknotes(op, "CYR", "200", "front", "", cands[5:6])
    service.notes.enroll_banknotes(op, "CYR", "200", "back", "", cands[5:6])  # another side
    first = service.store.banknote_references()[0]
    service.notes.revoke_banknote(op, first.id, "worn")  # a revoked one leaves room
    service.notes.enroll_banknotes(op, "CYR", "200", "front", "", cands[6:7])
    keys = [r.key for r in service.store.banknote_references()]
    assert keys.count("CYR-200-front") == 5 and keys.count("CYR-200-back") == 1


# ---- a currency folder again -----------------------------------------------------------------
def _currency(root: Path) -> Path:
    """Two good sides (2 pictures and 1) and a side whose only picture is black."""
    for i in range(2):
        _picture(root / "CYR" / "200" / "front" / f"{i}.jpg", index=i)
    _picture(root / "CYR" / "200" / "back" / "0.jpg", side="back")
    (root / "ARC" / "50" / "front").mkdir(parents=True)
    cv2.imwrite(str(root / "ARC" / "50" / "front" / "dark.png"), np.zeros((300, 400, 3), np.uint8))
    return root


def test_a_folder_enrolled_again_stores_nothing_twice(bank, tmp_path) -> None:
    service, s = bank
    root = _currency(tmp_path / "notes")
    service.notes.enroll_banknote_folder(s["operator"], root)
    stored = _stored(service)
    enrolls = len(service.store.audit_entries(AuditFilter(action="banknote_enroll")))
    for _ in range(5):
        sides = {side.name: side for side in service.notes.enroll_banknote_folder(
            s["operator"], root)}
        front, back = sides["CYR/200/front"], sides["CYR/200/back"]
        assert (front.references, front.already, front.problem) == ([], ["0.jpg", "1.jpg"], None)
        assert (back.references, back.already, back.problem) == ([], ["0.jpg"], None)
        assert front.summary() == "CYR/200/front: already enrolled (0.jpg, 1.jpg); nothing new"
        assert "black" in sides["ARC/50/front"].problem
    assert _stored(service) == stored
    assert len(service.store.audit_entries(AuditFilter(action="banknote_enroll"))) == enrolls
    # A new picture beside those already enrolled is enrolled, the others are named.
    _picture(root / "CYR" / "200" / "front" / "2.jpg", index=2)
    front = next(side for side in service.notes.enroll_banknote_folder(s["operator"], root)
                 if side.name == "CYR/200/front")
    assert (len(front.references), front.already) == (1, ["0.jpg", "1.jpg"])
    assert front.summary() == ("CYR/200/front: enrolled from 1 picture; already enrolled: "
                               "0.jpg, 1.jpg")


def test_the_notes_command_can_be_run_again_after_a_bad_side_is_fixed(
        bank, tmp_path: Path, monkeypatch, capsys) -> None:
    service, _ = bank
    root = _currency(tmp_path / "notes")
    notes_cli = notes_command_on(service.store, monkeypatch, PASSWORDS["olga"])
    argv = ["enroll", str(root), "--user", "olga", "--provider", "cpu"]
    assert notes_cli.main(argv) == 1  # the black picture
    capsys.readouterr()
    (root / "ARC" / "50" / "front" / "dark.png").unlink()
    _picture(root / "ARC" / "50" / "front" / "good.png", "ARC-50")
    code = notes_cli.main(argv)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "ARC/50/front: enrolled from 1 picture\n" in out
    assert "CYR/200/front: already enrolled (0.jpg, 1.jpg); nothing new\n" in out
    assert "CYR/200/back: already enrolled (0.jpg); nothing new\n" in out
    assert notes_cli.main(argv) == 0  # and again: nothing new, nothing wrong
    assert sorted(k for _, k, _ in _stored(service)) == [
        "ARC-50-front", "CYR-200-back", "CYR-200-front", "CYR-200-front"]


# ---- one note, one key ----------------------------------------------------------------------
@pytest.mark.parametrize(("typed", "key"), [
    ("50", "EUR-50-front"), ("50.00", "EUR-50-front"), (" 050 ", "EUR-50-front"),
    ("0.50", "EUR-0.5-front"), (".5", "EUR-0.5-front"), ("1E2", "EUR-100-front"),
    ("2.5e-1", "EUR-0.25-front"), ("100.0000", "EUR-100-front"),
    ("123456789.1234", "EUR-123456789.1234-front"),
])
def test_a_denomination_is_written_one_way(typed: str, key: str) -> None:
    assert note_key("eur", typed, "Front") == key
    if "-" not in typed:  # a stored key's three parts are separated by "-"
        assert stored_key(f"EUR-{typed.strip()}-front") == key


@pytest.mark.parametrize(("typed", "message"), [
    ("0", "more than 0"), ("0.00", "more than 0"), ("-5", "more than 0"),
    ("", "a number like 20"), ("fifty", "a number like 20"), ("€200", "a number like 20"),
    ("1_000", "a number like 20"), ("NaN", "a number like 20"), ("Infinity", "a number like 20"),
    ("5,50", "a number like 20"), ("1." + "0" * 28 + "1", "out of range"),
    ("1E9", "'1E9' is out of range: at most 9 digits before the point and 4 after"),
    ("1234567890", "out of range"), ("0.12345", "out of range"), ("1E999999999", "out of range"),
    ("1E-999999999", "out of range"),
])
def test_a_denomination_that_is_not_a_positive_number_is_refused(typed: str,
                                                                  message: str) -> None:
    with pytest.raises(ServiceError, match=re.escape(message)):
        note_key("EUR", typed, "front")
    assert stored_key(f"EUR-{typed}-front") == f"EUR-{typed}-front"  # kept as it is


def test_the_shipped_and_training_keys_are_written_the_one_way(shipped_notes_model
                                                                  ) -> None:
    manifest = shipped_notes_model.manifest
    assert manifest.classes
    for c in manifest.classes:
        assert note_key(c.currency, c.denomination, c.side) == c.key == stored_key(c.key)
    for key in manifest.reference_keys:
        assert stored_key(key) == key
    for spec in all_specs():
        for side in ("front", "back"):
            assert note_key(spec.currency, str(spec.denomination), side) == class_key(
                spec.currency, str(spec.denomination), side)


def test_50_and_50_00_are_the_two_sides_of_one_note(bank, tmp_path) -> None:
    service, s = bank
    op, clerk = s["operator"], s["clerk"]
    front, back = (_prepared(service, op, [_picture(tmp_path / f"{side}.png", side=side)])
                   for side in ("front", "back"))
    service.notes.enroll_banknotes(op, "CYR", "200", "front", "", front)
    service.notes.enroll_banknotes(op, "cyr", "200.00", "back", "", back)
    assert sorted(k for _, k, _ in _stored(service)) == ["CYR-200-back", "CYR-200-front"]
    checks = [service.notes.check_banknote(clerk, _picture(tmp_path / f"{side}-7.png",
                                                           side=side, index=7))
              for side in ("front", "back")]
    assert [c.check.denomination.key for c in checks] == ["CYR-200-front", "CYR-200-back"]
    sides = service.notes.compare_note_sides(clerk, *checks)
    assert not any("different notes" in p for p in sides.problems), sides.problems


def test_a_key_stored_as_200_00_is_read_as_200(bank, tmp_path) -> None:
    """References enrolled before the denomination was written one way keep their stored key
    but are read under the key they are enrolled as now."""
    service, s = bank
    op, clerk = s["operator"], s["clerk"]
    (cand,) = _prepared(service, op, [_picture(tmp_path / "back.png", side="back")])
    model = service.notes.loaded
    (old,) = service.store.add_banknote_references(
        [NewBanknoteReference("CYR-200.00-back", "", cand.png(), cand.embedding,
                              model.model_id, cand.name)], "olga")
    keys = [c.key for c in service.notes.banknote_classes(clerk)]
    assert "CYR-200-back" in keys and "CYR-200.00-back" not in keys
    check = service.notes.check_banknote(clerk, _picture(tmp_path / "b7.png", side="back",
                                                         index=7)).check
    assert check.denomination.key == "CYR-200-back"
    with pytest.raises(ServiceError, match=f"already enrolled: a near-duplicate of reference "
                                           f"{old.id}"):
        service.notes.enroll_banknotes(op, "CYR", "200", "back", "", [cand])


# ---- what a currency folder's walk reads and says ----------------------------------------------
def test_mac_litter_is_skipped_without_a_word(bank, tmp_path) -> None:
    service, s = bank
    root = tmp_path / "unzipped"
    _picture(root / "CYR" / "200" / "front" / "0.jpg")
    junk = b"\x00\x05\x16\x07AppleDouble junk"
    (root / "CYR" / "200" / "front" / "._0.jpg").write_bytes(junk)
    (root / "CYR" / "200" / "front" / ".DS_Store").write_bytes(junk)
    (root / "CYR" / "._200").write_bytes(junk)
    (root / "__MACOSX" / "CYR" / "200" / "front").mkdir(parents=True)
    (root / "__MACOSX" / "CYR" / "200" / "front" / "._0.jpg").write_bytes(junk)
    (root / ".hidden" / "20" / "front").mkdir(parents=True)
    (side,) = service.notes.enroll_banknote_folder(s["operator"], root)
    assert (side.name, len(side.references), side.left_out, side.problem) == (
        "CYR/200/front", 1, [], None)
    assert side.summary() == "CYR/200/front: enrolled from 1 picture"


def test_pictures_outside_a_sides_folder_are_named_with_where_they_belong(bank,
                                                                         tmp_path) -> None:
    service, s = bank
    root = tmp_path / "notes"
    _picture(root / "CYR" / "200" / "b.png")
    _picture(root / "CYR" / "200" / "a.png", index=1)
    (root / "CYR" / "200" / "readme.txt").write_text("scanned 2024")  # not a picture: quiet
    only = service.notes.enroll_banknote_folder(s["operator"], root)  # no side folder at all
    assert [(side.name, side.references) for side in only] == [("CYR/200", [])]
    assert only[0].summary() == (
        "CYR/200: NOT enrolled: a.png, b.png: not in a side's folder; put the pictures of each "
        "side in CYR/200/front/ or CYR/200/back/")
    _picture(root / "CYR" / "200" / "front" / "0.jpg")
    sides = {side.name: side for side in service.notes.enroll_banknote_folder(s["operator"],
                                                                               root)}
    assert list(sides) == ["CYR/200", "CYR/200/front"]
    assert sides["CYR/200"].problem and len(sides["CYR/200/front"].references) == 1
    assert service.store.banknote_references()[0].source_name == "0.jpg"
    # Higher up too: in the top folder and in a currency's.
    _picture(root / "top.png", index=2)
    _picture(root / "CYR" / "c.png", index=3)
    lines = [str(side.summary()) for side in service.notes.enroll_banknote_folder(
        s["operator"], root)]
    assert "notes: NOT enrolled: top.png: not in a side's folder; put them in a folder such " \
        "as <currency>/<denomination>/front/" in lines
    assert "CYR: NOT enrolled: c.png: not in a side's folder; put them in a folder such as " \
        "CYR/<denomination>/front/" in lines


def test_a_sides_sub_folders_and_other_files_are_said_to_be_left_out(bank, tmp_path) -> None:
    service, s = bank
    root = tmp_path / "notes"
    front = root / "CYR" / "200" / "front"
    _picture(front / "0.jpg")
    _picture(front / "2013" / "1.jpg", index=1)
    (front / "notes.txt").write_text("scanned 2024")
    (front / "bad.jpg").write_text("not a picture at all")
    _picture(root / "CYR" / "200" / "back" / "2013" / "0.jpg", side="back")
    sides = {side.name: side for side in service.notes.enroll_banknote_folder(s["operator"],
                                                                               root)}
    formats = ".jpg, .jpeg, .png, .tif, .tiff, .bmp, .pdf"
    assert sides["CYR/200/front"].summary() == (
        "CYR/200/front: enrolled from 1 picture; left out bad.jpg: is not an image in a "
        "supported format (PNG, JPEG, TIFF, BMP or PDF); 2013/: a folder in a side's folder "
        f"is not read; put its pictures in CYR/200/front/; notes.txt: not a picture ({formats})")
    assert sides["CYR/200/back"].problem == (
        f"no pictures ({formats}) in the folder; left out 2013/: a folder in a side's folder is "
        "not read; put its pictures in CYR/200/back/")


def test_the_formats_a_side_is_read_for_are_those_notes_accept(bank, tmp_path) -> None:
    """Every format the reader accepts (and names when it refuses a file) is read from a
    side's folder, a PDF scan too, and only those are named."""
    from PIL import Image

    from desktop.core.branch.note_folders import NOTE_FORMATS, NOTE_SUFFIXES
    from desktop.core.imaging.decode import SUPPORTED_TEXT

    named = {f".{w.lower()}" for w in re.findall(r"[A-Z]{3,}", SUPPORTED_TEXT)}
    assert named == {".png", ".jpeg", ".tiff", ".bmp", ".pdf"} and named <= set(NOTE_SUFFIXES)
    assert set(NOTE_SUFFIXES) - named == {".jpg", ".tif"}  # the same formats' short names
    assert NOTE_FORMATS == ", ".join(NOTE_SUFFIXES)
    service, s = bank
    image, _ = synthetic_capture(SPECS["CYR-200"], "back", "", 41, 0)
    folder = tmp_path / "notes" / "CYR" / "200" / "back"
    folder.mkdir(parents=True)
    Image.fromarray(image[:, :, ::-1]).save(folder / "scan.PDF", "PDF", resolution=150)
    (side,) = service.notes.enroll_banknote_folder(s["operator"], tmp_path / "notes")
    assert (len(side.references), side.left_out, side.problem) == (1, [], None)


def test_only_the_first_five_pictures_of_a_side_are_read_and_the_rest_named(bank,
                                                                           tmp_path) -> None:
    service, s = bank
    root = tmp_path / "notes"
    for i in range(6):
        _picture(root / "CYR" / "200" / "front" / f"{i}.jpg", index=i)
    (side,) = service.notes.enroll_banknote_folder(s["operator"], root)
    assert len(side.references) == 5
    assert side.left_out == ["5.jpg: only the first 5 pictures of a side are read"]
