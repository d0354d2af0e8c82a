"""N-way k-shot evaluation harness and the Omniglot benchmark. Imports ``training.common``;
never ``training.signature`` or ``training.banknote``."""
