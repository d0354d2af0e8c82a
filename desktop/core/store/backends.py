"""Opening a store on each database: :class:`SQLiteStore` (the embedded default, one file)
and :class:`PostgresStore` (shared by several branches). Both are
:class:`desktop.core.store.sql_store.SqlStore`; only the checks before the first connection
and the engine differ.

A store file is only created when asked (``create=True``: the app's first start, or
``--create``), with mode 0600 in a folder created 0700 (POSIX); a file that is not a store of
this app (empty, not SQLite, another application's database) is refused untouched. The
PostgreSQL password never comes from settings: the URL names server, database and user, and
libpq finds the password in ``PGPASSWORD``, ``PGPASSFILE`` or ``pg_service.conf``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from desktop.core.paths import create_private_file, make_private, make_private_dir
from desktop.core.store.dialects import DIALECTS, SQLiteDialect
from desktop.core.store.records import ReferenceStore, StoreError, is_postgres_url, redact_url
from desktop.core.store.sql_store import SqlStore
from desktop.core.store.upgrade import Migrations

SQLITE_HEADER = b"SQLite format 3\x00"


class SQLiteStore(SqlStore, ReferenceStore):
    """The embedded store: one SQLite file in WAL mode (see the module's docstring).

    ``create``: make a new store when ``path`` does not exist (else :class:`StoreError`
    naming it). A file that exists must be a store of this app (or, with ``create``, an
    empty SQLite database); anything else is refused without being changed.
    ``migrations``: other Alembic scripts than the app's (tests only, see
    :class:`desktop.core.store.upgrade.Migrations`).
    """

    def __init__(self, path: str | Path, migrate: bool = True, create: bool = True,
                 migrations: Migrations | None = None) -> None:
        if migrations is not None:
            self.migrations = migrations
        self.path = Path(path)
        self.location = str(self.path)
        created = self._prepare_file(create)
        self._inspect(create or created)  # read only: a refused file is not touched
        path_text = str(self.path)
        engine = sa.create_engine(
            "sqlite://", poolclass=NullPool, isolation_level="AUTOCOMMIT",
            creator=lambda: sqlite3.connect(path_text, timeout=30.0, isolation_level=None,
                                            check_same_thread=False))
        sa.event.listen(engine, "connect", SQLiteDialect.on_connect)
        self._attach(engine, DIALECTS["sqlite"])
        try:
            self._db.exec_driver_sql("SELECT COUNT(*) FROM sqlite_master").fetchone()  # -shm
            if created:
                for suffix in ("", "-wal", "-shm"):  # SQLite copies the mode; make sure of it
                    make_private(f"{self.path}{suffix}")
            self._open_schema(create or created, migrate)
        except BaseException:
            self.close()
            raise

    def _prepare_file(self, create: bool) -> bool:
        """Refuse a missing file (unless ``create``: then make it, 0600 in a private folder)
        or a file that is not SQLite; True when the file was created here."""
        try:
            if not self.path.exists():
                if not create:
                    raise StoreError(f"no store at {self.path}; check the path, or create a "
                                     "new store with --create (the app's first start makes "
                                     "its default one)")
                make_private_dir(self.path.parent)
                create_private_file(self.path)
                return True
            if self.path.is_dir():
                raise StoreError(f"{self.path}: is a folder, not a store file")
            with open(self.path, "rb") as fh:
                header = fh.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot be {'read' if self.path.exists() else 'created'}"
                             f" ({exc.strerror})") from None
        if not header:
            raise StoreError(f"{self.path}: the file is empty (0 bytes), not a SigDesk store; "
                             "nothing was changed")
        if header != SQLITE_HEADER:
            raise StoreError(f"{self.path}: not a SigDesk store (not an SQLite database); "
                             "nothing was changed")
        return False

    def _inspect(self, may_initialise: bool) -> None:
        """Check that the file is a store of this app (or an empty database it may make
        one), by reading only."""
        try:
            conn = sqlite3.connect(str(self.path), timeout=30.0)
            try:
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                tables = {r[0] for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")}
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot be opened as a reference store ({exc}); "
                             "nothing was changed") from None
        if version > self.migrations.schema_version:
            return  # refused by _open_schema, naming the version
        if version == 0 and not tables:
            if not may_initialise:
                raise StoreError(f"{self.path}: an empty SQLite database, not a SigDesk store; "
                                 "nothing was changed (use --create to make it one)")
            return
        if version == 0 or not {"users", "audit_log", "audit_head"} <= tables:
            raise StoreError(f"{self.path}: an SQLite database of another application (it "
                             "does not have SigDesk's tables); nothing was changed")


class PostgresStore(SqlStore, ReferenceStore):
    """The shared store on a PostgreSQL server: one connection per process, reopened after
    the server dropped it (before the next transaction).

    ``create``: make the store's tables in a database that has none yet (else
    :class:`StoreError`: an empty database is not a store until asked). ``migrations``:
    other Alembic scripts than the app's (tests only, see
    :class:`desktop.core.store.upgrade.Migrations`).
    """

    def __init__(self, url: str, migrate: bool = True, create: bool = True,
                 migrations: Migrations | None = None) -> None:
        if migrations is not None:
            self.migrations = migrations
        import psycopg
        from psycopg.conninfo import conninfo_to_dict

        self.url = url
        self.location = redact_url(url) if is_postgres_url(url) else "PostgreSQL (conninfo)"
        try:
            given = conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise StoreError(f"{self.location}: not a usable PostgreSQL URL "
                             f"({self._scrub(exc)})") from None
        extra = {k: v for k, v in (("connect_timeout", "10"), ("application_name", "sigdesk"))
                 if k not in given}
        engine = sa.create_engine("postgresql+psycopg://", poolclass=NullPool,
                                  isolation_level="AUTOCOMMIT",
                                  creator=lambda: psycopg.connect(url, **extra))
        self._attach(engine, DIALECTS["postgresql"])
        try:
            self._open_schema(create, migrate)
        except BaseException:
            self.close()
            raise

    def _connect_error(self, exc: sa.exc.DBAPIError) -> StoreError:
        return StoreError(
            f"{self.location}: cannot connect to the PostgreSQL server ({self._scrub(exc)});"
            " the password is read from PGPASSWORD, PGPASSFILE or pg_service.conf")

    def _scrub(self, exc: BaseException) -> str:
        """The first line of a driver message, never with the password in it."""
        from psycopg.conninfo import conninfo_to_dict

        text = super()._scrub(exc)
        try:
            password = conninfo_to_dict(self.url).get("password")
        except Exception:  # noqa: BLE001 - an unparsable URL has no password to hide
            password = None
        return text.replace(str(password), "***") if password else text
