"""The one store implementation: :class:`SqlStore` runs the queries of
:class:`desktop.core.store.records.ReferenceStore` on SQLAlchemy Core, for SQLite and
PostgreSQL alike (what differs is in :mod:`desktop.core.store.dialects`; how each database is
opened in :mod:`desktop.core.store.backends`). Accounts, references and decisions are here;
users in :mod:`desktop.core.store.sql_users`, the audit chain in
:mod:`desktop.core.store.sql_audit`, banknote references in
:mod:`desktop.core.store.sql_banknotes`, schema versions in :mod:`desktop.core.store.upgrade`.

One connection per store object, shared by the app's worker threads behind a re-entrant lock
(each call is a few milliseconds); nested ``transaction()`` blocks on one thread join the outer
one. The outermost block begins a write transaction (SQLite: ``BEGIN IMMEDIATE``), so a read-
then-write such as the audit append cannot interleave with another process's write.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import sqlalchemy as sa

from desktop.core.errors import N_, Message
from desktop.core.store import schema as t
from desktop.core.store.account_text import account_key, name_key
from desktop.core.store.dialects import DIALECTS, Dialect, bytewise, sha256_hex
from desktop.core.store.prepared import Prepared
from desktop.core.store.records import (
    Account,
    ChequeDecision,
    Decision,
    NewReference,
    Reference,
    StoreError,
    embedding_to_bytes,
    utc_now,
)
from desktop.core.store.rows import reference_from_row
from desktop.core.store.sql_audit import AuditQueries
from desktop.core.store.sql_banknotes import BanknoteQueries
from desktop.core.store.sql_users import UserQueries
from desktop.core.store.upgrade import Upgrader

Row = sa.RowMapping
_ACCOUNT = (t.accounts.c.id, t.accounts.c.account_number, t.accounts.c.holder_name,
            t.accounts.c.created_at, t.accounts.c.created_by)
_REFS = t.reference_signatures
_REFS_OF = sa.select(_REFS).where(_REFS.c.account_id == sa.bindparam("account_id"))
_ACTIVE_REFS_OF = Prepared(_REFS_OF.where(_REFS.c.status == "active").order_by(_REFS.c.id))
_ALL_REFS_OF = Prepared(_REFS_OF.order_by(_REFS.c.id))
_GET_ACCOUNT = Prepared(sa.select(*_ACCOUNT).where(
    t.accounts.c.account_number == sa.bindparam("number")))
_DECISION_COLUMNS = [c.name for c in t.decisions.c if c.name != "id"]
_DECISION_PARAMS = [(f"p_{c}", c) for c in _DECISION_COLUMNS]
_D = t.decisions
# Earlier decisions on the same cheque file (a check's look-up, indexed by the SHA-256):
# acceptances first (so that one is never beyond the limit), newest first.
_CHEQUE_DECISIONS = Prepared(
    sa.select(_D.c.id.label("decision_id"), _D.c.verification_id,
              t.accounts.c.account_number, _D.c.cheque_name, _D.c.verdict, _D.c.decision,
              _D.c.decided_by, _D.c.decided_at)
    .join(t.accounts, t.accounts.c.id == _D.c.account_id)
    .where(_D.c.cheque_sha256 == sa.bindparam("sha256"))
    .order_by(sa.case((_D.c.decision == "accept", 0), else_=1), _D.c.id.desc())
    .limit(sa.bindparam("limit")))
# One decision per verification: ON CONFLICT keeps the surrounding transaction usable.
_ADD_DECISION = {d.name: Prepared(
    d.insert(t.decisions).values({c: sa.bindparam(f"p_{c}") for c in _DECISION_COLUMNS})
    .on_conflict_do_nothing(index_elements=["verification_id"]).returning(*t.decisions.c))
    for d in DIALECTS.values()}


class SqlStore(Upgrader, UserQueries, AuditQueries, BanknoteQueries):
    """A reference store on one SQLAlchemy connection (see the module's docstring)."""

    location: str
    dialect: Dialect

    def _attach(self, engine: sa.Engine, dialect: Dialect) -> None:
        """Take the store's one connection (autocommit: the store issues BEGIN itself)."""
        self._lock = threading.RLock()
        self._depth = 0
        self._reading = False  # inside _snapshot()'s read transaction
        self._pending_rows: dict[str, str] = {}
        self._covering = True
        self.engine, self.dialect = engine, dialect
        self._driver_error = engine.dialect.loaded_dbapi.Error
        try:
            self._db = engine.connect()
            self._driver_conn = self._db.connection.dbapi_connection
        except sa.exc.DBAPIError as exc:
            engine.dispose()
            raise self._connect_error(exc) from None

    def _connect_error(self, exc: sa.exc.DBAPIError) -> StoreError:
        return StoreError(Message(N_("{store}: cannot be opened as a reference store "
                                     "({detail})"), store=self.location,
                                  detail=self._scrub(exc)))

    def _scrub(self, exc: BaseException) -> str:
        """The first line of a driver message."""
        exc = getattr(exc, "orig", None) or exc
        text = str(exc).strip()
        return text.splitlines()[0] if text else type(exc).__name__

    @property
    def _conn(self) -> Any:
        """The driver's own connection (sqlite3 / psycopg), for tests that work behind the
        store's back."""
        return self._db.connection.dbapi_connection

    # ---- plumbing ----------------------------------------------------------------------
    def _error(self, exc: BaseException) -> StoreError:
        """A driver error (raw or wrapped by SQLAlchemy) as a :class:`StoreError` naming the
        store."""
        orig = getattr(exc, "orig", exc)
        lost = getattr(exc, "connection_invalidated", False) or self._db.invalidated
        if lost:
            self._driver_conn = None  # reconnected before the next transaction
            err = StoreError(Message(N_("{store}: the connection to the database failed "
                                        "({detail})"), store=self.location,
                                     detail=self._scrub(exc)))
        elif type(orig).__name__ in ("DeadlockDetected", "SerializationFailure"):
            err = StoreError(Message(N_("{store}: the server stopped this change because it "
                                        "conflicted with another PC's ({detail}); try again"),
                                     store=self.location, detail=self._scrub(exc)))
        else:
            err = StoreError(f"{self.location}: {self._scrub(exc)}")
        err.sqlstate = getattr(orig, "sqlstate", None)  # type: ignore[attr-defined]
        err.integrity = isinstance(  # type: ignore[attr-defined]
            orig, self.engine.dialect.loaded_dbapi.IntegrityError)
        return err

    def _reconnect_if_lost(self) -> None:
        """Between transactions: after a lost connection (a server restart) the next
        statement opens a new one."""
        if self._depth == 0 and self._driver_conn is None:
            if self._db.invalidated:
                self._db.rollback()
            try:
                self._driver_conn = self._db.connection.dbapi_connection
            except sa.exc.DBAPIError as exc:
                raise self._error(exc) from None

    def _execute(self, stmt: Any, params: Any = None) -> sa.CursorResult:
        """Run one statement through SQLAlchemy (the caller holds the lock)."""
        self._reconnect_if_lost()
        try:
            return self._db.execute(stmt, params)
        except sa.exc.DBAPIError as exc:
            raise self._error(exc) from None

    def _raw(self, sql: str, args: Any = None) -> Any:
        """Run SQL on the driver's connection (the caller holds the lock); a lost connection
        is marked so (the next transaction reconnects)."""
        raw = self._driver_conn
        if raw is None:
            self._reconnect_if_lost()
            raw = self._driver_conn
            if raw is None:  # lost inside a transaction: it is gone with the connection
                raise StoreError(Message(N_("{store}: the connection to the database failed "
                                            "during the transaction; nothing of it was kept"),
                                         store=self.location))
        try:
            return raw.execute(sql) if args is None else raw.execute(sql, args)
        except self._driver_error as exc:
            if self.engine.dialect.is_disconnect(exc, raw, None):
                self._db.invalidate(exc)
            raise self._error(exc) from None

    def _driver_sql(self, sql: str) -> None:
        self._raw(sql)

    def _rows(self, prepared: Prepared, params: dict[str, Any]) -> list[dict[str, Any]]:
        """The rows of a prepared statement as dicts (the caller holds the lock)."""
        cur = self._raw(*prepared.args(self.engine.dialect, params))
        if cur.description is None:
            return []
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def _all(self, stmt: Any, params: Any = None) -> list[Row]:
        with self._lock:
            if isinstance(stmt, Prepared):
                return self._rows(stmt, params or {})
            return list(self._execute(stmt, params).mappings())

    def _one(self, stmt: Any, params: Any = None) -> Row | None:
        with self._lock:
            if isinstance(stmt, Prepared):
                rows = self._rows(stmt, params or {})
                return rows[0] if rows else None
            return self._execute(stmt, params).mappings().first()

    def _scalar(self, stmt: Any, params: Any = None) -> Any:
        with self._lock:
            return self._execute(stmt, params).scalar()

    @contextmanager
    def transaction(self, read_only: bool = False) -> Iterator[sa.Connection]:
        """Group writes: the outermost block commits, or rolls back on any exception."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._driver_sql(self.dialect.begin_read if read_only
                                 else self.dialect.begin_write)
                self._pending_rows = {}
            self._depth += 1
            try:
                yield self._db
            except BaseException:
                self._depth -= 1
                if outer:
                    self._pending_rows = {}
                    self._rollback()
                raise
            self._depth -= 1
            if outer:
                self._pending_rows = {}  # rows no audit row recorded: `check` reports them
                self._driver_sql("COMMIT")

    def _rollback(self) -> None:
        if self._driver_conn is None:
            return  # the server rolls back a transaction whose connection is gone
        try:
            self._raw("ROLLBACK")
        except StoreError:
            pass  # the original exception is what the caller needs to see

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Several reads that see one state of the store, or the caller's transaction."""
        with self._lock:
            if self._depth:
                yield
                return
            with self.transaction(read_only=True):
                self._reading = True
                try:
                    yield
                finally:
                    self._reading = False

    def lock(self, name: str) -> None:
        """Transaction-scoped lock: other processes taking ``name`` wait for us (PostgreSQL's
        advisory lock; SQLite's write lock already excludes them)."""
        with self._lock:
            if self._depth == 0:
                raise StoreError("lock() is only meaningful inside store.transaction()")
            try:
                self.dialect.lock(self._db, name)
            except sa.exc.DBAPIError as exc:
                raise self._error(exc) from None

    def _written(self, table: str, rows: list[Row]) -> list[Row]:
        """Queue the digests of rows just written (``RETURNING``) for the transaction's next
        audit row; returns the rows."""
        self._record_rows(table, rows)
        return rows

    def close(self) -> None:
        """Close the connection (SQLite: checkpointing the WAL)."""
        with self._lock:
            self._db.close()
            self.engine.dispose()

    def integrity_check(self) -> str:
        """The database's own checks, then every reference image matching its SHA-256,
        embeddings whole, decisions pointing at verifications, no account or user twice, the
        audit chain unbroken: ``"ok"`` or the problems found."""
        with self._lock:
            try:
                problems = self.dialect.engine_problems(self._db)
            except sa.exc.DBAPIError as exc:
                raise self._error(exc) from None
            if problems:
                return "; ".join(problems)
            with self._snapshot():
                problems += self._content_problems()
                audit = self.verify_audit()
                if not audit.ok:
                    problems.append(f"audit log: {audit.problem}")
        return "ok" if not problems else "; ".join(problems)

    def _content_problems(self) -> list[str]:
        refs, notes, d, a = t.reference_signatures, t.banknote_references, t.decisions, \
            t.audit_log
        cut = (sa.func.length(refs.c.embedding) == 0) | (sa.func.length(refs.c.embedding)
                                                          .op("%")(4) != 0)
        checks = [
            (sa.select(refs.c.id).where(refs.c.image_sha256 != sha256_hex(refs.c.image_png)),
             "reference {}: the image does not match its SHA-256"),
            (sa.select(refs.c.id).where(cut), "reference {}: the embedding is cut"),
            (sa.select(d.c.id).join(a, a.c.id == d.c.verification_id)
             .where(a.c.action != "verify"), "decision {} does not point at a verification"),
            (sa.select(t.accounts.c.account_number).group_by(t.accounts.c.account_number)
             .having(sa.func.count() > 1), "account {} exists twice"),
            (sa.select(sa.func.lower(t.users.c.username)).group_by(
                sa.func.lower(t.users.c.username)).having(sa.func.count() > 1),
             "user {} exists twice"),
        ]
        if self.schema_version() >= 3:  # the banknote table (version 3)
            cut = (sa.func.length(notes.c.embedding) == 0) | (
                sa.func.length(notes.c.embedding).op("%")(4) != 0)
            checks.insert(2, (sa.select(notes.c.id).where(cut),
                              "banknote reference {}: the embedding is cut"))
        problems: list[str] = []
        for query, message in checks:
            problems += [message.format(r[0]) for r in
                         self._execute(query.limit(20)).fetchall()]
        return problems

    # ---- accounts ------------------------------------------------------------------------
    def create_account(self, account_number: str, holder_name: str, by: str) -> Account:
        with self.transaction():
            row = self._one(self.dialect.insert(t.accounts).values(
                account_number=account_number, holder_name=holder_name, created_at=utc_now(),
                created_by=by).on_conflict_do_nothing().returning(*_ACCOUNT))
            if row is None:  # another PC created it first (or long ago)
                raise StoreError(Message(N_("account {account} already exists"),
                                         account=account_number))
            self._written("accounts", [row])
        return Account(**row)

    def get_account(self, account_number: str) -> Account | None:
        row = self._one(_GET_ACCOUNT, {"number": account_number})
        return Account(**row) if row else None

    def find_accounts(self, account_number: str) -> list[Account]:
        # Compared in Python (account_text.account_key): rows stored before numbers were
        # canonical hold them as typed, which no SQL common to SQLite and PostgreSQL folds.
        # Numbers are short and accounts tens of thousands at most: one narrow scan.
        key = account_key(account_number)
        if not key:
            return []
        c = t.accounts.c
        with self._snapshot():
            ids = [row.id for row in self._execute(sa.select(c.id, c.account_number))
                   if account_key(row.account_number) == key]
            return self._accounts_by_id(ids)

    def search_accounts(self, text: str, limit: int = 50) -> list[Account]:
        # A name is matched case-folded and in NFC, a number by its folded key (spaces,
        # dashes, full-width digits): in Python, the same on both databases (SQLite's LIKE
        # folds ASCII only; PostgreSQL's ILIKE follows the database's locale).
        name, number = name_key(text), account_key(text)
        c = t.accounts.c
        ids: list[int] = []
        with self._snapshot():
            rows = self._execute(sa.select(c.id, c.account_number, c.holder_name).order_by(
                bytewise(c.holder_name), bytewise(c.account_number))).fetchall()
            for row in rows:
                if name in name_key(row.holder_name) or (
                        number and number in account_key(row.account_number)):
                    ids.append(row.id)
                    if len(ids) == limit:
                        break
            return self._accounts_by_id(ids)

    def _accounts_by_id(self, ids: list[int]) -> list[Account]:
        """The accounts ``ids``, in that order."""
        if not ids:
            return []
        rows = {r["id"]: r for r in self._all(sa.select(*_ACCOUNT).where(
            t.accounts.c.id.in_(ids)))}
        return [Account(**rows[i]) for i in ids]

    # ---- references ----------------------------------------------------------------------
    def add_references(self, account_id: int, refs: Sequence[NewReference], by: str,
                       enrollment_id: str) -> list[Reference]:
        rows: list[Row] = []
        with self.transaction():
            for ref in refs:
                rows.append(self._one(_REFS.insert().values(
                    account_id=account_id, image_png=ref.image_png,
                    image_sha256=hashlib.sha256(ref.image_png).hexdigest(),
                    source_name=ref.source_name, embedding=embedding_to_bytes(ref.embedding),
                    model_id=ref.model_id, enrollment_id=enrollment_id, created_at=utc_now(),
                    created_by=by).returning(*_REFS.c)))
                self._after_reference_insert(len(rows))
            self._written("reference_signatures", rows)
        return [reference_from_row(r) for r in rows]

    def _after_reference_insert(self, count: int) -> None:
        """Hook called inside the enrollment transaction after each row (crash tests)."""

    def references(self, account_id: int, include_revoked: bool = False) -> list[Reference]:
        query = _ALL_REFS_OF if include_revoked else _ACTIVE_REFS_OF
        return [reference_from_row(r) for r in self._all(query, {"account_id": account_id})]

    def revoke_reference(self, ref_id: int, by: str, reason: str) -> Reference:
        with self.transaction():
            row = self._one(_REFS.update().where(_REFS.c.id == ref_id,
                                                 _REFS.c.status == "active").values(
                status="revoked", revoked_at=utc_now(), revoked_by=by, revoke_reason=reason,
            ).returning(*_REFS.c))
            if row is None:
                raise StoreError(Message(N_("reference {ref} does not exist or is already "
                                            "revoked"), ref=ref_id))
            self._written("reference_signatures", [row])
        return reference_from_row(row)

    def update_embeddings(self, updates: Sequence[tuple[int, np.ndarray, str]]) -> None:
        with self.transaction():
            for ref_id, embedding, model_id in updates:
                self._written("reference_signatures", self._all(
                    _REFS.update().where(_REFS.c.id == ref_id).values(
                        embedding=embedding_to_bytes(embedding), model_id=model_id,
                    ).returning(*_REFS.c)))

    def stale_reference_count(self, model_id: str) -> int:
        return int(self._scalar(sa.select(sa.func.count()).select_from(_REFS).where(
            _REFS.c.status == "active", _REFS.c.model_id != model_id)))

    # ---- decisions -----------------------------------------------------------------------
    def add_decision(self, decision: Decision) -> int:
        d = decision
        with self.transaction():
            try:
                row = self._one(_ADD_DECISION[self.dialect.name], {
                    key: getattr(d, c) for key, c in _DECISION_PARAMS})
            except StoreError as exc:
                if getattr(exc, "integrity", False):
                    raise StoreError(Message(N_(
                        "verification {verification} or account {account} does not exist; no "
                        "decision was recorded"), verification=d.verification_id,
                        account=d.account_id)) from None
                raise
            if row is None:
                raise StoreError(Message(N_("a decision was already recorded for this "
                                            "verification")))
            self._written("decisions", [row])
        return int(row["id"])

    def decisions(self, account_id: int) -> list[Decision]:
        rows = self._all(sa.select(t.decisions).where(t.decisions.c.account_id == account_id)
                         .order_by(t.decisions.c.id))
        return [Decision(**{k: v for k, v in r.items() if k != "id"}) for r in rows]

    def cheque_decisions(self, cheque_sha256: str, limit: int = 20) -> list[ChequeDecision]:
        rows = self._all(_CHEQUE_DECISIONS, {"sha256": cheque_sha256, "limit": int(limit)})
        return [ChequeDecision(**{**r, "decision_id": int(r["decision_id"]),
                                  "verification_id": int(r["verification_id"])})
                for r in rows]
