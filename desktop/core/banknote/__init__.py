"""Banknotes: finding and rectifying the note, its preprocessing contract, the banknote model
(manifest, embedder, classifiers). Imports ``imaging`` and ``models``; never ``signature``,
``store``, ``access`` or ``branch``."""
