"""Signature training: data readers and synthetic writers, cheques, sampler, augmentation,
the training loop, evaluation, export and int8 quantisation. Imports ``training.common`` and
``desktop.core``; never ``training.banknote`` or ``training.fewshot``."""
