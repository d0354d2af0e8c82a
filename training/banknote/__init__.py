"""Banknote training: synthetic notes and captures, data, training, export of the embedder and
its classifiers, evaluation. Imports ``training.common`` and ``desktop.core``; never
``training.signature`` or ``training.fewshot``."""
