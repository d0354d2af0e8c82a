"""The reference store on both backends (SQLite file, PostgreSQL schema): migrations,
transactions, the hash-chained audit log, crashes. SQLite-only: WAL, damaged files."""

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

from desktop.core.store.audit import AuditFilter
from desktop.core.store.backends import SQLiteStore
from desktop.core.store.legacy import SQLITE_STEPS as MIGRATIONS
from desktop.core.store.records import NewReference, StoreError, User
from desktop.core.store.upgrade import SCHEMA_VERSION
from tests.store_backends import raw_sql, schema_objects

ROOT = Path(__file__).resolve().parents[1]


def _ref(i: int) -> NewReference:
    return NewReference(f"png{i}".encode(), np.full(8, i, np.float32), "model-a", f"r{i}.png")


def test_both_backends_have_the_same_schema_versions() -> None:
    from desktop.core.store import upgrade as pg_store
    from desktop.core.store.legacy import LEGACY_VERSION, PG_STEPS

    # Versions 1-4: the hand-written steps, the same number on both; 5 on: Alembic.
    assert len(MIGRATIONS) == len(PG_STEPS) == LEGACY_VERSION == 4
    assert pg_store.SCHEMA_VERSION == SCHEMA_VERSION == 5


def test_fresh_store_is_at_the_latest_schema(open_test_store) -> None:
    store = open_test_store()
    assert store.schema_version() == SCHEMA_VERSION and store.integrity_check() == "ok"
    assert {"users", "accounts", "reference_signatures", "decisions", "audit_log",
            "audit_head", "banknote_references"} <= schema_objects(store)


def test_sqlite_store_is_in_wal_mode(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.sqlite")
    assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_migration_from_version_1_keeps_the_data(open_test_store) -> None:
    old = open_test_store("old", migrate=False)
    assert old.schema_version() == 0
    old.migrate(0, target=1)
    acc = old.create_account("123", "Ada Lovelace", "op")
    old.add_references(acc.id, [_ref(1), _ref(2)], "op", "e1")
    old.append_audit("op", "enroll", "123")
    assert "idx_audit_ts" not in schema_objects(old)
    old.close()
    assert open_test_store("old", migrate=False).schema_version() == 1

    store = open_test_store("old")
    assert store.schema_version() == SCHEMA_VERSION
    assert [r.source_name for r in store.references(acc.id)] == ["r1.png", "r2.png"]
    assert store.verify_audit().ok and store.integrity_check() == "ok"
    assert "idx_audit_ts" in schema_objects(store)


def test_a_store_from_a_newer_app_is_refused_untouched(open_test_store) -> None:
    store = open_test_store("new")
    store.create_account("1", "A", "op")
    if open_test_store.backend == "sqlite":
        raw_sql(store, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    else:
        raw_sql(store, "UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    store.close()
    with pytest.raises(StoreError, match="newer version"):
        open_test_store("new")
    location = open_test_store.location("new")
    if open_test_store.backend == "sqlite":
        version = sqlite3.connect(location).execute("PRAGMA user_version").fetchone()[0]
    else:
        import psycopg

        with psycopg.connect(location) as conn:
            version = conn.execute("SELECT version FROM schema_version").fetchone()[0]
    assert version == SCHEMA_VERSION + 1


def test_non_database_files_are_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_text("this is not a database " * 100)
    with pytest.raises(StoreError, match="junk.sqlite"):
        SQLiteStore(junk)


def test_a_failed_transaction_leaves_nothing(open_test_store) -> None:
    store = open_test_store()
    with store.transaction():
        acc = store.create_account("1", "A", "op")
        store.append_audit("op", "account_created", "1")
    with pytest.raises(RuntimeError), store.transaction():
        store.add_references(acc.id, [_ref(1)], "op", "e")
        store.append_audit("op", "enroll", "1")
        raise RuntimeError("power cut")
    assert store.references(acc.id) == [] and len(store.audit_entries()) == 1
    assert store.verify_audit().ok
    entry = store.append_audit("op", "enroll", "1")  # the chain goes on from the head
    assert entry.id == 2 and entry.row_digests == {} and store.verify_audit().ok


def test_embeddings_round_trip_and_stale_count(open_test_store) -> None:
    store = open_test_store()
    acc = store.create_account("1", "A", "op")
    refs = store.add_references(acc.id, [_ref(1), _ref(2)], "op", "e")
    assert np.array_equal(refs[1].embedding, np.full(8, 2, np.float32))
    assert refs[0].image_png == b"png1" and refs[0].status == "active"
    assert store.stale_reference_count("model-b") == 2
    store.update_embeddings([(r.id, np.zeros(4, np.float32), "model-b") for r in refs])
    assert store.stale_reference_count("model-b") == 0
    assert store.references(acc.id)[0].embedding.shape == (4,)
    revoked = store.revoke_reference(refs[0].id, "op", "smudged")
    assert revoked.status == "revoked" and revoked.revoke_reason == "smudged"
    assert [r.id for r in store.references(acc.id)] == [refs[1].id]
    assert len(store.references(acc.id, include_revoked=True)) == 2
    with pytest.raises(StoreError, match="already revoked"):
        store.revoke_reference(refs[0].id, "op", "again")


def test_account_search_by_number_or_name(open_test_store) -> None:
    store = open_test_store()
    store.create_account("100200", "Grace Hopper", "op")
    store.create_account("300400", "Alan Turing", "op")
    assert [a.holder_name for a in store.search_accounts("hop")] == ["Grace Hopper"]
    assert [a.account_number for a in store.search_accounts("3004")] == ["300400"]
    assert [a.holder_name for a in store.search_accounts("")] == ["Alan Turing", "Grace Hopper"]
    assert store.search_accounts("%") == []  # LIKE wildcards are literal
    with pytest.raises(StoreError, match="already exists"):
        store.create_account("100200", "Someone Else", "op")
    assert store.get_account("100200").holder_name == "Grace Hopper"


def test_accounts_stored_as_typed_are_found_by_their_folded_number(open_test_store) -> None:
    # Stores written before numbers were canonical hold them as they were typed: the rows
    # stay as they are, and a number typed any other way finds them.
    store = open_test_store()
    spaced = store.create_account("0012 3456 78", "Old Holder", "op")
    dashed = store.create_account("1002-0030-00", "Dash Holder", "op")
    wide = store.create_account("\uff19\uff18\uff17\uff16", "Wide Holder", "op")
    hidden = store.create_account("555\u200b", "Hidden Holder", "op")
    lower = store.create_account("gb29 nwbk", "Letter Holder", "op")
    assert store.find_accounts("0012345678") == [spaced]
    assert store.find_accounts("0012-3456\t78") == [spaced]
    assert store.find_accounts("1002 0030 00") == [dashed]
    assert store.find_accounts("9876") == [wide]
    assert store.find_accounts("555") == [hidden]
    assert store.find_accounts("GB29NWBK") == [lower]
    assert store.find_accounts("12345678") == [] and store.find_accounts(" - ") == []
    assert [a.account_number for a in store.search_accounts("1002 0030 00")] == [
        "1002-0030-00"]
    assert store.search_accounts("3456 78") == [spaced]
    assert store.search_accounts("\uff10\uff10\uff11\uff12") == [spaced]  # full-width 0012
    assert store.get_account("0012 3456 78") == spaced  # exactly as stored, untouched
    assert store.get_account("0012345678") is None


def test_account_names_are_searched_whatever_their_case_and_unicode_form(
        open_test_store) -> None:
    store = open_test_store()
    huong = store.create_account("1", "\u0110\u1eb7ng Th\u1ecb H\u01b0\u01a1ng", "op")
    jose_nfd = store.create_account("2", "Jose\u0301 M\u00fcller", "op")
    strasse = store.create_account("3", "Anna Stra\u00dfe", "op")
    store.create_account("4", "Grace Hopper", "op")
    assert store.search_accounts("H\u01af\u01a0NG") == [huong]  # HƯƠNG
    assert store.search_accounts("\u0111\u1eb7ng") == [huong]  # đặng
    assert store.search_accounts("Jos\u00e9") == [jose_nfd]  # NFC finds NFD
    assert store.search_accounts("M\u00dcLLER") == [jose_nfd]
    assert store.search_accounts("STRASSE") == [strasse]  # ß case-folds to ss
    assert store.search_accounts("grace  HOPPER")[0].holder_name == "Grace Hopper"
    assert len(store.search_accounts("", limit=3)) == 3
    assert [a.holder_name for a in store.search_accounts("")][:2] == ["Anna Stra\u00dfe",
                                                                     "Grace Hopper"]


def test_user_names_are_unique_whatever_their_case(open_test_store) -> None:
    store = open_test_store()
    store.add_user(User("Olga", "operator", b"h", b"s", "scrypt"))
    with pytest.raises(StoreError, match="already exists"):
        store.add_user(User("olga", "clerk", b"h", b"s", "scrypt"))
    assert store.get_user("OLGA").username == "Olga" and store.count_users() == 1
    store.set_login_state("olga", 3, "2030-01-01T00:00:00+00:00")
    assert store.get_user("Olga").failed_attempts == 3
    store.set_password("OLGA", b"h2", b"s2", "scrypt")
    user = store.get_user("olga")
    assert (user.password_hash, user.failed_attempts, user.locked_until) == (b"h2", 0, None)
    with pytest.raises(StoreError, match="unknown role"):
        store.add_user(User("x", "boss", b"h", b"s", "scrypt"))


def test_one_decision_per_verification(open_test_store) -> None:
    from desktop.core.store.records import Decision

    store = open_test_store()
    acc = store.create_account("1", "A", "op")
    verification = store.append_audit("carl", "verify", "1", "m", {"verdict": "genuine"})
    decision = Decision(verification.id, acc.id, "c.png", "ab" * 32, "m", "distance", 0.25,
                        0.9, "genuine", "accept", "", "carl")
    first = store.add_decision(decision)
    with pytest.raises(StoreError, match="already recorded"):
        store.add_decision(decision)
    (stored,) = store.decisions(acc.id)
    assert stored == decision and first >= 1


@pytest.fixture()
def audited(open_test_store):
    store = open_test_store("audit")
    for i in range(5):
        store.append_audit("clerk1", "verify", "123", "m", {"score": 0.1 * i, "n": i})
    return store


def test_audit_chain_verifies_and_filters(audited) -> None:
    check = audited.verify_audit()
    assert check.ok and check.rows == 5
    assert len(audited.audit_entries(AuditFilter(username="clerk1", action="verify"))) == 5
    assert audited.audit_entries(AuditFilter(action="enroll")) == []
    first = audited.audit_entries()[-1]
    assert audited.audit_entries(AuditFilter(since=first.ts))[-1].id == first.id
    assert [e.id for e in audited.audit_entries(AuditFilter(limit=2))] == [5, 4]
    assert audited.audit_entry(3).details == {"n": 2, "score": 0.1 * 2}
    assert audited.audit_entry(99) is None
    # The same format of time as utc_now() on both backends (the hash covers it).
    assert first.ts.endswith("+00:00") and len(first.ts) == len("2024-01-01T00:00:00.000000+00:00")


def test_an_edited_audit_row_is_detected(audited) -> None:
    raw_sql(audited, "UPDATE audit_log SET details = ? WHERE id = 3", ('{"n": 2, "score": 0.9}',))
    check = audited.verify_audit()
    assert not check.ok and check.bad_id == 3 and "changed" in check.problem


def test_a_deleted_audit_row_is_detected(audited) -> None:
    raw_sql(audited, "DELETE FROM audit_log WHERE id = 2")
    check = audited.verify_audit()
    assert not check.ok and "missing" in check.problem


def test_a_deleted_tail_is_detected(audited) -> None:
    raw_sql(audited, "DELETE FROM audit_log WHERE id = 5")
    check = audited.verify_audit()
    assert not check.ok and "deleted at the end" in check.problem


def test_a_rehashed_forgery_without_the_head_is_detected(audited) -> None:
    """Rewriting one row and its hash still breaks the next row's link."""
    from desktop.core.store.audit import entry_hash

    row = audited.audit_entries(AuditFilter())[::-1][2]  # id 3
    forged = entry_hash(row.prev_hash, 3, row.ts, row.username, row.action,
                        row.account_number, row.model_id, {"n": 2, "score": 0.0})
    raw_sql(audited, "UPDATE audit_log SET details = ?, hash = ? WHERE id = 3",
            ('{"n":2,"score":0.0}', forged))
    check = audited.verify_audit()
    assert not check.ok and check.bad_id == 4


CRASH_SCRIPT = textwrap.dedent("""
    import sys, time
    import numpy as np
    from desktop.core.store.records import NewReference

    location, stop_at, enrollment, backend = sys.argv[1:5]
    if backend == "sqlite":
        from desktop.core.store.backends import SQLiteStore as Base
    else:
        from desktop.core.store.backends import PostgresStore as Base

    class Crashing(Base):
        def _after_reference_insert(self, count):
            if count == int(stop_at):
                print("MID", flush=True)
                time.sleep(120)  # the parent kills us here, inside the transaction

    store = Crashing(location)
    acc = store.get_account("42")
    if acc is None:
        with store.transaction():
            acc = store.create_account("42", "Holder", "op")
            store.append_audit("op", "account_created", "42")
    refs = [NewReference(b"img%d" % i, np.full(16, i, np.float32), "m", f"r{i}")
            for i in range(5)]
    with store.transaction():
        store.add_references(acc.id, refs, "op", enrollment)
        store.append_audit("op", "enroll", "42", "m", {"enrollment": enrollment})
    print("DONE", flush=True)
    time.sleep(120)
""")


def _run_and_kill(location: str, backend: str, stop_at: int, enrollment: str,
                  wait_for: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASH_SCRIPT, location, str(stop_at), enrollment, backend],
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


def test_sigkill_during_enrollment_leaves_all_or_nothing(open_test_store) -> None:
    backend, location = open_test_store.backend, open_test_store.location("crash")
    _run_and_kill(location, backend, stop_at=3, enrollment="first", wait_for="MID")
    store = open_test_store("crash")
    assert store.integrity_check() == "ok"
    acc = store.get_account("42")
    assert acc is not None  # the account was committed before the enrollment began
    assert store.references(acc.id) == [] and store.verify_audit().ok
    assert [e.action for e in store.audit_entries()] == ["account_created"]
    store.close()

    _run_and_kill(location, backend, stop_at=99, enrollment="second", wait_for="DONE")
    store = open_test_store("crash")
    assert store.integrity_check() == "ok"
    refs = store.references(store.get_account("42").id)
    assert len(refs) == 5 and {r.enrollment_id for r in refs} == {"second"}
    entries = store.audit_entries()
    assert [e.details for e in entries] == [{"enrollment": "second"}, {}]
    assert store.verify_audit().ok


def test_sqlite_version_is_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "v.sqlite"
    SQLiteStore(path).close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_set_role_and_set_active_record_the_row_and_name_unknown_users(open_test_store) -> None:
    store = open_test_store()
    with store.transaction():
        store.add_user(User("Olga", "operator", b"h", b"s", "scrypt"))
        store.append_audit("admin", "user_created", details={"user": "Olga"})
    with store.transaction():
        store.set_role("OLGA", "clerk")
        changed = store.append_audit("admin", "role_changed", details={"user": "Olga"})
    assert store.get_user("olga").role == "clerk" and set(changed.row_digests) == {"user:olga"}
    with store.transaction():
        store.set_active("olga", False)
        removed = store.append_audit("admin", "user_removed", details={"user": "Olga"})
    user = store.get_user("olga")
    assert not user.active and user.role == "clerk" and store.count_users() == 1
    assert set(removed.row_digests) == {"user:olga"}
    assert store.verify_audit().ok
    with store.transaction():
        store.set_active("Olga", True)
        store.append_audit("admin", "user_restored", details={"user": "Olga"})
    assert store.get_user("olga").active and store.verify_audit().ok
    with pytest.raises(StoreError, match="no user named 'nobody'"):
        store.set_role("nobody", "clerk")
    with pytest.raises(StoreError, match="no user named 'nobody'"):
        store.set_active("nobody", False)
    with pytest.raises(StoreError, match="unknown role 'boss'"):
        store.set_role("olga", "boss")
    assert store.get_user("olga").role == "clerk" and store.verify_audit().ok
    # The same change without its audit row commits, but the chain check names it.
    store.set_active("olga", False)
    check = store.verify_audit()
    assert not check.ok and "user olga was changed after audit row" in check.problem
