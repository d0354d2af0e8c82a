"""Banknote references (table ``banknote_references``, schema version 3), mixed into
:class:`desktop.core.store.sql_store.SqlStore`: all or nothing in the store's transaction."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sqlalchemy as sa

from desktop.core.errors import N_, Message
from desktop.core.store.records import (
    BanknoteReference,
    NewBanknoteReference,
    StoreError,
    embedding_to_bytes,
    utc_now,
)
from desktop.core.store.rows import banknote_from_row, check_new_banknote
from desktop.core.store.schema import banknote_references as notes


class BanknoteQueries:
    """The banknote reference methods of :class:`desktop.core.store.ReferenceStore`."""

    def add_banknote_references(self, refs: Sequence[NewBanknoteReference],
                                by: str) -> list[BanknoteReference]:
        """Store reference notes in one transaction; returns them as stored, in order."""
        for ref in refs:
            check_new_banknote(ref)
        if not refs:
            return []
        with self.transaction():
            now = utc_now()
            rows = [self._one(notes.insert().values(
                class_key=ref.key, series=ref.series, image_png=ref.image_png,
                embedding=embedding_to_bytes(ref.embedding), model_id=ref.model_id,
                source_name=ref.source_name, enrolled_by=by, enrolled_at=now,
            ).returning(*notes.c)) for ref in refs]
            self._written("banknote_references", rows)
        return [banknote_from_row(r) for r in rows]

    def banknote_references(self, include_revoked: bool = False) -> list[BanknoteReference]:
        """The enrolled reference notes (active only unless ``include_revoked``), by id."""
        query = sa.select(notes).order_by(notes.c.id)
        if not include_revoked:
            query = query.where(notes.c.active.is_(True))
        return [banknote_from_row(r) for r in self._all(query)]

    def revoke_banknote_reference(self, ref_id: int, by: str,
                                  reason: str) -> BanknoteReference:
        """Mark an active reference note revoked (the row and its image are kept)."""
        if not reason.strip():
            raise StoreError(Message(N_("a reason is needed to revoke banknote reference "
                                        "{ref}"), ref=ref_id))
        with self.transaction():
            row = self._one(notes.update().where(notes.c.id == ref_id, notes.c.active.is_(True))
                            .values(active=False, revoked_by=by, revoked_at=utc_now(),
                                    revoke_reason=reason.strip()).returning(*notes.c))
            if row is None:
                raise StoreError(Message(N_("banknote reference {ref} does not exist or is "
                                            "already revoked"), ref=ref_id))
            self._written("banknote_references", [row])
        return banknote_from_row(row)

    def update_banknote_embeddings(self, updates: Sequence[tuple[int, np.ndarray, str]]
                                   ) -> None:
        """Replace embeddings and their model ids, all or none."""
        with self.transaction():
            for ref_id, embedding, model_id in updates:
                if np.asarray(embedding).size == 0 or not model_id:
                    raise StoreError(f"banknote reference {ref_id}: an embedding and a model "
                                     "id are needed")
                row = self._one(notes.update().where(notes.c.id == ref_id).values(
                    embedding=embedding_to_bytes(embedding), model_id=model_id,
                ).returning(*notes.c))
                if row is None:
                    raise StoreError(f"banknote reference {ref_id} does not exist; no "
                                     "embedding was changed")
                self._written("banknote_references", [row])
