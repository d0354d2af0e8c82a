"""Below the store's queries: turning rows (mappings with the tables' column names, from
either database) into records, the row digests the audit chain records, checking a new
reference note before it is written, and small SQL-text helpers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from desktop.core.store.audit import MALFORMED_KEY, AuditEntry, canonical_json
from desktop.core.store.records import (
    BanknoteReference,
    NewBanknoteReference,
    Reference,
    StoreError,
    User,
    embedding_from_bytes,
)


def split_statements(script: str) -> list[str]:
    """Split a migration script into statements (none of ours contains ';' in a literal)."""
    return [s.strip() for s in script.split(";") if s.strip()]


def user_from_row(row: dict[str, Any]) -> User:
    """A ``users`` row as a :class:`User`."""
    return User(username=row["username"], role=row["role"], password_hash=row["password_hash"],
                salt=row["salt"], kdf=row["kdf"], failed_attempts=row["failed_attempts"],
                locked_until=row["locked_until"], active=bool(row["active"]))


def reference_from_row(row: dict[str, Any]) -> Reference:
    """A ``reference_signatures`` row as a :class:`Reference`."""
    row = dict(row)
    row["embedding"] = embedding_from_bytes(row["embedding"])
    return Reference(**row)


def audit_from_row(row: dict[str, Any]) -> AuditEntry:
    """An ``audit_log`` row as an :class:`AuditEntry` (details and row digests parsed from
    JSON). A row whose stored text is not a JSON object (edited by hand) still comes back,
    marked ``malformed``, with its raw text under ``details[MALFORMED_KEY]``, so that the
    viewer opens and the chain check names the row."""
    row = dict(row)
    raw_details, raw_digests = row.get("details"), row.pop("row_digests", None) or "{}"
    details, digests = _json_object(raw_details), _json_object(raw_digests)
    if digests is not None and not all(isinstance(v, str) for v in digests.values()):
        digests = None
    malformed = details is None or digests is None
    if details is None:
        details = {MALFORMED_KEY: str(raw_details)}
    if digests is None:
        details = {**details, "unreadable_row_digests": str(raw_digests)}
        digests = {}
    row["details"] = details
    return AuditEntry(**row, row_digests=digests, malformed=malformed)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _json_object(text: Any) -> dict[str, Any] | None:
    """``text`` parsed as a JSON object, or None when it is not one (NaN and Infinity, which
    Python's parser takes but canonical JSON cannot hash, are not JSON)."""
    try:
        value = json.loads(text, parse_constant=_not_json)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


# The store rows the audit chain covers: table -> (key prefix, key column, hashed columns).
# users: failed_attempts and locked_until are left out on purpose: they are the lock-out
# counter, changed by every login attempt (each of which is an audit row of its own), not
# anything a user is allowed to do.
COVERED_TABLES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "users": ("user", "username", ("username", "role", "password_hash", "salt", "kdf",
                                   "active", "created_at")),
    "accounts": ("account", "id", ("id", "account_number", "holder_name", "created_at",
                                   "created_by")),
    "reference_signatures": ("reference", "id", (
        "id", "account_id", "image_png", "image_sha256", "source_name", "embedding",
        "model_id", "status", "enrollment_id", "created_at", "created_by", "revoked_at",
        "revoked_by", "revoke_reason")),
    "decisions": ("decision", "id", (
        "id", "verification_id", "account_id", "cheque_name", "cheque_sha256", "model_id",
        "method", "score", "similarity", "verdict", "decision", "override_reason",
        "decided_by", "decided_at")),
    "banknote_references": ("banknote", "id", (
        "id", "class_key", "series", "image_png", "embedding", "model_id", "source_name",
        "enrolled_by", "enrolled_at", "active", "revoked_by", "revoked_at", "revoke_reason")),
}
_BOOLEAN_COLUMNS = {"active"}
_FLOAT_COLUMNS = {"score", "similarity"}


def _digest_value(column: str, value: Any) -> Any:
    """One column's value in a form both backends give alike (SQLite's 0/1 and PostgreSQL's
    booleans, bytes and memoryviews, floats exactly)."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return {"sha256": hashlib.sha256(data).hexdigest(), "len": len(data)}
    if column in _BOOLEAN_COLUMNS:
        return bool(value)
    if column in _FLOAT_COLUMNS or isinstance(value, float):
        return {"float": float(value).hex()}
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    return str(value)


def row_key(table: str, row: dict[str, Any]) -> str:
    """The key under which the audit chain records a row: ``"reference:12"``,
    ``"user:olga"`` (user names in lower case: they are unique whatever their case)."""
    prefix, key_column, _ = COVERED_TABLES[table]
    key = row[key_column]
    return f"{prefix}:{str(key).lower() if table == 'users' else int(key)}"


def row_digest(table: str, row: dict[str, Any]) -> str:
    """The SHA-256 of one covered row's content as written (the columns of
    :data:`COVERED_TABLES`, images and embeddings as the SHA-256 of their bytes); the same on
    both backends, so that a store migrated to PostgreSQL still verifies."""
    _, _, columns = COVERED_TABLES[table]
    body = canonical_json([table, [[c, _digest_value(c, row[c])] for c in columns]])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def keyed_digests(table: str, rows: Iterable[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """``(row_key, row_digest)`` for each of ``rows`` of ``table``."""
    for row in rows:
        yield row_key(table, row), row_digest(table, row)


def banknote_from_row(row: dict[str, Any]) -> BanknoteReference:
    """A ``banknote_references`` row as a :class:`BanknoteReference`."""
    return BanknoteReference(
        id=int(row["id"]), key=row["class_key"], series=row["series"],
        image_png=row["image_png"], embedding=embedding_from_bytes(row["embedding"]),
        model_id=row["model_id"], source_name=row["source_name"],
        enrolled_by=row["enrolled_by"], enrolled_at=row["enrolled_at"],
        active=bool(row["active"]), revoked_by=row["revoked_by"],
        revoked_at=row["revoked_at"], revoke_reason=row["revoke_reason"])


def check_new_banknote(ref: NewBanknoteReference) -> None:
    """Refuse a reference note that could not be used later (before anything is written)."""
    what = f"banknote reference {ref.source_name or ref.key!r}"
    if not ref.key or ref.key.count("-") != 2:
        raise StoreError(f"{what}: {ref.key!r} is not a <currency>-<denomination>-<side> key")
    if not ref.image_png:
        raise StoreError(f"{what}: the note's image is empty")
    if np.asarray(ref.embedding).size == 0:
        raise StoreError(f"{what}: the embedding is empty")
    if not ref.model_id:
        raise StoreError(f"{what}: the model id is missing")


class RowDigestRecorder:
    """The part of a backend that ties written rows to the audit chain: each mutating method
    passes the rows it wrote (read back inside its transaction) to :meth:`_record_rows`; the
    next ``append_audit`` of the same transaction takes them with :meth:`_take_pending_rows`
    and records their digests. The backend empties the queue when its outermost transaction
    begins and ends, so a change whose transaction has no audit row is recorded nowhere, and
    ``check`` reports that row as never recorded."""

    _pending_rows: dict[str, str]
    _depth: int

    def _record_rows(self, table: str, rows: Iterable[dict[str, Any]]) -> None:
        """Queue the digests of ``rows`` of ``table`` for the transaction's next audit row
        (nothing to queue outside a transaction: no audit row can share its commit)."""
        digests = dict(keyed_digests(table, rows))
        if self._depth:
            self._pending_rows.update(digests)

    def _take_pending_rows(self) -> dict[str, str]:
        """The queued digests (emptying the queue)."""
        rows, self._pending_rows = self._pending_rows, {}
        return rows
