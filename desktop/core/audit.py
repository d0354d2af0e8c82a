"""The hash-chained audit log: entries, filters, the chain hash and its verification.

Each row's ``hash`` is the SHA-256 of the previous row's hash and the row's own content (id
included); the store's head records the last id and hash. An edited row breaks its own hash,
a deleted row breaks the next row's link, and a deleted tail disagrees with the head. Every
backend appends under its write lock (head read and row insert in one transaction) and
verifies with :func:`verify_chain`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64
AUDIT_COLUMNS = ("id", "ts", "username", "action", "account_number", "model_id", "details",
                 "hash")


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log."""

    id: int
    ts: str
    username: str
    action: str
    account_number: str
    model_id: str
    details: dict[str, Any]
    prev_hash: str
    hash: str

    def as_row(self) -> dict[str, Any]:
        """Flat form for CSV export (details as JSON)."""
        return {"id": self.id, "ts": self.ts, "username": self.username, "action": self.action,
                "account_number": self.account_number, "model_id": self.model_id,
                "details": json.dumps(self.details, sort_keys=True), "hash": self.hash}


@dataclass(frozen=True)
class AuditCheck:
    """Result of walking the audit chain."""

    ok: bool
    rows: int
    bad_id: int | None = None
    problem: str = ""


@dataclass(frozen=True)
class AuditFilter:
    """Filters of the audit viewer; empty fields match everything."""

    username: str = ""
    action: str = ""
    account_number: str = ""
    since: str = ""  # ISO date or time, inclusive
    until: str = ""  # ISO date or time, exclusive
    limit: int = 10000


def entry_hash(prev_hash: str, entry_id: int, ts: str, username: str, action: str,
               account_number: str, model_id: str, details: dict[str, Any]) -> str:
    """The chain hash of one audit row (canonical JSON of its content after the previous
    hash)."""
    body = canonical_json([entry_id, ts, username, action, account_number, model_id, details])
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def canonical_json(value: Any) -> str:
    """The one JSON form used for hashing and storing audit details (NaN is refused)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)



def verify_chain(entries: Iterable[AuditEntry], last_id: int, last_hash: str) -> AuditCheck:
    """Walk ``entries`` in id order: recompute every hash and link, then compare the tail
    with the head (``last_id``, ``last_hash``)."""
    prev_hash, expected_id, count = GENESIS_HASH, 1, 0
    for entry in entries:
        count += 1
        if entry.id != expected_id:
            return AuditCheck(False, count, entry.id, f"row {expected_id} is missing (deleted)")
        if entry.prev_hash != prev_hash:
            return AuditCheck(False, count, entry.id,
                              f"row {entry.id} does not link to the row before it")
        digest = entry_hash(prev_hash, entry.id, entry.ts, entry.username, entry.action,
                            entry.account_number, entry.model_id, entry.details)
        if digest != entry.hash:
            return AuditCheck(False, count, entry.id,
                              f"row {entry.id} was changed after it was written")
        prev_hash, expected_id = entry.hash, entry.id + 1
    if last_id != expected_id - 1 or last_hash != prev_hash:
        return AuditCheck(False, count, last_id,
                          f"the log ends at row {expected_id - 1} but row {last_id} was the "
                          "last one written (rows deleted at the end)")
    return AuditCheck(True, count)
