"""Training pieces shared by signatures, banknotes and few-shot work: the compact CNN and the
backbone factory, metric-learning losses, verification metrics, ONNX export with its parity
check, torch helpers, distributed (DDP) helpers. Imports torch and ``desktop.core``; never
another training package."""
