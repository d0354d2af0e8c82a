"""Model folders in general: the signed manifest (Ed25519 over a list of file hashes), the
preprocessing-contract base class, onnxruntime sessions and execution providers. Knows
nothing of signatures or banknotes; imports ``errors`` and ``paths`` only."""
