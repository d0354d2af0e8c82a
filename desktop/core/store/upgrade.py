"""Schema versions: Alembic revisions (``migrations/versions/``), preceded by the four
versions of the hand-written backends (:mod:`desktop.core.store.legacy`).

At open (:meth:`Upgrader._open_schema`), read only: a store whose Alembic revision this app
does not know, or whose pre-Alembic version is higher than it knows, was written by a newer
app and is refused untouched; an empty database is refused unless ``create``.
:meth:`Upgrader.migrate`, under the migration lock (PostgreSQL: an advisory lock; SQLite: its
write lock), in one transaction: an empty database gets ``create_all`` and a stamp at the
head; a store of the hand-written backends (versions 1-4) is brought to version 4 by their
own steps, stamped as the baseline revision and upgraded; a store at an older revision is
upgraded. The version number is also written where the older apps look for it
(``user_version`` / ``schema_version``), so that they refuse a store they do not know.

Revision ids start with the schema version they make: ``0004`` is the baseline,
``0005_decisions_cheque_sha256`` the first change (an index), the next is ``0006_...py``.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from desktop.core.errors import N_, Message
from desktop.core.store import schema as t
from desktop.core.store.audit import head_digest
from desktop.core.store.legacy import LEGACY_VERSION, ROW_DIGEST_VERSION, STEPS
from desktop.core.store.records import StoreError
from desktop.core.store.rows import split_statements

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
BASELINE_REVISION = "0004"


def include_object(obj, name, kind, reflected, compare_to) -> bool:
    """What Alembic compares: not the pre-Alembic version table, nor SQLite's own."""
    return not (kind == "table" and name in ("schema_version", "sqlite_sequence"))


def version_of(revision: str) -> int:
    """The schema version a revision makes (its id's leading number)."""
    return int(revision.split("_", 1)[0])


class Migrations:
    """One folder of Alembic scripts (``env.py`` and ``versions/``) and what follows from it:
    the head revision and the schema version it makes. The app has one, :data:`SHIPPED`
    (``migrations/`` next to this module). A store uses another only when given one
    (``SQLiteStore(path, migrations=Migrations(folder))``, likewise ``PostgresStore``): the
    tests open a store with a copy of the folder holding a test-only next revision, to
    prove the upgrade path a real schema change will take (tests/test_store_revision.py)."""

    def __init__(self, location: str | Path = MIGRATIONS_DIR) -> None:
        self.location = Path(location)

    def config(self, conn: sa.Connection | None = None) -> Config:
        """An Alembic configuration for these scripts, sharing ``conn`` (env.py uses it)."""
        cfg = Config()
        cfg.set_main_option("script_location", str(self.location))
        cfg.attributes["connection"] = conn
        return cfg

    @cached_property
    def scripts(self) -> ScriptDirectory:
        return ScriptDirectory.from_config(self.config())

    @cached_property
    def head(self) -> str:
        return self.scripts.get_current_head()

    @property
    def schema_version(self) -> int:
        return version_of(self.head)

    def known(self, revision: str) -> bool:
        try:
            return self.scripts.get_revision(revision) is not None
        except CommandError:
            return False


SHIPPED = Migrations()


def alembic_config(conn: sa.Connection | None = None) -> Config:
    """An Alembic configuration for the app's scripts, sharing ``conn`` (env.py uses it)."""
    return SHIPPED.config(conn)


def scripts() -> ScriptDirectory:
    return SHIPPED.scripts


def head_revision() -> str:
    return SHIPPED.head


SCHEMA_VERSION = SHIPPED.schema_version


def known_revision(revision: str) -> bool:
    return SHIPPED.known(revision)


def current_revision(conn: sa.Connection) -> str | None:
    """The database's Alembic revision (None: not under Alembic yet)."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


class Upgrader:
    """Opening checks and migrations of :class:`desktop.core.store.sql_store.SqlStore`, with
    the scripts of ``migrations`` (the app's own unless the store was given others)."""

    migrations: Migrations = SHIPPED

    def _open_schema(self, create: bool, migrate: bool) -> None:
        """Refuse a newer or (unless ``create``) a missing store, by reading only; then
        migrate when asked."""
        with self._lock:
            try:
                version = self.dialect.legacy_version(self._db)
                revision = current_revision(self._db)
            except sa.exc.DBAPIError as exc:
                raise self._error(exc) from None
        known = self.migrations
        newer = version > known.schema_version or (revision is not None
                                                   and not known.known(revision))
        if newer:
            raise StoreError(Message(N_(
                "{store}: the store has schema version {version}, written by a newer version "
                "of the app (this one knows up to {known}); nothing was changed"),
                store=self.location,
                version=version_of(revision) if revision and revision[:4].isdigit() else version,
                known=known.schema_version))
        if version == 0 and revision is None and not create:
            raise StoreError(Message(N_(
                "no store at {store} (the database has no SigDesk tables); check the location, "
                "or create the store with --create (the app's first start makes it)"),
                store=self.location))
        self._covering = version >= ROW_DIGEST_VERSION or revision is not None
        if migrate and (revision != known.head or version != known.schema_version):
            self.migrate(version)

    def schema_version(self) -> int:
        """The store's schema version (0: an empty database)."""
        with self._lock:
            try:
                return self.dialect.legacy_version(self._db)
            except sa.exc.DBAPIError as exc:
                raise self._error(exc) from None

    def migrate(self, current: int | None = None, target: int | None = None) -> int:
        """Bring the store to ``target`` (default: this app's version) in one transaction
        under the migration lock; ``current`` is only a hint (the version is read again under
        the lock, so a second PC starting at the same moment finds nothing left to do). A
        ``target`` up to 4 applies the pre-Alembic steps only (tests make old stores so).
        Returns the version."""
        migrations = self.migrations
        target = migrations.schema_version if target is None else target
        with self.transaction() as conn:
            try:
                self.dialect.migration_lock(conn)
                version = self.dialect.legacy_version(conn)
                revision = current_revision(conn)
                if revision is None and version == 0 and target >= LEGACY_VERSION:
                    t.create_all(conn)  # an empty database: today's schema at once
                    command.stamp(migrations.config(conn), "head")
                    revision = migrations.head
                elif revision is None:
                    for step in range(version, min(target, LEGACY_VERSION)):
                        self._legacy_step(conn, step)
                    if target >= LEGACY_VERSION:
                        command.stamp(migrations.config(conn), BASELINE_REVISION)
                        revision = BASELINE_REVISION
                if revision is not None and revision != migrations.head:
                    command.upgrade(migrations.config(conn), "head")
                if revision is not None:
                    self.dialect.set_legacy_version(conn, migrations.schema_version)
                version = self.dialect.legacy_version(conn)
            except sa.exc.DBAPIError as exc:
                raise self._error(exc) from None
        self._covering = version >= ROW_DIGEST_VERSION
        return version

    def _legacy_step(self, conn: sa.Connection, step: int) -> None:
        """Pre-Alembic step ``step`` -> ``step + 1``, with version 4's data step."""
        for statement in split_statements(STEPS[self.dialect.name][step]):
            conn.exec_driver_sql(statement)
        self.dialect.set_legacy_version(conn, step + 1)
        if step + 1 == ROW_DIGEST_VERSION:
            self._covering = True
            self._baseline(conn)

    def _baseline(self, conn: sa.Connection) -> None:
        """Version 4's data step: count the audit rows in the head, hash the head, and record
        every existing covered row in one "baseline" audit row (none when the store is
        empty)."""
        head = conn.execute(sa.select(t.audit_head.c.last_id, t.audit_head.c.last_hash)
                            .where(t.audit_head.c.one == 1)).one()
        last_id = int(head.last_id)
        conn.execute(t.audit_head.update().where(t.audit_head.c.one == 1).values(
            row_count=last_id, head_hash=head_digest(last_id, last_id, head.last_hash)))
        digests = dict(self._current_digests())
        if digests:
            self._pending_rows.update(digests)
            self.append_audit("sigdesk", "baseline", details={
                "schema_version": ROW_DIGEST_VERSION, "rows": len(digests),
                "note": "rows written before the audit chain recorded row digests"})
