"""Baseline: the schema of version 4, as the hand-written backends left it (users,
accounts, reference signatures, decisions, the audit log and head with row digests,
banknote references, the supervisor role).

Nothing to do: a new store gets ``metadata.create_all`` and is stamped here; a store of an
older app is brought to version 4 by :mod:`desktop.core.store.legacy` and then stamped here.
The next schema change is a new revision ``0005_...`` with ``down_revision = "0004"``.
"""

from __future__ import annotations

revision = "0004"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
