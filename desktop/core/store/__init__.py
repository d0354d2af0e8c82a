"""The reference store: records and the ``ReferenceStore`` interface (``records``), the
hash-chained audit log and the row digests it records (``audit``, ``rows``), and the two
backends, SQLite (``sqlite*``) and PostgreSQL (``pg*``). Imports ``errors`` and ``paths``
only: it stores embeddings and images as bytes and knows no model code."""
