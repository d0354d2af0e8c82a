"""The audit chain's queries (:mod:`desktop.core.store.audit` has its rules), mixed into
:class:`desktop.core.store.sql_store.SqlStore`: appending a row under the head's row lock
(``FOR UPDATE``; SQLite's write lock), reading, and verifying the chain and the rows it covers
in one snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timezone
from functools import cache
from typing import Any

import sqlalchemy as sa

from desktop.core.errors import N_, Message
from desktop.core.store import schema as t
from desktop.core.store.audit import (
    AuditCheck,
    AuditEntry,
    AuditFilter,
    canonical_json,
    check_row_digests,
    combine,
    entry_hash,
    head_digest,
    verify_chain,
)
from desktop.core.store.dialects import Dialect, server_clock
from desktop.core.store.prepared import Prepared
from desktop.core.store.records import StoreError, utc_now
from desktop.core.store.rows import COVERED_TABLES, RowDigestRecorder, audit_from_row, keyed_digests

_head = t.audit_head
# The head row locked for the append (every appender of every process waits here until we
# commit); the server's time is read after the lock, so ids and times agree across PCs.
_locked = sa.select(_head.c.last_id, _head.c.last_hash).where(_head.c.one == 1) \
    .with_for_update().subquery("h")
_LOCK_HEAD = Prepared(sa.select(_locked.c.last_id, _locked.c.last_hash,
                                 server_clock().label("now")))
# Every column there is (a store older than version 4 has neither row_count nor row_digests).
_HEAD = sa.select(sa.literal_column("*")).select_from(_head).where(_head.c.one == 1)
_ENTRIES = sa.select(sa.literal_column("*")).select_from(t.audit_log)
_SET_HEAD = _head.update().where(_head.c.one == 1)
_ROW_COLUMNS = ("id", "ts", "username", "action", "account_number", "model_id", "details",
                "prev_hash", "hash", "row_digests")
_HEAD_COLUMNS = ("last_id", "last_hash", "row_count", "head_hash")


@cache
def _append(dialect: Dialect, covering: bool) -> list[Prepared]:
    """The append's insert of the row and update of the head (before schema version 4:
    without the row digests, the row count and the head's hash)."""
    rows, head = (_ROW_COLUMNS, _HEAD_COLUMNS) if covering else (_ROW_COLUMNS[:-1],
                                                                 _HEAD_COLUMNS[:2])
    insert = t.audit_log.insert().values({c: sa.bindparam(f"p_{c}") for c in rows})
    update = _SET_HEAD.values({c: sa.bindparam(f"h_{c}") for c in head})
    return [Prepared(stmt) for stmt in dialect.insert_then_update(insert, update)]


def _covered_select(table: str) -> sa.Select:
    """The SELECT of a covered table's hashed columns, in key order."""
    _, key_column, columns = COVERED_TABLES[table]
    tab = t.metadata.tables[table]
    return sa.select(*(tab.c[c] for c in columns)).order_by(tab.c[key_column])


class AuditQueries(RowDigestRecorder):
    """The audit methods of :class:`desktop.core.store.records.ReferenceStore`."""

    _covering: bool  # schema version 4 or later: audit rows record row digests
    _reading: bool

    def append_audit(self, username: str, action: str, account_number: str = "",
                     model_id: str = "", details: dict[str, Any] | None = None) -> AuditEntry:
        """Append one row to the chain; it records the digests of the rows this transaction
        created or changed so far (see :mod:`desktop.core.store.audit`)."""
        details = details or {}
        body = canonical_json(details)  # refuses NaN before anything is locked
        with self.transaction():
            head = self._one(_LOCK_HEAD)
            if head is None:
                raise StoreError(Message(N_("{store}: the audit head row is missing"),
                                         store=self.location))
            new_id, last_hash = int(head["last_id"]) + 1, head["last_hash"]
            now = head["now"]
            ts = utc_now() if now is None else \
                now.astimezone(timezone.utc).isoformat(timespec="microseconds")
            params = {"p_id": new_id, "p_ts": ts, "p_username": username,
                      "p_action": action, "p_account_number": account_number,
                      "p_model_id": model_id, "p_details": body, "p_prev_hash": last_hash,
                      "h_last_id": new_id}
            if not self._covering:  # an old store opened without migrating
                rows: dict[str, str] = {}
                digest = entry_hash(last_hash, new_id, ts, username, action, account_number,
                                    model_id, details)
            else:
                rows = self._take_pending_rows()
                digest = entry_hash(last_hash, new_id, ts, username, action, account_number,
                                    model_id, details, rows)
                params.update(p_row_digests=canonical_json(rows), h_row_count=new_id,
                              h_head_hash=head_digest(new_id, new_id, digest))
            params.update(p_hash=digest, h_last_hash=digest)
            for stmt in _append(self.dialect, self._covering):
                self._raw(*stmt.args(self.engine.dialect, params))
        if not self._covering:
            return AuditEntry(new_id, ts, username, action, account_number, model_id,
                              details, last_hash, digest)
        return AuditEntry(new_id, ts, username, action, account_number, model_id, details,
                          last_hash, digest, rows)

    def audit_entry(self, entry_id: int) -> AuditEntry | None:
        row = self._one(_ENTRIES.where(t.audit_log.c.id == entry_id))
        return audit_from_row(row) if row else None

    def audit_entries(self, flt: AuditFilter | None = None) -> list[AuditEntry]:
        flt = flt or AuditFilter()
        c = t.audit_log.c
        query = _ENTRIES
        for column, value in ((c.username, flt.username), (c.action, flt.action),
                              (c.account_number, flt.account_number)):
            if value:
                query = query.where(column == value)
        if flt.since:
            query = query.where(c.ts >= flt.since)
        if flt.until:
            query = query.where(c.ts < flt.until)
        rows = self._all(query.order_by(c.id.desc()).limit(flt.limit))
        return [audit_from_row(r) for r in rows]

    def _stream(self, query: sa.Select, size: int) -> Iterator[sa.RowMapping]:
        """The rows of ``query`` a batch at a time (PostgreSQL: a server-side cursor), inside
        the caller's transaction or snapshot."""
        try:
            result = self._db.execute(query.execution_options(yield_per=size))
            yield from result.mappings()
        except sa.exc.DBAPIError as exc:
            raise self._error(exc) from None

    def _current_digests(self) -> Iterator[tuple[str, str]]:
        """``(key, sha256)`` of every row the audit chain covers, as stored now."""
        for table in COVERED_TABLES:
            yield from keyed_digests(table, self._stream(_covered_select(table), 500))

    def verify_audit(self) -> AuditCheck:
        """Walk the whole chain (see :func:`desktop.core.store.audit.verify_chain`) and, from
        schema version 4, compare every covered row with the digest the chain last recorded
        for it (:func:`desktop.core.store.audit.check_row_digests`), in one snapshot, so that
        appends by other PCs meanwhile do not look like damage."""
        with self._lock:
            inside = self._depth > 0 and not self._reading
            with self._snapshot():
                if inside:  # the caller's (read committed) transaction: hold appenders off
                    self._execute(_HEAD.with_for_update(read=True))
                head = self._one(_HEAD)
                # The head's row count exists from schema version 4, when the chain began to
                # cover rows: read from the head itself, not from the version number, which
                # the chain does not protect (lowered to 3, it turned the row check off).
                covering = head.get("row_count") is not None
                recorded: dict[str, tuple[str, int]] = {}
                entries = self._stream(_ENTRIES.order_by(t.audit_log.c.id), 2000)
                chain = verify_chain(
                    (audit_from_row(r) for r in entries), int(head["last_id"]),
                    head["last_hash"], int(head["row_count"]) if covering else None,
                    head.get("head_hash"), recorded)
                if not covering:
                    return chain
                problems, matched = check_row_digests(recorded, self._current_digests())
                return combine(chain, problems, matched)
