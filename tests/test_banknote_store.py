"""The store's banknote references on both backends (SQLite, PostgreSQL): migration 3,
round trips, revocation, all-or-nothing."""

from __future__ import annotations

from dataclasses import astuple

import numpy as np
import pytest

from desktop.core.store.legacy import SQLITE_STEPS as MIGRATIONS
from desktop.core.store.records import (
    BanknoteReference,
    NewBanknoteReference,
    NewReference,
    ReferenceStore,
    StoreError,
)
from desktop.core.store.upgrade import SCHEMA_VERSION
from tests.store_backends import backend_of, schema_objects


def _note(i: int, key: str = "CYR-200-front", series: str = "2024") -> NewBanknoteReference:
    return NewBanknoteReference(key, series, f"png{i}".encode(), np.full(8, i, np.float32),
                                "banknote-a", f"note{i}.png")


def _rows(refs: list[BanknoteReference]) -> list[tuple]:
    """Comparable form of stored references (dataclasses holding arrays do not compare)."""
    return [(*astuple(r)[:4], r.embedding.tobytes(), *astuple(r)[5:]) for r in refs]


@pytest.fixture()
def store(open_test_store) -> ReferenceStore:
    return open_test_store("notes")


def test_migration_3_adds_only_the_banknote_table(open_test_store) -> None:
    assert len(MIGRATIONS) == 4 and SCHEMA_VERSION == 5  # 5: an index of Alembic's
    v2 = open_test_store("v2", migrate=False)
    v2.migrate(0, target=2)
    before = schema_objects(v2)
    assert v2.migrate(target=3) == 3
    assert schema_objects(v2) - before == {"banknote_references", "idx_banknote_refs_active"}
    v2.close()
    store = open_test_store("v2")
    assert store.schema_version() == SCHEMA_VERSION and store.integrity_check() == "ok"


def test_a_version_2_store_keeps_all_its_data(open_test_store) -> None:
    old = open_test_store("branch", migrate=False)
    assert old.migrate(0, target=2) == 2
    acc = old.create_account("1002003000", "Ada Lovelace", "olga")
    refs = old.add_references(acc.id, [NewReference(b"img%d" % i, np.full(8, i, np.float32),
                                                    "sig-model", f"r{i}.png")
                                       for i in range(3)], "olga", "e1")
    old.revoke_reference(refs[0].id, "olga", "smudged")
    old.append_audit("olga", "enroll", "1002003000", "sig-model", {"references": [1, 2, 3]})
    old.close()
    assert open_test_store("branch", migrate=False).schema_version() == 2

    store = open_test_store("branch")
    assert store.schema_version() == SCHEMA_VERSION
    assert store.get_account("1002003000") == acc
    kept = store.references(acc.id, include_revoked=True)
    assert [(r.source_name, r.status) for r in kept] == [
        ("r0.png", "revoked"), ("r1.png", "active"), ("r2.png", "active")]
    assert np.array_equal(kept[2].embedding, np.full(8, 2, np.float32))
    # Migration 4 recorded the rows written before it in one baseline audit row.
    baseline, enroll = store.audit_entries()
    assert (baseline.action, enroll.action) == ("baseline", "enroll")
    assert set(baseline.row_digests) == {"account:1", *(f"reference:{r.id}" for r in refs)}
    assert store.verify_audit().ok
    assert store.banknote_references(include_revoked=True) == []
    with store.transaction():
        (note,) = store.add_banknote_references([_note(1)], "olga")  # the new table works
        store.append_audit("olga", "banknote_enroll", details={"references": [note.id]})
    assert note.id == 1 and store.integrity_check() == "ok" and store.verify_audit().ok
    store.close()
    again = open_test_store("branch")  # opening again changes nothing
    assert again.schema_version() == SCHEMA_VERSION and len(again.audit_entries()) == 3


def test_banknote_references_round_trip(store: ReferenceStore) -> None:
    stored = store.add_banknote_references([_note(1), _note(2, "ARC-50-back", "")], "olga")
    assert [r.id for r in stored] == [1, 2]
    first, second = stored
    assert (first.key, first.series, first.image_png, first.source_name) == (
        "CYR-200-front", "2024", b"png1", "note1.png")
    assert np.array_equal(first.embedding, np.full(8, 1, np.float32))
    assert first.embedding.dtype == np.float32 and first.model_id == "banknote-a"
    assert first.enrolled_by == "olga" and first.enrolled_at and first.active
    assert first.revoked_by is first.revoked_at is first.revoke_reason is None
    assert second.key == "ARC-50-back" and second.series == ""
    assert _rows(store.banknote_references()) == _rows(stored)
    assert store.add_banknote_references([], "olga") == []


def test_revoke_keeps_the_row_and_needs_a_reason(store: ReferenceStore) -> None:
    a, b = store.add_banknote_references([_note(1), _note(2)], "olga")
    with pytest.raises(StoreError, match="reason"):
        store.revoke_banknote_reference(a.id, "olga", "  ")
    revoked = store.revoke_banknote_reference(a.id, "olga", "worn note")
    assert not revoked.active and revoked.revoked_by == "olga"
    assert revoked.revoke_reason == "worn note" and revoked.revoked_at
    assert [r.id for r in store.banknote_references()] == [b.id]
    assert [r.active for r in store.banknote_references(include_revoked=True)] == [False, True]
    with pytest.raises(StoreError, match=f"reference {a.id} does not exist or is already"):
        store.revoke_banknote_reference(a.id, "olga", "again")
    with pytest.raises(StoreError, match="reference 99 does not exist"):
        store.revoke_banknote_reference(99, "olga", "no such note")


def test_update_embeddings_is_all_or_nothing(store: ReferenceStore) -> None:
    a, b = store.add_banknote_references([_note(1), _note(2)], "olga")
    store.update_banknote_embeddings([(a.id, np.zeros(4, np.float32), "banknote-b")])
    now = {r.id: r for r in store.banknote_references()}
    assert now[a.id].model_id == "banknote-b" and now[a.id].embedding.shape == (4,)
    assert now[b.id].model_id == "banknote-a"
    with pytest.raises(StoreError, match="reference 42 does not exist"):
        store.update_banknote_embeddings([(b.id, np.ones(4, np.float32), "banknote-b"),
                                          (42, np.ones(4, np.float32), "banknote-b")])
    # b unchanged: the transaction rolled back
    assert _rows(store.banknote_references()) == _rows(list(now.values()))
    with pytest.raises(StoreError, match="model id"):
        store.update_banknote_embeddings([(b.id, np.ones(4, np.float32), "")])


def test_bad_references_are_refused_before_anything_is_written(store: ReferenceStore) -> None:
    cases = {"key": (_note(2, key="CYR200"), "not a <currency>"),
             "image": (NewBanknoteReference("CYR-200-front", "", b"", np.ones(4), "m"),
                       "image is empty"),
             "embedding": (NewBanknoteReference("CYR-200-front", "", b"x", np.ones(0), "m"),
                           "embedding is empty"),
             "model": (NewBanknoteReference("CYR-200-front", "", b"x", np.ones(4), ""),
                       "model id")}
    for what, (bad, message) in cases.items():
        with pytest.raises(StoreError, match=message):
            store.add_banknote_references([_note(1), bad], "olga")
        assert store.banknote_references(include_revoked=True) == [], what


def test_a_failed_transaction_leaves_no_banknote_or_audit_row(store: ReferenceStore) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.add_banknote_references([_note(1), _note(2)], "olga")
        store.append_audit("olga", "banknote_enroll", details={"key": "CYR-200-front"})
        raise RuntimeError("power cut")
    assert store.banknote_references(include_revoked=True) == []
    assert store.audit_entries() == [] and store.verify_audit().ok
    (note,) = store.add_banknote_references([_note(3)], "olga")
    assert _rows(store.banknote_references()) == _rows([note])
    if backend_of(store) == "sqlite":
        # SQLite does not burn the ids either: the next enrollment starts at 1 again
        # (PostgreSQL's sequences do not roll back; ids stay unique, gaps are allowed).
        assert note.id == 1
