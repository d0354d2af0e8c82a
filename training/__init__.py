"""Offline training: data, Siamese embedder, losses, evaluation, ONNX export ([train] extra)."""
