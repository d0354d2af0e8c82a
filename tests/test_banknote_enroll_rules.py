"""The rules of reference-note enrollment across enrollments, through the branch service on the
shipped model: a picture already enrolled is not stored again, a side holds at most 5 active
references (stored and new together), and a currency folder can be enrolled again safely."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop.core.banknote.model import BanknoteModel
from desktop.core.errors import ServiceError
from desktop.core.paths import default_banknote_model_dir
from desktop.core.store.audit import AuditFilter
from tests.conftest import PASSWORDS
from training.banknote.data import all_specs, synthetic_capture

SPECS = {f"{s.currency}-{s.denomination}": s for s in all_specs()}


@pytest.fixture(scope="module")
def notes_model() -> BanknoteModel:
    """The shipped banknote model (part of the repository: missing is a failure)."""
    folder = default_banknote_model_dir()
    assert (folder / "manifest.json").is_file(), f"the shipped banknote model is missing: {folder}"
    return BanknoteModel(folder, "cpu")


@pytest.fixture()
def notes(branch, notes_model: BanknoteModel):
    """The ``branch`` service (admin, operator olga, clerk carl) with the banknote model."""
    service, sessions = branch
    service.notes.model = notes_model
    return service, sessions


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
def test_a_picture_already_enrolled_is_refused_and_nothing_is_written(notes, tmp_path) -> None:
    service, s = notes
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


def test_a_reference_of_an_older_model_is_compared_by_its_image(notes, tmp_path) -> None:
    service, s = notes
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


def test_a_side_holds_at_most_five_references_stored_and_new(notes, tmp_path) -> None:
    service, s = notes
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


def test_a_folder_enrolled_again_stores_nothing_twice(notes, tmp_path) -> None:
    service, s = notes
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
        notes, tmp_path: Path, monkeypatch, capsys) -> None:
    from desktop import notes_cli
    from desktop.core.branch.config import AppConfig

    service, _ = notes
    root = _currency(tmp_path / "notes")
    monkeypatch.setattr(notes_cli, "load_config", lambda: AppConfig())
    monkeypatch.setattr("desktop.core.store.factory.open_store", lambda location: service.store)
    monkeypatch.setenv("SIGDESK_PASSWORD", PASSWORDS["olga"])
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
