"""The SQLite store's banknote references (table ``banknote_references``, schema version 3).

:class:`BanknoteStoreMixin` is mixed into :class:`desktop.core.store.sqlite.SQLiteStore`; it
uses the store's ``transaction()`` (``BEGIN IMMEDIATE``, all or nothing) and ``_query``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import numpy as np

from desktop.core.store.records import (
    BanknoteReference,
    NewBanknoteReference,
    StoreError,
    embedding_to_bytes,
    utc_now,
)
from desktop.core.store.rows import banknote_from_row, check_new_banknote

# Migration 3 (applied by SQLiteStore.migrate): reference notes an operator enrolled. The
# class key is "<currency>-<denomination>-<side>"; revoked rows are kept (active = 0).
BANKNOTE_MIGRATION = """
    CREATE TABLE banknote_references (
        id INTEGER PRIMARY KEY,
        class_key TEXT NOT NULL CHECK (length(class_key) > 0),
        series TEXT NOT NULL DEFAULT '',
        image_png BLOB NOT NULL,
        embedding BLOB NOT NULL,
        model_id TEXT NOT NULL,
        source_name TEXT NOT NULL DEFAULT '',
        enrolled_by TEXT NOT NULL,
        enrolled_at TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        revoked_by TEXT,
        revoked_at TEXT,
        revoke_reason TEXT
    );
    CREATE INDEX idx_banknote_refs_active ON banknote_references (active, class_key);
"""


class BanknoteStoreMixin:
    """Banknote reference methods of :class:`desktop.core.store.ReferenceStore` on SQLite."""

    if TYPE_CHECKING:  # provided by SQLiteStore
        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def _query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]: ...
        def _written(self, table: str, where: str,
                     params: Sequence[Any]) -> list[dict[str, Any]]: ...

    def add_banknote_references(self, refs: Sequence[NewBanknoteReference],
                                by: str) -> list[BanknoteReference]:
        """Store reference notes in one transaction; returns them as stored, in order."""
        for ref in refs:
            check_new_banknote(ref)
        if not refs:
            return []
        ids: list[int] = []
        with self.transaction() as conn:
            now = utc_now()
            for ref in refs:
                cur = conn.execute(
                    "INSERT INTO banknote_references (class_key, series, image_png, embedding, "
                    "model_id, source_name, enrolled_by, enrolled_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (ref.key, ref.series, ref.image_png, embedding_to_bytes(ref.embedding),
                     ref.model_id, ref.source_name, by, now),
                )
                ids.append(int(cur.lastrowid))
            rows = self._written("banknote_references",
                                 f"id IN ({','.join('?' * len(ids))}) ORDER BY id", ids)
        return [banknote_from_row(r) for r in rows]

    def banknote_references(self, include_revoked: bool = False) -> list[BanknoteReference]:
        """The enrolled reference notes (active only unless ``include_revoked``), by id."""
        sql = "SELECT * FROM banknote_references"
        if not include_revoked:
            sql += " WHERE active = 1"
        return [banknote_from_row(r) for r in self._query(sql + " ORDER BY id")]

    def revoke_banknote_reference(self, ref_id: int, by: str,
                                  reason: str) -> BanknoteReference:
        """Mark an active reference note revoked (the row and its image are kept)."""
        if not reason.strip():
            raise StoreError(f"a reason is needed to revoke banknote reference {ref_id}")
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE banknote_references SET active = 0, revoked_by = ?, revoked_at = ?, "
                "revoke_reason = ? WHERE id = ? AND active = 1",
                (by, utc_now(), reason.strip(), ref_id),
            )
            if cur.rowcount != 1:
                raise StoreError(f"banknote reference {ref_id} does not exist or is already "
                                 "revoked")
            rows = self._written("banknote_references", "id = ?", (ref_id,))
        return banknote_from_row(rows[0])

    def update_banknote_embeddings(self, updates: Sequence[tuple[int, np.ndarray, str]]
                                   ) -> None:
        """Replace embeddings and their model ids, all or none."""
        with self.transaction() as conn:
            for ref_id, embedding, model_id in updates:
                if np.asarray(embedding).size == 0 or not model_id:
                    raise StoreError(f"banknote reference {ref_id}: an embedding and a model "
                                     "id are needed")
                cur = conn.execute(
                    "UPDATE banknote_references SET embedding = ?, model_id = ? WHERE id = ?",
                    (embedding_to_bytes(embedding), model_id, ref_id))
                if cur.rowcount != 1:
                    raise StoreError(f"banknote reference {ref_id} does not exist; no "
                                     "embedding was changed")
                self._written("banknote_references", "id = ?", (ref_id,))
