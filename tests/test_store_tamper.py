"""``sigdesk-store check`` finds every kind of tampering with a store file or database, on
both backends: the audit chain covers the other tables' rows (each audit row records the
SHA-256 of the rows it created or changed), the head counts the rows and hashes itself, the
anchor printed by ``check`` catches a log cut back with a consistently rewritten head, and a
malformed audit row is reported at that row without crashing the check or the viewer."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import numpy as np
import pytest

from desktop.core.store.audit import MALFORMED_KEY, head_digest
from desktop.core.store.records import Decision, NewBanknoteReference, NewReference, User
from desktop.store_cli import main
from tests.store_backends import raw_sql


def _branch(store) -> dict[str, int]:
    """A small branch written as the service writes it (each change in one transaction with
    its audit row); returns the ids the tests tamper with."""
    with store.transaction():
        store.add_user(User("olga", "operator", b"hash-olga", b"salt", "scrypt"))
        store.append_audit("admin", "user_created", details={"user": "olga"})
    with store.transaction():
        acc = store.create_account("1002003000", "Ada Lovelace", "olga")
        store.append_audit("olga", "account_created", "1002003000")
    with store.transaction():
        refs = store.add_references(acc.id, [
            NewReference(b"png-%d" % i, np.full(8, i, np.float32), "sig-1", f"r{i}.png")
            for i in range(3)], "olga", "e1")
        store.append_audit("olga", "enroll", "1002003000", "sig-1",
                           {"references": [r.id for r in refs]})
    with store.transaction():
        store.revoke_reference(refs[0].id, "olga", "smudged")
        store.append_audit("olga", "revoke", "1002003000", "sig-1", {"reference": refs[0].id})
    check = store.append_audit("carl", "verify", "1002003000", "sig-1", {"verdict": "genuine"})
    with store.transaction():
        decision = store.add_decision(Decision(
            check.id, acc.id, "c.png", "ab" * 32, "sig-1", "distance", 0.25, 0.9, "genuine",
            "accept", "", "carl"))
        store.append_audit("carl", "decision", "1002003000", "sig-1",
                           {"decision_id": decision})
    with store.transaction():
        (note,) = store.add_banknote_references([NewBanknoteReference(
            "CYR-200-front", "2024", b"note", np.ones(8, np.float32), "note-1", "n.png")],
            "olga")
        store.append_audit("olga", "banknote_enroll", model_id="note-1",
                           details={"references": [note.id]})
    store.set_login_state("olga", 2, None)  # the lock-out counter is left out on purpose
    return {"account": acc.id, "revoked": refs[0].id, "active": refs[1].id,
            "decision": decision, "note": note.id}


@pytest.fixture()
def branch(open_test_store):
    store = open_test_store("branch")
    ids = _branch(store)
    return store, ids, open_test_store.location("branch")


def _check(location: str, capsys, *extra: str) -> tuple[int, str]:
    code = main(["check", location, *extra])
    return code, capsys.readouterr().out


def test_each_change_is_recorded_by_its_audit_row(branch, capsys) -> None:
    """Before: no audit row recorded anything but itself, and `check` passed any edit."""
    store, ids, location = branch
    by_action = {e.action: e for e in store.audit_entries()}
    assert set(by_action["user_created"].row_digests) == {"user:olga"}
    assert set(by_action["enroll"].row_digests) == {
        f"reference:{i}" for i in (ids["revoked"], ids["active"], ids["active"] + 1)}
    assert set(by_action["revoke"].row_digests) == {f"reference:{ids['revoked']}"}
    assert set(by_action["decision"].row_digests) == {f"decision:{ids['decision']}"}
    assert set(by_action["banknote_enroll"].row_digests) == {f"banknote:{ids['note']}"}
    assert by_action["verify"].row_digests == {}  # it changed no row
    check = store.verify_audit()
    assert check.ok and check.covered == 7 and check.last_hash == store.audit_entry(7).hash
    code, out = _check(location, capsys)
    assert code == 0 and "integrity: ok" in out and "audit chain: ok, 7 rows; 7 " in out
    assert f"anchor: 7:{check.last_hash}" in out


TAMPERING = {
    "edited decision": ("UPDATE decisions SET decision = 'reject' WHERE id = {decision}",
                        "decision {decision} was changed after audit row 6"),
    "edited reference image": (
        "UPDATE reference_signatures SET image_png = ?, image_sha256 = ? WHERE id = {active}",
        "reference {active} was changed after audit row 3"),
    "edited embedding": ("UPDATE reference_signatures SET embedding = ? WHERE id = {active}",
                         "reference {active} was changed after audit row 3"),
    "edited user role": ("UPDATE users SET role = 'admin' WHERE username = 'olga'",
                         "user olga was changed after audit row 1"),
    "edited password hash": ("UPDATE users SET password_hash = ? WHERE username = 'olga'",
                             "user olga was changed after audit row 1"),
    "undone revocation": ("UPDATE reference_signatures SET status = 'active', revoked_at = NULL,"
                          " revoked_by = NULL, revoke_reason = NULL WHERE id = {revoked}",
                          "reference {revoked} was changed after audit row 4"),
    "edited revocation reason": ("UPDATE reference_signatures SET revoke_reason = 'x' "
                                 "WHERE id = {revoked}",
                                 "reference {revoked} was changed after audit row 4"),
    "edited account holder": ("UPDATE accounts SET holder_name = 'Mallory' WHERE id = {account}",
                              "account {account} was changed after audit row 2"),
    "edited banknote series": ("UPDATE banknote_references SET series = '1999' "
                                   "WHERE id = {note}",
                                   "banknote {note} was changed after audit row 7"),
    "added user": ("INSERT INTO users (username, role, password_hash, salt, kdf, created_at) "
                   "VALUES ('eve', 'admin', ?, ?, 'scrypt', '2024-01-01')",
                   "user eve was never recorded by an audit row"),
    "deleted decision": ("DELETE FROM decisions WHERE id = {decision}",
                         "decision {decision} is missing (deleted after audit row 6"),
}


def _params(sql: str) -> tuple:
    if "image_png = ?" in sql:
        return (b"forged", hashlib.sha256(b"forged").hexdigest())
    if "embedding = ?" in sql:
        return (np.zeros(8, np.float32).tobytes(),)
    if "password_hash = ?" in sql:
        return (b"a-hash-eve-knows",)
    if "VALUES ('eve'" in sql:
        return (b"h", b"s")
    return ()


@pytest.mark.parametrize("what", sorted(TAMPERING))
def test_check_finds_rows_changed_behind_the_apps_back(branch, capsys, what: str) -> None:
    """Before: each of these edits passed `sigdesk-store check` (only the audit table was
    chained)."""
    store, ids, location = branch
    sql, message = TAMPERING[what]
    sql, message = sql.format(**ids), message.format(**ids)
    raw_sql(store, sql, _params(sql))
    check = store.verify_audit()
    assert not check.ok and message in check.problem, check
    code, out = _check(location, capsys)
    assert code == 1 and "audit chain: BROKEN" in out and message in out


def test_a_lowered_schema_version_does_not_switch_the_row_check_off(branch, capsys) -> None:
    """Before: the rows were compared with their digests only from schema version 4, a number
    the chain does not protect: set to 3, an edited decision passed the check."""
    store, ids, location = branch
    sql, message = TAMPERING["edited decision"]
    sql, message = sql.format(**ids), message.format(**ids)
    raw_sql(store, sql, _params(sql))
    with store._lock:
        store.dialect.set_legacy_version(store._db, 3)
    check = store.verify_audit()
    assert not check.ok and message in check.problem, check


def test_the_lockout_counter_is_not_covered(branch, capsys) -> None:
    """Documented choice: failed_attempts/locked_until change with every login attempt (each
    an audit row of its own) and are not part of a user's digest."""
    store, _, location = branch
    raw_sql(store, "UPDATE users SET failed_attempts = 4, locked_until = '2030-01-01' "
                   "WHERE username = 'olga'")
    assert store.verify_audit().ok and _check(location, capsys)[0] == 0


def test_a_change_without_an_audit_row_is_reported(branch, capsys) -> None:
    """A store method called outside any audited transaction commits, but nothing recorded
    its row: check names it."""
    store, ids, location = branch
    store.update_embeddings([(ids["active"], np.zeros(4, np.float32), "sig-2")])
    check = store.verify_audit()
    assert not check.ok and f"reference {ids['active']} was changed after audit row 3" \
        in check.problem
    with store.transaction():  # the same change with its audit row: recorded, sound again
        store.update_embeddings([(ids["active"], np.ones(4, np.float32), "sig-2")])
        entry = store.append_audit("olga", "reembedded", "1002003000", "sig-2")
    assert set(entry.row_digests) == {f"reference:{ids['active']}"}
    assert store.verify_audit().ok


def test_a_reference_image_not_matching_its_sha256_is_an_integrity_problem(branch) -> None:
    """Before: SQLite's integrity check did not compare images with their SHA-256 (only
    PostgreSQL's did)."""
    store, ids, _ = branch
    raw_sql(store, "UPDATE reference_signatures SET image_png = ? WHERE id = ?",
            (b"other", ids["active"]))
    assert f"reference {ids['active']}: the image does not match its SHA-256" in \
        store.integrity_check()


@pytest.mark.parametrize("text", ["{bad", '{"similarity": NaN}'])
def test_a_malformed_audit_row_is_reported_and_the_log_still_opens(branch, capsys,
                                                                   text: str) -> None:
    """Before: `details='{bad'` crashed check and the viewer with a JSONDecodeError, and a
    NaN (which Python's parser takes but the chain's canonical JSON cannot hash) crashed the
    check with a ValueError instead of naming the row."""
    store, _, location = branch
    raw_sql(store, "UPDATE audit_log SET details = ? WHERE id = 3", (text,))
    entries = store.audit_entries()
    assert [e.id for e in entries] == [7, 6, 5, 4, 3, 2, 1]
    bad = store.audit_entry(3)
    assert bad.malformed and bad.details == {MALFORMED_KEY: text}
    assert json.loads(bad.as_row()["details"]) == {MALFORMED_KEY: text}
    assert not any(e.malformed for e in entries if e.id != 3)
    check = store.verify_audit()
    assert not check.ok and check.bad_id == 3 and "cannot be read" in check.problem
    code, out = _check(location, capsys)
    assert code == 1 and "BROKEN at row 3" in out


def test_a_deleted_last_row_with_a_rewritten_head_is_detected(branch, capsys) -> None:
    """Before: deleting the last row and setting the head to the row before it passed."""
    store, _, location = branch
    sixth = store.audit_entry(6)
    raw_sql(store, "DELETE FROM audit_log WHERE id = 7")
    raw_sql(store, "UPDATE audit_head SET last_id = 6, last_hash = ?", (sixth.hash,))
    check = store.verify_audit()
    assert not check.ok and "the head counts 7 rows but the log has 6" in check.problem
    raw_sql(store, "UPDATE audit_head SET row_count = 6")  # the count too: the head's hash
    check = store.verify_audit()
    assert not check.ok and "head row was edited" in check.problem
    assert _check(location, capsys)[0] == 1


def test_a_consistently_rewritten_head_is_caught_by_the_anchor(branch, capsys) -> None:
    """Someone who can write the store can recompute the head's hash (it has no secret):
    the rows the deleted tail recorded are then missing from the chain, and the anchor an
    earlier check printed no longer matches."""
    store, ids, location = branch
    code, out = _check(location, capsys)
    anchor = out.split("anchor: ", 1)[1].split()[0]
    assert code == 0 and anchor == f"7:{store.audit_entry(7).hash}"
    # Cut the last row (it recorded the banknote) and rewrite the head consistently.
    sixth = store.audit_entry(6)
    raw_sql(store, "DELETE FROM audit_log WHERE id = 7")
    raw_sql(store, "UPDATE audit_head SET last_id = 6, last_hash = ?, row_count = 6, "
                   "head_hash = ?", (sixth.hash, head_digest(6, 6, sixth.hash)))
    check = store.verify_audit()
    assert not check.ok and f"banknote {ids['note']} was never recorded" in check.problem
    # Remove the banknote too: the store alone now looks sound...
    raw_sql(store, "DELETE FROM banknote_references")
    assert store.verify_audit().ok and _check(location, capsys)[0] == 0
    # ...but not against the anchor kept outside it.
    code, out = _check(location, capsys, "--anchor", anchor)
    assert code == 1 and "anchor: FAILED: audit row 7 is gone" in out
    code, out = _check(location, capsys, "--anchor", f"6:{sixth.hash}")
    assert code == 0 and "anchor: ok" in out
    code, out = _check(location, capsys, "--anchor", f"6:{'0' * 64}")
    assert code == 1 and "was rewritten" in out
    assert main(["check", location, "--anchor", "seven"]) == 2


def test_an_older_store_gets_a_baseline_row_at_migration(open_test_store, capsys) -> None:
    """Rows written before migration 4 are recorded by one "baseline" audit row, so that an
    edit after the upgrade is found."""
    old = open_test_store("old", migrate=False)
    old.migrate(0, target=3)
    old.add_user(User("olga", "operator", b"hash", b"salt", "scrypt"))
    acc = old.create_account("1", "A", "op")
    refs = old.add_references(acc.id, [NewReference(b"img", np.ones(8, np.float32), "m", "r")],
                              "op", "e")
    old.append_audit("op", "enroll", "1")
    old.close()
    location = open_test_store.location("old")
    code, out = _check(location, capsys)  # check does not upgrade it
    assert code == 0 and "schema version 3" in out
    assert open_test_store("old", migrate=False).schema_version() == 3

    store = open_test_store("old")
    baseline = store.audit_entry(2)
    assert baseline.action == "baseline" and baseline.username == "sigdesk"
    assert set(baseline.row_digests) == {"user:olga", "account:1", f"reference:{refs[0].id}"}
    assert store.verify_audit().ok and store.verify_audit().covered == 3
    # Migration 4 also allows the supervisor role (the users table kept its rows).
    assert store.get_user("OLGA").password_hash == b"hash"
    with store.transaction():
        store.add_user(User("sam", "supervisor", b"h", b"s", "scrypt"))
        store.append_audit("admin", "user_created", details={"user": "sam"})
    assert store.get_user("sam").role == "supervisor" and store.verify_audit().ok
    raw_sql(store, "UPDATE reference_signatures SET model_id = 'x'")
    assert "changed after audit row 2" in store.verify_audit().problem


def test_an_empty_store_needs_no_baseline(open_test_store) -> None:
    store = open_test_store("new")
    assert store.audit_entries() == [] and store.verify_audit().ok
    head = raw_sql(store, "SELECT last_id, last_hash, row_count, head_hash FROM audit_head")[0]
    assert head[3] == head_digest(0, 0, head[1]) and head[2] == 0


def test_sqlite_check_does_not_touch_a_sound_file(tmp_path, capsys) -> None:
    from desktop.core.store.backends import SQLiteStore

    store = SQLiteStore(tmp_path / "b.sqlite")
    _branch(store)
    store.close()
    assert _check(str(tmp_path / "b.sqlite"), capsys)[0] == 0
    conn = sqlite3.connect(tmp_path / "b.sqlite")
    assert conn.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0] == 7
    conn.close()
