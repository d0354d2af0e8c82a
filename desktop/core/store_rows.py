"""What both store backends share below the interface: turning rows into records, checking
a new reference note before it is written, and small SQL-text helpers.

:mod:`desktop.core.sqlite_store` and :mod:`desktop.core.pg_store` keep their own SQL; rows
come back from either as dicts with the same column names and are read here.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from desktop.core.audit import AuditEntry
from desktop.core.store import (
    BanknoteReference,
    NewBanknoteReference,
    Reference,
    StoreError,
    User,
    embedding_from_bytes,
)


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with ``\\`` escaping ``%`` and ``_``."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


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
    """An ``audit_log`` row as an :class:`AuditEntry` (details parsed from JSON)."""
    row = dict(row)
    row["details"] = json.loads(row["details"])
    return AuditEntry(**row)


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
