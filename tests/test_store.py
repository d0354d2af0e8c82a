"""The SQLite reference store: migrations, transactions, the hash-chained audit log, crashes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from desktop.core.audit import AuditFilter
from desktop.core.sqlite_store import MIGRATIONS, SCHEMA_VERSION, SQLiteStore
from desktop.core.store import NewReference, StoreError

ROOT = Path(__file__).resolve().parents[1]


def _ref(i: int) -> NewReference:
    return NewReference(f"png{i}".encode(), np.full(8, i, np.float32), "model-a", f"r{i}.png")


def test_fresh_store_is_at_the_latest_schema_in_wal_mode(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.sqlite")
    assert store.schema_version() == SCHEMA_VERSION
    mode = store._conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal" and store.integrity_check() == "ok"


def test_migration_from_version_1_keeps_the_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    old = SQLiteStore(path, migrate=False)
    old.migrate(0, target=1)
    acc = old.create_account("123", "Ada Lovelace", "op")
    old.add_references(acc.id, [_ref(1), _ref(2)], "op", "e1")
    old.append_audit("op", "enroll", "123")
    old.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 1

    store = SQLiteStore(path)
    assert store.schema_version() == SCHEMA_VERSION == len(MIGRATIONS)
    assert [r.source_name for r in store.references(acc.id)] == ["r1.png", "r2.png"]
    assert store.verify_audit().ok
    names = {r[0] for r in store._conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "idx_audit_ts" in names


def test_newer_schema_and_non_database_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer version"):
        SQLiteStore(path)
    junk = tmp_path / "junk.sqlite"
    junk.write_text("this is not a database " * 100)
    with pytest.raises(StoreError, match="junk.sqlite"):
        SQLiteStore(junk)


def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.sqlite")
    acc = store.create_account("1", "A", "op")
    with pytest.raises(RuntimeError), store.transaction():
        store.add_references(acc.id, [_ref(1)], "op", "e")
        store.append_audit("op", "enroll", "1")
        raise RuntimeError("power cut")
    assert store.references(acc.id) == [] and store.audit_entries() == []
    assert store.verify_audit().ok


def test_embeddings_round_trip_and_stale_count(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.sqlite")
    acc = store.create_account("1", "A", "op")
    refs = store.add_references(acc.id, [_ref(1), _ref(2)], "op", "e")
    assert np.array_equal(refs[1].embedding, np.full(8, 2, np.float32))
    assert store.stale_reference_count("model-b") == 2
    store.update_embeddings([(r.id, np.zeros(4, np.float32), "model-b") for r in refs])
    assert store.stale_reference_count("model-b") == 0
    assert store.references(acc.id)[0].embedding.shape == (4,)


def test_account_search_by_number_or_name(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.sqlite")
    store.create_account("100200", "Grace Hopper", "op")
    store.create_account("300400", "Alan Turing", "op")
    assert [a.holder_name for a in store.search_accounts("hop")] == ["Grace Hopper"]
    assert [a.account_number for a in store.search_accounts("3004")] == ["300400"]
    assert store.search_accounts("%") == []  # LIKE wildcards are literal
    with pytest.raises(StoreError, match="already exists"):
        store.create_account("100200", "Someone Else", "op")


@pytest.fixture()
def audited(tmp_path: Path) -> SQLiteStore:
    store = SQLiteStore(tmp_path / "audit.sqlite")
    for i in range(5):
        store.append_audit("clerk1", "verify", "123", "m", {"score": 0.1 * i, "n": i})
    return store


def test_audit_chain_verifies_and_filters(audited: SQLiteStore) -> None:
    check = audited.verify_audit()
    assert check.ok and check.rows == 5
    assert len(audited.audit_entries(AuditFilter(username="clerk1", action="verify"))) == 5
    assert audited.audit_entries(AuditFilter(action="enroll")) == []
    first = audited.audit_entries()[-1]
    assert audited.audit_entries(AuditFilter(since=first.ts))[-1].id == first.id


def test_an_edited_audit_row_is_detected(audited: SQLiteStore) -> None:
    audited._conn.execute("UPDATE audit_log SET details = ? WHERE id = 3",
                          ('{"n": 2, "score": 0.9}',))
    check = audited.verify_audit()
    assert not check.ok and check.bad_id == 3 and "changed" in check.problem


def test_a_deleted_audit_row_is_detected(audited: SQLiteStore) -> None:
    audited._conn.execute("DELETE FROM audit_log WHERE id = 2")
    check = audited.verify_audit()
    assert not check.ok and "missing" in check.problem


def test_a_deleted_tail_is_detected(audited: SQLiteStore) -> None:
    audited._conn.execute("DELETE FROM audit_log WHERE id = 5")
    check = audited.verify_audit()
    assert not check.ok and "deleted at the end" in check.problem


def test_a_rehashed_forgery_without_the_head_is_detected(audited: SQLiteStore) -> None:
    """Rewriting one row and its hash still breaks the next row's link."""
    from desktop.core.audit import entry_hash

    row = audited.audit_entries(AuditFilter())[::-1][2]  # id 3
    forged = entry_hash(row.prev_hash, 3, row.ts, row.username, row.action,
                        row.account_number, row.model_id, {"n": 2, "score": 0.0})
    audited._conn.execute("UPDATE audit_log SET details = ?, hash = ? WHERE id = 3",
                          ('{"n":2,"score":0.0}', forged))
    check = audited.verify_audit()
    assert not check.ok and check.bad_id == 4


CRASH_SCRIPT = textwrap.dedent("""
    import sys, time
    import numpy as np
    from desktop.core.sqlite_store import SQLiteStore
    from desktop.core.store import NewReference

    stop_at = int(sys.argv[2])

    class Crashing(SQLiteStore):
        def _after_reference_insert(self, count):
            if count == stop_at:
                print("MID", flush=True)
                time.sleep(120)  # the parent kills us here, inside the transaction

    store = Crashing(sys.argv[1])
    acc = store.get_account("42") or store.create_account("42", "Holder", "op")
    refs = [NewReference(b"img%d" % i, np.full(16, i, np.float32), "m", f"r{i}")
            for i in range(5)]
    with store.transaction():
        store.add_references(acc.id, refs, "op", sys.argv[3])
        store.append_audit("op", "enroll", "42", "m", {"enrollment": sys.argv[3]})
    print("DONE", flush=True)
    time.sleep(120)
""")


def _run_and_kill(db: Path, stop_at: int, enrollment: str, wait_for: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASH_SCRIPT, str(db), str(stop_at), enrollment],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        line = proc.stdout.readline().strip()
        assert line == wait_for, f"subprocess said {line!r}"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL


def test_sigkill_during_enrollment_leaves_all_or_nothing(tmp_path: Path) -> None:
    db = tmp_path / "crash.sqlite"
    _run_and_kill(db, stop_at=3, enrollment="first", wait_for="MID")  # killed mid-transaction
    store = SQLiteStore(db)
    assert store.integrity_check() == "ok"
    acc = store.get_account("42")
    assert acc is not None  # the account was committed before the enrollment began
    assert store.references(acc.id) == [] and store.verify_audit().ok
    assert store.audit_entries() == []
    store.close()

    _run_and_kill(db, stop_at=99, enrollment="second", wait_for="DONE")  # killed after commit
    store = SQLiteStore(db)
    assert store.integrity_check() == "ok"
    refs = store.references(store.get_account("42").id)
    assert len(refs) == 5 and {r.enrollment_id for r in refs} == {"second"}
    entries = store.audit_entries()
    assert [e.details for e in entries] == [{"enrollment": "second"}] and store.verify_audit().ok
