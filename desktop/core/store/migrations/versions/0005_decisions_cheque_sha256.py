"""Schema version 5: an index on decisions.cheque_sha256.

A cheque check looks up the decisions already recorded on the same file (the same scan
presented twice, under any name, for any account) by its SHA-256; without the index that is a
scan of the whole decisions table at every check. No data changes; on SQLite a plain
``CREATE INDEX`` (no move-and-copy of the table).

Revision ID: 0005_decisions_cheque_sha256
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005_decisions_cheque_sha256"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("idx_decisions_cheque_sha256", "decisions", ["cheque_sha256"])


def downgrade() -> None:
    op.drop_index("idx_decisions_cheque_sha256", table_name="decisions")
