"""The embedded reference store: one SQLite file (WAL journal, synchronous=FULL, foreign
keys), schema versions in ``PRAGMA user_version`` with migrations applied at open.

A store file is only created when asked (``create=True``: the app's first start, or
``--create``), with mode 0600 in a folder created 0700 (POSIX); a file that is not a store of
this app (empty, not SQLite, another application's database) is refused untouched."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from desktop.core.paths import create_private_file, make_private, make_private_dir
from desktop.core.store.audit import (
    GENESIS_HASH,
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
from desktop.core.store.sqlite_banknotes import BANKNOTE_MIGRATION, BanknoteStoreMixin

# Each migration moves the schema from version i to i + 1 (PRAGMA user_version).
MIGRATIONS: tuple[str, ...] = (
    # 1: the initial schema
    """
    CREATE TABLE users (
        username TEXT PRIMARY KEY COLLATE NOCASE,
        role TEXT NOT NULL CHECK (role IN ('clerk', 'operator', 'admin')),
        password_hash BLOB NOT NULL,
        salt BLOB NOT NULL,
        kdf TEXT NOT NULL,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        locked_until TEXT,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL
    );
    CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        account_number TEXT NOT NULL UNIQUE,
        holder_name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
    );
    CREATE TABLE reference_signatures (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id),
        image_png BLOB NOT NULL,
        image_sha256 TEXT NOT NULL,
        source_name TEXT NOT NULL DEFAULT '',
        embedding BLOB NOT NULL,
        model_id TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
        enrollment_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at TEXT,
        revoked_by TEXT,
        revoke_reason TEXT
    );
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        verification_id INTEGER NOT NULL UNIQUE REFERENCES audit_log(id),
        account_id INTEGER NOT NULL REFERENCES accounts(id),
        cheque_name TEXT NOT NULL,
        cheque_sha256 TEXT NOT NULL,
        model_id TEXT NOT NULL,
        method TEXT NOT NULL,
        score REAL NOT NULL,
        similarity REAL NOT NULL,
        verdict TEXT NOT NULL,
        decision TEXT NOT NULL,
        override_reason TEXT NOT NULL DEFAULT '',
        decided_by TEXT NOT NULL,
        decided_at TEXT NOT NULL
    );
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        username TEXT NOT NULL,
        action TEXT NOT NULL,
        account_number TEXT NOT NULL DEFAULT '',
        model_id TEXT NOT NULL DEFAULT '',
        details TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE TABLE audit_head (
        one INTEGER PRIMARY KEY CHECK (one = 1),
        last_id INTEGER NOT NULL,
        last_hash TEXT NOT NULL
    );
    INSERT INTO audit_head (one, last_id, last_hash) VALUES (1, 0, '""" + GENESIS_HASH + """');
    """,
    # 2: indexes for account search, reference look-up and the audit viewer's filters
    """
    CREATE INDEX idx_accounts_name ON accounts (holder_name COLLATE NOCASE);
    CREATE INDEX idx_refs_account ON reference_signatures (account_id, status);
    CREATE INDEX idx_refs_model ON reference_signatures (model_id);
    CREATE INDEX idx_decisions_account ON decisions (account_id);
    CREATE INDEX idx_audit_ts ON audit_log (ts);
    CREATE INDEX idx_audit_account ON audit_log (account_number);
    CREATE INDEX idx_audit_user_action ON audit_log (username, action);
    """,
    # 3: reference banknotes enrolled by operators (desktop/core/store/sqlite_banknotes.py)
    BANKNOTE_MIGRATION,
    # 4: the audit chain covers the other tables' rows (each audit row records the SHA-256 of
    # the rows it created or changed) and the head counts the rows and hashes itself; then
    # (in Python, same transaction) the head is filled in and one "baseline" audit row
    # records every row written before.
    # Also the supervisor role (approves overrides): SQLite cannot change a CHECK, so the
    # users table is rebuilt with the same columns.
    """
    ALTER TABLE audit_log ADD COLUMN row_digests TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE audit_head ADD COLUMN row_count INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE audit_head ADD COLUMN head_hash TEXT NOT NULL DEFAULT '';
    CREATE TABLE users_v4 (
        username TEXT PRIMARY KEY COLLATE NOCASE,
        role TEXT NOT NULL CHECK (role IN ('clerk', 'operator', 'supervisor', 'admin')),
        password_hash BLOB NOT NULL,
        salt BLOB NOT NULL,
        kdf TEXT NOT NULL,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        locked_until TEXT,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL
    );
    INSERT INTO users_v4 (username, role, password_hash, salt, kdf, failed_attempts,
        locked_until, active, created_at) SELECT username, role, password_hash, salt, kdf,
        failed_attempts, locked_until, active, created_at FROM users;
    DROP TABLE users;
    ALTER TABLE users_v4 RENAME TO users;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
ROW_DIGEST_VERSION = 4  # from this version on the chain covers the other tables
SQLITE_HEADER = b"SQLite format 3\x00"


class SQLiteStore(RowDigestRecorder, BanknoteStoreMixin, ReferenceStore):
    """The embedded store: one SQLite file in WAL mode.

    One connection shared by the app's worker threads behind a re-entrant lock; the outermost
    ``transaction()`` takes SQLite's write lock at once (``BEGIN IMMEDIATE``) so that a
    read-then-write (the audit chain) cannot interleave with another process's write.

    ``create``: make a new store when ``path`` does not exist (else :class:`StoreError`
    naming it). A file that exists must be a store of this app (or, with ``create``, an
    empty SQLite database); anything else is refused without being changed.
    """

    def __init__(self, path: str | Path, migrate: bool = True, create: bool = True) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self._lock = threading.RLock()
        self._depth = 0
        self._pending_rows: dict[str, str] = {}
        created = self._prepare_file(create)
        try:
            self._conn = sqlite3.connect(
                str(self.path), timeout=30.0, isolation_level=None, check_same_thread=False
            )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot be opened as a reference store ({exc})") \
                from None
        try:
            version = self._inspect(create or created)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("PRAGMA synchronous=FULL")  # a committed row survives power loss
            self._conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # -shm exists
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise StoreError(f"{self.path}: cannot be opened as a reference store ({exc}); "
                             "nothing was changed") from None
        except StoreError:
            self._conn.close()
            raise
        if created:
            for suffix in ("", "-wal", "-shm"):  # SQLite copies the mode; make sure of it
                make_private(f"{self.path}{suffix}")
        if migrate:
            self.migrate(version)

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

    def _inspect(self, may_initialise: bool) -> int:
        """The file's schema version after checking that it is a store of this app, by
        reading only (nothing is written to a file that is refused)."""
        version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {r[0] for r in self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: the store has schema version {version}, written by a newer "
                f"version of the app (this one knows up to {SCHEMA_VERSION}); nothing was changed"
            )
        if version == 0 and not tables:
            if not may_initialise:
                raise StoreError(f"{self.path}: an empty SQLite database, not a SigDesk store; "
                                 "nothing was changed (use --create to make it one)")
            return version
        if version == 0 or not {"users", "audit_log", "audit_head"} <= tables:
            raise StoreError(f"{self.path}: an SQLite database of another application (it "
                             "does not have SigDesk's tables); nothing was changed")
        return version

    # ---- plumbing ----------------------------------------------------------------------
    def migrate(self, current: int | None = None, target: int = SCHEMA_VERSION) -> int:
        """Apply the migrations from the store's version up to ``target``, each in its own
        transaction (schema change and version bump commit together). Returns the version."""
        if current is None:
            current = self.schema_version()
        for version in range(current, target):
            with self.transaction():
                for statement in split_statements(MIGRATIONS[version]):
                    self._conn.execute(statement)
                self._conn.execute(f"PRAGMA user_version = {version + 1}")
                if version + 1 == ROW_DIGEST_VERSION:
                    self._baseline()
        return target

    def _baseline(self) -> None:
        """Migration 4's data step: count the audit rows in the head, hash the head, and
        record every existing covered row in one "baseline" audit row (none when the store
        is empty)."""
        last_id, last_hash = self._conn.execute(
            "SELECT last_id, last_hash FROM audit_head WHERE one = 1").fetchone()
        self._conn.execute("UPDATE audit_head SET row_count = ?, head_hash = ? WHERE one = 1",
                           (last_id, head_digest(last_id, last_id, last_hash)))
        digests = dict(self._current_digests())
        if digests:
            self._pending_rows.update(digests)
            self.append_audit("sigdesk", "baseline", details={
                "schema_version": ROW_DIGEST_VERSION, "rows": len(digests),
                "note": "rows written before the audit chain recorded row digests"})

    def schema_version(self) -> int:
        """The schema version recorded in the file."""
        with self._lock:
            return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Group writes: the outermost block commits, or rolls back on any exception."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
                self._pending_rows = {}
            self._depth += 1
            try:
                yield self._conn
            except BaseException:
                self._depth -= 1
                if outer:
                    self._pending_rows = {}
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._pending_rows = {}  # rows no audit row recorded: `check` reports them
                self._conn.execute("COMMIT")

    @contextmanager
    def _read_snapshot(self) -> Iterator[None]:
        """Several reads that see one state of the file (a deferred read transaction), or
        the caller's transaction."""
        with self._lock:
            if self._depth:
                yield
                return
            self._conn.execute("BEGIN")
            try:
                yield
            finally:
                self._conn.execute("COMMIT")

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        """Stream the rows of one query as dicts (the caller holds the lock)."""
        cur = self._conn.execute(sql, params)
        cols = [c[0] for c in cur.description]
        for values in cur:
            yield dict(zip(cols, values, strict=True))

    def _current_digests(self) -> Iterator[tuple[str, str]]:
        """``(key, sha256)`` of every row the audit chain covers, as stored now."""
        for table in COVERED_TABLES:
            yield from keyed_digests(table, self._rows(covered_select(table)))

    def _written(self, table: str, where: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        """Rows just written (read back inside the transaction) and queued for the next
        audit row of the transaction."""
        rows = list(self._rows(f"SELECT * FROM {table} WHERE {where}", params))
        self._record_rows(table, rows)
        return rows

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            cur = self._conn.execute(sql, params)
            cols = [c[0] for c in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        with self._lock:
            self._conn.close()

    def integrity_check(self) -> str:
        """SQLite's own integrity check plus foreign keys, and (as PostgreSQL's) every
        reference image matching its SHA-256, embeddings whole, decisions pointing at
        verifications, no account twice: ``"ok"`` or the problems found."""
        with self._lock:
            rows = [r[0] for r in self._conn.execute("PRAGMA integrity_check").fetchall()]
            fk = self._conn.execute("PRAGMA foreign_key_check").fetchall()
            problems = [r for r in rows if r != "ok"] + [f"foreign key: {row}" for row in fk]
            if problems:
                return "; ".join(problems)
            with self._read_snapshot():
                problems += self._content_problems()
        return "ok" if not problems else "; ".join(problems)

    def _content_problems(self, limit: int = 20) -> list[str]:
        """The checks PostgreSQL's integrity check runs in SQL (pg_schema.INTEGRITY_CHECKS)."""
        problems: list[str] = []
        for row in self._rows("SELECT id, image_png, image_sha256, embedding "
                               "FROM reference_signatures ORDER BY id"):
            if hashlib.sha256(row["image_png"]).hexdigest() != row["image_sha256"]:
                problems.append(f"reference {row['id']}: the image does not match its SHA-256")
            if not row["embedding"] or len(row["embedding"]) % 4:
                problems.append(f"reference {row['id']}: the embedding is cut")
        if self.schema_version() >= 3:
            for (ref_id,) in self._conn.execute(
                    "SELECT id FROM banknote_references WHERE length(embedding) = 0 "
                    "OR length(embedding) % 4 <> 0"):
                problems.append(f"banknote reference {ref_id}: the embedding is cut")
        for (decision_id,) in self._conn.execute(
                "SELECT d.id FROM decisions d JOIN audit_log a ON a.id = d.verification_id "
                "WHERE a.action <> 'verify'"):
            problems.append(f"decision {decision_id} does not point at a verification")
        for (number,) in self._conn.execute(
                "SELECT account_number FROM accounts GROUP BY account_number "
                "HAVING count(*) > 1"):
            problems.append(f"account {number} exists twice")
        return problems[:limit]

    # ---- users ---------------------------------------------------------------------------
    def count_users(self) -> int:
        return int(self._query("SELECT COUNT(*) AS n FROM users")[0]["n"])

    def add_user(self, user: User) -> None:
        if user.role not in ROLES:
            raise StoreError(f"unknown role {user.role!r}")
        with self.transaction() as conn:
            try:
                conn.execute(
                    "INSERT INTO users (username, role, password_hash, salt, kdf, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (user.username, user.role, user.password_hash, user.salt, user.kdf,
                     utc_now()),
                )
            except sqlite3.IntegrityError:
                raise StoreError(f"a user named {user.username!r} already exists") from None
            self._written("users", "username = ?", (user.username,))

    def get_user(self, username: str) -> User | None:
        rows = self._query("SELECT * FROM users WHERE username = ?", (username,))
        return user_from_row(rows[0]) if rows else None

    def list_users(self) -> list[User]:
        return [user_from_row(r) for r in self._query("SELECT * FROM users ORDER BY username")]

    def set_login_state(self, username: str, failed_attempts: int,
                        locked_until: str | None) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE users SET failed_attempts = ?, locked_until = ? "
                         "WHERE username = ?", (failed_attempts, locked_until, username))

    def set_password(self, username: str, password_hash: bytes, salt: bytes, kdf: str) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE users SET password_hash = ?, salt = ?, kdf = ?, "
                         "failed_attempts = 0, locked_until = NULL WHERE username = ?",
                         (password_hash, salt, kdf, username))
            self._written("users", "username = ?", (username,))

    def set_role(self, username: str, role: str) -> None:
        """Give ``username`` another role; :class:`StoreError` naming an unknown user or
        role."""
        if role not in ROLES:
            raise StoreError(f"unknown role {role!r}")
        with self.transaction() as conn:
            cur = conn.execute("UPDATE users SET role = ? WHERE username = ?", (role, username))
            if cur.rowcount == 0:
                raise StoreError(f"there is no user named {username!r}")
            self._written("users", "username = ?", (username,))

    def set_active(self, username: str, active: bool) -> None:
        """Deactivate or reactivate ``username`` (the row is kept); :class:`StoreError`
        naming an unknown user."""
        with self.transaction() as conn:
            cur = conn.execute("UPDATE users SET active = ? WHERE username = ?",
                               (1 if active else 0, username))
            if cur.rowcount == 0:
                raise StoreError(f"there is no user named {username!r}")
            self._written("users", "username = ?", (username,))

    # ---- accounts ------------------------------------------------------------------------
    def create_account(self, account_number: str, holder_name: str, by: str) -> Account:
        with self.transaction() as conn:
            try:
                cur = conn.execute(
                    "INSERT INTO accounts (account_number, holder_name, created_at, created_by) "
                    "VALUES (?, ?, ?, ?)", (account_number, holder_name, utc_now(), by),
                )
            except sqlite3.IntegrityError:
                raise StoreError(f"account {account_number} already exists") from None
            (row,) = self._written("accounts", "id = ?", (cur.lastrowid,))
            return Account(**row)

    def get_account(self, account_number: str) -> Account | None:
        rows = self._query("SELECT * FROM accounts WHERE account_number = ?", (account_number,))
        return Account(**rows[0]) if rows else None

    def search_accounts(self, text: str, limit: int = 50) -> list[Account]:
        text = text.strip()
        rows = self._query(
            "SELECT * FROM accounts WHERE account_number LIKE ? ESCAPE '\\' "
            "OR holder_name LIKE ? ESCAPE '\\' ORDER BY holder_name, account_number LIMIT ?",
            (like_pattern(text), like_pattern(text), limit),
        )
        return [Account(**r) for r in rows]

    # ---- references ----------------------------------------------------------------------
    def add_references(self, account_id: int, refs: Sequence[NewReference], by: str,
                       enrollment_id: str) -> list[Reference]:
        ids = []
        with self.transaction() as conn:
            for ref in refs:
                cur = conn.execute(
                    "INSERT INTO reference_signatures (account_id, image_png, image_sha256, "
                    "source_name, embedding, model_id, enrollment_id, created_at, created_by) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (account_id, ref.image_png, hashlib.sha256(ref.image_png).hexdigest(),
                     ref.source_name, embedding_to_bytes(ref.embedding), ref.model_id,
                     enrollment_id, utc_now(), by),
                )
                ids.append(cur.lastrowid)
                self._after_reference_insert(len(ids))
            marks = ",".join("?" * len(ids))
            rows = self._written("reference_signatures", f"id IN ({marks}) ORDER BY id", ids)
        return [reference_from_row(r) for r in rows]

    def _after_reference_insert(self, count: int) -> None:
        """Hook called inside the enrollment transaction after each row (crash tests)."""

    def references(self, account_id: int, include_revoked: bool = False) -> list[Reference]:
        sql = "SELECT * FROM reference_signatures WHERE account_id = ?"
        if not include_revoked:
            sql += " AND status = 'active'"
        return [reference_from_row(r) for r in self._query(sql + " ORDER BY id", (account_id,))]

    def revoke_reference(self, ref_id: int, by: str, reason: str) -> Reference:
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE reference_signatures SET status = 'revoked', revoked_at = ?, "
                "revoked_by = ?, revoke_reason = ? WHERE id = ? AND status = 'active'",
                (utc_now(), by, reason, ref_id),
            )
            if cur.rowcount != 1:
                raise StoreError(f"reference {ref_id} does not exist or is already revoked")
            rows = self._written("reference_signatures", "id = ?", (ref_id,))
        return reference_from_row(rows[0])

    def update_embeddings(self, updates: Sequence[tuple[int, np.ndarray, str]]) -> None:
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE reference_signatures SET embedding = ?, model_id = ? WHERE id = ?",
                [(embedding_to_bytes(e), m, i) for i, e, m in updates],
            )
            for ref_id, _, _ in updates:
                self._written("reference_signatures", "id = ?", (ref_id,))

    def stale_reference_count(self, model_id: str) -> int:
        rows = self._query("SELECT COUNT(*) AS n FROM reference_signatures "
                           "WHERE status = 'active' AND model_id != ?", (model_id,))
        return int(rows[0]["n"])

    # ---- decisions -----------------------------------------------------------------------
    def add_decision(self, decision: Decision) -> int:
        d = decision
        with self.transaction() as conn:
            try:
                cur = conn.execute(
                    "INSERT INTO decisions (verification_id, account_id, cheque_name, "
                    "cheque_sha256, model_id, method, score, similarity, verdict, decision, "
                    "override_reason, decided_by, decided_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (d.verification_id, d.account_id, d.cheque_name, d.cheque_sha256,
                     d.model_id, d.method, d.score, d.similarity, d.verdict, d.decision,
                     d.override_reason, d.decided_by, d.decided_at),
                )
            except sqlite3.IntegrityError:
                raise StoreError("a decision was already recorded for this verification") \
                    from None
            self._written("decisions", "id = ?", (cur.lastrowid,))
            return int(cur.lastrowid)

    def decisions(self, account_id: int) -> list[Decision]:
        rows = self._query("SELECT * FROM decisions WHERE account_id = ? ORDER BY id",
                           (account_id,))
        return [Decision(**{k: v for k, v in r.items() if k != "id"}) for r in rows]

    # ---- audit ---------------------------------------------------------------------------
    def append_audit(self, username: str, action: str, account_number: str = "",
                     model_id: str = "", details: dict[str, Any] | None = None) -> AuditEntry:
        """Append one row to the chain; it records the digests of the rows this transaction
        created or changed so far (see :mod:`desktop.core.store.audit`)."""
        details = details or {}
        body = canonical_json(details)  # refuses NaN before anything is written
        with self.transaction() as conn:
            last_id, last_hash = conn.execute(
                "SELECT last_id, last_hash FROM audit_head WHERE one = 1").fetchone()
            new_id, ts = last_id + 1, utc_now()
            if self.schema_version() < ROW_DIGEST_VERSION:  # an old store not migrated yet
                digest = entry_hash(last_hash, new_id, ts, username, action, account_number,
                                    model_id, details)
                conn.execute(
                    "INSERT INTO audit_log (id, ts, username, action, account_number, "
                    "model_id, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (new_id, ts, username, action, account_number, model_id, body, last_hash,
                     digest))
                conn.execute("UPDATE audit_head SET last_id = ?, last_hash = ? WHERE one = 1",
                             (new_id, digest))
                return AuditEntry(new_id, ts, username, action, account_number, model_id,
                                  details, last_hash, digest)
            rows = self._take_pending_rows()
            digest = entry_hash(last_hash, new_id, ts, username, action, account_number,
                                model_id, details, rows)
            conn.execute(
                "INSERT INTO audit_log (id, ts, username, action, account_number, model_id, "
                "details, prev_hash, hash, row_digests) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (new_id, ts, username, action, account_number, model_id, body, last_hash,
                 digest, canonical_json(rows)),
            )
            conn.execute("UPDATE audit_head SET last_id = ?, last_hash = ?, row_count = ?, "
                         "head_hash = ? WHERE one = 1",
                         (new_id, digest, new_id, head_digest(new_id, new_id, digest)))
        return AuditEntry(new_id, ts, username, action, account_number, model_id, details,
                          last_hash, digest, rows)

    def audit_entry(self, entry_id: int) -> AuditEntry | None:
        rows = self._query("SELECT * FROM audit_log WHERE id = ?", (entry_id,))
        return audit_from_row(rows[0]) if rows else None

    def audit_entries(self, flt: AuditFilter | None = None) -> list[AuditEntry]:
        flt = flt or AuditFilter()
        where, params = [], []
        for column, value in (("username", flt.username), ("action", flt.action),
                              ("account_number", flt.account_number)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if flt.since:
            where.append("ts >= ?")
            params.append(flt.since)
        if flt.until:
            where.append("ts < ?")
            params.append(flt.until)
        sql = "SELECT * FROM audit_log" + (" WHERE " + " AND ".join(where) if where else "")
        rows = self._query(sql + " ORDER BY id DESC LIMIT ?", [*params, flt.limit])
        return [audit_from_row(r) for r in rows]

    def verify_audit(self) -> AuditCheck:
        """Walk the whole chain (see :func:`desktop.core.store.audit.verify_chain`) and, from
        schema version 4, compare every covered row with the digest the chain last recorded
        for it (:func:`desktop.core.store.audit.check_row_digests`), in one snapshot."""
        with self._lock, self._read_snapshot():
            head = next(self._rows("SELECT * FROM audit_head WHERE one = 1"))
            covering = self.schema_version() >= ROW_DIGEST_VERSION
            recorded: dict[str, tuple[str, int]] = {}
            chain = verify_chain(
                (audit_from_row(r) for r in self._rows("SELECT * FROM audit_log ORDER BY id")),
                head["last_id"], head["last_hash"],
                head["row_count"] if covering else None, head.get("head_hash"), recorded)
            if not covering:
                return chain
            problems, matched = check_row_digests(recorded, self._current_digests())
            return combine(chain, problems, matched)
