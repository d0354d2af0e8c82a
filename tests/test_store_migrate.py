"""``sigdesk-store migrate`` (SQLite into PostgreSQL) and ``sigdesk-store check``."""

from __future__ import annotations

from dataclasses import astuple
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest

from desktop.core.store.backends import SQLiteStore
from desktop.core.store.records import (
    Decision,
    NewBanknoteReference,
    NewReference,
    ReferenceStore,
    User,
)
from desktop.store_cli import main
from tests.store_backends import drop_schema, new_schema, raw_sql, with_schema


def _branch_store(path: Path) -> SQLiteStore:
    """An SQLite store with some of everything: users, accounts, references (one revoked),
    banknote references (one revoked), decisions and their audit trail (each change in one
    transaction with its audit row, as the service writes them)."""
    store = SQLiteStore(path)
    for name, role in (("admin", "admin"), ("Olga", "operator"), ("carl", "clerk")):
        with store.transaction():
            store.add_user(User(name, role, b"hash-" + name.encode(), b"salt", "scrypt"))
            store.append_audit("admin", "user_created", details={"user": name, "role": role})
    store.set_login_state("carl", 2, None)  # the lock-out counter is not covered
    for a in range(3):
        number = f"10020030{a}"
        with store.transaction():
            acc = store.create_account(number, f"Holder {a}", "Olga")
            store.append_audit("Olga", "account_created", number, details={"holder": a})
        with store.transaction():
            refs = store.add_references(acc.id, [
                NewReference(f"img{a}-{i}".encode(), np.full(16, a + i / 10, np.float32),
                             "sig-1", f"r{i}.png") for i in range(4)], "Olga", f"enrollment-{a}")
            store.append_audit("Olga", "enroll", number, "sig-1",
                               {"references": [r.id for r in refs]})
        with store.transaction():
            store.revoke_reference(refs[0].id, "Olga", "smudged")
            store.append_audit("Olga", "revoke", number, "sig-1", {"reference": refs[0].id})
        for k in range(2):
            check = store.append_audit("carl", "verify", number, "sig-1",
                                       {"verdict": "genuine", "score": 0.1 * k, "cheque": k})
            decision = Decision(check.id, acc.id, f"cheque{k}.tif", f"{k:064d}", "sig-1",
                                "distance", 0.1 * k, 0.9 - k / 10, "genuine",
                                "accept" if k == 0 else "refer", "" if k == 0 else "odd ink",
                                "carl")
            with store.transaction():
                did = store.add_decision(decision)
                store.append_audit("carl", "decision" if k == 0 else "override", number,
                                   "sig-1", {"decision_id": did})
    with store.transaction():
        notes = store.add_banknote_references([
            NewBanknoteReference(key, "2024", f"note-{key}".encode(),
                                 np.arange(8, dtype=np.float32), "note-1", f"{key}.png")
            for key in ("CYR-200-front", "CYR-200-back", "ARC-50-front")], "Olga")
        store.revoke_banknote_reference(notes[1].id, "Olga", "worn")
        store.append_audit("Olga", "banknote_enroll", model_id="note-1", details={"n": 3})
    return store


def _content(store: ReferenceStore) -> dict[str, list]:
    """Everything a store holds, in a comparable form (embeddings as bytes)."""
    def flat(obj) -> tuple:
        return tuple(v.tobytes() if isinstance(v, np.ndarray) else v for v in astuple(obj))

    accounts = store.search_accounts("", limit=1000)
    return {
        "users": [flat(u) for u in store.list_users()],
        "accounts": [flat(a) for a in accounts],
        "references": [flat(r) for a in accounts
                       for r in store.references(a.id, include_revoked=True)],
        "decisions": [flat(d) for a in accounts for d in store.decisions(a.id)],
        "banknotes": [flat(n) for n in store.banknote_references(include_revoked=True)],
        "audit": [flat(e) for e in store.audit_entries()],
    }


@pytest.fixture()
def second_pg_url(pg_server_url: str):
    """Another fresh schema beside ``pg_url``'s."""
    schema = new_schema(pg_server_url)
    yield with_schema(pg_server_url, schema)
    drop_schema(pg_server_url, schema)


def test_migrate_copies_everything_and_refuses_a_non_empty_target(
        tmp_path: Path, pg_url: str, capsys) -> None:
    from desktop.core.store.backends import PostgresStore

    source = _branch_store(tmp_path / "branch.sqlite")
    expected = _content(source)
    assert len(expected["audit"]) == 3 + 3 * 7 + 1 and len(expected["references"]) == 12
    source.close()

    assert main(["migrate", "--from", str(tmp_path / "branch.sqlite"), "--to", pg_url]) == 0
    out = capsys.readouterr()
    assert "migrated" in out.out and "audit_log 25" in out.out
    assert urlsplit(pg_url).password not in out.out + out.err

    target = PostgresStore(pg_url)
    assert _content(target) == expected  # ids, hashes, revoked rows, login state
    check = target.verify_audit()
    assert check.ok and check.rows == 25 and target.integrity_check() == "ok"
    # The copy goes on where the branch stopped: new ids after the copied ones.
    with target.transaction():
        assert target.create_account("999", "New", "Olga").id == 4
        assert target.append_audit("Olga", "account_created", "999").id == 26
    assert target.verify_audit().ok
    target.close()

    # A second run finds rows there and changes nothing.
    assert main(["migrate", "--from", str(tmp_path / "branch.sqlite"), "--to", pg_url]) == 2
    assert "not empty" in capsys.readouterr().err
    target = PostgresStore(pg_url)
    assert len(target.audit_entries()) == 26 and target.verify_audit().ok
    target.close()


def test_migrate_is_all_or_nothing(tmp_path: Path, pg_url: str, capsys) -> None:
    from desktop.core.store.backends import PostgresStore

    source = _branch_store(tmp_path / "branch.sqlite")
    raw_sql(source, "UPDATE audit_log SET details = '{}' WHERE id = 7")  # tampered with
    source.close()
    assert main(["migrate", "--from", str(tmp_path / "branch.sqlite"), "--to", pg_url]) == 2
    err = capsys.readouterr().err
    assert "audit chain does not verify" in err and "source's own chain is broken" in err
    target = PostgresStore(pg_url)  # the schema exists, but not one row was copied
    assert _content(target) == {k: [] for k in _content(target)}
    assert target.verify_audit().ok and target.verify_audit().rows == 0
    target.close()


def test_migrate_refuses_a_missing_source_or_a_file_target(tmp_path: Path, pg_url: str,
                                                          capsys) -> None:
    assert main(["migrate", "--from", str(tmp_path / "none.sqlite"), "--to", pg_url]) == 2
    assert "no such store file" in capsys.readouterr().err
    _branch_store(tmp_path / "b.sqlite").close()
    assert main(["migrate", "--from", str(tmp_path / "b.sqlite"),
                 "--to", str(tmp_path / "c.sqlite")]) == 2
    assert "postgresql:// URL" in capsys.readouterr().err


def test_check_reports_a_sound_and_a_damaged_store(tmp_path: Path, pg_url: str,
                                                   second_pg_url: str, capsys) -> None:
    _branch_store(tmp_path / "branch.sqlite").close()
    assert main(["check", str(tmp_path / "branch.sqlite")]) == 0
    out = capsys.readouterr().out
    assert "integrity: ok" in out and "audit chain: ok, 25 rows" in out

    assert main(["migrate", "--from", str(tmp_path / "branch.sqlite"), "--to", pg_url]) == 0
    capsys.readouterr()
    assert main(["check", pg_url]) == 0
    out = capsys.readouterr().out
    assert "integrity: ok" in out and "audit chain: ok, 25 rows" in out
    assert urlsplit(pg_url).password not in out

    from desktop.core.store.backends import PostgresStore

    store = PostgresStore(pg_url)
    raw_sql(store, "DELETE FROM audit_log WHERE id = 25")
    store.close()
    assert main(["check", pg_url]) == 1
    out = capsys.readouterr().out
    assert "audit chain: BROKEN" in out and "deleted at the end" in out

    assert main(["check", str(tmp_path / "missing.sqlite")]) == 2
    assert not (tmp_path / "missing.sqlite").exists()
    assert main(["check", second_pg_url]) == 2  # an empty database is no store: not made one
    assert "no store at" in capsys.readouterr().err
    from psycopg import connect

    with connect(second_pg_url) as conn:  # check created nothing there
        assert conn.execute("SELECT to_regclass('audit_log')").fetchone()[0] is None
