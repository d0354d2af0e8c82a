"""Everything that differs between SQLite and PostgreSQL, in one place; the queries
(:mod:`desktop.core.store.sql_store` and its domain modules) are written once and never
look at the database's name.

* connecting: SQLite's pragmas (WAL journal, ``synchronous=FULL``, foreign keys, busy
  timeout) in a ``connect`` listener; PostgreSQL through libpq with the app's defaults;
* transactions: one connection per store in autocommit mode, the store issues ``BEGIN``
  itself: SQLite ``BEGIN IMMEDIATE`` (its write lock at once) for writes; PostgreSQL a
  repeatable-read snapshot for consistent reads and ``pg_advisory_xact_lock`` for
  :meth:`lock` and the migration lock;
* SQL pieces compiled per database: :func:`sha256_hex`, :func:`server_clock`,
  :func:`bytewise`, ``INSERT ... ON CONFLICT`` (:meth:`Dialect.insert`) and the audit
  append's insert-then-update (one statement on PostgreSQL);
* where the pre-Alembic schema version lives (``user_version`` / ``schema_version``) and the
  database's own integrity checks.

``FOR UPDATE`` needs nothing here: SQLAlchemy leaves it out on SQLite, whose write lock
(``BEGIN IMMEDIATE``) serialises writers instead.
"""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


# ---- SQL pieces compiled per database --------------------------------------------------------
class sha256_hex(FunctionElement):  # noqa: N801 - used like a SQL function
    """The lower-case hex SHA-256 of a BLOB/BYTEA (SQLite: a function the store registers)."""

    type = sa.Text()
    inherit_cache = True
    name = "sha256_hex"


@compiles(sha256_hex, "postgresql")
def _sha256_pg(element, compiler, **kw) -> str:
    return f"encode(sha256({compiler.process(element.clauses, **kw)}), 'hex')"


@compiles(sha256_hex, "sqlite")
def _sha256_sqlite(element, compiler, **kw) -> str:
    return f"sha256_hex({compiler.process(element.clauses, **kw)})"


class server_clock(FunctionElement):  # noqa: N801
    """The server's clock (PostgreSQL ``clock_timestamp()``: the audit append reads it after
    the head lock, so ids and times agree across PCs); NULL on SQLite, whose writers all run
    on one machine and take the time after the write lock."""

    type = sa.DateTime(timezone=True)
    inherit_cache = True
    name = "server_clock"


@compiles(server_clock, "postgresql")
def _clock_pg(element, compiler, **kw) -> str:
    return "clock_timestamp()"


@compiles(server_clock, "sqlite")
def _clock_sqlite(element, compiler, **kw) -> str:
    return "NULL"


class bytewise(ColumnElement):  # noqa: N801
    """``expr`` ordered byte by byte (PostgreSQL ``COLLATE "C"``; SQLite's text already is)."""

    inherit_cache = True
    _traverse_internals = [("expr", sa.sql.visitors.InternalTraversal.dp_clauseelement)]

    def __init__(self, expr: Any) -> None:
        self.expr = expr
        self.type = sa.Text()


@compiles(bytewise, "postgresql")
def _bytewise_pg(element, compiler, **kw) -> str:
    return f'{compiler.process(element.expr, **kw)} COLLATE "C"'


@compiles(bytewise, "sqlite")
def _bytewise_sqlite(element, compiler, **kw) -> str:
    return compiler.process(element.expr, **kw)


def _sqlite_sha256(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big",
                          signed=True)


# ---- per database ----------------------------------------------------------------------------
class Dialect:
    """What a store needs to know about its database (one instance per backend)."""

    name: str
    begin_write = "BEGIN"
    begin_read = "BEGIN"
    # An insert with ``.on_conflict_do_nothing()`` (same API in both SQLAlchemy dialects).
    insert = staticmethod(sa.insert)

    def lock(self, conn: sa.Connection, name: str) -> None:
        """Inside a transaction: hold every other process taking ``name`` until it ends."""

    def migration_lock(self, conn: sa.Connection) -> None:
        """Inside the migration's transaction: one process migrates, the others wait."""

    def legacy_version(self, conn: sa.Connection) -> int:
        """The schema version as the pre-Alembic app recorded it (0: none)."""
        raise NotImplementedError

    def set_legacy_version(self, conn: sa.Connection, version: int) -> None:
        """Record ``version`` where an older app looks for it (so that it refuses a newer
        store)."""
        raise NotImplementedError

    def engine_problems(self, conn: sa.Connection) -> list[str]:
        """The database's own integrity checks (pages, indexes, constraints, keys)."""
        return []

    def insert_then_update(self, insert: sa.Insert, update: sa.Update) -> list[sa.Executable]:
        """The statements that run ``insert`` then ``update`` (the audit append)."""
        return [insert, update]


class SQLiteDialect(Dialect):
    name = "sqlite"
    begin_write = "BEGIN IMMEDIATE"  # the write lock at once: read-then-write cannot interleave
    begin_read = "BEGIN"  # a deferred read transaction: one state of the file
    insert = staticmethod(sqlite_dialect.insert)

    @staticmethod
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        """The pragmas of every connection (a committed row survives power loss)."""
        dbapi_conn.create_function("sha256_hex", 1, _sqlite_sha256, deterministic=True)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=FULL",
                       "busy_timeout=30000"):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    def legacy_version(self, conn: sa.Connection) -> int:
        return int(conn.exec_driver_sql("PRAGMA user_version").scalar())

    def set_legacy_version(self, conn: sa.Connection, version: int) -> None:
        conn.exec_driver_sql(f"PRAGMA user_version = {int(version)}")

    def engine_problems(self, conn: sa.Connection) -> list[str]:
        rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
        fk = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        return [r for r in rows if r != "ok"] + [f"foreign key: {tuple(row)}" for row in fk]


_NS = "current_schema()::regnamespace"


class PostgresDialect(Dialect):
    name = "postgresql"
    begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
    insert = staticmethod(pg_dialect.insert)

    def lock(self, conn: sa.Connection, name: str) -> None:
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(lock_key(name))))

    def migration_lock(self, conn: sa.Connection) -> None:
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('sigdesk-migrate:' || "
                             "current_schema()))")

    def legacy_version(self, conn: sa.Connection) -> int:
        if not conn.exec_driver_sql("SELECT to_regclass('schema_version') IS NOT NULL").scalar():
            return 0
        version = conn.exec_driver_sql("SELECT version FROM schema_version WHERE one = 1").scalar()
        return int(version or 0)

    def set_legacy_version(self, conn: sa.Connection, version: int) -> None:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS schema_version (one INTEGER PRIMARY "
                             "KEY CHECK (one = 1), version INTEGER NOT NULL)")
        conn.exec_driver_sql("INSERT INTO schema_version VALUES (1, %(v)s) ON CONFLICT (one) "
                             "DO UPDATE SET version = EXCLUDED.version", {"v": int(version)})

    def engine_problems(self, conn: sa.Connection) -> list[str]:
        problems = [f"constraint {r[0]} is not validated" for r in conn.exec_driver_sql(
            f"SELECT conname FROM pg_constraint WHERE connamespace = {_NS} "
            "AND NOT convalidated LIMIT 20")]
        problems += [f"index {r[0]} is invalid" for r in conn.exec_driver_sql(
            "SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class c "
            f"ON c.oid = i.indexrelid WHERE c.relnamespace = {_NS} "
            "AND NOT (i.indisvalid AND i.indisready) LIMIT 20")]
        return problems

    def insert_then_update(self, insert: sa.Insert, update: sa.Update) -> list[sa.Executable]:
        return [update.add_cte(insert.cte("added"))]  # one round trip


DIALECTS: dict[str, Dialect] = {d.name: d for d in (SQLiteDialect(), PostgresDialect())}
