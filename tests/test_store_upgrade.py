"""Stores made by the app before SQLAlchemy + Alembic (tests/data/stores, made with the
hand-written backends of commit 2d16830, see make_fixtures.py) open, are upgraded in place
and keep every row with its id; the audit chain still verifies and `sigdesk-store check` is
ok. A fresh store's schema is exactly the tables of schema.py; an unknown (newer) Alembic
revision is refused untouched."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from desktop.core.store.factory import open_store
from desktop.core.store.records import StoreError
from desktop.core.store.schema import TABLES, metadata
from desktop.core.store.upgrade import SCHEMA_VERSION, head_revision, include_object
from desktop.store_cli import main
from tests.store_backends import drop_schema, raw_sql, with_schema

DATA = Path(__file__).parent / "data" / "stores"
KEYS = {"users": "username"}


def _rows(fetch) -> dict[str, list[tuple]]:
    """Every table's rows in key order (booleans as 0/1, bytes as bytes)."""
    out = {}
    for table in TABLES:
        rows = fetch(f"SELECT * FROM {table} ORDER BY {KEYS.get(table, 'id')}")
        out[table] = [tuple(int(v) if isinstance(v, bool) else
                            bytes(v) if isinstance(v, memoryview) else v for v in r)
                      for r in rows]
    return out


def _check_ok(location: str, capsys) -> str:
    assert main(["check", location]) == 0
    out = capsys.readouterr().out
    assert "integrity: ok" in out and "audit chain: ok" in out
    return out


@pytest.mark.parametrize("version", [3, 4])
def test_a_legacy_sqlite_store_is_upgraded_in_place(tmp_path: Path, capsys, version) -> None:
    path = tmp_path / "branch.sqlite"
    shutil.copy(DATA / f"v{version}.sqlite", path)
    conn = sqlite3.connect(path)
    before = _rows(lambda sql: conn.execute(sql).fetchall())
    audit_rows = len(before["audit_log"])
    conn.close()
    assert before["users"] and before["decisions"] and before["banknote_references"]

    store = open_store(path)
    assert store.schema_version() == SCHEMA_VERSION
    assert raw_sql(store, "SELECT version_num FROM alembic_version") == [(head_revision(),)]
    check = store.verify_audit()
    # Version 3 gets one "baseline" audit row recording every row written before.
    assert check.ok and check.rows == audit_rows + (version < 4)
    after = _rows(lambda sql: raw_sql(store, sql))
    assert after["audit_log"][:audit_rows] == [r + (("{}",) if version < 4 else ())
                                               for r in before["audit_log"]]
    for table in TABLES:
        if table != "audit_log":
            assert after[table] == before[table], table
    assert store.integrity_check() == "ok"
    assert store.get_user("CARL").failed_attempts == 2
    store.close()
    _check_ok(str(path), capsys)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    again = open_store(path)  # nothing left to do
    assert again.verify_audit().rows == check.rows
    again.close()


@pytest.fixture()
def pg_v4(pg_server_url: str):
    """A fresh schema holding the PostgreSQL store of tests/data/stores/v4_pg.sql."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:16]}"
    dump = (DATA / "v4_pg.sql").read_text().replace("__SCHEMA__", schema)
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(dump)
    yield with_schema(pg_server_url, schema)
    drop_schema(pg_server_url, schema)


def test_a_legacy_postgres_store_is_upgraded_in_place(pg_v4: str, capsys) -> None:
    import psycopg

    with psycopg.connect(pg_v4) as conn:
        before = _rows(lambda sql: conn.execute(sql).fetchall())
    store = open_store(pg_v4)
    assert store.schema_version() == SCHEMA_VERSION
    assert raw_sql(store, "SELECT version_num FROM alembic_version") == [(head_revision(),)]
    assert _rows(lambda sql: raw_sql(store, sql)) == before
    check = store.verify_audit()
    assert check.ok and check.rows == len(before["audit_log"])
    assert store.integrity_check() == "ok"
    with store.transaction():  # identity keys continue after the restored rows
        acc = store.create_account("30003", "New Holder", "olga")
        store.append_audit("olga", "create_account", "30003")
    assert acc.id == max(r[0] for r in before["accounts"]) + 1
    store.close()
    _check_ok(pg_v4, capsys)


def test_a_fresh_store_matches_the_tables(open_test_store) -> None:
    store = open_test_store()
    with store._lock:
        diff = compare_metadata(MigrationContext.configure(
            store._db, opts={"include_object": include_object}), metadata)
    assert diff == []


def test_an_unknown_alembic_revision_is_refused_untouched(open_test_store) -> None:
    store = open_test_store("new")
    raw_sql(store, "UPDATE alembic_version SET version_num = '9999_from_the_future'")
    store.close()
    with pytest.raises(StoreError, match="newer version"):
        open_test_store("new")
    engine = sa.create_engine("sqlite://") if open_test_store.backend == "sqlite" else None
    if engine is None:
        import psycopg

        with psycopg.connect(open_test_store.location("new")) as conn:
            rev = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    else:
        rev = sqlite3.connect(open_test_store.location("new")).execute(
            "SELECT version_num FROM alembic_version").fetchone()[0]
    assert rev == "9999_from_the_future"
