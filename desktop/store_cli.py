"""``sigdesk-store``: the administrator's store commands.

  sigdesk-store migrate --from branch.sqlite --to postgresql://sigdesk@db.bank.local/sigdesk
      copy an SQLite store into an empty PostgreSQL database: users, accounts, references
      (revoked ones too), banknote references, decisions and the audit log, with their ids and
      hashes; all or nothing, checked at the end (row counts, audit chain, integrity).
  sigdesk-store check LOCATION [--anchor ROWS:SHA256]
      integrity check and audit chain verification of a store file or postgresql:// URL
      (every user, account, reference, decision and banknote reference compared with the
      digest its last audit row recorded); prints the anchor ROWS:SHA256 to keep outside the
      store, and with --anchor checks that an earlier anchor is still in the chain. It never
      creates or upgrades a store.

The PostgreSQL password is never written on the command line: libpq reads it from PGPASSWORD,
PGPASSFILE (~/.pgpass) or pg_service.conf.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from desktop.core.errors import VerificationError
from desktop.core.store.audit import AuditFilter
from desktop.core.store.factory import open_store
from desktop.core.store.records import (
    ReferenceStore,
    StoreError,
    is_postgres_url,
    redact_url,
)


def migrate_sqlite_to_postgres(source: str | Path, target_url: str,
                               log=print) -> dict[str, int]:
    """Copy the SQLite store ``source`` into the empty PostgreSQL store at ``target_url`` in
    one transaction on the target; returns the rows copied per table. Raises
    :class:`StoreError` (and leaves the target without any of the rows) when the target is
    not empty or a check after the copy fails."""
    from desktop.core.store.backends import PostgresStore, SQLiteStore
    from desktop.core.store.schema import TABLES, audit_head
    from desktop.core.store.upgrade import SCHEMA_VERSION

    source = Path(source)
    if not source.is_file():
        raise StoreError(f"{source}: no such store file")
    if not is_postgres_url(target_url):
        raise StoreError(f"{target_url}: the target must be a postgresql:// URL")
    src = SQLiteStore(source, migrate=False, create=False)
    dst: PostgresStore | None = None
    try:
        version = src.schema_version()
        if version < SCHEMA_VERSION:  # what the app itself does when it opens the file
            log(f"{source}: schema version {version} upgraded to {SCHEMA_VERSION} first")
            src.migrate(version)
        dst = PostgresStore(target_url)
        # The source's write lock keeps the copy a consistent snapshot (a branch app still
        # running waits); the target's table locks keep its PCs out until we commit.
        with src.transaction() as sconn, dst.transaction() as tconn:
            tconn.exec_driver_sql(f"LOCK TABLE {', '.join(TABLES)}, audit_head "
                                  "IN EXCLUSIVE MODE")
            for table in TABLES:
                if tconn.execute(sa.select(sa.exists().select_from(
                        sa.table(table)))).scalar():
                    raise StoreError(f"{dst.location}: the target is not empty (table {table} "
                                     "has rows); migrate into a new, empty database")
            counts = {table: _copy_table(sconn, tconn, table, dst.location) for table in TABLES}
            head_query = sa.select(audit_head.c.last_id, audit_head.c.last_hash,
                                   audit_head.c.row_count, audit_head.c.head_hash)
            head = tuple(sconn.execute(head_query).one())
            tconn.execute(audit_head.update().where(audit_head.c.one == 1).values(
                dict(zip(("last_id", "last_hash", "row_count", "head_hash"), head,
                         strict=True))))
            for table in TABLES:
                if table != "users" and table != "audit_log":  # identity keys continue after
                    tconn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"COALESCE(MAX(id), 0) + 1, false) FROM {table}")
            _check_copy(src, dst, tconn, counts, head, head_query)
        log(f"copied into {dst.location}: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
        return counts
    except sa.exc.DBAPIError as exc:  # statements run here directly (LOCK, the copy)
        where = dst.location if dst is not None else redact_url(target_url)
        problem = str(exc.orig).strip().splitlines()[0]
        raise StoreError(f"{where}: {problem}; nothing was copied") from None
    finally:
        src.close()
        if dst is not None:
            dst.close()


def _copy_table(sconn: sa.Connection, tconn: sa.Connection, table: str, where: str) -> int:
    """Copy one table's rows into the target in batches (ids kept); returns the count."""
    from desktop.core.store.schema import metadata

    tab = metadata.tables[table]
    cols = [c["name"] for c in sa.inspect(sconn).get_columns(table)]
    target = [c["name"] for c in sa.inspect(tconn).get_columns(table)]
    if set(cols) != set(target) or set(cols) != set(tab.c.keys()):
        raise StoreError(f"{where}: table {table} has columns {sorted(target)}, the source "
                         f"{sorted(cols)}; nothing was copied")
    order = tab.c.username if table == "users" else tab.c.id
    n = 0
    result = sconn.execute(sa.select(tab).order_by(order).execution_options(yield_per=500))
    for batch in result.mappings().partitions():
        tconn.execute(tab.insert(), [dict(row) for row in batch])
        n += len(batch)
    return n


def _check_copy(src: ReferenceStore, dst: ReferenceStore, tconn: sa.Connection,
                counts: dict[str, int], head: tuple, head_query: sa.Select) -> None:
    """Inside the target's transaction: counts, audit chain, head and integrity as the
    source's, or :class:`StoreError` (the transaction then rolls back)."""
    for table, n in counts.items():
        got = tconn.execute(sa.select(sa.func.count()).select_from(sa.table(table))).scalar()
        if got != n:
            raise StoreError(f"{dst.location}: {table} has {got} rows after the copy, the "
                             f"source {n}; nothing was copied")
    check = dst.verify_audit()
    if not check.ok or check.rows != counts["audit_log"]:
        source = src.verify_audit()
        raise StoreError(f"{dst.location}: the copied audit chain does not verify "
                         f"({check.problem or f'{check.rows} rows'}); nothing was copied"
                         + ("" if source.ok else f"; the source's own chain is broken "
                            f"({source.problem}): investigate it first"))
    if tuple(tconn.execute(head_query).one()) != head:
        raise StoreError(f"{dst.location}: the audit head differs from the source's; nothing "
                         "was copied")
    problems = dst.integrity_check()
    if problems != "ok":
        raise StoreError(f"{dst.location}: integrity check after the copy: {problems}; "
                         "nothing was copied")


def check_store(location: str, log=print, anchor: str | None = None) -> bool:
    """Print the integrity check, the audit verification (chain, head and the rows it
    covers) and the anchor to keep outside the store; with ``anchor`` (``"ROWS:SHA256"`` from
    an earlier check, or an exported row's id and hash) also check that this row is still in
    the chain with that hash. True when everything is fine. The store is neither created
    nor upgraded (:class:`StoreError` when there is none at ``location``)."""
    from desktop.core.store.audit import parse_anchor
    from desktop.core.store.legacy import ROW_DIGEST_VERSION
    from desktop.core.store.upgrade import SCHEMA_VERSION

    expected = parse_anchor(anchor) if anchor else None  # a typo stops before any work
    store = open_store(location, create=False, migrate=False)
    try:
        started = time.perf_counter()
        log(f"store: {store.location}")
        version = store.schema_version()
        if version < SCHEMA_VERSION:
            log(f"schema version {version}: the app upgrades it to {SCHEMA_VERSION} at its next "
                "start" + ("; until then the chain covers only the audit log itself"
                           if version < ROW_DIGEST_VERSION else ""))
        integrity = store.integrity_check()
        audit = store.verify_audit()
        last = store.audit_entries(AuditFilter(limit=1))
        log(f"integrity: {integrity}")
        if audit.ok:
            covered = (f"; {audit.covered} users, accounts, references, decisions and banknote "
                       "references match what their audit rows recorded"
                       if version >= ROW_DIGEST_VERSION else "")
            log(f"audit chain: ok, {audit.rows} rows{covered}")
        else:
            log(f"audit chain: BROKEN at row {audit.bad_id}: {audit.problem}")
            for problem in audit.problems[1:]:
                log(f"  also: {problem}")
        if last:
            log(f"last audit row: {last[0].id} at {last[0].ts}, hash {last[0].hash}")
        if audit.ok:
            log(f"anchor: {audit.rows}:{audit.last_hash} (keep it outside the store; later, "
                f"sigdesk-store check LOCATION --anchor {audit.rows}:{audit.last_hash} finds "
                "the log cut back or rewritten)")
        anchored = True
        if expected is not None:
            anchored = _check_anchor(store, *expected, log=log)
        log(f"checked in {time.perf_counter() - started:.2f} s")
        return integrity == "ok" and audit.ok and anchored
    finally:
        store.close()


def _check_anchor(store: ReferenceStore, row_id: int, digest: str, log=print) -> bool:
    """Whether audit row ``row_id`` is still in the store with hash ``digest`` (with the
    chain verified, so is every row before it)."""
    if row_id == 0:
        log("anchor: 0 rows (nothing to compare)")
        return True
    entry = store.audit_entry(row_id)
    if entry is None:
        log(f"anchor: FAILED: audit row {row_id} is gone (the log was cut back to fewer rows "
            "than the anchor counted)")
        return False
    if entry.hash != digest:
        log(f"anchor: FAILED: audit row {row_id} has hash {entry.hash}, the anchor "
            f"{digest} (the log was rewritten)")
        return False
    log(f"anchor: ok, audit row {row_id} still has the anchored hash")
    return True


def build_parser() -> argparse.ArgumentParser:
    """The ``sigdesk-store`` argument parser."""
    p = argparse.ArgumentParser(prog="sigdesk-store", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("migrate", help="copy an SQLite store into an empty PostgreSQL one")
    m.add_argument("--from", dest="source", required=True, help="the SQLite store file")
    m.add_argument("--to", dest="target", required=True,
                   help="postgresql://user@host:port/database (password from PGPASSFILE)")
    c = sub.add_parser("check", help="integrity check and audit chain verification")
    c.add_argument("location", help="store file or postgresql:// URL")
    c.add_argument("--anchor", default=None, metavar="ROWS:SHA256",
                   help="an anchor printed by an earlier check (or an exported audit row's "
                   "id:hash): fail when that row is gone or changed")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``sigdesk-store``: 0 when done and sound, 1 when ``check`` found
    problems, 2 when the command could not run (the message says why)."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "migrate":
            started = time.perf_counter()
            counts = migrate_sqlite_to_postgres(args.source, args.target)
            print(f"migrated {sum(counts.values())} rows in {time.perf_counter() - started:.1f}"
                  " s; the audit chain and the row counts were verified")
            return 0
        return 0 if check_store(args.location, anchor=args.anchor) else 1
    except ValueError as exc:  # a malformed --anchor
        print(f"sigdesk-store: {exc}", file=sys.stderr)
        return 2
    except VerificationError as exc:
        print(f"sigdesk-store: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
