"""Qt-free, torch-free runtime: image loading, preprocessing contract, ONNX sessions, decisions."""
