"""``python -m training demo``: a demonstration store, with real notes when they are there."""

from __future__ import annotations

from pathlib import Path

import cv2

from desktop.core.store.backends import SQLiteStore
from training.banknote.data import all_specs, synthetic_note
from training.demo import build_demo

SPECS = {f"{s.currency}-{s.denomination}": s for s in all_specs()}


def _shared_layout(root: Path) -> Path:
    """A stand-in for ``../shared/data/banknotes``: two flat "euro" reference pictures."""
    refs = root / "eur_photos" / "references"
    refs.mkdir(parents=True)
    for side in ("front", "back"):
        note = synthetic_note(SPECS["BOR-25"], side, "", 5, 0)
        h, w = note.shape[:2]
        cv2.imwrite(str(refs / f"5eu_{side}.jpg"), note[h // 20: -h // 20, w // 20: -w // 20])
    return root


def test_the_demo_store_has_users_holders_and_the_real_notes_found(tmp_path: Path) -> None:
    passwords = build_demo(tmp_path / "demo", accounts=1, genuine=1, forged=1,
                           notes_data=_shared_layout(tmp_path / "shared"))
    assert set(passwords) == {"admin", "operator", "clerk"}
    store = SQLiteStore(tmp_path / "demo" / "sigdesk.sqlite")
    try:
        assert len(store.search_accounts("")) == 1
        assert sorted(r.key for r in store.banknote_references()) == ["EUR-5-back",
                                                                     "EUR-5-front"]
    finally:
        store.close()
    assert (tmp_path / "demo" / "notes" / "EUR" / "5" / "front" / "5eu_front.jpg").is_file()


def test_without_the_shared_sets_the_demo_has_no_notes(tmp_path: Path) -> None:
    build_demo(tmp_path / "demo", accounts=1, genuine=1, forged=1,
               notes_data=tmp_path / "absent")
    store = SQLiteStore(tmp_path / "demo" / "sigdesk.sqlite")
    try:
        assert store.banknote_references() == []
    finally:
        store.close()
