"""Signatures: the preprocessing contract, the signature model (manifest, embedder), cheques
and signature cards, scores and decisions, enrollment checks. Imports ``imaging`` and
``models``; never ``banknote``, ``store``, ``access`` or ``branch``."""
