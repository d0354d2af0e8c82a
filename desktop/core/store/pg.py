"""The shared reference store: a PostgreSQL database for several branches and clerk PCs.

Same records, rules and schema versions as :class:`desktop.core.store.sqlite.SQLiteStore`:
BYTEA images and embeddings, BIGINT identity keys, TEXT timestamps in the format of
:func:`desktop.core.store.utc_now`, the audit chain of :mod:`desktop.core.store.audit`. Schema
versions are in the ``schema_version`` table; migrations run at open under an advisory lock so
that two PCs starting at once do not both migrate. The password never comes from settings: the
URL names server, database and user, and libpq finds the password in ``PGPASSWORD``,
``PGPASSFILE`` (``~/.pgpass``, ``%APPDATA%\\postgresql\\pgpass.conf``) or ``pg_service.conf``.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timezone
from typing import Any

import numpy as np
import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row

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
from desktop.core.store.pg_banknotes import PgBanknoteMixin
from desktop.core.store.pg_schema import (
    INTEGRITY_CHECKS,
    MIGRATIONS,
    ROW_DIGEST_VERSION,
    SCHEMA_VERSION,
)
from desktop.core.store.records import (
    ROLES,
    Account,
    Decision,
    NewReference,
    Reference,
    ReferenceStore,
    StoreError,
    User,
    embedding_to_bytes,
    is_postgres_url,
    redact_url,
    utc_now,
)
from desktop.core.store.rows import (
    COVERED_TABLES,
    RowDigestRecorder,
    audit_from_row,
    covered_select,
    keyed_digests,
    like_pattern,
    reference_from_row,
    split_statements,
    user_from_row,
)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big",
                          signed=True)


class PostgresStore(RowDigestRecorder, PgBanknoteMixin, ReferenceStore):
    """The shared store on a PostgreSQL server.

    One connection per process behind a re-entrant lock, as in SQLite: the app's worker
    threads take turns (each call is a few milliseconds), nested ``transaction()`` blocks on
    one thread join the outer one, and a broken connection is reopened before the next
    transaction. Different processes (PCs) run concurrently on the server; what must not
    interleave is serialised there: the audit head row is locked (``FOR UPDATE``) for the
    append, and :meth:`lock` takes a transaction-scoped advisory lock.

    ``create``: make the store's tables in a database that has none yet (else
    :class:`StoreError`: an empty database is not a store until asked).
    """

    def __init__(self, url: str, migrate: bool = True, create: bool = True) -> None:
        self.url = url
        self.location = redact_url(url) if is_postgres_url(url) else "PostgreSQL (conninfo)"
        self._lock = threading.RLock()
        self._depth = 0
        self._reading = False  # inside _snapshot()'s read-only transaction
        self._pending_rows: dict[str, str] = {}
        self._conn = self._connect()
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            self._conn.close()
            raise StoreError(
                f"{self.location}: the store has schema version {version}, written by a newer "
                f"version of the app (this one knows up to {SCHEMA_VERSION}); nothing was changed"
            )
        if version == 0 and not create:
            self._conn.close()
            raise StoreError(f"no store at {self.location} (the database has no SigDesk "
                             "tables); check the URL, or create the store with --create (the "
                             "app's first start with this URL in its settings makes it)")
        self._covering = version >= ROW_DIGEST_VERSION
        if migrate:
            self.migrate(version)

    # ---- plumbing ----------------------------------------------------------------------
    def _connect(self) -> psycopg.Connection:
        try:
            given = conninfo_to_dict(self.url)
        except psycopg.Error as exc:
            raise StoreError(f"{self.location}: not a usable PostgreSQL URL "
                             f"({self._scrub(exc)})") from None
        extra = {k: v for k, v in (("connect_timeout", "10"), ("application_name", "sigdesk"))
                 if k not in given}
        try:
            return psycopg.connect(self.url, autocommit=True, row_factory=dict_row, **extra)
        except psycopg.Error as exc:
            raise StoreError(
                f"{self.location}: cannot connect to the PostgreSQL server ({self._scrub(exc)});"
                " the password is read from PGPASSWORD, PGPASSFILE or pg_service.conf") from None

    def _scrub(self, exc: BaseException) -> str:
        """The first line of a driver message, never with the password in it."""
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        try:
            password = conninfo_to_dict(self.url).get("password")
        except psycopg.Error:
            password = None
        return text.replace(str(password), "***") if password else text

    def _error(self, exc: psycopg.Error) -> StoreError:
        if isinstance(exc, pg_errors.DeadlockDetected | pg_errors.SerializationFailure):
            err = StoreError(f"{self.location}: the server stopped this change because it "
                             f"conflicted with another PC's ({self._scrub(exc)}); try again")
        elif isinstance(exc, psycopg.OperationalError) or self._conn.broken:
            err = StoreError(f"{self.location}: the connection to the PostgreSQL server failed "
                             f"({self._scrub(exc)})")
        else:
            err = StoreError(f"{self.location}: {self._scrub(exc)}")
        err.sqlstate = exc.sqlstate  # type: ignore[attr-defined]
        return err

    def _exec(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        """Run one statement and return its rows (an empty list when it returns none)."""
        with self._lock:
            if self._depth == 0 and (self._conn.closed or self._conn.broken):
                self._conn = self._connect()  # the server restarted: a new session
            try:
                cur = self._conn.execute(sql, params)
                return cur.fetchall() if cur.description is not None else []
            except psycopg.Error as exc:
                raise self._error(exc) from None

    def _one(self, sql: str, params: Sequence[Any] | None = None) -> dict[str, Any] | None:
        rows = self._exec(sql, params)
        return rows[0] if rows else None

    @contextmanager
    def transaction(self, begin: str = "BEGIN") -> Iterator[psycopg.Connection]:
        """Group writes: the outermost block commits, or rolls back on any exception."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._exec(begin)
                self._pending_rows = {}
            self._depth += 1
            try:
                yield self._conn
            except BaseException:
                self._depth -= 1
                if outer:
                    self._pending_rows = {}
                    self._rollback()
                raise
            self._depth -= 1
            if outer:
                self._pending_rows = {}  # rows no audit row recorded: `check` reports them
                self._exec("COMMIT")

    def _rollback(self) -> None:
        if self._conn.closed or self._conn.broken:
            return  # the server rolls back a transaction whose connection is gone
        try:
            self._conn.execute("ROLLBACK")
        except psycopg.Error:
            pass  # the original exception is what the caller needs to see

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """A consistent read: a repeatable-read snapshot, or the caller's transaction."""
        with self._lock:
            if self._depth:
                yield
            else:
                with self.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"):
                    self._reading = True
                    try:
                        yield
                    finally:
                        self._reading = False

    def lock(self, name: str) -> None:
        """Transaction-scoped advisory lock: other processes taking ``name`` wait for us."""
        with self._lock:
            if self._depth == 0:
                raise StoreError("lock() is only meaningful inside store.transaction()")
            self._exec("SELECT pg_advisory_xact_lock(%s)", (lock_key(name),))

    def schema_version(self) -> int:
        """The schema version recorded in the database (0: an empty database)."""
        row = self._one("SELECT to_regclass('schema_version') IS NOT NULL AS present")
        if not row or not row["present"]:
            return 0
        row = self._one("SELECT version FROM schema_version WHERE one = 1")
        return int(row["version"]) if row else 0

    def migrate(self, current: int | None = None, target: int = SCHEMA_VERSION) -> int:
        """Apply the migrations up to ``target``, each in its own transaction. The version is
        read again under an advisory lock (``current`` is only a hint): a second PC starting
        at the same moment waits and then finds nothing left to do. Returns the version."""
        for _ in range(target):
            with self.transaction():
                self._exec("SELECT pg_advisory_xact_lock(hashtext('sigdesk-migrate:' || "
                           "current_schema()))")
                self._exec("CREATE TABLE IF NOT EXISTS schema_version (one INTEGER PRIMARY KEY "
                           "CHECK (one = 1), version INTEGER NOT NULL)")
                self._exec("INSERT INTO schema_version VALUES (1, 0) ON CONFLICT DO NOTHING")
                version = self.schema_version()
                if version >= target:
                    break
                for statement in split_statements(MIGRATIONS[version]):
                    self._exec(statement)
                self._exec("UPDATE schema_version SET version = %s WHERE one = 1",
                           (version + 1,))
                if version + 1 == ROW_DIGEST_VERSION:
                    self._covering = True
                    self._baseline()
        version = self.schema_version()
        self._covering = version >= ROW_DIGEST_VERSION
        return version

    def _baseline(self) -> None:
        """Migration 4's data step: count the audit rows in the head, hash the head, and
        record every existing covered row in one "baseline" audit row (none when the store
        is empty)."""
        head = self._one("SELECT last_id, last_hash FROM audit_head WHERE one = 1")
        last_id = int(head["last_id"])
        self._exec("UPDATE audit_head SET row_count = %s, head_hash = %s WHERE one = 1",
                   (last_id, head_digest(last_id, last_id, head["last_hash"])))
        digests = dict(self._current_digests())
        if digests:
            self._pending_rows.update(digests)
            self.append_audit("sigdesk", "baseline", details={
                "schema_version": ROW_DIGEST_VERSION, "rows": len(digests),
                "note": "rows written before the audit chain recorded row digests"})

    def _current_digests(self) -> Iterator[tuple[str, str]]:
        """``(key, sha256)`` of every row the audit chain covers, as stored now (inside the
        caller's transaction or snapshot; streamed with a server-side cursor)."""
        for table in COVERED_TABLES:
            try:
                with self._conn.cursor(name=f"sigdesk_digest_{table}") as cur:
                    cur.itersize = 500
                    cur.execute(covered_select(table))
                    yield from keyed_digests(table, cur)
            except psycopg.Error as exc:
                raise self._error(exc) from None

    def _written(self, table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Queue the digests of rows just written (``RETURNING *``) for the transaction's
        next audit row; returns the rows."""
        self._record_rows(table, rows)
        return rows

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def integrity_check(self) -> str:
        """Constraints and indexes valid, images matching their SHA-256, embeddings whole,
        decisions pointing at verifications, no duplicate account or user, the audit chain
        unbroken: ``"ok"`` or the problems found."""
        problems: list[str] = []
        with self._snapshot():
            version = self.schema_version()
            if version < 3:  # the checks below need the banknote table (version 3)
                return f"schema version {version}, expected {SCHEMA_VERSION} (not migrated)"
            for sql, message in INTEGRITY_CHECKS:
                problems += [message.format(r["what"]) for r in self._exec(sql + " LIMIT 20")]
            audit = self.verify_audit()
            if not audit.ok:
                problems.append(f"audit log: {audit.problem}")
        return "ok" if not problems else "; ".join(problems)

    # ---- users ---------------------------------------------------------------------------
    def count_users(self) -> int:
        return int(self._one("SELECT COUNT(*) AS n FROM users")["n"])

    def add_user(self, user: User) -> None:
        if user.role not in ROLES:
            raise StoreError(f"unknown role {user.role!r}")
        with self.transaction():
            # ON CONFLICT keeps the surrounding transaction usable (no aborted state).
            rows = self._exec(
                "INSERT INTO users (username, role, password_hash, salt, kdf, created_at) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING *",
                (user.username, user.role, user.password_hash, user.salt, user.kdf, utc_now()))
            if not rows:
                raise StoreError(f"a user named {user.username!r} already exists")
            self._written("users", rows)

    def get_user(self, username: str) -> User | None:
        row = self._one("SELECT * FROM users WHERE lower(username) = lower(%s)", (username,))
        return user_from_row(row) if row else None

    def list_users(self) -> list[User]:
        rows = self._exec('SELECT * FROM users ORDER BY lower(username) COLLATE "C"')
        return [user_from_row(r) for r in rows]

    def set_login_state(self, username: str, failed_attempts: int,
                        locked_until: str | None) -> None:
        self._exec("UPDATE users SET failed_attempts = %s, locked_until = %s "
                   "WHERE lower(username) = lower(%s)", (failed_attempts, locked_until, username))

    def set_password(self, username: str, password_hash: bytes, salt: bytes, kdf: str) -> None:
        self._written("users", self._exec(
            "UPDATE users SET password_hash = %s, salt = %s, kdf = %s, failed_attempts = 0, "
            "locked_until = NULL WHERE lower(username) = lower(%s) RETURNING *",
            (password_hash, salt, kdf, username)))

    def set_role(self, username: str, role: str) -> None:
        """Give ``username`` another role; :class:`StoreError` naming an unknown user or
        role."""
        if role not in ROLES:
            raise StoreError(f"unknown role {role!r}")
        with self.transaction():
            rows = self._exec("UPDATE users SET role = %s WHERE lower(username) = lower(%s) "
                              "RETURNING *", (role, username))
            if not rows:
                raise StoreError(f"there is no user named {username!r}")
            self._written("users", rows)

    def set_active(self, username: str, active: bool) -> None:
        """Deactivate or reactivate ``username`` (the row is kept); :class:`StoreError`
        naming an unknown user."""
        with self.transaction():
            rows = self._exec("UPDATE users SET active = %s WHERE lower(username) = lower(%s) "
                              "RETURNING *", (bool(active), username))
            if not rows:
                raise StoreError(f"there is no user named {username!r}")
            self._written("users", rows)

    # ---- accounts ------------------------------------------------------------------------
    def create_account(self, account_number: str, holder_name: str, by: str) -> Account:
        row = self._one(
            "INSERT INTO accounts (account_number, holder_name, created_at, created_by) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (account_number) DO NOTHING "
            "RETURNING id, account_number, holder_name, created_at, created_by",
            (account_number, holder_name, utc_now(), by))
        if row is None:  # another PC created it first (or long ago)
            raise StoreError(f"account {account_number} already exists")
        self._written("accounts", [row])
        return Account(**row)

    def get_account(self, account_number: str) -> Account | None:
        row = self._one("SELECT id, account_number, holder_name, created_at, created_by "
                        "FROM accounts WHERE account_number = %s", (account_number,))
        return Account(**row) if row else None

    def search_accounts(self, text: str, limit: int = 50) -> list[Account]:
        pattern = like_pattern(text.strip())
        rows = self._exec(
            "SELECT id, account_number, holder_name, created_at, created_by FROM accounts "
            "WHERE account_number ILIKE %s ESCAPE '\\' OR holder_name ILIKE %s ESCAPE '\\' "
            'ORDER BY holder_name COLLATE "C", account_number COLLATE "C" LIMIT %s',
            (pattern, pattern, limit))
        return [Account(**r) for r in rows]

    # ---- references ----------------------------------------------------------------------
    def add_references(self, account_id: int, refs: Sequence[NewReference], by: str,
                       enrollment_id: str) -> list[Reference]:
        ids: list[int] = []
        with self.transaction():
            for ref in refs:
                row = self._one(
                    "INSERT INTO reference_signatures (account_id, image_png, image_sha256, "
                    "source_name, embedding, model_id, enrollment_id, created_at, created_by) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                    (account_id, ref.image_png, hashlib.sha256(ref.image_png).hexdigest(),
                     ref.source_name, embedding_to_bytes(ref.embedding), ref.model_id,
                     enrollment_id, utc_now(), by))
                ids.append(int(row["id"]))
                self._after_reference_insert(len(ids))
            rows = self._written("reference_signatures", self._exec(
                "SELECT * FROM reference_signatures WHERE id = ANY(%s) ORDER BY id", (ids,)))
        return [reference_from_row(r) for r in rows]

    def _after_reference_insert(self, count: int) -> None:
        """Hook called inside the enrollment transaction after each row (crash tests)."""

    def references(self, account_id: int, include_revoked: bool = False) -> list[Reference]:
        sql = "SELECT * FROM reference_signatures WHERE account_id = %s"
        if not include_revoked:
            sql += " AND status = 'active'"
        return [reference_from_row(r) for r in self._exec(sql + " ORDER BY id", (account_id,))]

    def revoke_reference(self, ref_id: int, by: str, reason: str) -> Reference:
        row = self._one(
            "UPDATE reference_signatures SET status = 'revoked', revoked_at = %s, "
            "revoked_by = %s, revoke_reason = %s WHERE id = %s AND status = 'active' "
            "RETURNING *", (utc_now(), by, reason, ref_id))
        if row is None:
            raise StoreError(f"reference {ref_id} does not exist or is already revoked")
        self._written("reference_signatures", [row])
        return reference_from_row(row)

    def update_embeddings(self, updates: Sequence[tuple[int, np.ndarray, str]]) -> None:
        with self.transaction():
            for ref_id, embedding, model_id in updates:
                self._written("reference_signatures", self._exec(
                    "UPDATE reference_signatures SET embedding = %s, model_id = %s "
                    "WHERE id = %s RETURNING *", (embedding_to_bytes(embedding), model_id,
                                                  ref_id)))

    def stale_reference_count(self, model_id: str) -> int:
        row = self._one("SELECT COUNT(*) AS n FROM reference_signatures "
                        "WHERE status = 'active' AND model_id <> %s", (model_id,))
        return int(row["n"])

    # ---- decisions -----------------------------------------------------------------------
    def add_decision(self, decision: Decision) -> int:
        d = decision
        try:
            row = self._one(
                "INSERT INTO decisions (verification_id, account_id, cheque_name, "
                "cheque_sha256, model_id, method, score, similarity, verdict, decision, "
                "override_reason, decided_by, decided_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (verification_id) DO NOTHING RETURNING *",
                (d.verification_id, d.account_id, d.cheque_name, d.cheque_sha256, d.model_id,
                 d.method, d.score, d.similarity, d.verdict, d.decision, d.override_reason,
                 d.decided_by, d.decided_at))
        except StoreError as exc:
            if getattr(exc, "sqlstate", None) == pg_errors.ForeignKeyViolation.sqlstate:
                raise StoreError(f"verification {d.verification_id} or account {d.account_id} "
                                 "does not exist; no decision was recorded") from None
            raise
        if row is None:
            raise StoreError("a decision was already recorded for this verification")
        self._written("decisions", [row])
        return int(row["id"])

    def decisions(self, account_id: int) -> list[Decision]:
        rows = self._exec("SELECT * FROM decisions WHERE account_id = %s ORDER BY id",
                          (account_id,))
        return [Decision(**{k: v for k, v in r.items() if k != "id"}) for r in rows]

    # ---- audit ---------------------------------------------------------------------------
    def append_audit(self, username: str, action: str, account_number: str = "",
                     model_id: str = "", details: dict[str, Any] | None = None) -> AuditEntry:
        """Append one row to the chain; it records the digests of the rows this transaction
        created or changed so far (see :mod:`desktop.core.store.audit`)."""
        details = details or {}
        body = canonical_json(details)  # refuses NaN before anything is locked
        with self.transaction():
            # The head row lock serialises appenders of every process until we commit; the
            # time is the server's, read after the lock, so ids and times agree across PCs.
            head = self._one(
                "SELECT h.last_id, h.last_hash, clock_timestamp() AS now FROM (SELECT last_id, "
                "last_hash FROM audit_head WHERE one = 1 FOR UPDATE) h")
            if head is None:
                raise StoreError(f"{self.location}: the audit head row is missing")
            new_id, last_hash = int(head["last_id"]) + 1, head["last_hash"]
            ts = head["now"].astimezone(timezone.utc).isoformat(timespec="microseconds")
            if not self._covering:  # an old store opened without migrating
                digest = entry_hash(last_hash, new_id, ts, username, action, account_number,
                                    model_id, details)
                self._exec(
                    "WITH added AS (INSERT INTO audit_log (id, ts, username, action, "
                    "account_number, model_id, details, prev_hash, hash) VALUES (%s, %s, %s, "
                    "%s, %s, %s, %s, %s, %s)) UPDATE audit_head SET last_id = %s, "
                    "last_hash = %s WHERE one = 1",
                    (new_id, ts, username, action, account_number, model_id, body, last_hash,
                     digest, new_id, digest))
                return AuditEntry(new_id, ts, username, action, account_number, model_id,
                                  details, last_hash, digest)
            rows = self._take_pending_rows()
            digest = entry_hash(last_hash, new_id, ts, username, action, account_number,
                                model_id, details, rows)
            self._exec(
                "WITH added AS (INSERT INTO audit_log (id, ts, username, action, account_number, "
                "model_id, details, prev_hash, hash, row_digests) VALUES (%s, %s, %s, %s, %s, "
                "%s, %s, %s, %s, %s)) UPDATE audit_head SET last_id = %s, last_hash = %s, "
                "row_count = %s, head_hash = %s WHERE one = 1",
                (new_id, ts, username, action, account_number, model_id, body, last_hash,
                 digest, canonical_json(rows), new_id, digest, new_id,
                 head_digest(new_id, new_id, digest)))
        return AuditEntry(new_id, ts, username, action, account_number, model_id, details,
                          last_hash, digest, rows)

    def audit_entry(self, entry_id: int) -> AuditEntry | None:
        row = self._one("SELECT * FROM audit_log WHERE id = %s", (entry_id,))
        return audit_from_row(row) if row else None

    def audit_entries(self, flt: AuditFilter | None = None) -> list[AuditEntry]:
        flt = flt or AuditFilter()
        where, params = [], []
        for column, value in (("username", flt.username), ("action", flt.action),
                              ("account_number", flt.account_number)):
            if value:
                where.append(f"{column} = %s")
                params.append(value)
        if flt.since:
            where.append("ts >= %s")
            params.append(flt.since)
        if flt.until:
            where.append("ts < %s")
            params.append(flt.until)
        sql = "SELECT * FROM audit_log" + (" WHERE " + " AND ".join(where) if where else "")
        rows = self._exec(sql + " ORDER BY id DESC LIMIT %s", [*params, flt.limit])
        return [audit_from_row(r) for r in rows]

    def verify_audit(self) -> AuditCheck:
        """Walk the whole chain (see :func:`desktop.core.store.audit.verify_chain`) in one
        snapshot, so that appends by other PCs meanwhile do not look like damage."""
        with self._lock:
            inside = self._depth > 0 and not self._reading
            with self._snapshot():
                if inside:  # the caller's (read committed) transaction: hold appenders off
                    self._exec("SELECT 1 FROM audit_head WHERE one = 1 FOR SHARE")
                head = self._one("SELECT * FROM audit_head WHERE one = 1")
                covering = "row_count" in head and self.schema_version() >= ROW_DIGEST_VERSION
                recorded: dict[str, tuple[str, int]] = {}
                try:
                    with self._conn.cursor(name="sigdesk_audit_walk") as cur:
                        cur.itersize = 2000
                        cur.execute("SELECT * FROM audit_log ORDER BY id")
                        chain = verify_chain(
                            (audit_from_row(r) for r in cur), int(head["last_id"]),
                            head["last_hash"], int(head["row_count"]) if covering else None,
                            head.get("head_hash"), recorded)
                except psycopg.Error as exc:
                    raise self._error(exc) from None
                if not covering:
                    return chain
                problems, matched = check_row_digests(recorded, self._current_digests())
                return combine(chain, problems, matched)
