"""The reference store: records and the ``ReferenceStore`` interface (``records``), how
account numbers and names are stored and compared (``account_text``), the hash-chained audit
log and the row digests it records (``audit``, ``rows``), and one implementation on SQLAlchemy
Core for SQLite and PostgreSQL (``schema``, ``sql_*``, ``dialects``, ``backends``) with Alembic
migrations (``upgrade``, ``migrations/``). Imports ``errors`` and ``paths`` only: it stores
embeddings and images as bytes and knows no model code."""
