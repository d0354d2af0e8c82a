"""The schema changes after the baseline revision ``0004``, on SQLite and PostgreSQL.

The shipped ``0005`` (an index on ``decisions.cheque_sha256``): a store at ``0004`` with data
is upgraded with every row kept, the index made as ``schema.py`` declares it, and the app
that only knows ``0004`` refuses the upgraded store untouched.

The path the next schema change will take: a store at the shipped head, with data, is
upgraded by a test-only next revision (a nullable column and an index on ``accounts``,
filled from the existing rows). It lives in a temporary copy of the migrations folder,
handed to the store as ``migrations=Migrations(copy)``
(:class:`desktop.core.store.upgrade.Migrations`), so nothing test-only ships. The revision
itself reports (to the file named by ``$PROBE_ENV``) that it runs inside the store's
transaction and under the migration lock. Checked: every row and id is kept, the audit chain
and ``integrity_check`` stay ok, the store reports the new head, opening it again does
nothing, two PCs opening it at the same moment apply the revision once, and the app that
only knows the shipped head refuses the upgraded store untouched."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from desktop.core.store import schema as t
from desktop.core.store.records import Decision, NewReference, StoreError, User
from desktop.core.store.upgrade import (
    BASELINE_REVISION,
    MIGRATIONS_DIR,
    SCHEMA_VERSION,
    Migrations,
    head_revision,
)
from tests.store_backends import raw_sql

SHIPPED = ("0004", "0005_decisions_cheque_sha256")  # every revision the app ships, in order
NEXT_VERSION = SCHEMA_VERSION + 1
NEXT = f"{NEXT_VERSION:04d}_test_holder_key"
PROBE_ENV = "SIGDESK_TEST_REVISION_PROBE"

# The test-only revision, written the way a real one would be (see migrations/env.py).
REVISION = f'''"""Test only: accounts.holder_key, indexed, filled from the existing rows."""

from __future__ import annotations

import json
import os
import sqlite3
import time

import sqlalchemy as sa
from alembic import op

revision = "{NEXT}"
down_revision = "{head_revision()}"
branch_labels = None
depends_on = None


def _probe() -> dict:
    """What the test checks: inside the store's transaction, under the migration lock."""
    bind = op.get_bind()
    seen = {{"in_transaction": bind.in_transaction(), "dialect": bind.dialect.name}}
    if bind.dialect.name == "sqlite":
        path = bind.exec_driver_sql("PRAGMA database_list").fetchall()[0][2]
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            seen["locked"] = False
        except sqlite3.OperationalError as exc:
            seen["locked"] = "locked" in str(exc)
        finally:
            other.close()
    else:
        seen["locked"] = bool(bind.exec_driver_sql(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND pid = pg_backend_pid() AND objid::bigint = "
            "(hashtext('sigdesk-migrate:' || current_schema())::bigint & 4294967295))").scalar())
    return seen


def upgrade() -> None:
    seen = _probe()
    with op.batch_alter_table("accounts", recreate="{{recreate}}") as batch:  # SQLite
        batch.add_column(sa.Column("holder_key", sa.Text, nullable=True))
        batch.create_index("idx_accounts_holder_key", ["holder_key"])
    op.execute("UPDATE accounts SET holder_key = lower(holder_name) || ':' || account_number")
    time.sleep(0.3)  # a window for a second PC opening the store at the same moment
    with open(os.environ["{PROBE_ENV}"], "a", encoding="utf-8") as fh:
        fh.write(json.dumps(seen) + "\\n")


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_index("idx_accounts_holder_key")
        batch.drop_column("holder_key")
'''


def _next_migrations(tmp_path: Path, monkeypatch, recreate: str = "auto") -> Migrations:
    """A copy of the app's migrations folder with the test-only next revision
    (``recreate``: batch_alter_table's, "always" forces SQLite's move-and-copy)."""
    folder = Path(shutil.copytree(MIGRATIONS_DIR, tmp_path / "migrations",
                                  ignore=shutil.ignore_patterns("__pycache__")))
    (folder / "versions" / f"{NEXT}.py").write_text(REVISION.replace("{recreate}", recreate),
                                                    encoding="utf-8")
    probe = tmp_path / "probe.jsonl"
    probe.touch()
    monkeypatch.setenv(PROBE_ENV, str(probe))
    migrations = Migrations(folder)
    migrations.probe = probe  # type: ignore[attr-defined]
    return migrations


@pytest.fixture()
def next_migrations(tmp_path: Path, monkeypatch) -> Migrations:
    return _next_migrations(tmp_path, monkeypatch)


def _runs(migrations: Migrations) -> list[dict]:
    """What each run of the revision saw."""
    text = migrations.probe.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    return [json.loads(line) for line in text.splitlines()]


def _rows(store) -> dict[str, list[tuple]]:
    """Every table's rows in key order, the baseline's columns only (booleans as 0/1)."""
    out = {}
    for table in t.metadata.sorted_tables:
        key = "username" if table.name == "users" else table.primary_key.columns[0].name
        columns = ", ".join(c.name for c in table.columns)
        rows = raw_sql(store, f"SELECT {columns} FROM {table.name} ORDER BY {key}")
        out[table.name] = [tuple(int(v) if isinstance(v, bool) else
                                 bytes(v) if isinstance(v, memoryview) else v for v in r)
                           for r in rows]
    return out


def _schema(store) -> tuple[str, int]:
    """The store's Alembic revision and its version where older apps look for it."""
    (revision,), = raw_sql(store, "SELECT version_num FROM alembic_version")
    if store.dialect.name == "sqlite":
        (version,), = raw_sql(store, "PRAGMA user_version")
    else:
        (version,), = raw_sql(store, "SELECT version FROM schema_version")
    return revision, int(version)


def _fill(store) -> None:
    """Users, two accounts, references, a verification with its decision, audit rows."""
    for name, role in (("admin", "admin"), ("olga", "operator"), ("carl", "clerk")):
        with store.transaction():  # each change with its audit row, as the app writes them
            store.add_user(User(name, role, f"hash-{name}".encode(), b"salt", "scrypt"))
            store.append_audit("admin", "create_user", details={"user": name})
    for number, holder in (("10001", "Ada Lovelace"), ("10002", "Alan Turing")):
        with store.transaction():
            acc = store.create_account(number, holder, "olga")
            refs = [NewReference(f"png{number}-{i}".encode(), np.full(8, i, np.float32),
                                 "model-a", f"{number}-{i}.png") for i in range(3)]
            store.add_references(acc.id, refs, "olga", f"e-{number}")
            store.append_audit("olga", "enroll", number, "model-a", {"references": 3})
    verification = store.append_audit("carl", "verify", "10001", "model-a",
                                      {"verdict": "genuine"})
    with store.transaction():
        store.add_decision(Decision(verification.id, 1, "c.png", "ab" * 32, "model-a",
                                    "distance", 0.25, 0.9, "genuine", "accept", "", "carl"))
        store.append_audit("carl", "decide", "10001", "model-a", {"decision": "accept"})


def test_nothing_test_only_ships() -> None:
    assert head_revision() == SHIPPED[-1] and SCHEMA_VERSION == 5
    assert BASELINE_REVISION == SHIPPED[0]
    assert sorted(p.stem.split("_", 1)[0] for p in MIGRATIONS_DIR.glob("versions/*.py")) == [
        r.split("_", 1)[0] for r in SHIPPED]
    assert not list(MIGRATIONS_DIR.glob("versions/*test*"))


CHEQUE_INDEX = "idx_decisions_cheque_sha256"


def _indexes(store) -> set[str]:
    sql = ("SELECT name FROM sqlite_master WHERE type = 'index'"
           if store.dialect.name == "sqlite"
           else "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
    return {name for (name,) in raw_sql(store, sql)}


def _baseline_store(open_test_store, tmp_path: Path, name: str):
    """A store as the app that only knows ``0004`` made it, and that app's migrations."""
    folder = Path(shutil.copytree(MIGRATIONS_DIR, tmp_path / "migrations-0004", ignore=(
        shutil.ignore_patterns("__pycache__", "0005_*"))))
    baseline = Migrations(folder)
    assert baseline.head == BASELINE_REVISION
    store = open_test_store(name, migrations=baseline)
    # create_all makes today's tables: without the index they are 0004's.
    raw_sql(store, f"DROP INDEX {CHEQUE_INDEX}")
    return store, baseline


def test_0005_indexes_decisions_by_cheque_and_keeps_every_row(open_test_store,
                                                              tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from desktop.core.store.upgrade import include_object

    old, baseline = _baseline_store(open_test_store, tmp_path, "branch")
    _fill(old)
    assert _schema(old) == (BASELINE_REVISION, 4) and CHEQUE_INDEX not in _indexes(old)
    before, audit_rows = _rows(old), old.verify_audit().rows
    old.close()

    store = open_test_store("branch")  # this app: upgraded to 0005 at open
    assert _schema(store) == ("0005_decisions_cheque_sha256", 5) and store.schema_version() == 5
    assert _rows(store) == before  # every row, with its id
    assert CHEQUE_INDEX in _indexes(store)
    with store._lock:  # exactly the tables and indexes schema.py declares
        assert compare_metadata(MigrationContext.configure(
            store._db, opts={"include_object": include_object}), t.metadata) == []
    check = store.verify_audit()
    assert check.ok and check.rows == audit_rows and store.integrity_check() == "ok"
    (found,) = store.cheque_decisions("ab" * 32)
    assert (found.account_number, found.decision, found.decided_by) == ("10001", "accept",
                                                                          "carl")
    if open_test_store.backend == "sqlite":  # the look-up uses the index
        plan = raw_sql(store, "EXPLAIN QUERY PLAN SELECT id FROM decisions "
                              "WHERE cheque_sha256 = ?", ("ab" * 32,))
        assert any(CHEQUE_INDEX in str(row) for row in plan), plan
    after = _rows(store)
    store.close()

    with pytest.raises(StoreError, match="schema version 5, written by a newer version"):
        open_test_store("branch", migrations=baseline)  # the app before this change
    again = open_test_store("branch")
    assert _schema(again) == ("0005_decisions_cheque_sha256", 5) and _rows(again) == after


def test_the_next_revision_upgrades_a_store_with_data(open_test_store, next_migrations) -> None:
    old = open_test_store("branch")
    _fill(old)
    assert _schema(old) == (head_revision(), SCHEMA_VERSION)
    before, audit_rows = _rows(old), old.verify_audit().rows
    assert all(before[name] for name in ("users", "accounts", "reference_signatures",
                                         "decisions", "audit_log"))
    old.close()

    store = open_test_store("branch", migrations=next_migrations)
    (run,) = _runs(next_migrations)
    assert run == {"in_transaction": True, "dialect": open_test_store.backend, "locked": True}
    assert _schema(store) == (NEXT, NEXT_VERSION) and store.schema_version() == NEXT_VERSION
    assert next_migrations.head == NEXT and next_migrations.schema_version == NEXT_VERSION
    assert _rows(store) == before  # every row, with its id
    assert raw_sql(store, "SELECT id, holder_key FROM accounts ORDER BY id") == [
        (1, "ada lovelace:10001"), (2, "alan turing:10002")]
    check = store.verify_audit()
    assert check.ok and check.rows == audit_rows
    assert store.integrity_check() == "ok"
    index_sql = ("SELECT name FROM sqlite_master WHERE type = 'index'"
                 if open_test_store.backend == "sqlite"
                 else "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
    assert ("idx_accounts_holder_key",) in raw_sql(store, index_sql)
    with store.transaction():  # ids continue after the kept rows; the chain goes on
        acc = store.create_account("10003", "Grace Hopper", "olga")
        store.append_audit("olga", "create_account", "10003")
    assert acc.id == 3 and store.verify_audit().ok and store.integrity_check() == "ok"
    after = _rows(store)
    store.close()

    again = open_test_store("branch", migrations=next_migrations)  # nothing left to do
    assert len(_runs(next_migrations)) == 1
    assert _schema(again) == (NEXT, NEXT_VERSION) and _rows(again) == after
    assert again.integrity_check() == "ok"


def test_two_pcs_opening_at_once_apply_the_revision_once(open_test_store,
                                                         next_migrations) -> None:
    old = open_test_store("shared")
    _fill(old)
    before = _rows(old)
    old.close()
    opened, errors = [], []

    def open_one() -> None:
        try:
            opened.append(open_test_store("shared", migrations=next_migrations))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and len(opened) == 2
    assert len(_runs(next_migrations)) == 1
    for store in opened:
        assert _schema(store) == (NEXT, NEXT_VERSION) and _rows(store) == before


def test_the_app_refuses_a_store_of_the_next_revision_untouched(
        open_test_store, next_migrations) -> None:
    store = open_test_store("new")
    _fill(store)
    store.close()
    store = open_test_store("new", migrations=next_migrations)
    rows = _rows(store)
    holder_keys = raw_sql(store, "SELECT id, holder_key FROM accounts ORDER BY id")
    store.close()
    sqlite = open_test_store.backend == "sqlite"
    location = Path(open_test_store.location("new")) if sqlite else None
    if location:
        files = {p.name: p.read_bytes() for p in location.parent.iterdir()
                 if p.name.startswith(location.name)}
        assert set(files) == {location.name}  # closed cleanly: no -wal or -shm left

    with pytest.raises(StoreError, match=f"schema version {NEXT_VERSION}, written by a newer "
                                         "version"):
        open_test_store("new")  # the app's own scripts: the shipped head is theirs

    if location:
        assert {p.name: p.read_bytes() for p in location.parent.iterdir()
                if p.name.startswith(location.name)} == files
    again = open_test_store("new", migrations=next_migrations)
    assert _schema(again) == (NEXT, NEXT_VERSION) and _rows(again) == rows
    assert raw_sql(again, "SELECT id, holder_key FROM accounts ORDER BY id") == holder_keys
    assert len(_runs(next_migrations)) == 1 and again.integrity_check() == "ok"


def test_the_app_refuses_a_next_revision_store_before_opening_it(tmp_path: Path,
                                                        next_migrations) -> None:
    """SQLite: the version check reads the file with ``PRAGMA user_version`` first."""
    from desktop.core.store.backends import SQLiteStore

    path = tmp_path / "s.sqlite"
    SQLiteStore(path).close()
    SQLiteStore(path, migrations=next_migrations).close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == NEXT_VERSION
    data = path.read_bytes()
    with pytest.raises(StoreError, match="newer version"):
        SQLiteStore(path, migrate=False)
    assert path.read_bytes() == data


@pytest.mark.xfail(strict=True, raises=StoreError, reason=(
    "SQLite: a move-and-copy of a table other tables point at (accounts, audit_log) fails "
    "inside the store's migration transaction: foreign_keys is on and cannot be switched off "
    "inside a transaction, and defer_foreign_keys does not help (DROP TABLE counts the "
    "children as violations, the RENAME does not resolve them). Needs foreign_keys=OFF "
    "around the migration transaction and foreign_key_check before its commit. The copy "
    "would also lose the expression index idx_accounts_name (SQLAlchemy cannot reflect it)."))
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_a_move_and_copy_of_a_referenced_table_on_sqlite(tmp_path: Path, monkeypatch) -> None:
    from desktop.core.store.backends import SQLiteStore

    migrations = _next_migrations(tmp_path, monkeypatch, recreate="always")
    store = SQLiteStore(tmp_path / "s.sqlite")
    _fill(store)
    store.close()
    SQLiteStore(tmp_path / "s.sqlite", migrations=migrations).close()
