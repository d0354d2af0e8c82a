"""The hash-chained audit log: entries, filters, the chain hash and its verification.

Each row's ``hash`` is the SHA-256 of the previous row's hash and the row's own content (id
included, and the ``row_digests`` it records); the store's head records the last id and hash,
the number of rows and a hash over those three (:func:`head_digest`). An edited row breaks its
own hash, a deleted row breaks the next row's link, and a deleted tail disagrees with the
head. Every backend appends under its write lock (head read and row insert in one
transaction) and verifies with :func:`verify_chain`.

The chain also covers the store's other rows (schema version 4): every store method that
writes a user, account, reference, decision or banknote reference computes the SHA-256 of
the row as written (:func:`desktop.core.store.rows.row_digest`) and the next audit row of the
same transaction records it in ``row_digests`` (``{"reference:12": "<sha256>"}``).
:func:`check_row_digests` compares the rows in the store with the last digest the chain
recorded for each, so that a row edited, added or deleted behind the app's back is found.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from desktop.core.errors import N_, Message

GENESIS_HASH = "0" * 64
AUDIT_COLUMNS = ("id", "ts", "username", "action", "account_number", "model_id", "details",
                 "hash", "row_digests")
# The key under which an unreadable row's raw ``details`` text is shown.
MALFORMED_KEY = "unreadable_details"


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log. ``row_digests`` maps the store rows this entry created or
    changed (``"decision:7"``) to the SHA-256 of their content as written; ``malformed`` marks
    a row whose stored text cannot be parsed (its raw text is in ``details``)."""

    id: int
    ts: str
    username: str
    action: str
    account_number: str
    model_id: str
    details: dict[str, Any]
    prev_hash: str
    hash: str
    row_digests: dict[str, str] = field(default_factory=dict)
    malformed: bool = False

    def as_row(self) -> dict[str, Any]:
        """Flat form for CSV export (details and row digests as JSON)."""
        return {"id": self.id, "ts": self.ts, "username": self.username, "action": self.action,
                "account_number": self.account_number, "model_id": self.model_id,
                "details": json.dumps(self.details, sort_keys=True), "hash": self.hash,
                "row_digests": json.dumps(self.row_digests, sort_keys=True)
                if self.row_digests else ""}


@dataclass(frozen=True)
class AuditCheck:
    """Result of walking the audit chain (and, from schema version 4, of comparing the
    store's rows with the digests the chain recorded).

    ``bad_id`` is the first audit row at fault; ``problems`` lists every problem found
    (``problem`` is the first). ``last_hash`` and ``rows`` are the anchor to keep outside the
    store when the check is ok; ``covered`` counts the store rows whose digest matched."""

    ok: bool
    rows: int
    bad_id: int | None = None
    problem: str = ""
    problems: tuple[str, ...] = ()
    last_hash: str = ""
    covered: int = 0


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
               account_number: str, model_id: str, details: dict[str, Any],
               row_digests: dict[str, str] | None = None) -> str:
    """The chain hash of one audit row (canonical JSON of its content after the previous
    hash). ``row_digests`` is part of the content when there are any (a row without any
    hashes as rows written before schema version 4 did)."""
    content: list[Any] = [entry_id, ts, username, action, account_number, model_id, details]
    if row_digests:
        content.append(row_digests)
    return hashlib.sha256((prev_hash + canonical_json(content)).encode("utf-8")).hexdigest()


def head_digest(last_id: int, row_count: int, last_hash: str) -> str:
    """The hash the head row keeps over its own fields (last id, row count, last hash): a
    head edited without recomputing it is found. It has no secret: someone who can write the
    store can recompute it, which only an anchor kept outside the store catches."""
    body = canonical_json(["sigdesk-audit-head", int(last_id), int(row_count), last_hash])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def canonical_json(value: Any) -> str:
    """The one JSON form used for hashing and storing audit details (NaN is refused)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def parse_anchor(text: str) -> tuple[int, str]:
    """``"25:ab12…"`` (an earlier check's anchor, or an exported row's id and hash) as
    ``(25, "ab12…")``; :class:`ValueError` when it is not of that form."""
    number, sep, digest = text.strip().partition(":")
    digest = digest.strip().lower()
    if not sep or not number.strip().isdigit() or len(digest) != 64 or \
            any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"{text!r} is not an anchor of the form ROWS:SHA256 "
                         "(as sigdesk-store check prints it)")
    return int(number), digest


def verify_chain(entries: Iterable[AuditEntry], last_id: int, last_hash: str,
                 row_count: int | None = None, head_hash: str | None = None,
                 recorded: dict[str, tuple[str, int]] | None = None) -> AuditCheck:
    """Walk ``entries`` in id order: recompute every hash and link, then compare the tail
    with the head (``last_id``, ``last_hash`` and, from schema version 4, ``row_count`` and
    the head's own ``head_hash``). When ``recorded`` is given it is filled with the last
    digest the chain recorded for each store row: ``{key: (sha256, audit id)}``."""
    prev_hash, expected_id, count = GENESIS_HASH, 1, 0
    for entry in entries:
        count += 1
        if entry.id != expected_id:
            return AuditCheck(False, count, entry.id, Message(N_("row {row} is missing "
                                                                "(deleted)"), row=expected_id))
        if entry.malformed:
            return AuditCheck(False, count, entry.id, Message(N_(
                "row {row} cannot be read (its stored details are not valid JSON): it was "
                "changed after it was written"), row=entry.id))
        if entry.prev_hash != prev_hash:
            return AuditCheck(False, count, entry.id, Message(N_(
                "row {row} does not link to the row before it"), row=entry.id))
        digest = entry_hash(prev_hash, entry.id, entry.ts, entry.username, entry.action,
                            entry.account_number, entry.model_id, entry.details,
                            entry.row_digests)
        if digest != entry.hash:
            return AuditCheck(False, count, entry.id, Message(N_(
                "row {row} was changed after it was written"), row=entry.id))
        if recorded is not None:
            for key, value in entry.row_digests.items():
                recorded[key] = (value, entry.id)
        prev_hash, expected_id = entry.hash, entry.id + 1
    if last_id != expected_id - 1 or last_hash != prev_hash:
        return AuditCheck(False, count, last_id, Message(N_(
            "the log ends at row {end} but row {last} was the last one written (rows deleted "
            "at the end)"), end=expected_id - 1, last=last_id))
    if row_count is not None:
        if row_count != count:
            return AuditCheck(False, count, last_id, Message(N_(
                "the head counts {head} rows but the log has {count} (rows deleted at the end "
                "and the head rewritten)"), head=row_count, count=count))
        if head_hash != head_digest(last_id, row_count, last_hash):
            return AuditCheck(False, count, last_id, Message(N_(
                "the head row was edited (its hash does not match its last id, row count and "
                "last hash)")))
    return AuditCheck(True, count, last_hash=prev_hash)


def check_row_digests(recorded: dict[str, tuple[str, int]], current: Iterable[tuple[str, str]]
                      ) -> tuple[list[tuple[int | None, str]], int]:
    """Compare the store's rows (``(key, sha256)`` of each, as
    :func:`desktop.core.store.rows.row_digest` computes it) with the last digest the audit
    chain recorded for each key. Returns ``(audit id or None, problem)`` for every row that
    was changed after its audit row recorded it, was never recorded by any audit row, or was
    recorded but is gone (none when every row matches), and the number of rows that matched."""
    problems: list[tuple[int | None, str]] = []
    seen: set[str] = set()
    matched = 0
    for key, digest in current:
        seen.add(key)
        what = key.replace(":", " ", 1)
        if key not in recorded:
            problems.append((None, Message(N_(
                "{row} was never recorded by an audit row (written outside the app, or by a "
                "change without its audit row)"), row=what)))
            continue
        expected, audit_id = recorded[key]
        if digest != expected:
            problems.append((audit_id, Message(N_("{row} was changed after audit row {audit} "
                                                  "recorded it"), row=what, audit=audit_id)))
        else:
            matched += 1
    for key in sorted(set(recorded) - seen):
        audit_id = recorded[key][1]
        problems.append((audit_id, Message(N_("{row} is missing (deleted after audit row "
                                              "{audit} recorded it)"),
                                           row=key.replace(":", " ", 1), audit=audit_id)))
    return problems, matched


def combine(chain: AuditCheck, row_problems: list[tuple[int | None, str]],
            covered: int) -> AuditCheck:
    """One :class:`AuditCheck` from the chain walk and the row comparison."""
    problems = ([chain.problem] if not chain.ok else []) + [p for _, p in row_problems]
    if not problems:
        return AuditCheck(True, chain.rows, last_hash=chain.last_hash, covered=covered)
    bad_id = chain.bad_id if not chain.ok else next(
        (i for i, _ in row_problems if i is not None), None)
    first = problems[0] if len(problems) == 1 else Message(
        N_("{problem} (and {n} more problems)"), problem=problems[0], n=len(problems) - 1)
    return AuditCheck(False, chain.rows, bad_id, first, tuple(problems), chain.last_hash,
                      covered)
