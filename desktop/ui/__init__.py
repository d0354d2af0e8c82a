"""Qt widgets and background workers; all decisions come from ``desktop.core``."""
